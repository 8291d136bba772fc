"""Every default rule over hostile series: nothing raises, and the JSON report stays valid.

The rule language has numpy semantics (NaN rather than an exception), so no value a log
can hold — zeros, a constant, one point, NaN and ±inf runs, 1e300, negatives, irregular
steps, resumed launches whose steps overlap — may crash the engine or break the report.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd
import pytest
from helpers.schemas import validated
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lossdoctor.engine import analyze, load_default
from lossdoctor.engine.rulefiles.packs import RuleSet
from lossdoctor.model import RunData, Segment
from lossdoctor.reporters.json import render

RULES: RuleSet = load_default()
METRICS = sorted(
    {
        name.replace("{tag}", "flow")
        for rule in RULES.checks
        for names in rule.metrics.values()
        for name in names
    }
    | {"dino_alpha", "loss_dino", "loss_kl", "kl_raw", "loss"}
)
HOSTILE_VALUES = [0.0, 1.0, -1.0, 1e300, -1e300, 1e-300, float("nan"), float("inf"), float("-inf"), 2.0]


def _pattern(kind: str, length: int, value: float, seed: int) -> np.ndarray:
    """One hostile shape of a series."""
    rng = np.random.default_rng(seed)
    if kind == "zeros":
        return np.zeros(length)
    if kind == "constant":
        return np.full(length, value)
    if kind == "runs":  # stretches of one hostile value each
        cuts = np.sort(rng.integers(0, length + 1, size=3))
        return np.repeat(rng.choice(HOSTILE_VALUES, size=4), np.diff(np.r_[0, cuts, length]))
    if kind == "noisy":
        return value * (1 + rng.normal(0, 0.5, size=length))
    return rng.choice(HOSTILE_VALUES, size=length)  # "any": hostile values anywhere


def _steps(kind: str, length: int, seed: int) -> tuple[np.ndarray, list[Segment]]:
    """Regular, irregular, or two resumed launches whose steps overlap (later wins, as stitched)."""
    rng = np.random.default_rng(seed)
    if kind == "regular":
        steps = np.arange(1, length + 1) * 10
        return steps, [Segment("a.json", int(steps[0]), int(steps[-1]))]
    if kind == "irregular":
        steps = np.cumsum(rng.choice([1, 10, 50, 1000], size=length))
        return steps, [Segment("a.json", int(steps[0]), int(steps[-1]))]
    half = max(1, length // 2)
    first = np.arange(1, half + 1) * 10
    restart = max(1, half - 2)  # the resumed launch repeats the last 3 steps of the first
    resumed = np.arange(restart, restart + length - half + 3) * 10
    segments = [
        Segment("a.json", int(first[0]), int(first[-1])),
        Segment("b.json", int(resumed[0]), int(resumed[-1])),
    ]
    return np.unique(np.r_[first, resumed]), segments


@st.composite
def hostile_runs(draw: Any) -> tuple[RunData, dict[str, Any]]:
    length = draw(st.sampled_from([150, 40, 7, 3, 2, 1]))
    layout = draw(st.sampled_from(["regular", "irregular", "resumed"]))
    steps, segments = _steps(layout, length, draw(st.integers(0, 99)))
    columns = {}
    for name in METRICS:
        if draw(st.booleans()) or name in ("loss", "dino_global"):
            kind = draw(st.sampled_from(["zeros", "constant", "runs", "noisy", "any"]))
            value = draw(st.sampled_from(HOSTILE_VALUES))
            columns[name] = _pattern(kind, len(steps), value, draw(st.integers(0, 99)))
    frame = pd.DataFrame(columns, index=pd.Index(steps, name="step"))
    nan_steps = {n: steps[np.isnan(v)] for n, v in columns.items() if np.isnan(v).any()}
    run = RunData(frame=frame, files=["hostile.json"], format="jsonl", segments=segments, nan_steps=nan_steps)
    params: dict[str, Any] = {
        "ga": draw(st.sampled_from([1, 2, 8, None])),
        "warmup_steps": draw(
            st.sampled_from([int(steps[len(steps) // 2]), 0, 10, int(steps[-1]), 10**9, None])
        ),
        "kl_weight": draw(st.sampled_from([0.0, 1e-6, 1.0, None])),
    }
    return run, {name: value for name, value in params.items() if value is not None}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(hostile_runs())
def test_every_default_rule_survives_hostile_series(case: tuple[RunData, dict[str, Any]]) -> None:
    run, params = case
    report = analyze(run, RULES, run_params=params)
    validated(render(report), "report")


@pytest.mark.parametrize("warmup", [1000, 400])
def test_dino_global_at_zero_mid_warmup_is_judged_not_a_crash(warmup: int) -> None:
    """A ZeroDivisionError (exit 3) before: the converged test divides by dino_global at mid-warmup."""
    steps = np.arange(1, 201) * 10
    frame = pd.DataFrame(
        {"loss": np.ones(200), "dino_global": np.zeros(200)}, index=pd.Index(steps, name="step")
    )
    run = RunData(frame=frame, files=["zero.json"], format="jsonl")
    report = analyze(run, RULES, run_params={"warmup_steps": warmup})
    found = [f for f in report.findings if f.rule == "dino-not-improving"]
    assert found and found[0].evidence["dino_global_at_mid_warmup"] == 0.0
    validated(render(report), "report")


ARRAY_LEAVES = ["x", "y"]
SCALAR_LEAVES = ["k", "0", "1", "-2.5", "1e15"]


def _expressions(kind: str, context: str) -> st.SearchStrategy[str]:
    """Well-typed expressions of the language, built from its registry (any function, any operator)."""
    from lossdoctor.engine.lang.functions import ANY, ARRAY, REGISTRY

    leaves = st.sampled_from(ARRAY_LEAVES if kind == ARRAY else SCALAR_LEAVES)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        ops = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "<", ">=", "==", "and", "or"]), inner)
        calls = []
        for fn in REGISTRY.values():
            if context not in fn.contexts or (
                fn.result([ARRAY] * len(fn.args)) != kind and fn.returns != "same"
            ):
                continue
            kinds = [k if k != ANY else kind for _, k in fn.args]
            args = [
                inner if k == kind else st.sampled_from(ARRAY_LEAVES if k == ARRAY else SCALAR_LEAVES)
                for k in kinds
            ]
            calls.append(st.tuples(*args).map(lambda a, name=fn.name: f"{name}({', '.join(a)})"))
        return st.one_of(
            ops.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"(not {e})"),
            inner.map(lambda e: f"(-{e})"),
            *calls,
        )

    return st.recursive(leaves, extend, max_leaves=6)


@settings(max_examples=300, deadline=None, derandomize=True)
@example(source="(not spike(x, k, k))", values=[1.0, 2.0], k=1e300)  # found by a longer run: OverflowError
@example(source="(not count(x, k))", values=[0.0], k=1e300)
@given(
    source=st.one_of(_expressions("array", "condition"), _expressions("scalar", "evidence")),
    values=st.lists(st.sampled_from(HOSTILE_VALUES), min_size=0, max_size=12),
    k=st.sampled_from(HOSTILE_VALUES),
)
def test_no_expression_raises_on_hostile_values(source: str, values: list[float], k: float) -> None:
    """Whatever a well-typed expression meets, it gives a value (NaN, inf) or says it cannot judge."""
    from lossdoctor.engine.lang import expr, functions

    kinds = {"x": "array", "y": "array", "k": "scalar"}
    try:
        parsed = expr.parse(source, kinds, set(functions.REGISTRY))
    except expr.ExprError:
        return  # an ill-typed combination (a scalar where an array is due) is refused at load time
    x = np.array(values, dtype=float)
    steps = np.cumsum(np.r_[10, np.full(max(0, len(x) - 1), 10)])[: len(x)]
    bound = functions.condition_functions(steps, lambda label, n: None) | functions.aggregate_functions()
    env = {"x": x, "y": x[::-1].copy(), "k": k}
    with contextlib.suppress(functions.Unjudgeable):  # "cannot judge" is an answer, not a crash
        parsed.evaluate(env, bound, scope={"x": np.r_[x, x], "y": np.r_[x, x], "k": k})
