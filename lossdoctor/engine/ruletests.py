"""Rule unit tests as data: synthetic series in, expected findings out (like `promtool test rules`).

A case names its series (see series.py), the run parameters, and either the
findings it expects (rule, tag, first and last step — exact, or a [low, high]
range for trend rules whose edges depend on the estimator) or the rules that
must stay quiet. A failure reads as "expected … got …".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossdoctor.engine import analyze
from lossdoctor.engine.packs import RuleSet
from lossdoctor.engine.series import frame_from
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
    from lossdoctor.engine.series import expand

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
