"""`lossdoctor metrics` on a terminal: what was read, each metric and each rule's status, as tables.

The command builds the `lossdoctor.metrics/v1` document; this renders it, every name from the
log printed as inert text (a file name or metric can hold escape sequences).
"""

from __future__ import annotations

import sys
from typing import Any

from lossdoctor.reporters.outside import clean, safe_output


def render_tree(document: dict[str, Any]) -> None:
    """The runs found under a folder as a tree of paths, then what was skipped and why."""
    from rich.console import Console
    from rich.markup import escape
    from rich.tree import Tree

    def shown(text: str) -> str:  # a file name can hold escape sequences: never let them reach the terminal
        return escape("".join(ch if ch.isprintable() else "?" for ch in text))

    console = Console()
    count = len(document["runs"])
    tree = Tree(shown(f"{document['root']}: {count} run{'s' if count != 1 else ''} found"))
    for run in document["runs"]:
        tree.add(shown(f"{run['path']}  ({run['kind']})"))
    if document["skipped"]:
        skipped = tree.add("skipped")
        for item in document["skipped"]:
            skipped.add(shown(f"{item['path']}: {item['reason']}"), style="yellow")
    console.print(tree, highlight=False)
    if count > 1:
        console.print("`lossdoctor analyze` on this folder judges each run (the sweep mode); "
                      "`lossdoctor metrics RUN` shows one run's metrics.", markup=False, highlight=False)
    elif not count:
        console.print("no run found: nothing here is a training log lossdoctor reads", markup=False)


def render(summary: dict[str, Any]) -> None:
    """The summary as rich tables on the terminal; every name from the log printed as text."""
    from io import StringIO

    if "runs" in summary:
        render_tree(summary)
    from rich.console import Console
    from rich.text import Text

    shown = Console()  # what the real terminal supports, for the console that renders to a string
    buffer = StringIO()
    console = Console(file=buffer, width=shown.width, force_terminal=shown.is_terminal,
                      color_system="standard" if shown.color_system else None,
                      markup=False, emoji=False, highlight=False)
    steps = summary["steps"]
    span = f"{steps['first']}–{steps['last']}" if steps else "none"
    if summary.get("step_unit") == "epoch":
        span += " (epochs)"
    head = [("format", summary["format"]), ("points", summary["points"]), ("steps", span),
            ("interval", summary["interval"] or "n/a"), ("launches", len(summary["launches"]))]
    console.print(Text("   ").join(Text.assemble((k, "bold"), f" {clean(v)}") for k, v in head))
    for file in summary["files"]:
        console.print(f"  {clean(file)}")
    console.print(_metrics_table(summary))
    for item in summary["shadow_only"]:
        shadow = f"shadow only: {item['metric']} (logged only as {item['shadow']}, whose value is 0)"
        console.print(clean(shadow))
    console.print(_rules_table(summary))
    for w in summary["warnings"]:
        where = w["file"] + (f":{w['line']}" if w["line"] is not None else "")
        console.print(clean(f"warning: {where}: {w['message']}"))
    sys.stdout.write(safe_output(buffer.getvalue(), styled=shown.color_system is not None))


def _metrics_table(summary: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="Metrics", title_justify="left")
    for header in ("metric", "found as", "points", "steps", "NaN", "precision"):
        table.add_column(header)
    for m in summary["metrics"]:
        where = f"{m['first_step']}–{m['last_step']}" if m["first_step"] is not None else "-"
        table.add_row(clean(m["name"]), clean(", ".join(m["spellings"])), str(m["points"]), where,
                      str(m["nan_points"] or ""), f"{m['precision']:g}" if m["precision"] else "")
    return table


def _rules_table(summary: dict[str, Any]) -> Any:
    from rich.table import Table

    rules = Table(title="Rules", title_justify="left")
    rules.add_column("rule")
    rules.add_column("status")
    for r in summary["rules"]:
        if r["status"] == "can run":
            text = "can run" + (f" ({', '.join(r['tags'])})" if r.get("tags") else "")
        else:
            text = "needs " + "; ".join(r["needs"])
        rules.add_row(r["rule"], clean(text), style=None if r["status"] == "can run" else "yellow")
    return rules
