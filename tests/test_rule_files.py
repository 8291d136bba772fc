"""Rule files are data: hostile or broken YAML gets a clean error naming file, line, rule and field."""

from __future__ import annotations

import pytest

from lossdoctor.engine.lang import expr
from lossdoctor.engine.lang.functions import CONDITION_FUNCTIONS
from lossdoctor.engine.rulefiles.packs import RuleSet, add_file
from lossdoctor.engine.rulefiles.yamlfile import load_yaml
from lossdoctor.errors import RuleFileError

GOOD_RULE = """\
pack: team
checks:
  - id: lr-too-small
    severity: warn
    branch: all
    metrics: {lr: lr}
    params: {low: {type: float, default: 1.0e-7}}
    condition: lr < low
    for: 100
    text:
      en: {title: LR tiny, cause: the LR is tiny, remedy: raise it}
      zh: {title: LR 过小, cause: LR 过小, remedy: 提 LR}
"""


def load(text: str) -> RuleSet:
    ruleset = RuleSet()
    add_file(ruleset, load_yaml(text, "team.yaml"), "team.yaml")
    return ruleset


def test_a_valid_user_rule_loads() -> None:
    rule = load(GOOD_RULE).checks[0]
    assert (rule.id, rule.pack, rule.params["low"].default) == ("lr-too-small", "team", 1e-7)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!!python/object/apply:os.system ['echo pwned']", "not valid YAML"),
        ("a: !!python/name:os.system", "not valid YAML"),
        ("[" * 5000, "not valid YAML"),
    ],
)
def test_python_tags_and_deep_nesting_are_refused(text: str, message: str) -> None:
    with pytest.raises(RuleFileError) as err:
        load_yaml(text, "evil.yaml")
    assert message in err.value.one_line() and "evil.yaml" in err.value.one_line()


@pytest.mark.parametrize(
    ("condition", "complaint"),
    [
        ("__import__('os').system('x')", "only calls of known functions"),
        ("__import__('os')", "unknown function __import__"),
        ("lr.__class__", "Attribute is not allowed"),
        ("lr[0] > 1", "Subscript is not allowed"),
        ("(lambda: 1)()", "only calls of known functions"),
        ("lr > 10 ** 400", "Pow is not allowed"),
        ("lr > 1e999", "out of range"),
        ("lr > 'a'", "not a number"),
        ("open('x')", "unknown function open"),
        ("lr < nobody", "unknown name(s) nobody"),
        ("[x for x in lr]", "ListComp is not allowed"),
    ],
)
def test_hostile_conditions_never_run(condition: str, complaint: str) -> None:
    text = GOOD_RULE.replace("condition: lr < low", "condition: " + _quoted(condition))
    with pytest.raises(RuleFileError) as err:
        load(text)
    line = err.value.one_line()
    assert line.startswith('team.yaml:8: rule "lr-too-small", field "condition":'), line
    assert complaint in line


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_every_problem_of_a_file_is_reported_with_its_line() -> None:
    text = GOOD_RULE.replace("severity: warn", "severity: fatal").replace("for: 100", 'for: "2m"')
    text = text.replace("    branch: all\n", "    branch: all\n    colour: blue\n")
    with pytest.raises(RuleFileError) as err:
        load(text)
    problems = err.value.problems  # type: ignore[attr-defined]
    assert any(
        'team.yaml:4: rule "lr-too-small", field "severity": expected one of red, warn, info' in p
        for p in problems
    )
    assert any('field "colour": unknown field' in p for p in problems)
    assert any('field "for": expected a step count such as 200' in p for p in problems)


def test_missing_language_and_duplicate_names_are_errors() -> None:
    with pytest.raises(RuleFileError, match=r'field "text\.zh": missing the zh text'):
        load(GOOD_RULE.replace("      zh: {title: LR 过小, cause: LR 过小, remedy: 提 LR}\n", ""))
    doubled = GOOD_RULE + GOOD_RULE.split("checks:\n", 1)[1]
    with pytest.raises(RuleFileError, match="duplicate rule name"):
        load(doubled)


def test_a_bad_parameter_type_names_the_parameter() -> None:
    with pytest.raises(RuleFileError, match=r'field "params.low": default .* is not a float'):
        load(GOOD_RULE.replace("default: 1.0e-7", "default: tiny"))


def test_expressions_evaluate_elementwise_without_eval() -> None:
    import numpy as np

    parsed = expr.parse("abs(x) > limit and not (x < 0)", {"x", "limit"}, set(CONDITION_FUNCTIONS))
    result = parsed.evaluate({"x": np.array([-2.0, 0.5, 3.0]), "limit": 1.0}, {"abs": np.abs})
    assert result.tolist() == [False, False, True]
