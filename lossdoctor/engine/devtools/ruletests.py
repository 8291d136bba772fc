"""Rule unit tests as data: synthetic series in, expected findings out (like `promtool test rules`).

A case names its series (see series.py), the run parameters, and either the
findings it expects (rule, tag, first and last step — exact, or a [low, high]
range for trend rules whose edges depend on the estimator) or the rules that
must stay quiet. A failure reads as "expected … got …".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lossdoctor.engine import analyze
from lossdoctor.engine.devtools.series import SeriesError, expand, frame_from
from lossdoctor.engine.rulefiles.packs import RuleSet
from lossdoctor.engine.rulefiles.schema import Problems
from lossdoctor.engine.rulefiles.yamlfile import LineDict, read_yaml
from lossdoctor.model import Finding, Report, RunData

CASE_FIELDS = {
    "name",
    "start",
    "interval",
    "params",
    "rule_params",
    "series",
    "expect",
    "quiet",
    "precision",
    "not_evaluated",
}


@dataclass(frozen=True)
class CaseResult:
    name: str
    failures: list[str]


def run_of(case: Mapping[str, Any]) -> RunData:
    """A RunData as a reader would give it; a literal NaN in a series is a logged NaN."""
    interval = int(case.get("interval", 10))
    frame = frame_from(case["series"], start=int(case.get("start", interval)), interval=interval)
    nan_steps = {}
    for name in frame.columns:
        logged = np.arange(len(frame)) < _declared_length(case["series"][name], len(frame))
        at = frame.index.to_numpy()[np.isnan(frame[name].to_numpy()) & logged]
        if len(at):
            nan_steps[name] = at
    return RunData(
        frame=frame,
        files=[f"<case {case.get('name', '?')}>"],
        format="series",
        nan_steps=nan_steps,
        precision=dict(case.get("precision", {})),
    )


def _declared_length(spec: Any, default: int) -> int:
    try:
        return len(expand(spec))
    except Exception:
        return default


def run_case(case: Mapping[str, Any], ruleset: RuleSet) -> tuple[Report, CaseResult]:
    """Evaluate one case and compare with what it expects."""
    run = run_of(case)
    report = analyze(
        run, ruleset, run_params=dict(case.get("params", {})), rule_params=dict(case.get("rule_params", {}))
    )
    failures: list[str] = []
    for expected in case.get("expect", []) or []:
        failures.extend(_match(expected, report.findings))
    for rule in case.get("quiet", []) or []:
        fired = [f for f in report.findings if f.rule == rule and f.severity != "info"]
        if fired:
            failures.append(f"expected {rule} to stay quiet; got {_show(fired)}")
        if not any(e.rule == rule for e in report.evaluated):
            reasons = [n.reason for n in report.not_evaluated if n.rule == rule]
            failures.append(f"expected {rule} to be evaluated and quiet; it was not evaluated: {reasons}")
    for rule in case.get("not_evaluated", []) or []:
        if not any(n.rule == rule for n in report.not_evaluated):
            failures.append(f"expected {rule} to be reported as not evaluated; it was not")
    return report, CaseResult(str(case.get("name", "?")), failures)


def _match(expected: Mapping[str, Any], findings: list[Finding]) -> list[str]:
    rule, tag = expected["rule"], expected.get("tag")
    candidates = [f for f in findings if f.rule == rule and (tag is None or f.tag == tag)]
    severity = expected.get("severity")
    for finding in candidates:
        if severity and finding.severity != severity:
            continue
        if _within(finding.first_step, expected.get("first_step")) and _within(
            finding.last_step, expected.get("last_step")
        ):
            return []
    want = ", ".join(f"{k}={v}" for k, v in expected.items())
    return [f"expected: {want}\n  got: {_show(candidates) or 'no such finding'}"]


def _within(value: int, want: Any) -> bool:
    if want is None:
        return True
    if isinstance(want, list):
        return bool(want[0] <= value <= want[1])
    return value == int(want)


def _show(findings: list[Finding]) -> str:
    return "; ".join(
        f"{f.rule}{'/' + f.tag if f.tag else ''} {f.severity} steps {f.first_step}–{f.last_step}"
        for f in findings
    )


FILE_FIELDS = {"rule_files", "cases"}
EXPECT_FIELDS = {"rule", "tag", "first_step", "last_step", "severity"}


@dataclass(frozen=True)
class RuleTestFile:
    """A parsed, validated rule-test file: the rules it tests and its cases."""

    path: Path
    rule_files: list[Path]
    cases: list[dict[str, Any]]


def load_test_file(path: Path) -> RuleTestFile:
    """Read and validate a test file; every problem raises RuleFileError with file and line."""
    doc = read_yaml(path)
    problems = Problems(str(path))
    if not isinstance(doc, Mapping) or not isinstance(doc.get("cases"), list):
        problems.add(1, "expected a mapping with `cases:` (a list) and optionally `rule_files:`")
        problems.raise_if_any()
    for key in sorted(set(doc) - FILE_FIELDS):
        problems.add(_line(doc, key), f"unknown field; known: {', '.join(sorted(FILE_FIELDS))}", None, key)
    rule_files = doc.get("rule_files", []) or []
    if not isinstance(rule_files, list) or not all(isinstance(f, str) for f in rule_files):
        problems.add(_line(doc, "rule_files"), "expected a list of rule-file paths", None, "rule_files")
        rule_files = []
    for case in doc["cases"]:
        _check_case(case, problems)
    problems.raise_if_any()
    return RuleTestFile(path, [path.parent / f for f in rule_files], list(doc["cases"]))


def _check_case(case: Any, problems: Problems) -> None:
    line = case.line if isinstance(case, LineDict) else 1
    if not isinstance(case, Mapping):
        problems.add(line, "expected a case (a mapping with name and series)")
        return
    name = str(case.get("name", "?"))
    for key in sorted(set(case) - CASE_FIELDS):
        problems.add(_line(case, key), f"unknown field; known: {', '.join(sorted(CASE_FIELDS))}", name, key)
    series = case.get("series")
    if not isinstance(series, Mapping) or not series:
        problems.add(_line(case, "series"), "expected metric: series", name, "series")
    else:
        for metric, spec in series.items():
            try:
                expand(spec)
            except (SeriesError, TypeError, ValueError) as exc:
                problems.add(_line(series, metric), str(exc), name, f"series.{metric}")
    for expected in case.get("expect", []) or []:
        if not isinstance(expected, Mapping) or "rule" not in expected or set(expected) - EXPECT_FIELDS:
            problems.add(
                _line(case, "expect"),
                "expected {rule, tag?, first_step?, last_step?, severity?}",
                name,
                "expect",
            )
    for key in ("quiet", "not_evaluated"):
        value = case.get(key, []) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.add(_line(case, key), "expected a list of rule names", name, key)


def _line(node: Any, key: str) -> int:
    return node.line_of(key) if isinstance(node, LineDict) else 1


def unknown_rules(test: RuleTestFile, ruleset: RuleSet) -> list[str]:
    """Rule names a test file mentions that no loaded pack defines (a typo would pass silently)."""
    known = {c.id for c in ruleset.checks}
    named = set()
    for case in test.cases:
        named |= {e["rule"] for e in case.get("expect", []) or []}
        named |= set(case.get("quiet", []) or []) | set(case.get("not_evaluated", []) or [])
    return sorted(named - known)
