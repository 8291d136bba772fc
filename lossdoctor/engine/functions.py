"""The functions a rule condition or evidence entry may call, and nothing else.

Condition functions work on arrays aligned to the rule's logged points (the
steps of one evaluation); aggregates reduce a stretch to one number for the
evidence. `schema.py` checks rule files against these names, `evaluate.py`
binds them to a run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lossdoctor.engine import windows

RUN_NAMES = frozenset({"step", "run_steps", "interval", "first_step", "last_step", "span"})
RUN_PARAMS = frozenset({"ga", "warmup_steps", "kl_weight", "num_classes"})
CONDITION_FUNCTIONS = frozenset(
    {"abs", "min", "max", "rising", "decreasing", "not_decreasing", "spike", "count", "early_median",
     "fit_window", "improvement"}
)
AGGREGATES = frozenset(
    {
        "abs",
        "min",
        "max",
        "median",
        "mean",
        "first",
        "last",
        "head",
        "tail",
        "start",
        "early",
        "share",
        "points",
    }
)

# How many arguments each function takes (min, max): a wrong count is a rule-file error, not a crash.
ARITY: dict[str, tuple[int, int]] = {
    "abs": (1, 1), "min": (1, 8), "max": (1, 8), "rising": (2, 4), "decreasing": (2, 4),
    "not_decreasing": (2, 4), "spike": (3, 3), "count": (2, 2), "early_median": (2, 2),
    "median": (1, 1), "mean": (1, 1), "first": (1, 1), "last": (1, 1), "head": (1, 1), "tail": (1, 1),
    "start": (1, 1), "share": (1, 1), "points": (1, 1), "early": (2, 2),
    "fit_window": (3, 3), "improvement": (1, 1),
}  # fmt: skip

# Trend thresholds of the default estimator (see windows.py); a rule may pass its own.
RISING = (0.05, 0.3)
DECREASING = (0.01, 0.1)


class Unjudgeable(Exception):
    """Raised inside an evaluation when the data cannot decide (too few points)."""


def condition_functions(
    steps: np.ndarray, on_judged: Callable[[str, int], None]
) -> dict[str, Callable[..., Any]]:
    """Bind the condition functions to one run's steps."""

    def _trend(kind: str, defaults: tuple[float, float]) -> Callable[..., np.ndarray]:
        def fn(values: np.ndarray, window: float, *thresholds: float) -> np.ndarray:
            min_change, min_tau = (list(thresholds) + list(defaults)[len(thresholds) :])[:2]
            result = windows.trend(
                steps, np.asarray(values, dtype=float), float(window), kind, min_change, min_tau
            )
            on_judged(f"{kind} over {window:g} steps", result.judged)
            return result.covered

        return fn

    def spike(values: np.ndarray, factor: float, window: float) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        level = windows.trailing_median(steps, values, float(window))
        on_judged(f"spike over {window:g} steps", int((np.isfinite(level) & np.isfinite(values)).sum()))
        with np.errstate(invalid="ignore"):
            return (level > 0) & (values > factor * level)

    def improvement(values: np.ndarray) -> float:
        rise, points = windows.improvement(np.asarray(values, dtype=float))
        on_judged("improvement over the run", points)
        return rise

    def fit_window(window: float, min_points: float, cap: float) -> float:
        return windows.fit_window(steps, float(window), int(min_points), float(cap))

    def count(mask: np.ndarray, window: float) -> np.ndarray:
        return windows.trailing_count(steps, np.asarray(mask, dtype=bool), float(window))

    def early_median(values: np.ndarray, share: float) -> float:
        values = np.asarray(values, dtype=float)
        if len(steps) == 0:
            raise Unjudgeable("no points")
        cut = steps[0] + share * (steps[-1] - steps[0])
        early = values[(steps <= cut) & np.isfinite(values)]
        if len(early) < windows.MIN_POINTS:
            raise Unjudgeable(f"fewer than {windows.MIN_POINTS} points in the first {share:.0%} of the run")
        return float(np.median(early))

    return {
        "abs": np.abs,
        "min": lambda *a: np.minimum.reduce(a) if len(a) > 1 else np.nanmin(a[0]),
        "max": lambda *a: np.maximum.reduce(a) if len(a) > 1 else np.nanmax(a[0]),
        "rising": _trend("rising", RISING),
        "decreasing": _trend("decreasing", DECREASING),
        "not_decreasing": _trend("not_decreasing", DECREASING),
        "spike": spike,
        "count": count,
        "early_median": early_median,
        "fit_window": fit_window,
        "improvement": improvement,
    }


class StretchArray(np.ndarray):
    """A stretch's values that remember the whole scope they were cut from (for `start`)."""

    scope: np.ndarray


def stretch_view(values: np.ndarray, first: int, last: int) -> StretchArray:
    """Cut `values[first:last+1]` keeping a reference to the full array."""
    view = np.asarray(values[first : last + 1]).view(StretchArray)
    view.scope = values
    return view


def aggregate_functions() -> dict[str, Callable[..., Any]]:
    """Reductions over one stretch, for evidence and signals."""

    def _finite(a: Any) -> np.ndarray:
        arr = np.atleast_1d(np.asarray(a, dtype=float))
        return arr[np.isfinite(arr)]

    def _reduce(fn: Callable[[np.ndarray], Any]) -> Callable[[Any], float]:
        def wrapped(a: Any) -> float:
            arr = _finite(a)
            return float(fn(arr)) if len(arr) else float("nan")

        return wrapped

    def _third(a: Any, *, first: bool) -> np.ndarray:
        """The first or last third of a stretch (at least one point): robust ends for evidence."""
        arr = np.atleast_1d(np.asarray(a, dtype=float))
        size = max(1, len(arr) // 3)
        return arr[:size] if first else arr[-size:]

    def start(a: Any) -> float:
        """Robust level where the rule's scope begins: median of its first 3 points."""
        base = getattr(a, "scope", a)
        return _reduce(np.median)(np.asarray(base, dtype=float)[: windows.MIN_POINTS])

    def early(a: Any, share: float) -> float:
        """Median of the first `share` of the scope's points (a robust early level)."""
        base = np.asarray(getattr(a, "scope", a), dtype=float)
        return _reduce(np.median)(base[: max(windows.MIN_POINTS, int(len(base) * share))])

    return {
        "abs": np.abs,
        "min": lambda *a: np.minimum.reduce(a) if len(a) > 1 else _reduce(np.min)(a[0]),
        "max": lambda *a: np.maximum.reduce(a) if len(a) > 1 else _reduce(np.max)(a[0]),
        "median": _reduce(np.median),
        "mean": _reduce(np.mean),
        "first": lambda a: float(np.atleast_1d(a)[0]),
        "last": lambda a: float(np.atleast_1d(a)[-1]),
        "head": lambda a: _reduce(np.median)(_third(a, first=True)),
        "tail": lambda a: _reduce(np.median)(_third(a, first=False)),
        "start": start,
        "early": early,
        "share": lambda a: float(np.mean(np.atleast_1d(a).astype(bool))),
        "points": lambda a: float(len(np.atleast_1d(a))),
    }
