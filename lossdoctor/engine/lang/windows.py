"""Windows in training steps: `for` stretches, robust trends and spikes.

Logs are written every N steps and sometimes irregularly (sampled exports,
resumes), so every window here is measured in steps, never in rows.

Trend estimator: the series is first reduced to bin medians, a bin holding a
whole number of logged points and about W/12 steps, so a window holds at most
13 robust points whatever the logging interval. Over each window of W steps
the *change* is the Theil–Sen slope (median of pairwise slopes) times W,
relative to the window's median, and Kendall's τ (tau-a over the bins) says how
consistent its direction is. The series' own noise σ (robust MAD of successive
bin differences) gives each window's standard error SE. *Rising* = change ≥
+5 %, τ ≥ 0.3 and change ≥ 2.5 SE (at 5 points per window and 3 % noise, flat
noise otherwise looks like a 5 % rise in most runs). *Decreasing* = change ≤
−1 %, τ ≤ −0.1 and change ≤ −2.5 SE. *Not decreasing* = change > −1 % (the
catalogue's magnitude) and change − SE > −5 %: noise must not be able to hide a
real decline behind a flat-looking estimate. τ is left out of *not decreasing*
on purpose: on densely logged runs the bin medians are so smooth that τ calls a
0.5 %-per-window drift "decreasing", where the guide sees a plateau. A window is
judged only when it holds at least 3 logged points. Long runs are judged on at
most 3000 windows (ends spread evenly). The finding is the union of the
qualifying windows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

MAD_SCALE = 1.4826  # MAD → standard deviation of a normal series
MIN_POINTS = 3
DENSE_POINTS = 40  # a spike window holding more points than this uses bin medians (trailing_median)
MAX_BINS_PER_WINDOW = 12
MAX_WINDOWS = 3000  # a long run is judged on windows ending at most every len/3000 bins
# Noise guards: a rise must stand Z_RISING standard errors above zero, and "not decreasing"
# must not hide a decline larger than Z_FLAT standard errors. The standard error comes from
# the series' own noise (robust MAD of successive differences), so noisy logs need clearer trends.
Z_RISING = 2.5
Z_FLAT = 1.0
FLAT_MARGIN = 0.05  # a window one standard error from a 5 % decline is not called flat


def typical_interval(steps: np.ndarray) -> float | None:
    """The median step difference: the logger interval of a regular log (a sample of 20k suffices)."""
    if len(steps) < 2:
        return None
    diffs = np.diff(steps[:: max(1, len(steps) // 20_000)] if len(steps) > 40_000 else steps)
    if len(steps) > 40_000:
        diffs = diffs / max(1, len(steps) // 20_000)
    return float(np.median(diffs))


def stretches(
    steps: np.ndarray, mask: np.ndarray, min_span: float, tolerance: float = 0.0
) -> list[tuple[int, int]]:
    """Index pairs (first, last) of stretches where `mask` held for at least `min_span` steps.

    A stretch starts and ends on points where the condition holds. With a
    tolerance t, neighbouring runs are merged when the merged stretch has at most
    a share t of points that break the condition, so one noisy point does not
    split an otherwise clear 200-step stretch.
    """
    runs = _true_runs(mask)
    if tolerance > 0 and len(runs) > 1:
        runs = _merge_runs(runs, tolerance)
    return [(a, b) for a, b in runs if steps[b] - steps[a] >= min_span]


def _true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _merge_runs(runs: list[tuple[int, int]], tolerance: float) -> list[tuple[int, int]]:
    merged = [runs[0]]
    held = [runs[0][1] - runs[0][0] + 1]
    for a, b in runs[1:]:
        first = merged[-1][0]
        total = b - first + 1
        good = held[-1] + (b - a + 1)
        if (total - good) / total <= tolerance:
            merged[-1] = (first, b)
            held[-1] = good
        else:
            merged.append((a, b))
            held.append(b - a + 1)
    return merged


@dataclass(frozen=True)
class TrendResult:
    """Which points lie in a qualifying window, and how many windows could be judged."""

    covered: np.ndarray
    judged: int
    change: np.ndarray  # per judged window, for evidence
    tau: np.ndarray


def trend(
    steps: np.ndarray, values: np.ndarray, window: float, kind: str, min_change: float, min_tau: float
) -> TrendResult:
    """Mark points in windows of `window` steps whose trend is `kind` (see module doc)."""
    n = len(steps)
    empty = TrendResult(np.zeros(n, dtype=bool), 0, np.empty(0), np.empty(0))
    finite = np.isfinite(values)
    if n == 0 or finite.sum() < MIN_POINTS or window <= 0:
        return empty
    interval = typical_interval(steps[finite]) or 1.0
    # bins hold a whole number of logged points, so a regular log bins into one matrix
    width = interval * max(1, round(window / MAX_BINS_PER_WINDOW / interval))
    bin_of = ((steps - steps[0]) // width).astype(np.int64)
    dense, counts = _bin_medians(bin_of, values, finite)
    k = round(window / width) + 1
    if window >= steps[-1] - steps[0]:  # a window as long as the run (a short run's, fit_window) is the run
        k = min(k, len(dense))
    if len(dense) < k or k < 2:
        return empty
    stride = max(1, (len(dense) - k + 1) // MAX_WINDOWS)
    windows = np.lib.stride_tricks.sliding_window_view(dense, k)[::stride]
    points = np.convolve(counts, np.ones(k, dtype=np.int64), mode="valid")[::stride]
    change, tau = _theil_sen_tau(windows, width, window)
    se = _change_se(dense, np.isfinite(windows).sum(axis=1))
    z = change / se
    judgeable = (points >= MIN_POINTS) & np.isfinite(change) & np.isfinite(tau)
    if kind == "rising":
        ok = judgeable & (change >= min_change) & (tau >= min_tau) & (z >= Z_RISING)
    elif kind == "decreasing":
        ok = judgeable & (change <= -min_change) & (tau <= -min_tau) & (z <= -Z_RISING)
    else:  # not decreasing: under 1 % of decline, and noise cannot hide a real decline behind it
        ok = judgeable & (change > -min_change) & (change - Z_FLAT * se > -FLAT_MARGIN)
    cover = np.zeros(len(dense) + 1, dtype=np.int64)
    ends = np.flatnonzero(ok) * stride + k - 1
    np.add.at(cover, ends - k + 1, 1)
    np.add.at(cover, ends + 1, -1)
    covered_bins = np.cumsum(cover)[:-1] > 0
    covered = covered_bins[bin_of] & finite
    return TrendResult(covered, int(judgeable.sum()), change[judgeable], tau[judgeable])


def _change_se(dense: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Standard error of a window's relative change from the series' own point-to-point noise.

    For m evenly spaced points with noise σ (relative to the level), the least-squares slope
    times the window has a standard error σ·sqrt(12(m−1)/(m(m+1))); Theil–Sen is close to it.
    """
    finite = dense[np.isfinite(dense)]
    if len(finite) < MIN_POINTS:
        return np.full(len(m), np.inf)
    diffs = np.diff(finite)
    mad = float(np.median(np.abs(diffs - np.median(diffs)))) * MAD_SCALE / np.sqrt(2.0)
    sigma = mad / max(float(np.median(np.abs(finite))), 1e-12)
    m = np.maximum(m, 2).astype(float)
    return np.maximum(sigma * np.sqrt(12.0 * (m - 1) / (m * (m + 1))), 1e-12)


def _bin_medians(bin_of: np.ndarray, values: np.ndarray, finite: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median per bin (NaN for empty bins) and the number of points in each."""
    nbins = int(bin_of[-1]) + 1
    dense = np.full(nbins, np.nan)
    b, v = bin_of[finite], values[finite]
    counts = np.bincount(b, minlength=nbins).astype(np.int64)
    if counts.max(initial=0) <= 1:
        dense[b] = v
        return dense, counts
    size = int(counts[0])
    full = len(b) // size if size else 0
    regular = size > 0 and full > 0 and bool(np.all(b[: full * size] == np.repeat(np.arange(full), size)))
    if regular:  # a regular log: equal, contiguous bins reshape into one matrix
        dense[:full] = np.median(v[: full * size].reshape(full, size), axis=1)
        rest = v[full * size :]
        if len(rest):
            dense[b[-1]] = np.median(rest)
        return dense, counts
    med = pd.Series(v).groupby(b).median()
    dense[med.index.to_numpy()] = med.to_numpy()
    return dense, counts


def _theil_sen_tau(windows: np.ndarray, width: float, window: float) -> tuple[np.ndarray, np.ndarray]:
    k = windows.shape[1]
    ia, ib = np.triu_indices(k, 1)
    dy = windows[:, ib] - windows[:, ia]
    slopes = dy / ((ib - ia) * width)
    valid = np.isfinite(dy)
    with np.errstate(all="ignore"):
        slope = _nanmedian_rows(slopes)
        level = np.abs(_nanmedian_rows(windows))
        change = slope * window / np.maximum(level, 1e-12)
        tau = np.where(valid, np.sign(dy), 0.0).sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
    tau[valid.sum(axis=1) < 3] = np.nan
    return change, tau


def _nanmedian_rows(a: np.ndarray) -> np.ndarray:
    """Row-wise nanmedian without numpy's all-NaN warnings (rows may be empty)."""
    if a.shape[0] == 0:
        return np.empty(0)
    if not np.isnan(a).any():
        return np.median(a, axis=1)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(a, axis=1)


def most_points_in(steps: np.ndarray, window: float) -> int:
    """The most logged points any stretch of `window` steps holds (both ends included), in steps.

    On a regular log this is `points_in(window, interval)`; on an irregular one it is the dense part's.
    """
    if len(steps) == 0:
        return 0
    ends = np.searchsorted(steps, np.asarray(steps, dtype=np.float64) + window, side="right")
    return int((ends - np.arange(len(steps))).max())


def fit_window(steps: np.ndarray, window: float, min_points: int, cap: float) -> float:
    """A window of `window` steps that holds at least `min_points` logged points, at most `cap` steps.

    Generic rules are written for dense step logs (a 100-step spike history, a
    1000-step plateau); a per-epoch history of 4–100 points holds none of those.
    So the window grows to `min_points` points when the log is sparse, and shrinks
    to `cap` (a share of the run, or the whole run) when the run is short; where
    even `min_points` points do not fit, the window stays at `min_points` and the
    rule says it could not be judged. On a log dense enough for the step window,
    nothing changes.
    """
    if len(steps) < 2:  # no interval to scale by, and no stretch to judge: `min_points` steps outlast the run
        return float(max(min_points, 2) - 1)
    interval = typical_interval(steps) or 1.0
    need = (max(min_points, 2) - 1) * interval
    return min(max(window, need), max(cap, need))


def improvement(values: np.ndarray) -> tuple[float, int]:
    """How far the run's last third rose above its start, relative to the start (and the points judged).

    The start is the median of the first 3 points (2 on a 4–5-point run), the end the median of
    the last third: an accuracy that rose in the first epochs and then held has improved, one
    stuck at chance has not, whatever a trend over the flat remainder says. NaN when fewer than
    4 finite points (then nothing is judged).
    """
    finite = values[np.isfinite(values)]
    if len(finite) < 4:
        return float("nan"), 0
    head = finite[: min(MIN_POINTS, max(2, len(finite) // 3))]
    tail = finite[-max(2, len(finite) // 3) :]
    start = float(np.median(head))
    return (float(np.median(tail)) - start) / max(abs(start), 1e-12), len(finite)


def points_in(window: float, interval: float | None) -> int:
    """How many logged points a window of `window` steps holds at this interval."""
    if not interval or interval <= 0:
        return 0
    return int(window // interval) + 1


class _Bounds(BaseIndexer):
    """Rolling-window bounds given as arrays: windows of steps, not of a fixed number of rows."""

    def __init__(self, start: np.ndarray, end: np.ndarray) -> None:
        super().__init__()
        self.start, self.end = start, end

    def get_window_bounds(
        self,
        num_values: int = 0,
        min_periods: int | None = None,
        center: bool | None = None,
        closed: str | None = None,
        step: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.start, self.end


def trailing_median(steps: np.ndarray, values: np.ndarray, window: float) -> np.ndarray:
    """Median of the points in the `window` steps before each point (itself excluded).

    The window is [step − window, step) in training steps, whatever the logging interval
    (irregular, resumed and epoch-based logs included); where it holds fewer than 3 points
    (a 100-step window at interval 50) it reaches back to the 3 points before, so a level is
    never the median of one or two points. Only points with a full window of history are
    judged: at the start of a ramp from zero (the DINO alpha warmup) every point is several
    times the few before it.
    """
    n = len(steps)
    out = np.full(n, np.nan)
    if n <= MIN_POINTS:
        return out
    steps = np.asarray(steps, dtype=np.float64)
    if n / max(steps[-1] - steps[0], 1.0) * window > DENSE_POINTS:
        return _block_level(steps, np.asarray(values, dtype=np.float64), window)
    index = np.arange(n, dtype=np.int64)
    start = np.minimum(np.searchsorted(steps, steps - window, side="left"), np.maximum(index - MIN_POINTS, 0))
    end = index.copy()
    level = pd.Series(values, dtype=np.float64).rolling(_Bounds(start, end), min_periods=MIN_POINTS).median()
    out[:] = level.to_numpy()
    out[steps - window < steps[0]] = np.nan
    return out


def _block_level(steps: np.ndarray, values: np.ndarray, window: float) -> np.ndarray:
    """Dense logs: the median of the medians of the ten tenth-of-a-window step bins before a point's bin.

    The same robust level for a spike test at a fraction of the cost of an exact rolling median
    over 200k points; bins are in steps, so an irregular log is binned by what it logged.
    """
    width = window / 10
    bin_of = ((steps - steps[0]) // width).astype(np.int64)
    dense, _ = _bin_medians(bin_of, values, np.isfinite(values))
    level = pd.Series(dense).rolling(10, min_periods=MIN_POINTS).median().to_numpy()
    out = np.full(len(values), np.nan)
    seen = bin_of - 1  # a point sees the bins that ended before its own bin began
    ok = (seen >= 0) & (steps - window >= steps[0])
    out[ok] = level[seen[ok]]
    return out


def trailing_spread(steps: np.ndarray, values: np.ndarray, level: np.ndarray, window: float) -> np.ndarray:
    """A robust scale of the recent noise: 1.4826 × the trailing median of |value − its level|.

    The deviations are taken against each point's own trailing level, so the spread is what the
    series did around its recent median in the `window` steps before a point (itself excluded);
    on a normal series it estimates the standard deviation.
    """
    with np.errstate(invalid="ignore"):
        deviation = np.abs(np.asarray(values, dtype=np.float64) - level)
    return MAD_SCALE * trailing_median(steps, deviation, window)


def epoch_length(steps: np.ndarray, epochs: np.ndarray) -> float:
    """The median number of steps between the first logged steps of consecutive epochs (NaN if < 2 changes).

    A window shorter than an epoch judges the pattern inside one epoch (its data order, its LR
    cycle), not the training: the plateau rule's window is at least a few of these.
    """
    finite = np.isfinite(epochs)
    steps, epochs = np.asarray(steps, dtype=np.float64)[finite], epochs[finite]
    starts = steps[1:][np.diff(epochs) > 0]
    if len(starts) < 2:
        return float("nan")
    return float(np.median(np.diff(starts)))


def bridge(steps: np.ndarray, mask: np.ndarray, gap: float) -> np.ndarray:
    """`mask` with every gap of at most `gap` steps between two true points filled: one episode, one stretch.

    Spikes of one episode (a loss that jumps several times within a window) are one finding,
    not one per point; a point counts again only after `gap` quiet steps.
    """
    mask = np.asarray(mask, dtype=bool)
    out = mask.copy()
    hits = np.flatnonzero(mask)
    if len(hits) < 2:
        return out
    at = np.asarray(steps, dtype=np.float64)[hits]
    close = np.diff(at) <= gap
    for a, b in zip(hits[:-1][close], hits[1:][close], strict=True):
        out[a:b] = True
    return out


def trailing_count(steps: np.ndarray, mask: np.ndarray, window: float) -> np.ndarray:
    """How many points in the last `window` steps, [step − window, step], satisfy `mask`."""
    if len(steps) == 0:
        return np.zeros(0)
    held = np.concatenate([[0], np.cumsum(np.asarray(mask, dtype=np.int64))])
    start = np.searchsorted(np.asarray(steps, dtype=np.float64), np.asarray(steps, dtype=np.float64) - window)
    return (held[1:] - held[start]).astype(np.float64)


def overall_trend(steps: np.ndarray, values: np.ndarray, bins: int = 24) -> tuple[float, float]:
    """(change, τ) over the whole series, by the same binned Theil–Sen estimator as the windows."""
    finite = np.isfinite(values)
    steps, values = steps[finite], values[finite]
    if len(steps) < MIN_POINTS or steps[-1] == steps[0]:
        return float("nan"), float("nan")
    span = float(steps[-1] - steps[0])
    interval = max(typical_interval(steps) or 1.0, 1e-9)
    width = interval * max(1, math.ceil(span / interval / (bins - 1)))
    dense, _ = _bin_medians(((steps - steps[0]) // width).astype(np.int64), values, np.ones(len(steps), bool))
    change, tau = _theil_sen_tau(dense[None, :], width, span)
    return float(change[0]), float(tau[0])


def sparkline(steps: np.ndarray, values: np.ndarray, bins: int = 24) -> tuple[float, ...]:
    """Bin medians for a sparkline: what is drawn is downsampled, never what is judged."""
    if len(steps) == 0:
        return ()
    if len(steps) <= bins:
        return tuple(float(v) for v in values)
    stride = max(1, len(steps) // (bins * 64))  # ~64 points per bin are plenty to draw a median
    steps, values = steps[::stride], values[::stride]
    interval = max(typical_interval(steps) or 1.0, 1e-9)
    width = interval * math.ceil((steps[-1] - steps[0] + interval) / interval / bins)
    bin_of = ((steps - steps[0]) // width).astype(np.int64)
    dense, _ = _bin_medians(bin_of, values, np.isfinite(values))
    return tuple(float(v) for v in dense)
