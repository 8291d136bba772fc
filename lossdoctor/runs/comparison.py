"""Controlled experiments: is OTHER better, worse or within the noise of BASE, metric by metric?

The guide's §2.2 and §10 ask it as "turn DINO off for a moment and confirm it does not disturb
Flow Matching". Two runs are aligned on their shared steps and cut into bins of equal steps (at least
`MIN_POINTS_PER_BIN` logged points of the sparser run each, at most `MAX_BINS`); each bin compares
the two runs' medians. The noise band of a bin is Z standard errors of that difference, each run's
standard error being the larger of

- its point noise (robust MAD of successive differences, /√2) × 1.2533 / √n, the standard error of
  a median of n points, and
- its bin-to-bin noise (robust MAD of second differences of the bin medians, /√6), which catches
  slow wander (batch statistics drifting over hundreds of steps) that point noise misses,

so two runs differing only in their seed stay inside it, whatever the metric's own noise. A metric
*parts* at the first bin from which at least `PARTED_SHARE` of the remaining bins (and at least
`MIN_PARTED_BINS`) lie outside the band on the same side; its step is walked back over the bins
already more than one standard error apart, where the drift began. Otherwise it is *within noise*
from the first bin after which the bins stay inside. The direction says *better* or *worse* where the
metric has one (a loss falls; a latent statistic should sit in the guide's range), else higher/lower.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from lossdoctor.model import MetricSummary, RunData

Z = 3.0
MIN_POINTS_PER_BIN = 4
MAX_BINS = 40
PARTED_SHARE = 0.8
MIN_PARTED_BINS = 3
# one line per branch answers the guide's question; the first metric both runs logged is used
BRANCH_METRICS: dict[str, tuple[str, ...]] = {
    "flow": ("loss_flow",),
    "dino": ("dino_global", "loss_dino"),
    "kl": ("kl_raw", "loss_kl", "z_init/var"),
    "all": ("loss",),
}
LOWER_IS_BETTER_PREFIXES = ("loss", "kl_raw", "dino_global")
Outcome = Literal["better", "worse", "within noise", "higher", "lower"]


@dataclass(frozen=True)
class Bin:
    """One bin of shared steps: both medians and the band the difference was judged against."""

    first: int
    last: int
    base: float
    other: float
    band: float


@dataclass(frozen=True)
class MetricComparison:
    """One shared metric: the verdict, the numbers behind it and the bins it was judged on."""

    metric: str
    outcome: Outcome
    base: float  # median of the last bins of shared steps
    other: float
    difference: float  # other - base, same bins
    band: float  # the noise band's half width there
    parted_from: int | None  # the step from which OTHER leaves the band (None: it does not)
    within_from: int | None  # the step from which OTHER stays within the band (None: it does not)
    bins: tuple[Bin, ...] = ()


@dataclass(frozen=True)
class BranchLine:
    """The guide's question answered for one branch: one metric, one sentence's worth of facts."""

    branch: str
    metric: str | None
    comparison: MetricComparison | None


@dataclass
class Comparison:
    """BASE against one OTHER run: every shared metric, and the branch lines."""

    base_name: str
    other_name: str
    shared: tuple[int, int] | None  # first and last shared step
    bin_width: float
    metrics: list[MetricComparison] = field(default_factory=list)
    branches: list[BranchLine] = field(default_factory=list)


def compare_runs(
    base: RunData,
    other: RunData,
    base_name: str,
    other_name: str,
    ranges: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> Comparison:
    """Compare every metric both runs logged (finite at 2 bins or more) over their shared steps."""
    ranges = ranges or {}
    firsts, lasts = (_first(base), _first(other)), (_last(base), _last(other))
    if None in firsts or None in lasts:
        return Comparison(base_name, other_name, None, 0.0)
    lo = max(step for step in firsts if step is not None)
    hi = min(step for step in lasts if step is not None)
    if hi <= lo:
        return Comparison(base_name, other_name, None, 0.0)
    width = _bin_width(base, other, lo, hi)
    result = Comparison(base_name, other_name, (int(lo), int(hi)), width)
    shared = [c for c in base.frame.columns if c in set(other.frame.columns)]
    for metric in shared:
        comparison = compare_metric(metric, base, other, lo, hi, width, ranges.get(metric))
        if comparison is not None:
            result.metrics.append(comparison)
    by_name = {m.metric: m for m in result.metrics}
    for branch, candidates in BRANCH_METRICS.items():
        chosen = next((m for m in candidates if m in by_name), None)
        result.branches.append(BranchLine(branch, chosen, by_name[chosen] if chosen else None))
    return result


def ranges_of(metrics: Sequence[MetricSummary]) -> dict[str, tuple[float | None, float | None]]:
    """The guide's normal ranges from a report's overview: a statistic is better inside them."""
    return {m.name: (m.low, m.high) for m in metrics if m.low is not None or m.high is not None}


def _first(run: RunData) -> int | None:
    return int(run.frame.index[0]) if len(run.frame) else None


def _last(run: RunData) -> int | None:
    return int(run.frame.index[-1]) if len(run.frame) else None


def _bin_width(base: RunData, other: RunData, lo: int, hi: int) -> float:
    """Bins holding at least MIN_POINTS_PER_BIN points of the sparser run, at most MAX_BINS of them."""
    counts = []
    for run in (base, other):
        index = run.frame.index.to_numpy()
        counts.append(int(((index >= lo) & (index <= hi)).sum()))
    bins = max(1, min(MAX_BINS, min(counts) // MIN_POINTS_PER_BIN))
    return (hi - lo + 1) / bins


def _binned(
    run: RunData, metric: str, lo: int, hi: int, width: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """(bin medians, points per bin, point noise σ) of one run's metric over the shared steps."""
    column = run.frame[metric]
    steps = column.index.to_numpy()
    values = column.to_numpy(dtype=float)
    keep = (steps >= lo) & (steps <= hi) & np.isfinite(values)
    steps, values = steps[keep], values[keep]
    nbins = max(1, round((hi - lo + 1) / width))
    which = np.minimum(((steps - lo) // width).astype(np.int64), nbins - 1)
    medians = np.full(nbins, np.nan)
    counts = np.bincount(which, minlength=nbins)
    order = np.argsort(which, kind="stable")
    for index, chunk in enumerate(np.split(values[order], np.cumsum(counts)[:-1])):
        if len(chunk):
            medians[index] = float(np.median(chunk))
    diffs = np.diff(values)
    sigma = (
        float(np.median(np.abs(diffs - np.median(diffs)))) * 1.4826 / math.sqrt(2) if len(diffs) > 2 else 0.0
    )
    return medians, counts, sigma


def _standard_errors(medians: np.ndarray, counts: np.ndarray, sigma: float) -> np.ndarray:
    point = 1.2533 * sigma / np.sqrt(np.maximum(counts, 1))
    finite = medians[np.isfinite(medians)]
    wander = 0.0
    if len(finite) >= 5:
        second = np.diff(finite, 2)
        wander = float(np.median(np.abs(second - np.median(second)))) * 1.4826 / math.sqrt(6)
    return np.maximum(point, wander)


def compare_metric(
    metric: str,
    base: RunData,
    other: RunData,
    lo: int,
    hi: int,
    width: float,
    normal: tuple[float | None, float | None] | None = None,
) -> MetricComparison | None:
    """One metric judged bin by bin; None when it has fewer than 2 bins both runs logged."""
    base_med, base_n, base_sigma = _binned(base, metric, lo, hi, width)
    other_med, other_n, other_sigma = _binned(other, metric, lo, hi, width)
    both = np.isfinite(base_med) & np.isfinite(other_med)
    if both.sum() < 2:
        return None
    se = np.hypot(
        _standard_errors(base_med, base_n, base_sigma), _standard_errors(other_med, other_n, other_sigma)
    )
    scale = np.maximum(np.abs(base_med), np.abs(other_med))
    band = np.maximum(Z * se, 1e-9 * scale)  # identical series (lr, counts) are equal, not "infinitely apart"
    index = np.flatnonzero(both)
    diff = (other_med - base_med)[index]
    band = band[index]
    firsts = lo + index * width
    bins = tuple(
        Bin(
            round(float(lo + i * width)),
            round(float(lo + (i + 1) * width - 1)),
            float(base_med[i]),
            float(other_med[i]),
            float(b),
        )
        for i, b in zip(index, band, strict=True)
    )
    parted = _parted(diff, band)
    tail = slice(max(0, len(diff) - max(2, len(diff) // 5)), None)
    base_tail, other_tail = float(np.median(base_med[index][tail])), float(np.median(other_med[index][tail]))
    if parted is not None:
        start = parted
        while (
            start > 0
            and np.sign(diff[start - 1]) == np.sign(diff[parted])
            and abs(diff[start - 1]) > band[start - 1] / Z
        ):
            start -= 1
        outcome = _direction(metric, float(np.median(diff[parted:])), base_tail, other_tail, normal)
        return MetricComparison(
            metric,
            outcome,
            base_tail,
            other_tail,
            other_tail - base_tail,
            float(np.median(band[tail])),
            round(float(firsts[start])),
            None,
            bins,
        )
    inside = np.abs(diff) <= band
    within = next((i for i in range(len(diff)) if inside[i:].mean() >= 1 - (1 - PARTED_SHARE) / 2), None)
    return MetricComparison(
        metric,
        "within noise",
        base_tail,
        other_tail,
        other_tail - base_tail,
        float(np.median(band[tail])),
        None,
        round(float(firsts[within])) if within is not None else None,
        bins,
    )


def _parted(diff: np.ndarray, band: np.ndarray) -> int | None:
    """The first bin from which the rest stay outside the band on one side (see the module doc)."""
    outside = np.abs(diff) > band
    sign = np.sign(diff)
    for i in range(len(diff)):
        rest = len(diff) - i
        if not outside[i] or rest < MIN_PARTED_BINS:
            continue
        same = outside[i:] & (sign[i:] == sign[i])
        if same.mean() >= PARTED_SHARE:
            return i
    return None


def _direction(
    metric: str, diff: float, base: float, other: float, normal: tuple[float | None, float | None] | None
) -> Outcome:
    """better/worse where the metric has a good direction, else higher/lower."""
    if normal is not None and normal[0] is not None and normal[1] is not None:
        middle = (normal[0] + normal[1]) / 2
        return "better" if abs(other - middle) < abs(base - middle) else "worse"
    if metric.startswith(LOWER_IS_BETTER_PREFIXES):
        return "better" if diff < 0 else "worse"
    return "higher" if diff > 0 else "lower"
