"""The functions a rule condition or evidence entry may call, and nothing else.

Condition functions work on arrays aligned to the rule's logged points (the
steps of one evaluation); aggregates reduce a stretch to one number for the
evidence. `REGISTRY` is the one description of them (name, arity, array or
scalar arguments, result, a line of doc): the parser (expr.py) checks calls and
infers kinds from it, `rules check` (schema.py, lint.py) refuses ill-typed
rules with it, and docs/rules.md renders it. `evaluate.py` binds them to a run.
Every function answers NaN, or raises `Unjudgeable`, rather than crashing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported to judge, not to check a rule file
    import numpy as np

RUN_NAMES = frozenset({"step", "run_steps", "interval", "first_step", "last_step", "span", "epoch_steps"})
# The run parameters a rule may need, their type and least value: the one table the rule checker, the
# project config and `--param` all read.
RUN_PARAM_SPECS = {"ga": ("int", 1.0), "warmup_steps": ("int", 0.0), "kl_weight": ("float", 0.0),
                   "num_classes": ("int", 2.0)}
RUN_PARAMS = frozenset(RUN_PARAM_SPECS)

ARRAY, SCALAR, ANY = "array", "scalar", "any"
CONDITION, EVIDENCE = "condition", "evidence"
# The kind of every name a rule sees besides its metrics (arrays) and parameters (scalars).
NAME_KINDS = {"step": ARRAY} | {name: SCALAR for name in (RUN_NAMES - {"step"}) | RUN_PARAMS}


@dataclass(frozen=True)
class Function:
    """One function of the rule language, as the parser, the checker and the docs all see it.

    `args` are (name, kind) of the required arguments, `optional` of those that may follow;
    `returns` is a kind, or "same" (an array when any argument is one). A `scope_bound`
    function evaluates its first argument over the rule's whole scope, not the stretch;
    a `reduces_alone` one (min, max) reduces a single argument to one number.
    """

    name: str
    args: tuple[tuple[str, str], ...]
    optional: tuple[tuple[str, str], ...]
    returns: str
    contexts: frozenset[str]
    doc: str
    scope_bound: bool = False
    reduces_alone: bool = False

    @property
    def arity(self) -> tuple[int, int]:
        return len(self.args), len(self.args) + len(self.optional)

    def signature(self) -> str:
        shown = [f"{n}: {k}" for n, k in self.args] + [f"[{n}: {k}]" for n, k in self.optional]
        if self.reduces_alone:
            shown = [f"{self.args[0][0]}: {self.args[0][1]}", "…"]
        return f"{self.name}({', '.join(shown)})"

    def returns_text(self) -> str:
        if self.reduces_alone:
            return "scalar (one argument); else array if any argument is one"
        return "array if any argument is one, else scalar" if self.returns == "same" else self.returns

    def argument(self, index: int) -> tuple[str, str]:
        every = self.args + self.optional
        return every[min(index, len(every) - 1)]

    def result(self, kinds: list[str]) -> str:
        """The kind of a call's result, given its arguments' kinds."""
        if self.reduces_alone and len(kinds) == 1:
            return SCALAR
        if self.returns == "same":
            return ARRAY if ARRAY in kinds else SCALAR
        return self.returns


def _fn(name: str, args: str, returns: str, where: str, doc: str, **flags: bool) -> Function:
    """Registry shorthand: `args` like "values:array window:scalar ?min_change:scalar" (? = optional)."""
    specs = [tuple(a.lstrip("?").split(":")) for a in args.split()]
    marks = [a.startswith("?") for a in args.split()]
    required = tuple((n, k) for (n, k), opt in zip(specs, marks, strict=True) if not opt)
    optional = tuple((n, k) for (n, k), opt in zip(specs, marks, strict=True) if opt)
    contexts = frozenset({CONDITION, EVIDENCE} if where == "both" else {where})
    return Function(name, required, optional, returns, contexts, doc, **flags)


_MANY = " ".join(f"?x{i}:any" for i in range(2, 9))
_TREND = "over trailing windows of `window` steps (min relative change, min Kendall tau optional)"
REGISTRY: dict[str, Function] = {
    f.name: f
    for f in (
        _fn("abs", "x:any", "same", "both", "absolute value, element-wise"),
        _fn("min", f"x:any {_MANY}", "same", "both",
            "one argument: its smallest value; several: the element-wise smallest; NaN is skipped, "
            "all NaN gives NaN", reduces_alone=True),
        _fn("max", f"x:any {_MANY}", "same", "both",
            "one argument: its largest value; several: the element-wise largest; NaN is skipped, "
            "all NaN gives NaN", reduces_alone=True),
        _fn("rising", "values:array window:scalar ?min_change:scalar ?min_tau:scalar", ARRAY, CONDITION,
            f"true where the values rise {_TREND}"),
        _fn("decreasing", "values:array window:scalar ?min_change:scalar ?min_tau:scalar", ARRAY,
            CONDITION, f"true where the values fall {_TREND}"),
        _fn("not_decreasing", "values:array window:scalar ?min_change:scalar ?min_tau:scalar", ARRAY,
            CONDITION, f"true where the values do not fall {_TREND}"),
        _fn("spike", "values:array factor:scalar window:scalar ?min_z:scalar ?min_rise:scalar", ARRAY,
            CONDITION,
            "true at a point above `factor` times the median of the previous `window` steps and, with "
            "`min_z`, more than `min_z` robust standard deviations (MAD) of those steps above it and, with "
            "`min_rise`, at least `min_rise` (in the values' units) above it"),
        _fn("bridge", "mask:array gap:scalar", ARRAY, CONDITION,
            "`mask` with gaps of at most `gap` steps between true points filled: an episode is one stretch"),
        _fn("count", "mask:array window:scalar", ARRAY, CONDITION,
            "how many points of `mask` held in the trailing `window` steps"),
        _fn("early_median", "values:array share:scalar", SCALAR, CONDITION,
            "median of the finite values in the first `share` of the run's steps (3 points at least)"),
        _fn("median", "values:array", SCALAR, EVIDENCE, "median of the stretch's finite values"),
        _fn("mean", "values:array", SCALAR, EVIDENCE, "mean of the stretch's finite values"),
        _fn("first", "values:array", SCALAR, EVIDENCE, "the stretch's first value"),
        _fn("last", "values:array", SCALAR, EVIDENCE, "the stretch's last value"),
        _fn("head", "values:array", SCALAR, EVIDENCE, "median of the stretch's first third (a robust start)"),
        _fn("tail", "values:array", SCALAR, EVIDENCE, "median of the stretch's last third (a robust end)"),
        _fn("start", "values:array", SCALAR, EVIDENCE,
            "median of the first 3 points of the rule's scope, not of the stretch", scope_bound=True),
        _fn("initial", "values:array", SCALAR, "both",
            "median of the first 3 finite values of the rule's scope (the level a run starts from)",
            scope_bound=True),
        _fn("early", "values:array share:scalar", SCALAR, EVIDENCE,
            "median of the first `share` of the rule's scope (3 points at least)", scope_bound=True),
        _fn("share", "mask:array", SCALAR, EVIDENCE, "share of the stretch's points where `mask` is true"),
        _fn("points", "values:array", SCALAR, EVIDENCE, "how many points the stretch holds"),
        _fn("fit_window", "window:scalar min_points:scalar cap:scalar", SCALAR, CONDITION,
            "`window` steps, grown to hold at least `min_points` logged points, at most `cap` steps"),
        _fn("improvement", "values:array", SCALAR, CONDITION,
            "relative rise of the values from their first points to their last third"),
    )
}  # fmt: skip
CONDITION_FUNCTIONS = frozenset(n for n, f in REGISTRY.items() if CONDITION in f.contexts)
AGGREGATES = frozenset(n for n, f in REGISTRY.items() if EVIDENCE in f.contexts)
WINDOW_FUNCTIONS = frozenset({"min", "max", "fit_window"})  # what `for:` and a window argument may call

# Trend thresholds of the default estimator (see windows.py); a rule may pass its own.
RISING = (0.05, 0.3)
DECREASING = (0.01, 0.1)


class Unjudgeable(Exception):
    """Raised inside an evaluation when the data cannot decide (too few points, no window)."""


MAX_WINDOW = 1e12  # steps: longer than any run; beyond it the window arithmetic would overflow


def _window(window: Any) -> float:
    """A window argument as steps; a NaN, infinite, non-positive or astronomic window cannot be judged."""
    import numpy as np

    value = float(np.asarray(window, dtype=float))
    if not np.isfinite(value) or value <= 0 or value > MAX_WINDOW:
        raise Unjudgeable(f"a window of {value:g} steps; expected a positive number up to {MAX_WINDOW:g}")
    return value


def _floats(values: Any, steps: np.ndarray) -> np.ndarray:
    """An array argument aligned to the steps (a scalar where an array is due is broadcast)."""
    import numpy as np

    arr = np.asarray(values, dtype=float)
    return arr if arr.shape == steps.shape else np.broadcast_to(arr, steps.shape)


def extreme(pick: Callable[[Any, Any], Any], reduce_nan: Callable[[np.ndarray], Any]) -> Callable[..., Any]:
    """min/max, the same in conditions and evidence: NaN is skipped, and only all-NaN gives NaN."""
    import numpy as np

    def fn(*args: Any) -> Any:
        if len(args) > 1:
            return reduce(pick, args)
        arr = np.asarray(args[0], dtype=float)
        if arr.size == 0 or bool(np.all(np.isnan(arr))):
            return float("nan")
        return float(reduce_nan(arr))

    return fn


def shared_functions() -> dict[str, Callable[..., Any]]:
    """The functions of both contexts, one implementation each."""
    import numpy as np

    return {"abs": np.abs, "min": extreme(np.fmin, np.nanmin), "max": extreme(np.fmax, np.nanmax)}


def condition_functions(
    steps: np.ndarray, on_judged: Callable[[str, int], None]
) -> dict[str, Callable[..., Any]]:
    """Bind the condition functions to one run's steps."""
    import numpy as np

    from lossdoctor.engine.lang import windows  # pandas: imported to judge, not to load a rule file

    def _trend(kind: str, defaults: tuple[float, float]) -> Callable[..., np.ndarray]:
        def fn(values: Any, window: Any, *thresholds: Any) -> np.ndarray:
            span = _window(window)
            min_change, min_tau = ([float(t) for t in thresholds] + list(defaults)[len(thresholds) :])[:2]
            result = windows.trend(steps, _floats(values, steps), span, kind, min_change, min_tau)
            on_judged(f"{kind} over {span:g} steps", result.judged)
            return result.covered

        return fn

    def spike(values: Any, factor: Any, window: Any, min_z: Any = 0.0, min_rise: Any = 0.0) -> np.ndarray:
        values = _floats(values, steps)
        span = _window(window)
        level = windows.trailing_median(steps, values, span)
        on_judged(f"spike over {span:g} steps", int((np.isfinite(level) & np.isfinite(values)).sum()))
        with np.errstate(invalid="ignore", over="ignore"):
            hit = (level > 0) & (values > float(factor) * level)
            if float(min_z) > 0 and hit.any():
                spread = windows.trailing_spread(steps, values, level, span)
                hit &= ~(values - level <= float(min_z) * spread)  # an unknown spread does not veto
            # a 3x jump from a near-zero level can be invisible on the run's own scale; an unknown floor
            # (a metric the run does not log) does not veto
            hit &= ~(values - level < float(np.asarray(min_rise, dtype=float)))
            return hit

    def bridge(mask: Any, gap: Any) -> np.ndarray:
        flags = np.broadcast_to(np.asarray(mask).astype(bool), steps.shape)
        return windows.bridge(steps, flags, _window(gap))

    def improvement(values: Any) -> float:
        rise, points = windows.improvement(_floats(values, steps))
        on_judged("improvement over the run", points)
        return rise

    def fit_window(window: Any, min_points: Any, cap: Any) -> float:
        return windows.fit_window(steps, float(window), int(min_points), float(cap))

    def count(mask: Any, window: Any) -> np.ndarray:
        flags = np.broadcast_to(np.asarray(mask).astype(bool), steps.shape)
        return windows.trailing_count(steps, flags, _window(window))

    def early_median(values: Any, share: Any) -> float:
        values = _floats(values, steps)
        if len(steps) == 0:
            raise Unjudgeable("no points")
        cut = steps[0] + float(share) * (steps[-1] - steps[0])
        early = values[(steps <= cut) & np.isfinite(values)]
        if len(early) < windows.MIN_POINTS:
            raise Unjudgeable(f"fewer than {windows.MIN_POINTS} points in the first {share:.0%} of the run")
        return float(np.median(early))

    return shared_functions() | {
        "initial": initial,
        "rising": _trend("rising", RISING),
        "decreasing": _trend("decreasing", DECREASING),
        "not_decreasing": _trend("not_decreasing", DECREASING),
        "spike": spike,
        "bridge": bridge,
        "count": count,
        "early_median": early_median,
        "fit_window": fit_window,
        "improvement": improvement,
    }


def initial(values: Any) -> float:
    """The level a run starts from: the median of its first 3 finite values (NaN when it has none).

    A scale of the run's own, fixed before anything can go wrong: a spike floor in its units means
    the same thing on a loss of 85 and on one of 1e-5.
    """
    import numpy as np

    from lossdoctor.engine.lang import windows

    arr = np.atleast_1d(np.asarray(values, dtype=float))
    finite = arr[np.isfinite(arr)][: windows.MIN_POINTS]
    return float(np.median(finite)) if len(finite) else float("nan")


def aggregate_functions() -> dict[str, Callable[..., Any]]:
    """Reductions over one stretch, for evidence and signals (`start`, `early`: over the scope)."""
    import numpy as np

    from lossdoctor.engine.lang import windows

    def _all(a: Any) -> np.ndarray:
        return np.atleast_1d(np.asarray(a, dtype=float))

    def _reduce(fn: Callable[[np.ndarray], Any]) -> Callable[[Any], float]:
        def wrapped(a: Any) -> float:
            arr = _all(a)
            arr = arr[np.isfinite(arr)]
            return float(fn(arr)) if len(arr) else float("nan")

        return wrapped

    def _end(a: Any, index: int) -> float:
        arr = _all(a)
        return float(arr[index]) if len(arr) else float("nan")

    def _third(a: Any, *, first: bool) -> np.ndarray:
        """The first or last third of a stretch (at least one point): robust ends for evidence."""
        arr = _all(a)
        size = max(1, len(arr) // 3)
        return arr[:size] if first else arr[-size:]

    def early(a: Any, share: Any) -> float:
        """Median of the first `share` of the scope's points (a robust early level)."""
        part = float(share)
        if not np.isfinite(part):
            return float("nan")
        base = _all(a)
        return _reduce(np.median)(base[: max(windows.MIN_POINTS, int(len(base) * min(max(part, 0.0), 1.0)))])

    return shared_functions() | {
        "median": _reduce(np.median),
        "mean": _reduce(np.mean),
        "first": lambda a: _end(a, 0),
        "last": lambda a: _end(a, -1),
        "head": lambda a: _reduce(np.median)(_third(a, first=True)),
        "tail": lambda a: _reduce(np.median)(_third(a, first=False)),
        "start": lambda a: _reduce(np.median)(_all(a)[: windows.MIN_POINTS]),
        "initial": initial,
        "early": early,
        "share": lambda a: float(np.mean(np.atleast_1d(a).astype(bool))) if np.size(a) else float("nan"),
        "points": lambda a: float(np.size(a)),
    }
