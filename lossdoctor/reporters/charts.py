"""Charts for the HTML report, drawn as inline SVG: no plotting library, no script needed to see them.

Why hand-written SVG: the report must open offline from a mail attachment or a CI artifact, so
everything is inlined. Plotly inlined is ~3.5 MB per file before any data and pulls a 15 MB package;
matplotlib costs ~0.5 s of import and draws static images; uPlot (~50 KB) needs a vendored
bundle and JavaScript to show anything. A few hundred lines of Python writing `<polyline>`s cost
nothing to install or import, render without JavaScript (and in print), and keep every drawn
element inspectable: a finding's shaded stretch is a `<rect class="stretch">` carrying its rule and
steps, which is what the browser test checks. A small inline script (in html.py) adds a hover readout.

What is drawn is downsampled, never what is judged: a curve of more than `MAX_BUCKETS` × 2 points is
reduced to the minimum and maximum of each of `MAX_BUCKETS` buckets (spikes and NaN stay visible),
so a 200k-step run stays a few hundred kB. The smoothed curve is an exponential moving average of
every point, then sampled the same way. Smoothing and scaling are presentation, not analysis: the
findings, ranges and limits come from the `Report` as the engine wrote them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lossdoctor.model import SEVERITY_ORDER, Report, Threshold
from lossdoctor.reporters.labels import label
from lossdoctor.reporters.outside import html_text as escape
from lossdoctor.reporters.terminal import format_number

if TYPE_CHECKING:
    import pandas as pd

MAX_BUCKETS = 1000  # buckets per drawn curve (2 points each: min and max)
SMOOTH_POINTS = 400  # points of the drawn smoothed curve
LOG_DECADES = 2.0  # a positive metric spanning this many decades is drawn on a log scale
WIDTH, HEIGHT = 760, 230
LEFT, RIGHT, TOP, BOTTOM = 62, 14, 26, 30
MAX_NONFINITE_MARKS = 200


@dataclass(frozen=True)
class Stretch:
    """A finding's steps on a chart: shaded and labelled with its rule."""

    rule: str
    tag: str | None
    severity: str
    first: int
    last: int

    @property
    def name(self) -> str:
        return f"{self.rule} ({self.tag})" if self.tag else self.rule


@dataclass
class Chart:
    """One metric's curve with everything the report says about it, ready to draw."""

    metric: str
    anchor: str
    steps: np.ndarray  # drawn raw points (downsampled)
    values: np.ndarray
    smooth_steps: np.ndarray
    smooth_values: np.ndarray
    points: int  # logged finite points, all judged
    log: bool
    low: float | None = None
    high: float | None = None
    limits: list[tuple[Threshold, str]] = field(default_factory=list)  # (limit, rule)
    stretches: list[Stretch] = field(default_factory=list)
    resumes: list[int] = field(default_factory=list)
    nonfinite: list[int] = field(default_factory=list)


def anchor_of(metric: str, prefix: str = "") -> str:
    """An HTML id for a metric's chart: `dbg/grad_flow` → `chart-dbg-grad_flow`."""
    return f"{prefix}chart-" + re.sub(r"[^A-Za-z0-9_-]+", "-", metric).strip("-")


def charted_metrics(report: Report) -> dict[str, list[Stretch]]:
    """Every metric a rule read, in overview order then first use, with the stretches shown on it.

    A finding is drawn on the charts of the metrics its rule read; a rule that names no metric (a
    detector such as non-finite-loss) is drawn on `loss`, the curve a user checks first.
    """
    columns = set(report.run.frame.columns)
    read: dict[tuple[str, str | None], tuple[str, ...]] = {
        (e.rule, e.tag): e.metrics for e in report.evaluated
    }
    order = [m.name for m in report.metrics]
    order += [metric for e in report.evaluated for metric in e.metrics]
    charts: dict[str, list[Stretch]] = {}
    for metric in dict.fromkeys(order):
        if metric in columns and (metric in {m for e in report.evaluated for m in e.metrics}):
            charts[metric] = []
    for finding in report.findings:
        metrics = read.get((finding.rule, finding.tag)) or ("loss",)
        for metric in metrics:
            if metric in columns:
                charts.setdefault(metric, []).append(
                    Stretch(
                        finding.rule, finding.tag, finding.severity, finding.first_step, finding.last_step
                    )
                )
    return charts


def build_charts(report: Report, prefix: str = "") -> list[Chart]:
    """The charts of a report: metrics with a finding first (worst first), then the others."""
    ranges = {m.name: (m.low, m.high) for m in report.metrics}
    limits: dict[str, list[tuple[Threshold, str]]] = {}
    for entry in report.evaluated:
        for limit in entry.thresholds:
            pairs = limits.setdefault(limit.metric, [])
            if all(limit != known for known, _ in pairs):
                pairs.append((limit, entry.rule))
    resumes = [int(s.first) for s in report.run.segments[1:]]
    charts = []
    for metric, stretches in charted_metrics(report).items():
        chart = curve(metric, report.run.frame[metric], anchor_of(metric, prefix))
        chart.low, chart.high = ranges.get(metric, (None, None))
        chart.limits = limits.get(metric, [])
        chart.stretches = sorted(set(stretches), key=lambda s: (-SEVERITY_ORDER[s.severity], s.first, s.rule))
        chart.resumes = resumes
        charts.append(chart)
    worst = {c.metric: max((SEVERITY_ORDER[s.severity] for s in c.stretches), default=-1) for c in charts}
    return sorted(charts, key=lambda c: -worst[c.metric] if worst[c.metric] >= 0 else 1)


def curve(metric: str, column: pd.Series, anchor: str) -> Chart:
    """Downsample one column for drawing: min/max buckets of the raw values, an EMA sampled likewise."""
    logged = column.dropna()
    steps = logged.index.to_numpy(dtype=np.int64)
    values = logged.to_numpy(dtype=float)
    finite = np.isfinite(values)
    nonfinite = steps[~finite][:MAX_NONFINITE_MARKS].tolist()
    steps, values = steps[finite], values[finite]
    smooth = _ema(values)
    raw_steps, raw_values = envelope(steps, values, MAX_BUCKETS)
    take = np.unique(np.linspace(0, len(steps) - 1, min(len(steps), SMOOTH_POINTS)).astype(np.int64))
    positive = values[values > 0]
    log = (
        len(positive) == len(values)
        and len(values) > 1
        and math.log10(float(positive.max()) / float(positive.min())) >= LOG_DECADES
    )
    return Chart(
        metric,
        anchor,
        raw_steps,
        raw_values,
        steps[take] if len(steps) else steps,
        smooth[take] if len(steps) else smooth,
        len(values),
        log,
        nonfinite=nonfinite,
    )


def _ema(values: np.ndarray) -> np.ndarray:
    """Exponential moving average over about 1/40 of the run (plain numpy, no pandas needed)."""
    if len(values) == 0:
        return values
    span = max(1.0, len(values) / 40)
    alpha = 2.0 / (span + 1.0)
    if len(values) > 50_000:  # a Python loop is too slow here: a trailing moving average of one span
        block = max(1, int(span))
        padded = np.concatenate([np.full(block - 1, values[0]), values])
        sums = np.cumsum(np.concatenate([[0.0], padded]))
        return (sums[block:] - sums[:-block]) / block
    out = np.empty_like(values)
    acc = values[0]
    for i, value in enumerate(values):
        acc = alpha * value + (1 - alpha) * acc
        out[i] = acc
    return out


def envelope(steps: np.ndarray, values: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """The min and max point of each of `buckets` equal-count buckets, in step order.

    Keeps what a reader must see (a single-step spike, a collapse to zero) at any length,
    unlike taking every k-th point.
    """
    n = len(values)
    if n <= 2 * buckets:
        return steps, values
    bucket = np.arange(n) * buckets // n
    order = np.lexsort((values, bucket))
    starts = np.flatnonzero(np.r_[True, bucket[order][1:] != bucket[order][:-1]])
    ends = np.r_[starts[1:], n] - 1
    keep = np.unique(np.concatenate([order[starts], order[ends]]))
    return steps[keep], values[keep]


# --- drawing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """Steps and values to pixels; log10 on y when the chart says so."""

    x0: float
    x1: float
    y0: float
    y1: float
    log: bool

    def x(self, step: float) -> float:
        span = self.x1 - self.x0 or 1.0
        return LEFT + (step - self.x0) / span * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        v = math.log10(max(value, 1e-300)) if self.log else value
        span = self.y1 - self.y0 or 1.0
        return TOP + (1 - (v - self.y0) / span) * (HEIGHT - TOP - BOTTOM)


def scale_of(chart: Chart) -> Scale:
    """Axes holding the curve, its normal range and the rules' limits (on a log scale, the positive ones)."""
    xs = [float(s) for s in (chart.steps[:1].tolist() + chart.steps[-1:].tolist())]
    xs += [float(s) for st in chart.stretches for s in (st.first, st.last)] + [
        float(s) for s in chart.nonfinite
    ]
    ys = [float(chart.values.min()), float(chart.values.max())] if len(chart.values) else []
    extra = [v for v in (chart.low, chart.high) if v is not None]
    for limit, _ in chart.limits:
        extra += [limit.value, -limit.value] if limit.absolute else [limit.value]
    ys += [v for v in extra if not chart.log or v > 0]
    if not ys:
        ys = [0.0, 1.0]
    if chart.log:
        lo, hi = math.log10(min(ys)), math.log10(max(ys))
    else:
        lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.06 or (abs(hi) * 0.1 or 1.0)
    return Scale(min(xs, default=0.0), max(xs, default=1.0), lo - pad, hi + pad, chart.log)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 × 10^k) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def svg(chart: Chart, lang: str) -> str:
    """One chart as an inline `<svg>`; its data-* attributes let a test map steps to pixels."""
    sc = scale_of(chart)
    parts = [
        f'<svg class="chart" id="{chart.anchor}-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(chart.metric)}" data-metric="{escape(chart.metric)}" data-x0="{sc.x0:g}" '
        f'data-x1="{sc.x1:g}" data-px0="{LEFT}" data-px1="{WIDTH - RIGHT}" data-log="{int(chart.log)}">'
    ]
    parts += axes(sc)
    if chart.low is not None or chart.high is not None:
        parts.append(_band(sc, chart.low, chart.high, lang))
    parts += [_stretch(sc, s, row) for row, s in enumerate(chart.stretches)]
    parts += [_limit(sc, limit, rule) for limit, rule in chart.limits]
    parts += [_resume(sc, step, lang) for step in chart.resumes]
    parts.append(f'<polyline class="raw" points="{_points(sc, chart.steps, chart.values)}"/>')
    parts.append(
        f'<polyline class="smooth" points="{_points(sc, chart.smooth_steps, chart.smooth_values)}"/>'
    )
    if chart.nonfinite:
        marks = " ".join(f"M{sc.x(s):.1f} {HEIGHT - BOTTOM - 8}v8" for s in chart.nonfinite)
        parts.append(
            f'<path class="nonfinite" d="{marks}"><title>{label("html_nonfinite", lang)}: '
            f"{', '.join(map(str, chart.nonfinite[:20]))}</title></path>"
        )
    parts.append(
        f'<line class="cursor" x1="0" x2="0" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
        f'<text class="readout" x="{WIDTH - RIGHT}" y="{TOP - 8}" text-anchor="end"></text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _points(sc: Scale, steps: np.ndarray, values: np.ndarray) -> str:
    if sc.log:
        values = np.maximum(values, 1e-300)
    return " ".join(f"{sc.x(float(s)):.1f},{sc.y(float(v)):.1f}" for s, v in zip(steps, values, strict=True))


def axes(sc: Scale) -> Iterable[str]:
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    yield f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{right - LEFT}" height="{bottom - TOP}"/>'
    for tick in nice_ticks(sc.x0, sc.x1, 6):
        x = sc.x(tick)
        yield (
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{bottom}"/>'
            f'<text class="tick" x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">'
            f"{format_number(tick)}</text>"
        )
    if sc.log:
        # decades the float range can hold, thinned to at most 6 labels (a value may span 1e-3 to 1e300)
        low, high = max(math.ceil(sc.y0), -307), min(math.floor(sc.y1), 307)
        every = max(1, math.ceil((high - low + 1) / 6))
        ticks = [float(t) for t in range(low, high + 1, every)] or [min(max(sc.y0, -307.0), 307.0)]
        texts = [format_number(10.0**t) for t in ticks]
        ys = [10.0**t for t in ticks]
    else:
        ys = nice_ticks(sc.y0, sc.y1, 4)
        texts = [format_number(round(t, 12)) for t in ys]
    for value, text in zip(ys, texts, strict=True):
        y = sc.y(value)
        yield (
            f'<line class="grid" x1="{LEFT}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{escape(text)}</text>'
        )


def _band(sc: Scale, low: float | None, high: float | None, lang: str) -> str:
    top = sc.y(high) if high is not None else TOP
    bottom = sc.y(low) if low is not None and (not sc.log or low > 0) else HEIGHT - BOTTOM
    text = (
        f"{label('html_normal', lang)} {format_number(low) if low is not None else ''}–"
        f"{format_number(high) if high is not None else ''}"
    )
    return (
        f'<rect class="band" x="{LEFT}" y="{min(top, bottom):.1f}" width="{WIDTH - LEFT - RIGHT}" '
        f'height="{abs(bottom - top):.1f}" data-low="{low}" data-high="{high}"><title>{escape(text)}</title>'
        f'</rect><text class="band-label" x="{LEFT + 4}" y="{min(top, bottom) + 11:.1f}">'
        f"{escape(text)}</text>"
    )


def _stretch(sc: Scale, stretch: Stretch, row: int) -> str:
    x0, x1 = sc.x(stretch.first), sc.x(stretch.last)
    width = max(x1 - x0, 2.0)
    tag = escape(stretch.tag or "")
    name = escape(stretch.name)
    return (
        f'<rect class="stretch sev-{stretch.severity}" x="{x0:.1f}" y="{TOP}" width="{width:.1f}" '
        f'height="{HEIGHT - TOP - BOTTOM}" data-rule="{escape(stretch.rule)}" data-tag="{tag}" '
        f'data-severity="{stretch.severity}" data-first="{stretch.first}" data-last="{stretch.last}">'
        f"<title>{name}: {stretch.first}–{stretch.last}</title></rect>"
        f'<text class="stretch-label sev-{stretch.severity}" x="{x0 + 3:.1f}" '
        f'y="{TOP + 12 + 12 * (row % 4)}">'
        f"{name}</text>"
    )


def _limit(sc: Scale, limit: Threshold, rule: str) -> str:
    values = [limit.value, -limit.value] if limit.absolute and limit.value != 0 else [limit.value]
    out = []
    for value in values:
        if sc.log and value <= 0:
            continue
        y = sc.y(value)
        what = f"{'|x|' if limit.absolute else 'x'} {limit.op} {format_number(limit.value)}"
        out.append(
            f'<line class="limit" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'data-rule="{escape(rule)}" data-value="{value:g}"><title>{escape(rule)}: {escape(what)}'
            f'</title></line><text class="limit-label" x="{WIDTH - RIGHT - 4}" y="{y - 3:.1f}" '
            f'text-anchor="end">{escape(rule)}: {escape(what)}</text>'
        )
    return "".join(out)


def _resume(sc: Scale, step: int, lang: str) -> str:
    x = sc.x(step)
    return (
        f'<line class="resume" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" '
        f'data-step="{step}"/><text class="resume-label" x="{x + 3:.1f}" y="{HEIGHT - BOTTOM - 4}">'
        f"{label('html_resume', lang)} {step}</text>"
    )


def chart_data(chart: Chart) -> dict[str, Any]:
    """What the page's script (hover readout) and tests read: the smoothed curve and the stretches."""
    return {
        "metric": chart.metric,
        "id": chart.anchor,
        "log": chart.log,
        "points": chart.points,
        "drawn": len(chart.steps),
        "stretches": [
            {"rule": s.rule, "tag": s.tag, "severity": s.severity, "first": s.first, "last": s.last}
            for s in chart.stretches
        ],
        "x": chart.smooth_steps.tolist(),
        "y": [_short(v) for v in chart.smooth_values.tolist()],
    }


def _short(value: float) -> float:
    """4 significant digits: enough for a readout, a third of the bytes of a full float."""
    return float(f"{value:.4g}")


def legend(chart: Chart, lang: str) -> str:
    """The line under a chart: what the lines are, the scale, and how much was drawn."""
    parts: Sequence[str] = [
        f'<span class="key raw">{label("html_raw", lang)}</span>',
        f'<span class="key smooth">{label("html_smoothed", lang)}</span>',
    ]
    parts = list(parts)
    if chart.log:
        parts.append(label("html_log", lang))
    if chart.points > len(chart.steps):
        parts.append(escape(label("html_downsampled", lang, drawn=len(chart.steps), points=chart.points)))
    return " · ".join(parts)
