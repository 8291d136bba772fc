"""The rule language: numpy semantics, one function registry, and a checker that types every expression."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.cli import Result

from lossdoctor.engine import analyze
from lossdoctor.engine.devtools.ruledoc import render
from lossdoctor.engine.lang import expr, functions
from lossdoctor.engine.rulefiles.packs import RuleSet, add_file, load_default
from lossdoctor.engine.rulefiles.yamlfile import load_yaml
from lossdoctor.errors import RuleFileError
from lossdoctor.model import RunData

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"x": functions.ARRAY, "y": functions.ARRAY, "limit": functions.SCALAR, "zero": functions.SCALAR}
CONDITION = functions.condition_functions(np.arange(5) * 10, lambda label, n: None)
EVIDENCE = functions.aggregate_functions()


def condition(source: str, **env: object) -> object:
    return expr.parse(source, KINDS, set(functions.CONDITION_FUNCTIONS)).evaluate(env, CONDITION)


def evidence(source: str, **env: object) -> object:
    return expr.parse(source, KINDS, set(functions.AGGREGATES)).evaluate(env, EVIDENCE)


def test_division_by_zero_gives_inf_or_nan_never_an_exception() -> None:
    assert condition("limit / zero", limit=1.0, zero=0.0) == math.inf
    assert math.isnan(float(condition("zero / zero", zero=0)))  # ints too: Python would raise
    values = condition("x / y", x=np.array([1.0, -1.0, 0.0]), y=np.zeros(3))
    assert values[0] == math.inf and values[1] == -math.inf and math.isnan(values[2])
    # the default pack's converged test, with dino_global at 0 mid-warmup: NaN, so not "converged"
    assert not evidence("(start(x) - median(x)) / start(x) >= limit", x=np.zeros(5), limit=0.5)


def test_not_is_logical_on_numbers_and_arrays() -> None:
    assert condition("not zero", zero=0) is np.True_  # a bitwise invert gave -1
    assert condition("not limit", limit=2.0) is np.False_
    got = condition("not x", x=np.array([0.0, 2.0, -1.0]))  # raised on a float array
    assert got.tolist() == [True, False, False]
    assert condition("not (x > limit) and x > 0", x=np.array([0.5, 2.0]), limit=1.0).tolist() == [True, False]
    assert condition("x and y", x=np.array([0.0, 2.0]), y=np.array([3.0, 4.0])).tolist() == [False, True]


@pytest.mark.parametrize(
    ("values", "low", "high"),
    [
        ([3.0, float("nan"), 1.0, 2.0], 1.0, 3.0),
        ([float("nan"), float("nan")], float("nan"), float("nan")),
        ([5.0, float("inf"), float("-inf")], float("-inf"), float("inf")),
    ],
)
def test_min_and_max_are_the_same_in_conditions_and_in_evidence(
    values: list[float], low: float, high: float
) -> None:
    array = np.array(values)
    for bound in (CONDITION, EVIDENCE):
        got = (float(bound["min"](array)), float(bound["max"](array)))
        assert np.array_equal(got, (low, high), equal_nan=True), bound
    # several arguments: element-wise, NaN skipped where the other side has a value
    pair = condition("max(x, y)", x=np.array([1.0, np.nan, np.nan]), y=np.array([np.nan, 2.0, np.nan]))
    assert np.array_equal(pair, [1.0, 2.0, np.nan], equal_nan=True)
    assert np.array_equal(
        pair,
        evidence("max(x, y)", x=np.array([1.0, np.nan, np.nan]), y=np.array([np.nan, 2.0, np.nan])),
        equal_nan=True,
    )


SCOPE_RULE = """\
pack: team
extends: none
checks:
  - id: tiny-loss
    severity: warn
    branch: all
    metrics: {loss: loss}
    params: {limit: {type: float, default: 0.5}}
    condition: loss < limit
    for: 50
    evidence:
      at_scope_start: start(loss)
      at_scope_start_times_one: start(loss * 1)
      at_scope_start_plus_zero: start(0 + loss)
      early_level: early(loss * 2, 0.1)
      stretch_head: head(loss)
    text:
      en: {title: t, cause: c, remedy: r}
      zh: {title: t, cause: c, remedy: r}
"""


def test_start_keeps_the_scope_after_arithmetic() -> None:
    """`start(x)` is the scope's start whatever the arithmetic inside (`start(x*1)` lost it before)."""
    ruleset = RuleSet()
    add_file(ruleset, load_yaml(SCOPE_RULE, "team.yaml"), "team.yaml")
    steps = np.arange(1, 101) * 10
    loss = np.r_[np.full(50, 2.0), np.full(50, 0.1)]
    run = RunData(
        frame=pd.DataFrame({"loss": loss}, index=pd.Index(steps, name="step")), files=["r"], format="jsonl"
    )
    (found,) = analyze(run, ruleset).findings
    assert found.evidence["at_scope_start"] == 2.0  # the scope (the whole run) starts at 2.0
    assert found.evidence["at_scope_start_times_one"] == 2.0
    assert found.evidence["at_scope_start_plus_zero"] == 2.0
    assert found.evidence["early_level"] == 4.0
    assert found.evidence["stretch_head"] == pytest.approx(0.1)  # the stretch itself starts at 0.1


def test_one_registry_for_parser_engine_and_docs() -> None:
    registry = functions.REGISTRY
    assert set(CONDITION) == {n for n, f in registry.items() if "condition" in f.contexts}
    assert set(EVIDENCE) == {n for n, f in registry.items() if "evidence" in f.contexts}
    docs = render(load_default())
    table = docs.split("## Functions of the rule language", 1)[1]
    for fn in registry.values():
        assert f"| `{fn.name}` | `{fn.signature()}` |" in table and fn.doc in table
    low, high = registry["spike"].arity
    with pytest.raises(expr.ExprError, match=re.escape(f"spike() takes {low} to {high} argument(s), got 2")):
        expr.parse("spike(x, 3)", KINDS, set(functions.CONDITION_FUNCTIONS))
    with pytest.raises(expr.ExprError, match="unknown function median"):
        expr.parse("median(x) > 1", KINDS, set(functions.CONDITION_FUNCTIONS))


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("x > limit", "array"),
        ("limit * 2 + zero", "scalar"),
        ("max(x)", "scalar"),
        ("max(x, limit)", "array"),
        ("min(limit, zero)", "scalar"),
        ("early_median(x, 0.1) * limit", "scalar"),
        ("spike(x, 3, limit) or zero > 1", "array"),
        ("not (step < warmup_steps)", "array"),
    ],
)
def test_the_checker_infers_array_or_scalar(source: str, kind: str) -> None:
    names = KINDS | functions.NAME_KINDS
    assert expr.parse(source, names, set(functions.CONDITION_FUNCTIONS)).kind == kind


BASE_RULE = """\
pack: team
checks:
  - id: grad-norm-explodes
    severity: red
    branch: all
    metrics: {norm: grad_norm}
    params: {limit: {type: float, default: 50.0}}
    condition: norm > limit
    for: 100
    evidence: {grad_norm_median: median(norm)}
    text:
      en: {title: t, cause: c, remedy: r}
      zh: {title: t, cause: c, remedy: r}
"""


@pytest.mark.parametrize(
    ("old", "new", "field", "complaint"),
    [
        (
            "condition: norm > limit",
            "condition: rising(norm, norm)",
            "condition",
            "rising() takes window as one number, but `norm` is an array",
        ),
        (
            "condition: norm > limit",
            "condition: spike(limit, 3, 100)",
            "condition",
            "spike() takes values as an array (one value per logged point), but `limit` is one number",
        ),
        (
            "condition: norm > limit",
            "condition: count(norm > limit, step)",
            "condition",
            "count() takes window as one number, but `step` is an array",
        ),
        ("for: 100", "for: step", "for", "expected one number (a window in steps), but `step` is an array"),
        ("median(norm)}", "norm * 2}", "evidence.grad_norm_median", "expected one number"),
        ("median(norm)}", "median(limit)}", "evidence.grad_norm_median", "median() takes values as an array"),
    ],
)
def test_rules_check_rejects_an_ill_typed_rule_naming_file_rule_and_field(
    tmp_path: Path, cli: Callable[..., Result], old: str, new: str, field: str, complaint: str
) -> None:
    bad = tmp_path / "team.yaml"
    bad.write_text(BASE_RULE.replace(old, new), encoding="utf-8")
    result = cli("rules", "check", bad)
    assert result.code == 2, result.err
    assert f"{bad}:" in result.err and f'rule "grad-norm-explodes", field "{field}": ' in result.err
    assert complaint in result.err
    analyzed = cli("analyze", ROOT / "sample_logs" / "healthy", "--rules", bad, "--fail-on", "never")
    assert analyzed.code == 2 and complaint in analyzed.err  # the same schema: analyze refuses it too


def test_the_default_pack_is_well_typed() -> None:
    for rule in load_default().checks:
        assert rule.for_steps.kind == "scalar"
        assert all(e.kind == "scalar" for e in rule.evidence.values()), rule.id
        assert rule.condition is None or rule.condition.kind == "array", rule.id


def test_a_window_that_is_not_a_number_of_steps_is_not_judged_rather_than_a_crash() -> None:
    rule = BASE_RULE.replace("condition: norm > limit", "condition: rising(norm, limit)").replace(
        "for: 100", "for: 0"
    )
    ruleset = RuleSet()
    add_file(ruleset, load_yaml(rule, "team.yaml"), "team.yaml")
    steps = np.arange(1, 101) * 10
    run = RunData(
        frame=pd.DataFrame({"grad_norm": np.linspace(1, 5, 100)}, index=pd.Index(steps, name="step")),
        files=["r"],
        format="jsonl",
    )
    report = analyze(run, ruleset, rule_params={"grad-norm-explodes": {"limit": -5.0}})
    (skipped,) = [n for n in report.not_evaluated if n.rule == "grad-norm-explodes"]
    assert "a window of -5 steps" in skipped.reason


def test_an_unknown_call_is_refused_at_load_time() -> None:
    with pytest.raises(RuleFileError, match="unknown function sum"):
        add_file(RuleSet(), load_yaml(BASE_RULE.replace("median(norm)", "sum(norm)"), "t.yaml"), "t.yaml")
