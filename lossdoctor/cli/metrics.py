"""`lossdoctor metrics PATH…`: what was read, and which rules can run on it.

This is how a user finds out why a rule did not run: the files and format, the step
range and log interval, every metric under its canonical name with the spellings it
was found under, and for each catalogue rule "can run" or what it needs. Heavy
imports happen inside the command, so `lossdoctor --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lossdoctor.cli.app import app
from lossdoctor.errors import UsageError

if TYPE_CHECKING:
    from lossdoctor.engine.rulefiles.schema import CheckRule
    from lossdoctor.model import Param, RunData

SCHEMA = "lossdoctor.metrics/v1"
OUTPUTS = ("terminal", "json")


@app.command()
def metrics(
    paths: list[str] = typer.Argument(
        ..., help="Log files (launches of one run, in order), an MMEngine work dir or a folder of "
        "TensorBoard exports; s3://, gs://, az://, hf:// or https:// URLs (the remote extra).",
        show_default=False,
    ),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
    input_format: str | None = typer.Option(
        None, "--input-format", help="Force the input format: mmengine-scalars, mmengine-text, mmcv-json, "
        "mmcv-text, tb-csv, tb-json, tfevents, hf-trainer-state, csv, jsonl, json (gzip is read as is)."
    ),
    tag: str | None = typer.Option(
        None, "--tag", help="The metric of a TensorBoard export whose file name carries no tag."
    ),
    config_path: Path | None = typer.Option(
        None, "--config", help="A lossdoctor.yaml or pyproject.toml (its aliases name metrics)."
    ),
) -> int:
    """Show what was read from a log and which rules can run on it."""
    if fmt not in OUTPUTS:
        raise UsageError(f'unknown format "{fmt}": known formats are {", ".join(OUTPUTS)}', field="--format")
    from lossdoctor.gate.config import load_config
    from lossdoctor.readers import read_paths
    from lossdoctor.readers.remote import complete, staged
    from lossdoctor.runs.saved import refuse_saved

    config = load_config(config_path, Path.cwd())
    with staged(paths) as staging:  # URLs copied to a private folder; what is shown names the URLs
        complete(staging)
        refuse_saved(staging.paths)
        tree = runs_tree(staging.paths)
        if tree is not None and len(tree["runs"]) != 1:  # several runs (or none): the tree is the answer
            _emit(staging.relabel({"schema": SCHEMA, **tree}), fmt, lambda doc: render_tree(doc))
            return 0 if tree["runs"] else 2
        run = read_paths(staging.paths, input_format=input_format, aliases=config.aliases, tag=tag)
        summary = describe(run)
        if tree is not None:
            summary.update(tree)
        summary = staging.relabel(summary)
    _emit(summary, fmt, render)
    return 0


def _emit(document: dict[str, Any], fmt: str, terminal: Any) -> None:
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        terminal(document)


def runs_tree(paths: list[Path]) -> dict[str, Any] | None:
    """For one folder: the runs found in it and what was skipped, as `discover` walked it."""
    if len(paths) != 1 or not paths[0].is_dir():
        return None
    from lossdoctor.readers.discover import discover

    root = paths[0]
    found = discover(root)

    def rel(path: Path) -> str:
        return "." if path == root else str(path.relative_to(root))

    return {
        "root": str(root),
        "runs": [{"path": rel(r.path), "kind": r.kind, "reads": [rel(p) for p in r.inputs]}
                 for r in found.runs],
        "skipped": [{"path": rel(s.path), "reason": s.reason} for s in found.skipped],
    }


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


def describe(run: RunData) -> dict[str, Any]:
    """What was read, as a plain, JSON-ready dict (the `--format json` document)."""
    import numpy as np

    frame = run.frame
    steps = frame.index.to_numpy()
    interval = int(np.median(np.diff(steps))) if len(steps) > 1 else None
    return {
        "schema": SCHEMA,
        "format": run.format,
        "files": list(run.files),
        "points": len(frame),
        "steps": {"first": int(steps[0]), "last": int(steps[-1])} if len(steps) else None,
        "interval": interval,
        "step_unit": run.step_unit,
        "launches": [{"file": s.file, "first": s.first, "last": s.last} for s in run.segments],
        "metrics": [_metric(run, str(name)) for name in frame.columns],
        "shadow_only": [{"metric": name, "shadow": run.shadows.get(name)}
                        for name in sorted(run.shadow_only)],
        "rules": rule_status(run),
        "warnings": [{"file": w.file, "line": w.line, "message": w.message} for w in run.warnings],
    }


def _metric(run: RunData, name: str) -> dict[str, Any]:
    """One metric: canonical name, spellings, how many points, its step span, NaNs and precision."""
    import numpy as np

    column = run.frame[name]
    present = column.notna().to_numpy() | np.isin(run.frame.index.to_numpy(), run.nan_steps.get(name, []))
    at = run.frame.index.to_numpy()[present]
    return {
        "name": name,
        "spellings": list(run.spellings.get(name, [name])),
        "points": int(present.sum()),
        "first_step": int(at[0]) if len(at) else None,
        "last_step": int(at[-1]) if len(at) else None,
        "nan_points": len(run.nan_steps.get(name, [])),
        "precision": run.precision.get(name),
    }


def rule_status(run: RunData) -> list[dict[str, Any]]:
    """For each default rule: "can run" (with its tags), or the metrics and parameters it needs."""
    from lossdoctor.engine import load_default
    from lossdoctor.engine.evaluation.params import resolve

    params = resolve(run, {})
    return [_status(run, rule, params) for rule in load_default().checks]


def _status(run: RunData, rule: CheckRule, params: dict[str, Param]) -> dict[str, Any]:
    from lossdoctor.engine.evaluation.evaluate import PARAM_FLAGS, tags_for

    columns = [str(c) for c in run.frame.columns]
    needs = [f"parameter {name} ({PARAM_FLAGS.get(name, f'--param {name}=N')})"
             for name in rule.requires if name not in params]
    tags: list[str] = []
    if rule.per_tag:
        found = tags_for(rule, columns)
        tags = [t for t in found if not _missing(run, rule, t)]
        if not tags:
            first = next(iter(rule.metrics.values()))[0]
            needs.insert(0, _missing(run, rule, found[0])[0] if found else first)
    else:
        needs[:0] = _missing(run, rule, None)
    out: dict[str, Any] = {"rule": rule.id, "status": "needs" if needs else "can run", "needs": needs}
    if rule.per_tag:
        out["tags"] = tags
    return out


def _missing(run: RunData, rule: CheckRule, tag: str | None) -> list[str]:
    """The required metrics of a rule (for one tag) that the log does not hold a value for."""
    missing = []
    for local, candidates in rule.metrics.items():
        if local in rule.optional:
            continue
        names = [c.replace("{tag}", tag or "") for c in candidates]
        if any(n in run.frame.columns and run.frame[n].notna().any() for n in names):
            continue
        shadowed = next((n for n in names if n in run.shadow_only), None)
        if shadowed:
            missing.append(f"{shadowed} (only its zero-weight shadow {run.shadows.get(shadowed)} is logged)")
        else:
            missing.append(" or ".join(names))
    return missing


def render(summary: dict[str, Any]) -> None:
    """The summary as rich tables on the terminal; every name from the log printed as text."""
    from io import StringIO

    if "runs" in summary:
        render_tree(summary)
    from rich.console import Console
    from rich.text import Text

    from lossdoctor.reporters.outside import safe_output

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


def clean(value: object) -> str:
    """A value from the log as one line of inert text (reporters.outside.clean)."""
    from lossdoctor.reporters.outside import clean as outside_clean

    return outside_clean(value)


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
