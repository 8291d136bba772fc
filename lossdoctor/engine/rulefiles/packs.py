"""Rule packs: the bundled default pack (shipped in the wheel) and user files.

The bundled YAML lives in the repo's top-level `rules/`, mapped into the wheel as
the package `lossdoctor.rules`, and is read through importlib.resources so it
works after a plain `pip install`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from lossdoctor.engine.rulefiles.overrides import apply_overrides, disabled
from lossdoctor.engine.rulefiles.schema import SEVERITIES, CheckRule, Problems, Text, parse_checks, parse_text
from lossdoctor.engine.rulefiles.yamlfile import LineDict, load_yaml, read_yaml
from lossdoctor.errors import RuleFileError

FILE_FIELDS = {"pack", "extends", "overrides", "disable", "checks", "diagnoses", "checklist", "overview"}
PACKS = ("default", "none")
OVERVIEW_FIELDS = {"metric", "good", "low", "high"}
DIAGNOSIS_FIELDS = {"id", "severity", "any", "all", "supporting", "unless", "coverage", "guide", "text",
                    "generic_text"}


@dataclass(frozen=True)
class DiagnosisRule:
    """A §6 row: fires when all of `all` and at least one of `any` hold (fired checks or signals)."""

    id: str
    severity: str
    any_of: tuple[str, ...]
    all_of: tuple[str, ...]
    supporting: tuple[str, ...]
    unless: tuple[str, ...]  # checks that explain the symptom better (a tiny LR stalls every branch)
    coverage: bool
    guide: str
    text: dict[str, Text]
    # said instead of `text` on a run that logs none of the guide's branches (a Keras history)
    generic_text: dict[str, Text] = field(default_factory=dict)


@dataclass
class RuleSet:
    """Everything the engine needs from the rule files."""

    checks: list[CheckRule] = field(default_factory=list)
    diagnoses: list[DiagnosisRule] = field(default_factory=list)
    checklist: dict[str, list[str]] = field(default_factory=dict)
    overview: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def check(self, name: str) -> CheckRule | None:
        return next((c for c in self.checks if c.id == name), None)


def bundled_rule_files() -> list[tuple[str, str]]:
    """(name, text) of every bundled rule file, in a stable order."""
    root = resources.files("lossdoctor.rules")
    return sorted(
        (f"rules/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in root.iterdir()
        if entry.name.endswith(".yaml") and entry.name != "messages.yaml"
    )


def load_default() -> RuleSet:
    """The default pack, validated."""
    ruleset = RuleSet()
    for name, text in bundled_rule_files():
        add_file(ruleset, load_yaml(text, name), name)
    return ruleset


def load_rules(files: list[Path]) -> RuleSet:
    """The default pack with the user's rule files on top, in order.

    A file that says `extends: none` is a standalone pack: the default pack is left out.
    """
    docs = [(read_yaml(path), str(path)) for path in files]
    # `extends: none` and the default pack's own files (`pack: default`) stand alone
    standalone = any(
        isinstance(doc, dict) and (doc.get("extends") == "none" or doc.get("pack") == "default")
        for doc, _ in docs
    )
    ruleset = RuleSet() if standalone else load_default()
    for doc, name in docs:
        add_file(ruleset, doc, name)
    return ruleset


def add_file(ruleset: RuleSet, doc: Any, file: str) -> None:
    """Validate one parsed rule file and merge it into `ruleset`."""
    if not isinstance(doc, dict):
        raise RuleFileError(
            "expected a mapping with `pack:` and `checks:` or `diagnoses:`", file=file, line=1
        )
    unknown = sorted(set(doc) - FILE_FIELDS)
    if unknown:
        raise RuleFileError(
            f"unknown top-level field(s) {', '.join(unknown)}; known: {', '.join(sorted(FILE_FIELDS))}",
            file=file,
            line=doc.get("line", 1),
        )
    pack = str(doc.get("pack", Path(file).stem))
    if doc.get("extends", "default") not in PACKS:
        raise RuleFileError(
            f"expected one of {', '.join(PACKS)}", file=file, line=_key_line(doc, "extends"), field="extends"
        )
    if "overrides" in doc:
        ruleset.checks = apply_overrides(ruleset.checks, doc["overrides"], file, pack)
    if "disable" in doc:
        known = {c.id for c in ruleset.checks} | {d.id for d in ruleset.diagnoses}
        gone = disabled(doc["disable"], known, file)
        ruleset.checks = [c for c in ruleset.checks if c.id not in gone]
        ruleset.diagnoses = [d for d in ruleset.diagnoses if d.id not in gone]
    checks = parse_checks(doc.get("checks", []), file, pack)
    taken = {c.id for c in ruleset.checks}
    for check in checks:
        if check.id in taken:
            raise RuleFileError(
                "a rule of this name exists already", file=file, line=check.line, rule=check.id, field="id"
            )
    ruleset.checks.extend(checks)
    ruleset.diagnoses.extend(_parse_diagnoses(doc.get("diagnoses", []), file))
    ruleset.checklist.update(_parse_checklist(doc.get("checklist", {}), file, _key_line(doc, "checklist")))
    # a later file's entry for a metric replaces the earlier one: a team's pack can widen z_init/var's
    # band (which the KL verdict judges by) and the overview shows the range that was judged
    entries = _parse_overview(doc.get("overview", []), file, _key_line(doc, "overview"))
    replaced = {str(entry.get("metric")) for entry in entries}
    ruleset.overview = [e for e in ruleset.overview if str(e.get("metric")) not in replaced] + entries
    ruleset.files.append(file)


def _parse_checklist(raw: Any, file: str, line: int) -> dict[str, list[str]]:
    """`checklist: {group: [metric, …]}`: the §8 keys the coverage section looks for."""
    problems = Problems(file)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(line, "expected a mapping of group: [metric, …]", None, "checklist")
        problems.raise_if_any()
    out: dict[str, list[str]] = {}
    for group, names in raw.items():
        where = f"checklist.{group}"
        if not isinstance(group, str) or not isinstance(names, list) or not all(
            isinstance(n, str) and n for n in names
        ):
            problems.add(_key_line(raw, str(group)), "expected a group name and a list of metric names",
                         None, where)
            continue
        out[group] = list(names)
    problems.raise_if_any()
    return out


def _parse_overview(raw: Any, file: str, line: int) -> list[dict[str, Any]]:
    """`overview: [{metric, good, low, high}, …]`: what the metrics overview shows and its normal range."""
    problems = Problems(file)
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(line, "expected a list of {metric: NAME, good: falling|rising, low: N, high: N}",
                     None, "overview")
        problems.raise_if_any()
    for index, entry in enumerate(raw):
        where = f"overview[{index}]"
        entry_line = entry.line if isinstance(entry, LineDict) else line
        if not isinstance(entry, dict) or not isinstance(entry.get("metric"), str) or not entry["metric"]:
            problems.add(entry_line, "expected {metric: NAME, good: falling|rising, low: N, high: N}",
                         None, where)
            continue
        for key in sorted(set(entry) - OVERVIEW_FIELDS, key=str):
            problems.add(entry_line, f"unknown field; known: {', '.join(sorted(OVERVIEW_FIELDS))}",
                         None, f"{where}.{key}")
        if entry.get("good", "falling") not in ("falling", "rising"):
            problems.add(entry_line, "expected falling or rising", None, f"{where}.good")
        for key in ("low", "high"):
            value = entry.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            ):
                problems.add(entry_line, f"expected a number, got {value!r}"[:200], None, f"{where}.{key}")
        if ("low" in entry) != ("high" in entry):
            problems.add(entry_line, "a normal range needs both low and high", None, f"{where}.low")
    problems.raise_if_any()
    return [dict(entry) for entry in raw]


def _key_line(doc: Any, key: str) -> int:
    return doc.line_of(key) if isinstance(doc, LineDict) else 1


def _parse_diagnoses(raw: Any, file: str) -> list[DiagnosisRule]:
    problems = Problems(file)
    out: list[DiagnosisRule] = []
    if not isinstance(raw, list):
        problems.add(1, "expected `diagnoses:` to be a list")
        problems.raise_if_any()
    for entry in raw:
        line = getattr(entry, "line", 1)
        rid = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(rid, str):
            problems.add(line, "expected a diagnosis with an id")
            continue
        for key in sorted(set(entry) - DIAGNOSIS_FIELDS):
            problems.add(line, f"unknown field; known: {', '.join(sorted(DIAGNOSIS_FIELDS))}", rid, key)
        if entry.get("severity") not in SEVERITIES:
            problems.add(line, f"expected one of {', '.join(SEVERITIES)}", rid, "severity")
        lists = {k: entry.get(k, []) for k in ("any", "all", "supporting", "unless")}
        for key, value in lists.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.add(line, "expected a list of check or signal names", rid, key)
                lists[key] = []
        if not lists["any"] and not lists["all"] and not entry.get("coverage"):
            problems.add(line, "a diagnosis needs `any`, `all` or `coverage: true`", rid, "any")
        if not isinstance(entry.get("coverage", False), bool):
            problems.add(line, "expected true or false", rid, "coverage")
        if not isinstance(entry.get("guide", ""), str):
            problems.add(line, "expected text", rid, "guide")
        text = parse_text(entry.get("text"), problems, line, rid)
        generic = parse_text(entry["generic_text"], problems, line, rid) if "generic_text" in entry else {}
        out.append(
            DiagnosisRule(
                rid,
                str(entry.get("severity")),
                tuple(lists["any"]),
                tuple(lists["all"]),
                tuple(lists["supporting"]),
                tuple(lists["unless"]),
                bool(entry.get("coverage", False)),
                str(entry.get("guide", "")),
                text,
                generic,
            )
        )
    problems.raise_if_any()
    return out
