"""Diagnoses (§6) from the fired checks, and the §8 coverage checklist.

A diagnosis rests on findings, never on raw data: it reads the set of fired
checks and the signals they exported (e.g. `z-var-high`), so the report's lead
lines always agree with the checks printed under them.
"""

from __future__ import annotations

from lossdoctor.engine.rulefiles.messages import message
from lossdoctor.engine.rulefiles.packs import DiagnosisRule, RuleSet
from lossdoctor.model import Diagnosis, Finding, RunData, as_severity

PRESENT, SHADOW_ONLY, MISSING = "present", "shadow only", "missing"


def coverage(run: RunData, ruleset: RuleSet) -> dict[str, str]:
    """Each §8 checklist metric: present / shadow only / missing (a shadow alone does not count)."""
    states: dict[str, str] = {}
    for names in ruleset.checklist.values():
        for name in names:
            if name in run.frame.columns and run.frame[name].notna().any():
                states[name] = PRESENT
            elif name in run.shadow_only:
                states[name] = SHADOW_ONLY
            else:
                states[name] = MISSING
    return states


def diagnose(
    findings: list[Finding], signals: set[str], ruleset: RuleSet, states: dict[str, str], lang: str
) -> list[Diagnosis]:
    """Every diagnosis whose checks (or coverage gaps) hold."""
    fired = {f.rule for f in findings if f.severity != "info"}
    known = fired | signals
    guide = guide_run(states)
    out: list[Diagnosis] = []
    for rule in ruleset.diagnoses:
        if rule.coverage:
            gap = _coverage_diagnosis(rule, ruleset, states, lang)
            if gap:
                out.append(gap)
            continue
        if not all(name in known for name in rule.all_of):
            continue
        if rule.any_of and not any(name in known for name in rule.any_of):
            continue
        if any(name in fired for name in rule.unless):
            continue
        checks = [c for c in (*rule.all_of, *rule.any_of, *rule.supporting) if c in fired]
        texts = rule.text if guide or not rule.generic_text else rule.generic_text
        text = texts.get(lang) or texts["en"]
        out.append(
            Diagnosis(
                rule.id,
                as_severity(rule.severity),
                tuple(dict.fromkeys(checks)),
                text.title,
                text.cause,
                text.remedy,
            )
        )
    return out


def guide_run(states: dict[str, str]) -> bool:
    """Whether the run logs any of the guide's checklist metrics (a branch loss, a tap, the latent).

    A Keras history logs none: its report speaks of no flow branch, no taps and no checklist.
    """
    return any(state != MISSING for state in states.values())


def _coverage_diagnosis(
    rule: DiagnosisRule, ruleset: RuleSet, states: dict[str, str], lang: str
) -> Diagnosis | None:
    """`missing-debug-keys`: warn, or info when the log is not of the guide's kind at all."""
    missing = [n for n, s in states.items() if s == MISSING]
    shadow = [n for n, s in states.items() if s == SHADOW_ONLY]
    if not missing and not shadow:
        return None
    losses = ruleset.checklist.get("losses", [])
    severity = "info" if losses and all(states.get(n) != PRESENT for n in losses) else rule.severity
    text = rule.text.get(lang) or rule.text["en"]
    detail = []
    if missing:
        detail.append(message("missing_keys", lang, missing=", ".join(missing)))
    if shadow:
        detail.append(message("shadow_keys", lang, shadow=", ".join(shadow)))
    cause = text.cause + " " + " ".join(detail)
    return Diagnosis(rule.id, as_severity(severity), (), text.title, cause, text.remedy)
