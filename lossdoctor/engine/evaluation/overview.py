"""The metrics overview: latest value, recent trend, a sparkline, and the guide's normal range."""

from __future__ import annotations

from typing import Any

import numpy as np

from lossdoctor.engine.lang import windows
from lossdoctor.model import MetricSummary, RunData
from lossdoctor.numeric import is_number


def overview(run: RunData, entries: list[dict[str, Any]]) -> list[MetricSummary]:
    out = []
    for entry in entries:
        name = str(entry.get("metric"))
        if name not in run.frame.columns:
            continue
        column = run.frame[name].dropna()
        steps, values = column.index.to_numpy(), column.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if len(finite) == 0:
            continue
        out.append(
            MetricSummary(
                name,
                float(finite[-1]),
                _recent_trend(steps, values),
                windows.sparkline(steps, values),
                *_range(entry, steps, values),
                _bound(entry.get("low")),
                _bound(entry.get("high")),
            )
        )
    return out


def _recent_trend(steps: np.ndarray, values: np.ndarray) -> str:
    """Trend over the last third of the run: the direction the run is heading now."""
    if len(steps) < windows.MIN_POINTS:
        return "n/a"
    recent = steps >= steps[0] + (steps[-1] - steps[0]) * 2 / 3
    change, tau = windows.overall_trend(steps[recent], values[recent])
    if not np.isfinite(change):
        return "n/a"
    if change <= -0.01 and tau <= -0.1:
        return "falling"
    if change >= 0.01 and tau >= 0.1:
        return "rising"
    return "flat"


def _range(entry: dict[str, Any], steps: np.ndarray, values: np.ndarray) -> tuple[str | None, bool | None]:
    low, high = entry.get("low"), entry.get("high")
    if low is None and high is None:
        return None, None
    tail = values[(steps >= steps[0] + (steps[-1] - steps[0]) * 0.9) & np.isfinite(values)]
    level = float(np.median(tail)) if len(tail) else float("nan")
    text = f"{low:g}–{high:g}"
    inside = bool((low is None or level >= low) and (high is None or level <= high))
    return text, inside if np.isfinite(level) else None


def _bound(value: Any) -> float | None:
    """A range end as a number for the chart band (None when the guide gives none)."""
    return float(value) if is_number(value) else None


def normal_ranges(entries: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """metric -> (low, high) for every overview entry giving both ends (the first entry of a metric wins).

    The pack's `overview:` is where a metric's normal range is written once; the overview shows it
    and the branch verdicts judge by it.
    """
    ranges: dict[str, tuple[float, float]] = {}
    for entry in entries:
        low, high = _bound(entry.get("low")), _bound(entry.get("high"))
        if low is not None and high is not None:
            ranges.setdefault(str(entry.get("metric")), (low, high))
    return ranges
