"""The default pack: every catalogue rule exists, fires on its fault, stays quiet on noisy health.

The cases themselves are data (rules/tests/default.yaml, run by `run_case`); these tests
also check that the pack covers the catalogue's names exactly and that the docs are current.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.catalogue import CATALOGUE_CHECKS, CATALOGUE_DIAGNOSES

from lossdoctor.engine import load_default
from lossdoctor.engine.devtools.ruledoc import render
from lossdoctor.engine.devtools.ruletests import run_case
from lossdoctor.engine.rulefiles.packs import RuleSet

ROOT = Path(__file__).resolve().parents[1]
CASES: list[dict[str, Any]] = yaml.safe_load((ROOT / "rules/tests/default.yaml").read_text())["cases"]

@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_default()


def test_the_pack_holds_exactly_the_catalogue(ruleset: RuleSet) -> None:
    assert {c.id for c in ruleset.checks} == CATALOGUE_CHECKS
    assert {d.id for d in ruleset.diagnoses} == CATALOGUE_DIAGNOSES


def test_every_rule_speaks_both_languages(ruleset: RuleSet) -> None:
    for rule in [*ruleset.checks, *ruleset.diagnoses]:
        for lang in ("en", "zh"):
            text = rule.text[lang]
            assert text.title and text.cause and text.remedy, (rule.id, lang)
    # the Chinese texts really are Chinese, not copies of the English ones
    assert all(rule.text["zh"].title != rule.text["en"].title for rule in ruleset.checks)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_case(case: dict[str, Any], ruleset: RuleSet) -> None:
    _, result = run_case(case, ruleset)
    assert not result.failures, "\n".join(result.failures)


def test_every_check_has_a_firing_case_and_a_noisy_quiet_case() -> None:
    fires = {e["rule"] for c in CASES for e in c.get("expect", []) if e.get("severity", "red") != "info"}
    quiet_noisy = {
        rule
        for c in CASES
        for rule in c.get("quiet", [])
        if any(isinstance(s, dict) and s.get("noise") for s in c["series"].values())
    }
    assert fires >= CATALOGUE_CHECKS, CATALOGUE_CHECKS - fires
    assert CATALOGUE_CHECKS - {"grad-coverage-mismatch", "non-finite-loss"} <= quiet_noisy
    # counts and NaN have no noise: their quiet cases are the realistic near-misses instead
    quiet = {rule for c in CASES for rule in c.get("quiet", [])}
    assert {"grad-coverage-mismatch", "non-finite-loss"} <= quiet


def test_docs_are_generated_from_the_rules(ruleset: RuleSet) -> None:
    committed = (ROOT / "docs/rules.md").read_text(encoding="utf-8")
    assert committed == render(ruleset), (
        "docs/rules.md is stale: python -m lossdoctor.engine.devtools.ruledoc --write docs/rules.md"
    )
