"""Sweep reporters: the summary table (a row per run, worst first), then each run on request.

Every format shows the same rows (`Sweep.rows`, built from each run's JSON document) and, with
`--detail`, each run rendered by the single-run reporter of the same format, so a run reads the
same in a sweep as alone. The JSON is the `lossdoctor.sweep/v1` document of
docs/sweep.schema.json: every run's full `lossdoctor.report/v1` document (or null), always.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from io import StringIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lossdoctor.reporters import github, junit, markdown, terminal
from lossdoctor.reporters.labels import label, verdict_word
from lossdoctor.reporters.markdown import md_text
from lossdoctor.reporters.outside import as_text, clean, safe_output
from lossdoctor.reporters.outside import html_text as escape
from lossdoctor.runs.sweep import SWEEP_SCHEMA, Row, Sweep

SweepRenderer = Callable[..., str]
STATUS_STYLE = {
    "red": "bold white on red",
    "warn": "bold black on yellow",
    "ok": "bold white on green",
    "error": "bold white on grey37",
}
STATUS_EMOJI = {"red": "🔴", "warn": "🟡", "ok": "🟢", "error": "⚪"}


def status_word(status: str, lang: str) -> str:
    return label(f"sweep_status_{status}", lang)


def verdicts_text(row: Row, lang: str) -> str:
    """`flow stalled · dino learning · kl learning`: the branch verdicts in one cell."""
    return " · ".join(f"{branch} {verdict_word(verdict, lang)}" for branch, verdict in row.verdicts.items())


def summary_text(rows: list[Row], lang: str) -> str:
    counts = {status: sum(r.status == status for r in rows) for status in ("red", "warn", "ok", "error")}
    return label("sweep_summary", lang, n=len(rows), **counts)


def _columns(lang: str) -> list[str]:
    return [
        label(f"sweep_col_{key}", lang)
        for key in ("status", "run", "red", "warn", "first_red", "diagnosis", "verdicts")
    ]


def common_parent(rows: list[Row]) -> str:
    """The folder every run is in (`runs/` for `runs/*/`, `s3://b/runs/`): tables name runs relative to it."""
    split = [_scheme(row.path) for row in rows]
    if len(split) < 2 or len({scheme for scheme, _ in split}) > 1:
        return ""
    paths = [os.path.normpath(path) for _, path in split]
    try:
        parent = os.path.commonpath(paths)
    except ValueError:  # absolute and relative paths mixed
        return ""
    return "" if parent in paths or not parent else split[0][0] + parent


def _scheme(path: str) -> tuple[str, str]:
    """`s3://b/x` as ("s3://", "b/x"): a URL's `//` is not a path's, which normpath would fold."""
    head, sep, rest = path.partition("://")
    return (head + sep, rest) if sep and "/" not in head else ("", path)


def _relative(path: str, parent: str) -> str:
    return os.path.relpath(os.path.normpath(_scheme(path)[1]), _scheme(parent)[1])


def _cells(row: Row, lang: str, parent: str = "") -> list[str]:
    """A row's cells as plain text (the terminal and markdown both start from these)."""
    first = "–" if row.first_red is None else str(row.first_red)
    name = _relative(row.path, parent) if parent else row.path
    return [
        status_word(row.status, lang),
        name,
        str(row.red),
        str(row.warn),
        first,
        row.diagnosis or (row.error or "–"),
        verdicts_text(row, lang) or "–",
    ]


def render_terminal(sweep: Sweep, *, width: int | None = None, color: bool | None = None) -> str:
    """The table, one summary line, then (with --detail) every run's terminal report."""
    lang = sweep.lang
    file = StringIO()
    console = Console(
        file=file,
        width=width or terminal.terminal_width(),
        force_terminal=bool(color),
        color_system="standard" if color else None,
        markup=False,  # run folders and messages from logs are printed as they are
        emoji=False,
    )
    console.print(Text(label("sweep_title", lang, n=len(sweep.runs)), style="bold"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1))
    for index, name in enumerate(_columns(lang)):
        table.add_column(
            name,
            justify="right" if index in (2, 3, 4) else "left",
            no_wrap=index in (0, 1, 2, 3, 4),
            overflow="fold",
            ratio=2 if index == 5 else None,
        )
    rows = sweep.rows()
    parent = common_parent(rows)
    if parent:
        console.print(as_text(parent + os.sep, style="dim"))
    for row in rows:
        cells = [clean(c) for c in _cells(row, lang, parent)]
        if row.error:  # the reason goes under the table, where it has the whole width
            cells[5] = "↓"
        table.add_row(Text(f" {cells[0]} ", style=STATUS_STYLE[row.status]), *cells[1:])
    console.print(table)
    for row in rows:
        if row.error:
            console.print(Text.assemble((clean(f"{row.path}: "), "bold"), clean(row.error)))
    console.print(Text(summary_text(rows, lang), style="bold"))
    if not sweep.detail:
        if sweep.detail_possible():
            console.print(Text(label("sweep_detail_hint", lang), style="dim"))
    else:
        by_path = sweep.by_path()
        for row in rows:
            console.print()
            console.rule(as_text(row.path, style="bold"))
            report = by_path[row.path].report
            if report is None:
                console.print(as_text(row.error or "", style="red"))
            else:
                terminal.print_report(report, console)
    out = file.getvalue()
    if color:
        return safe_output(out, styled=True)
    return safe_output("".join(line.rstrip() + "\n" for line in out.splitlines()))


def render_json(sweep: Sweep, *, width: int | None = None, color: bool | None = None) -> str:
    """`lossdoctor.sweep/v1`: runs worst first, each with its whole report document (or null)."""
    by_path = sweep.by_path()
    runs = []
    for row in sweep.rows():
        runs.append(
            {
                "path": row.path,
                "status": row.status,
                "exit": row.exit,
                "report": by_path[row.path].report_document(),
                "error": row.error,
            }
        )
    document = {"schema": SWEEP_SCHEMA, "lang": sweep.lang, "runs": runs}
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def render_markdown(sweep: Sweep, *, width: int | None = None, color: bool | None = None) -> str:
    lang = sweep.lang
    rows = sweep.rows()
    lines = [
        f"## {md_text(label('sweep_title', lang, n=len(rows)))}",
        "",
        md_text(summary_text(rows, lang)),
        "",
    ]
    columns = _columns(lang)
    lines += ["| " + " | ".join(map(md_text, columns)) + " |", "|" + "---|" * len(columns)]
    parent = common_parent(rows)
    for row in rows:
        cells = [md_text(c) for c in _cells(row, lang, parent)]
        cells[0] = f"{STATUS_EMOJI[row.status]} {cells[0]}"
        lines.append("| " + " | ".join(cells) + " |")
    if sweep.detail:
        by_path = sweep.by_path()
        for row in rows:
            report = by_path[row.path].report
            lines += ["", f"### {md_text(row.path)}", ""]
            lines.append(markdown.render(report).rstrip("\n") if report else md_text(row.error or ""))
    return safe_output("\n".join(lines) + "\n")


def render_junit(sweep: Sweep, *, width: int | None = None, color: bool | None = None) -> str:
    """One `<testsuite>` per run, named by its path; an unreadable run is a suite with one error."""
    root = ET.Element("testsuites", {"name": junit.SUITE_NAME})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    by_path = sweep.by_path()
    for row in sweep.rows():
        report = by_path[row.path].report
        if report is None:
            suite = ET.SubElement(
                root,
                "testsuite",
                {
                    "name": junit.xml_safe(row.path),
                    "tests": "1",
                    "failures": "0",
                    "errors": "1",
                    "skipped": "0",
                    "time": "0",
                },
            )
            case = ET.SubElement(
                suite, "testcase", {"classname": "lossdoctor.input", "name": "read", "time": "0"}
            )
            ET.SubElement(case, "error", {"message": junit.xml_safe(row.error or ""), "type": "input"})
            totals["tests"] += 1
            totals["errors"] += 1
            continue
        built = junit.build(report).find("testsuite")
        assert built is not None
        built.set("name", junit.xml_safe(row.path))
        root.append(built)
        for key in totals:
            totals[key] += int(built.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_github(sweep: Sweep, *, width: int | None = None, color: bool | None = None) -> str:
    """Each run's annotations, titled with its path; an unreadable run is one `::error`."""
    lines = []
    by_path = sweep.by_path()
    for row in sweep.rows():
        report = by_path[row.path].report
        if report is None:
            lines.append(github.command("error", row.error or "", {"title": f"lossdoctor: {row.path}"}))
        else:
            commands = github.commands(report)  # findings name the run's file; the closing line names the run
            commands[-1] = commands[-1].replace(
                "title=lossdoctor::", f"title=lossdoctor {github.escape_property(row.path)}::", 1
            )
            lines += commands
    lines.append(
        github.command("notice", summary_text(sweep.rows(), sweep.lang), {"title": "lossdoctor sweep"})
    )
    return "\n".join(lines) + "\n"


def render_html(sweep: Sweep, *, width: int | None = None, color: bool | None = None) -> str:
    """The table with links to each run's section (with --detail: reports and charts on one page)."""
    from lossdoctor.reporters.html import page, report_body

    lang = sweep.lang
    rows = sweep.rows()
    title = label("sweep_title", lang, n=len(rows))
    index = {row.path: f"run-{i}" for i, row in enumerate(rows)}
    head = "".join(f"<th>{escape(c)}</th>" for c in _columns(lang))
    body_rows = []
    parent = common_parent(rows)
    for row in rows:
        cells = [escape(c) for c in _cells(row, lang, parent)]
        cells[0] = f'<span class="badge {row.status}">{cells[0]}</span>'
        if sweep.detail:
            cells[1] = f'<a href="#{index[row.path]}">{cells[1]}</a>'
        body_rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="summary">{escape(summary_text(rows, lang))}</p>',
        f'<table class="sweep"><tr>{head}</tr>{"".join(body_rows)}</table>',
    ]
    charts = []
    if sweep.detail:
        parts.append(f"<h2>{escape(label('sweep_details', lang))}</h2>")
        by_path = sweep.by_path()
        for row in rows:
            report = by_path[row.path].report
            parts.append(f'<section id="{index[row.path]}"><h2>{escape(row.path)}</h2>')
            if report is None:
                parts.append(f'<p class="summary red">{escape(row.error or "")}</p>')
            else:
                body, run_charts = report_body(report, prefix=f"{index[row.path]}-", heading=3)
                parts.append(body)
                charts += run_charts
            parts.append("</section>")
    elif sweep.detail_possible():
        parts.append(f'<p class="meta">{escape(label("sweep_detail_hint", lang))}</p>')
    return page(title, "\n".join(parts), lang, charts)


SWEEP_REPORTERS: dict[str, SweepRenderer] = {
    "terminal": render_terminal,
    "json": render_json,
    "markdown": render_markdown,
    "junit": render_junit,
    "github": render_github,
    "html": render_html,
}
