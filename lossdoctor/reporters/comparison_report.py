"""Compare reporters: one line per branch answering the guide's question, then every shared metric.

The numbers behind each verdict are printed with it (both runs' values over the last bins, the
difference, the noise band used, the step where the runs part or settle), so a reader can judge
the judgement. JSON is `lossdoctor.compare/v1` (docs/compare.schema.json); HTML adds a chart per
metric: both runs' bin medians, the band around BASE, the step where they part.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lossdoctor.document import to_jsonable
from lossdoctor.reporters.labels import label
from lossdoctor.reporters.markdown import md_text
from lossdoctor.reporters.outside import as_text, clean, safe_output
from lossdoctor.reporters.outside import html_text as escape
from lossdoctor.reporters.terminal import format_number
from lossdoctor.runs.comparison import BranchLine, Comparison, MetricComparison

COMPARE_SCHEMA = "lossdoctor.compare/v1"
OUTCOME_STYLE = {
    "better": "green",
    "worse": "bold red",
    "within noise": "dim",
    "higher": "yellow",
    "lower": "yellow",
}


@dataclass
class RunStatus:
    """A compared run as analyze judged it: its path, status (red/warn/ok) and gate exit code."""

    path: str
    status: str
    exit: int


@dataclass
class CompareResult:
    """What `lossdoctor compare` renders: the runs and one comparison per OTHER."""

    base: RunStatus
    others: list[RunStatus]
    comparisons: list[Comparison]
    lang: str = "en"


def outcome_word(outcome: str, lang: str) -> str:
    key = {"within noise": "cmp_within"}.get(outcome, f"cmp_{outcome}")
    return label(key, lang)


def branch_sentence(line: BranchLine, comparison: Comparison, lang: str) -> str:
    """`with B, loss_flow is within noise of A from step 400 on`, or where and how they part."""
    mc = line.comparison
    if mc is None:
        return f"{line.branch}: {label('cmp_no_branch', lang)}"
    names = {"other": comparison.other_name, "base": comparison.base_name, "metric": mc.metric}
    if mc.parted_from is not None:
        text = label(
            "cmp_line_parted",
            lang,
            **names,
            step=mc.parted_from,
            verdict=outcome_word(mc.outcome, lang),
            value=format_number(mc.other),
            base_value=format_number(mc.base),
            band=format_number(mc.band),
        )
    else:
        start = mc.within_from if mc.within_from is not None else (comparison.shared or (0, 0))[0]
        text = label("cmp_line_within", lang, **names, step=start)
    return f"{line.branch}: {text}"


def _from(mc: MetricComparison) -> str:
    step = mc.parted_from if mc.parted_from is not None else mc.within_from
    return "–" if step is None else str(step)


def _metric_cells(mc: MetricComparison, lang: str) -> list[str]:
    return [
        mc.metric,
        outcome_word(mc.outcome, lang),
        format_number(mc.base),
        format_number(mc.other),
        format_number(mc.difference),
        f"±{format_number(mc.band)}",
        _from(mc),
    ]


def _columns(lang: str) -> list[str]:
    return [
        label(f"cmp_col_{k}", lang) for k in ("metric", "verdict", "base", "other", "diff", "band", "from")
    ]


def _shared(comparison: Comparison, lang: str) -> str:
    if comparison.shared is None:
        return label("cmp_no_shared", lang)
    bins = len(comparison.metrics[0].bins) if comparison.metrics else 0
    return label(
        "cmp_shared",
        lang,
        first=comparison.shared[0],
        last=comparison.shared[1],
        bins=bins,
        width=format_number(comparison.bin_width),
    )


def _title(result: CompareResult) -> str:
    return label(
        "cmp_title", result.lang, base=result.base.path, others=", ".join(o.path for o in result.others)
    )


def render_terminal(result: CompareResult, *, width: int | None = None, color: bool | None = None) -> str:
    lang = result.lang
    file = StringIO()
    console = Console(
        file=file, width=width or 100, force_terminal=bool(color), color_system="standard" if color else None,
        markup=False, emoji=False,  # metric and run names from logs are printed as they are
    )
    console.print(as_text(_title(result), style="bold"))
    for comparison in result.comparisons:
        console.print()
        console.rule(
            Text(
                clean(f"{comparison.other_name}  ←  {label('cmp_base', lang)} {comparison.base_name}"),
                style="bold",
            ),
            align="left",
            style="dim",
        )
        console.print(Text(_shared(comparison, lang), style="dim"))
        console.print(Text(label("cmp_branches", lang), style="bold"))
        for line in comparison.branches:
            style = OUTCOME_STYLE.get(line.comparison.outcome, "") if line.comparison else "dim"
            console.print(Text(f"- {branch_sentence(line, comparison, lang)}", style=style))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1))
        for index, name in enumerate(_columns(lang)):
            table.add_column(name, justify="right" if index >= 2 else "left", overflow="fold")
        for mc in comparison.metrics:
            cells = _metric_cells(mc, lang)
            verdict = Text(cells[1], style=OUTCOME_STYLE.get(mc.outcome, ""))
            table.add_row(as_text(cells[0]), verdict, *cells[2:])
        console.print(table)
    out = file.getvalue()
    if color:
        return safe_output(out, styled=True)
    return safe_output("".join(line.rstrip() + "\n" for line in out.splitlines()))


def compare_document(result: CompareResult) -> dict[str, Any]:
    """The `lossdoctor.compare/v1` document as plain data."""
    others = []
    for run, comparison in zip(result.others, result.comparisons, strict=True):
        others.append(
            {
                "path": run.path,
                "status": run.status,
                "exit": run.exit,
                "shared": None
                if comparison.shared is None
                else {"first": comparison.shared[0], "last": comparison.shared[1]},
                "bin_width": to_jsonable(comparison.bin_width),
                "branches": [
                    {
                        "branch": line.branch,
                        "metric": line.metric,
                        "outcome": line.comparison.outcome if line.comparison else None,
                        "text": branch_sentence(line, comparison, result.lang),
                    }
                    for line in comparison.branches
                ],
                "metrics": [_metric_document(mc) for mc in comparison.metrics],
            }
        )
    return {
        "schema": COMPARE_SCHEMA,
        "lang": result.lang,
        "base": {"path": result.base.path, "status": result.base.status, "exit": result.base.exit},
        "others": others,
    }


def _metric_document(mc: MetricComparison) -> dict[str, Any]:
    return to_jsonable(
        {
            "metric": mc.metric,
            "outcome": mc.outcome,
            "base": mc.base,
            "other": mc.other,
            "difference": mc.difference,
            "band": mc.band,
            "parted_from": mc.parted_from,
            "within_from": mc.within_from,
            "bins": [
                {"first": b.first, "last": b.last, "base": b.base, "other": b.other, "band": b.band}
                for b in mc.bins
            ],
        }
    )


def render_json(result: CompareResult, *, width: int | None = None, color: bool | None = None) -> str:
    return json.dumps(compare_document(result), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def render_markdown(result: CompareResult, *, width: int | None = None, color: bool | None = None) -> str:
    lang = result.lang
    lines = [f"## {md_text(_title(result))}"]
    for comparison in result.comparisons:
        lines += ["", f"### {md_text(comparison.other_name)}", "", md_text(_shared(comparison, lang)), ""]
        lines += [f"- {md_text(branch_sentence(line, comparison, lang))}" for line in comparison.branches]
        columns = _columns(lang)
        lines += ["", "| " + " | ".join(map(md_text, columns)) + " |", "|" + "---|" * len(columns)]
        lines += [
            "| " + " | ".join(md_text(c) for c in _metric_cells(mc, lang)) + " |" for mc in comparison.metrics
        ]
    return safe_output("\n".join(lines) + "\n")


def render_html(result: CompareResult, *, width: int | None = None, color: bool | None = None) -> str:
    """Branch lines, the metrics table, and a chart per branch metric and per metric that parts."""
    from lossdoctor.reporters.charts import anchor_of
    from lossdoctor.reporters.html import page

    lang = result.lang
    parts = [f"<h1>{escape(_title(result))}</h1>"]
    for number, comparison in enumerate(result.comparisons):
        prefix = f"cmp{number}-"
        parts += [
            f"<h2>{escape(comparison.other_name)}</h2>",
            f'<p class="meta">{escape(_shared(comparison, lang))}</p>',
            f"<h3>{escape(label('cmp_branches', lang))}</h3>",
        ]
        for line in comparison.branches:
            link = (
                f' <a href="#{anchor_of(line.metric, prefix)}">↓</a>'
                if line.comparison and line.metric
                else ""
            )
            parts.append(f'<p class="lead">{escape(branch_sentence(line, comparison, lang))}{link}</p>')
        head = "".join(f"<th>{escape(c)}</th>" for c in _columns(lang))
        rows = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in _metric_cells(mc, lang)) + "</tr>"
            for mc in comparison.metrics
        )
        parts.append(f"<h3>{escape(label('cmp_metrics', lang))}</h3><table><tr>{head}</tr>{rows}</table>")
        branch_metrics = {line.metric for line in comparison.branches if line.comparison}
        for mc in comparison.metrics:
            if mc.metric in branch_metrics or mc.outcome != "within noise":
                parts.append(
                    f'<figure id="{anchor_of(mc.metric, prefix)}"><figcaption>{escape(mc.metric)} · '
                    f"{escape(outcome_word(mc.outcome, lang))}</figcaption>"
                    f"{compare_svg(mc, comparison, lang)}</figure>"
                )
    return page(_title(result), "\n".join(parts), lang, [])


def compare_svg(mc: MetricComparison, comparison: Comparison, lang: str) -> str:
    """BASE's bin medians with its noise band shaded, OTHER's over it, a line where they part."""
    from lossdoctor.reporters.charts import BOTTOM, HEIGHT, TOP, WIDTH, Scale, axes

    xs = [(b.first + b.last) / 2 for b in mc.bins]
    lows = [b.base - b.band for b in mc.bins]
    highs = [b.base + b.band for b in mc.bins]
    values = lows + highs + [b.other for b in mc.bins]
    pad = (max(values) - min(values)) * 0.06 or 1.0
    sc = Scale(mc.bins[0].first, mc.bins[-1].last, min(values) - pad, max(values) + pad, False)
    band = " ".join(
        f"{sc.x(x):.1f},{sc.y(v):.1f}" for x, v in zip(xs + xs[::-1], highs + lows[::-1], strict=True)
    )
    base = " ".join(f"{sc.x(x):.1f},{sc.y(b.base):.1f}" for x, b in zip(xs, mc.bins, strict=True))
    other = " ".join(f"{sc.x(x):.1f},{sc.y(b.other):.1f}" for x, b in zip(xs, mc.bins, strict=True))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" data-metric="{escape(mc.metric)}" '
        f'data-outcome="{escape(mc.outcome)}">',
        *axes(sc),
        f'<polygon class="band" points="{band}"><title>{escape(label("cmp_col_band", lang))}</title>'
        "</polygon>",
        f'<polyline class="raw" points="{base}"/>',
        f'<polyline class="smooth" points="{other}"/>',
    ]
    if mc.parted_from is not None:
        x = sc.x(mc.parted_from)
        parts.append(
            f'<line class="limit" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" '
            f'data-step="{mc.parted_from}"/><text class="limit-label" x="{x + 3:.1f}" y="{TOP + 12}">'
            f"{mc.parted_from}</text>"
        )
    parts.append(
        f'<text class="tick" x="{WIDTH - 16}" y="{TOP - 8}" text-anchor="end">'
        f"{escape(comparison.base_name)} ({label('cmp_base', lang)}) — {escape(comparison.other_name)}</text>"
    )
    return "".join(parts) + "</svg>"


COMPARE_REPORTERS: dict[str, Callable[..., str]] = {
    "terminal": render_terminal,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}
