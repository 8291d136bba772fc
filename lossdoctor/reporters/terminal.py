"""The rich terminal report: what a person reads after `lossdoctor analyze`.

Order follows product.md: run summary, diagnoses (the answer), checks (the
evidence), branch verdicts, metrics overview, §8 coverage, rules not evaluated,
then one summary line. Everything the engine wrote (titles, causes, evidence)
goes in as `Text`, never as markup, so a `[flow]` in a message stays literal.
Long text wraps under its own column instead of being cut: nothing the user
needs to act on may disappear at 80 columns.
"""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Iterable, Mapping
from io import StringIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from lossdoctor.document import log_interval, not_evaluated_groups, step_extent
from lossdoctor.model import SEVERITY_ORDER, Diagnosis, Finding, MetricSummary, Report
from lossdoctor.reporters.labels import coverage_word, every_interval, label, severity_word, verdict_word
from lossdoctor.reporters.outside import as_text, clean, safe_output

SEVERITY_STYLE = {"red": "bold white on red", "warn": "bold black on yellow", "info": "bold white on blue"}
SEVERITY_TEXT_STYLE = {"red": "bold red", "warn": "yellow", "info": "blue"}
VERDICT_STYLE = {"learning": "green", "stalled": "red", "unstable": "red",
                 "too strong": "yellow", "too weak": "yellow", "unknown": "dim"}
COVERAGE_STYLE = {"present": "green", "shadow only": "yellow", "missing": "red"}
TREND_ARROW = {"falling": "↓", "rising": "↑", "flat": "→"}
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_NONFINITE = "×"
MAX_WARNINGS = 10


def render(report: Report, *, width: int | None = None, color: bool | None = None) -> str:
    """The terminal report as a string, for `--output` files and tests.

    `width` None means the current terminal's (80 when there is none);
    `color` None means colour only when stdout is a terminal (rich honours NO_COLOR).
    """
    file = StringIO()
    # markup and emoji off: a string cell from a log (`[/oops]`, `:warning:`) is printed as it is
    if color is None:
        console = Console(file=file, width=width or terminal_width(), force_terminal=sys.stdout.isatty(),
                          markup=False, emoji=False)
    else:
        console = Console(file=file, width=width or terminal_width(), force_terminal=color,
                          color_system="standard" if color else None, markup=False, emoji=False)
    print_report(report, console)
    if console.color_system is None:  # rich pads table cells; the padding is invisible noise in a file
        return safe_output("".join(line.rstrip() + "\n" for line in file.getvalue().splitlines()))
    return safe_output(file.getvalue(), styled=True)


def terminal_width() -> int:
    return shutil.get_terminal_size((80, 24)).columns


def print_report(report: Report, console: Console) -> None:
    """Write the whole report to `console`, section by section, in product.md's order."""
    lang = report.lang
    console.print(Text(label("title", lang), style="bold"))
    console.print(_run_summary(report))
    _section(console, label("diagnoses", lang),
             [_diagnosis(d, lang) for d in report.diagnoses], label("no_diagnoses", lang))
    findings = sorted(report.findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.first_step, f.rule))
    if findings:
        _section(console, label("checks", lang), [_finding(f, lang, report.baselined) for f in findings], "")
    elif report.evaluated:
        _section(console, label("checks", lang),
                 [Text(label("no_findings", lang, n=len(report.evaluated)), style="bold green")], "")
    else:
        _section(console, label("checks", lang), [], label("no_checks_run", lang))
    _section(console, label("verdicts", lang), [_verdicts(report)] if report.verdicts else [],
             label("no_verdicts", lang))
    _section(console, label("metrics", lang), [_metrics(report.metrics, lang, console.width)]
             if report.metrics else [], label("no_metrics", lang))
    _section(console, label("coverage", lang), [_coverage(report.coverage, lang)] if report.coverage else [],
             label("no_coverage", lang))
    not_evaluated = [(", ".join(names), reason) for names, reason in not_evaluated_groups(report)]
    _section(console, label("not_evaluated", lang), [_bullets(not_evaluated)] if not_evaluated else [],
             label("all_evaluated" if report.evaluated else "none", lang))
    console.print()
    console.rule(style="dim")
    console.print(_summary_line(report))


def _section(console: Console, heading: str, blocks: list[RenderableType], empty: str) -> None:
    """A heading rule, then each block separated by a blank line (or the `empty` sentence)."""
    console.print()
    console.rule(Text(heading, style="bold"), align="left", style="dim")
    if not blocks:
        console.print(Text(empty, style="dim"))
    for index, block in enumerate(blocks):
        if index:
            console.print()
        console.print(block)


def _run_summary(report: Report) -> Group:
    """What was read: a short facts grid, then the lists (files, parameters, notes, warnings).

    Lists get the full width under their heading, so a long path or config
    source wraps once instead of being squeezed beside a label column.
    """
    run, lang = report.run, report.lang
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    facts.add_row(label("format", lang), Text(run.format))
    facts.add_row(label("points", lang), Text(str(len(run.frame))))
    extent = step_extent(run.frame)
    facts.add_row(label("steps", lang), Text(f"{extent[0]}–{extent[1]}" if extent else label("none", lang)))
    interval = log_interval(run.frame)
    every = label("unknown", lang)
    if interval is not None:
        every = every_interval(run.step_unit, interval, format_number(interval), lang)
    facts.add_row(label("interval", lang), Text(every))
    if report.config_source:
        facts.add_row(label("config", lang), as_text(report.config_source))
    parts: list[RenderableType] = [facts]
    parts += _listed(*_files(report))
    if len(run.segments) > 1 and {s.file for s in run.segments} != set(run.files):
        parts += _listed(label("segments_stitched", lang, n=len(run.segments)),
                         [f"{s.file}  {s.first}–{s.last}" for s in run.segments])
    parts += _listed(label("params", lang), [f"{name} = {format_number(p.value)}  ({p.source})"
                                             for name, p in sorted(report.params.items())])
    parts += _listed(label("notes", lang), report.notes)
    parts += _listed(f"{label('warnings', lang)} ({len(run.warnings)})", _read_warnings(report), "yellow")
    return Group(*parts)


def _files(report: Report) -> tuple[str, list[str]]:
    """Files read; with stitched launches, each with its step range (one list, not two)."""
    run, lang = report.run, report.lang
    if len(run.segments) > 1 and {s.file for s in run.segments} == set(run.files):
        heading = f"{label('files', lang)} ({label('segments_stitched', lang, n=len(run.segments))})"
        return heading, [f"{clean(s.file)}  {s.first}–{s.last}" for s in run.segments]
    return label("files", lang), [clean(f) for f in run.files]


def _listed(heading: str, lines: list[str], style: str = "") -> list[RenderableType]:
    """A bold heading over indented `- item` lines that wrap under themselves; nothing when empty."""
    if not lines:
        return []
    items = Padding(_bullets((line, "") for line in lines), (0, 0, 0, 2), style=style)
    return [Text(heading, style="bold"), items]


def _read_warnings(report: Report) -> list[str]:
    """`file:line: message`, capped: a log with 5000 bad lines must not bury the diagnoses."""
    warnings = report.run.warnings
    shown = [clean(f"{w.file}{f':{w.line}' if w.line is not None else ''}: {w.message}")
             for w in warnings[:MAX_WARNINGS]]
    if len(warnings) > MAX_WARNINGS:
        shown.append(label("and_more", report.lang, n=len(warnings) - MAX_WARNINGS))
    return shown


def _remedy(remedy: str) -> Table:
    """`→ remedy`, wrapped lines aligned after the arrow."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Text("→", style="bold green"), Text(remedy, style="bold green"))
    return grid


def _badged(severity: str, lang: str, lines: list[RenderableType]) -> Table:
    """A severity badge beside a block of lines that wraps under itself (hanging indent)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, min_width=6)
    grid.add_column(overflow="fold")
    badge = Text(f" {severity_word(severity, lang)} ", style=SEVERITY_STYLE.get(severity, "bold"))
    grid.add_row(badge, Group(*lines))
    return grid


def _diagnosis(diagnosis: Diagnosis, lang: str) -> Table:
    """Title, the checks it rests on, the cause and the quick fix: the answer the user came for."""
    checks = ", ".join(diagnosis.checks) or label("none", lang)
    return _badged(diagnosis.severity, lang, [
        Text(diagnosis.title, style="bold"),
        Text(f"{diagnosis.rule} · {label('rests_on', lang, checks=checks)}", style="dim"),
        Text(diagnosis.cause),
        _remedy(diagnosis.remedy),
    ])


def _finding(finding: Finding, lang: str, baselined: set[tuple[str, str | None]]) -> Table:
    """One check that held: what, where in steps, the numbers that show it, cause, remedy."""
    if finding.first_step == finding.last_step:
        where = label("step_single", lang, first=finding.first_step)
    else:
        where = label("step_range", lang, first=finding.first_step, last=finding.last_step)
    name = finding.rule + (f" ({finding.tag})" if finding.tag else "")
    pack = "" if finding.pack == "default" else f" · {finding.pack}"  # a team's own or tuned rule
    if (finding.rule, finding.tag) in baselined:
        pack += f" · {label('baselined', lang)}"
    head = Text.assemble((name, SEVERITY_TEXT_STYLE.get(finding.severity, "")), f" · {where}{pack}")
    lines: list[RenderableType] = [Text(finding.title, style="bold"), head]
    if finding.evidence:
        lines.append(Text(format_evidence(finding.evidence), style="cyan"))
    lines += [Text(finding.cause), _remedy(finding.remedy)]
    return _badged(finding.severity, lang, lines)


def _verdicts(report: Report) -> Table:
    """One line per branch: the verdict word, then the evidence wrapping beside it."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for verdict in report.verdicts:
        word = Text(verdict_word(verdict.verdict, report.lang), style=VERDICT_STYLE.get(verdict.verdict, ""))
        grid.add_row(verdict.branch, word, Text(verdict.evidence))
    return grid


def _metrics(metrics: list[MetricSummary], lang: str, width: int) -> Table:
    """The overview table; the sparkline shrinks with the console so 80 columns still fit."""
    spark_width = max(8, min(32, width - 66))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1))
    table.add_column(label("col_metric", lang), overflow="fold")
    table.add_column(label("col_last", lang), justify="right", no_wrap=True)
    table.add_column(label("col_trend", lang), justify="center", no_wrap=True)
    table.add_column(label("col_spark", lang), no_wrap=True)
    table.add_column(label("col_normal", lang), overflow="fold")
    table.add_column(label("col_in_range", lang), justify="center", no_wrap=True)
    for metric in metrics:
        last = format_number(metric.last) if metric.last is not None else "–"
        if metric.in_range is None:
            in_range = Text("–", style="dim")
        else:
            in_range = Text("✓", style="green") if metric.in_range else Text("✗", style="bold red")
        spark = Text(sparkline(metric.spark, spark_width), style="cyan")
        table.add_row(as_text(metric.name), last, TREND_ARROW.get(metric.trend, "–"), spark,
                      metric.normal or "–",
                      in_range)
    return table


def _coverage(coverage: Mapping[str, str], lang: str) -> Table:
    """§8 checklist metrics grouped by state: present, shadow only, missing (then anything else)."""
    order = ["present", "shadow only", "missing"]
    states = order + sorted({state for state in coverage.values() if state not in order})
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for state in states:
        names = [name for name, value in coverage.items() if value == state]
        if names:
            word = Text(f"{coverage_word(state, lang)} ({len(names)})", style=COVERAGE_STYLE.get(state, ""))
            grid.add_row(word, Text(", ".join(names)))
    return grid


def _bullets(items: Iterable[tuple[str, str]]) -> Table:
    """`- name — text` lines (or `- name` when there is no text), wrapped lines indented under them."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for name, text in items:
        grid.add_row("-", Text.assemble((name, "bold"), " — ", text) if text else Text(name))
    return grid


def _summary_line(report: Report) -> Text:
    """The last line: finding counts (or a plain all-clear) and how many checks were judged."""
    lang = report.lang
    rules = label("summary_rules", lang, evaluated=len(report.evaluated),
                  not_evaluated=len(report.not_evaluated))
    if not report.evaluated and not report.findings:
        return Text(label("summary_nothing", lang), style="yellow")
    if not report.findings and not report.diagnoses:
        return Text.assemble((label("summary_clean", lang), "bold green"), f" · {rules}")
    counts = {level: sum(f.severity == level for f in report.findings) for level in ("red", "warn", "info")}
    worst = report.worst() or "info"
    parts = [label("summary_counts", lang, **counts)]
    if report.diagnoses:
        key = "summary_diagnosis_one" if len(report.diagnoses) == 1 else "summary_diagnoses"
        parts.append(label(key, lang, n=len(report.diagnoses)))
    return Text.assemble((" · ".join(parts), SEVERITY_TEXT_STYLE.get(worst, "bold")), f" · {rules}")


def format_number(value: object) -> str:
    """A number as a person reads it: 3 significant digits, e-notation when tiny or huge.

    Whole floats print as ints (a step count `1190.0` is `1190`), non-finite
    values as NaN / inf / -inf, numpy scalars like Python's, anything else as str.
    """
    if hasattr(value, "dtype") and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e5:
        decimals = max(0, 2 - math.floor(math.log10(magnitude)))
        return f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def format_evidence(evidence: Mapping[str, object]) -> str:
    """`key=value` pairs, two spaces apart so wrapping breaks between pairs first."""
    return "  ".join(f"{key}={format_number(value)}" for key, value in evidence.items())


def sparkline(values: Iterable[float], width: int) -> str:
    """Block characters scaled between the finite min and max; × marks NaN or inf.

    Longer series are bucketed down to `width` (bucket mean; a bucket holding
    any non-finite value shows ×, because a NaN loss must never be averaged away).
    """
    points = [float(v) for v in values]
    if len(points) > width:
        buckets = [points[i * len(points) // width:(i + 1) * len(points) // width] for i in range(width)]
        points = [sum(b) / len(b) if all(math.isfinite(v) for v in b) else math.nan for b in buckets]
    finite = [v for v in points if math.isfinite(v)]
    if not finite:
        return SPARK_NONFINITE * len(points)
    low, high = min(finite), max(finite)
    top = len(SPARK_BLOCKS) - 1
    chars = []
    for value in points:
        if not math.isfinite(value):
            chars.append(SPARK_NONFINITE)
        elif high == low:
            chars.append(SPARK_BLOCKS[top // 2])
        else:
            chars.append(SPARK_BLOCKS[round((value - low) / (high - low) * top)])
    return "".join(chars)

