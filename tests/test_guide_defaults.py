"""Every default threshold and window of rules/*.yaml is the guide's number, or a deviation with a reason.

rules/guide/deviations.yaml pins each default to a number the guide (§7 and its other sections) or the
rule catalogue states, quoting the words it comes from; whatever differs is a deviation with its reason.
A new parameter, a changed default or a new tolerance fails here until it is pinned or explained.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lossdoctor.engine.devtools.ruledoc import load_deviations
from lossdoctor.engine.rulefiles.packs import load_default

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GUIDE = SHARED / "seed" / "loss-debugging-guide.zh.md"
CATALOGUE = SHARED / "docs" / "rule-catalogue.md"
VERDICT_BRANCHES = {"flow", "dino", "kl"}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _accounted() -> tuple[dict[str, dict[str, Any]], set[tuple[str, str]]]:
    data = load_deviations()
    deviations = {(d["rule"], d["field"]) for d in data["deviations"]}
    return data["pinned"], deviations


def test_every_default_is_pinned_to_the_guide_or_listed_as_a_deviation() -> None:
    pinned, deviations = _accounted()
    unaccounted = []
    for rule in load_default().checks:
        pins = pinned.get(rule.id, {})
        fields: dict[str, Any] = {name: spec.default for name, spec in rule.params.items()}
        fields["for"] = rule.for_steps.source
        if rule.scope is not None:
            fields["scope"] = rule.scope.source
        if rule.tolerance:
            fields["tolerance"] = rule.tolerance
        for name, value in fields.items():
            if (rule.id, name) in deviations:
                continue
            pin = pins.get(name)
            if pin is None:
                unaccounted.append(f"{rule.id}.{name} = {value!r}: neither pinned nor a deviation")
            elif str(pin["value"]) != str(value) and pin["value"] != value:
                unaccounted.append(f"{rule.id}.{name} = {value!r}, the guide's is {pin['value']!r}")
    assert not unaccounted, "\n".join(unaccounted)


def test_a_diagnosis_that_departs_from_the_symptom_table_is_listed() -> None:
    _, deviations = _accounted()
    for diagnosis in load_default().diagnoses:
        if diagnosis.unless:
            assert (diagnosis.id, "unless") in deviations, diagnosis.id


def test_every_deviation_names_a_real_rule_field_and_reason_and_its_benchmark_exists() -> None:
    ruleset = load_default()
    names = {c.id for c in ruleset.checks} | {d.id for d in ruleset.diagnoses} | VERDICT_BRANCHES
    data = load_deviations()
    for entry in data["deviations"]:
        assert entry["rule"] in names, entry
        assert entry["reason"].strip() and entry["guide"].strip() and entry["pack"].strip(), entry
        check = ruleset.check(entry["rule"])
        if check is not None and entry["field"] not in ("for", "scope", "tolerance", "condition", "metrics"):
            assert entry["field"] in check.params, entry
        if "benchmark" in entry:
            assert (ROOT / entry["benchmark"]).is_file(), entry["benchmark"]
    for rule, pins in data["pinned"].items():
        pinned_rule = ruleset.check(rule)
        assert pinned_rule is not None, rule
        for name in pins:
            assert name in ("for", "scope") or name in pinned_rule.params, (rule, name)


@pytest.mark.skipif(
    not GUIDE.is_file() or not CATALOGUE.is_file(), reason=f"no guide beside this clone: {SHARED}"
)
def test_each_pinned_number_is_quoted_from_the_document_it_cites() -> None:
    texts = {
        "guide": _squash(GUIDE.read_text(encoding="utf-8")),
        "catalogue": _squash(CATALOGUE.read_text(encoding="utf-8")),
    }
    section7 = texts["guide"].split("## 7)", 1)[1].split("## 8)", 1)[0]
    for rule, pins in load_deviations()["pinned"].items():
        for name, pin in pins.items():
            source = pin["source"]
            where = section7 if source == "guide §7" else texts[source.split()[0]]
            assert _squash(pin["quote"]) in where, f"{rule}.{name}: {pin['quote']!r} is not in {source}"
            number = pin["value"]
            if isinstance(number, int | float) and not isinstance(number, bool):
                shown = {f"{number:g}", f"{number:g}".replace("e-0", "e-"), str(number)}
                shown |= {f"{number * 100:g}"}  # 0.1 quoted as "10%"
                shown |= {f"{number:.0e}".replace("e-0", "e-")}  # 0.01 quoted as "1e-2"
                near = _context(where, pin["quote"])
                assert any(s in near for s in shown), (rule, name)


def _context(text: str, quote: str) -> str:
    """The quote and its table row or paragraph: a pinned number may sit beside the words quoted."""
    at = text.index(_squash(quote))
    return text[max(0, at - 300) : at + len(quote) + 300]
