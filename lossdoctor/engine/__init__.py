"""The engine: a RunData and the rules in, a Report out. It never opens a log.

Four rooms, each using only the ones before it: `lang` (the condition language, its functions,
windows in steps) ← `rulefiles` (YAML, schema, packs, overrides, texts) ← `evaluation` (judging
one run) ← `devtools` (rule docs, rule unit tests). This module is the front door: `analyze`.

Importing the package imports nothing heavy: `lossdoctor rules list` loads the rule packs
(`engine.rulefiles.packs`) without numpy's judging code or pandas; `analyze` imports what it judges with.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lossdoctor.engine.rulefiles.packs import RuleSet, load_default
    from lossdoctor.model import NotEvaluated, Report, RunData

__all__ = ["RuleSet", "analyze", "load_default"]


def __getattr__(name: str) -> Any:
    """`RuleSet` and `load_default` from `engine.rulefiles.packs`, imported when first asked for."""
    if name in ("RuleSet", "load_default"):
        from lossdoctor.engine.rulefiles import packs

        return getattr(packs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def analyze(
    run: RunData,
    ruleset: RuleSet,
    *,
    run_params: Mapping[str, Any] | None = None,
    rule_params: Mapping[str, Mapping[str, Any]] | None = None,
    lang: str = "en",
) -> Report:
    """Judge one run: findings, diagnoses, verdicts, coverage, overview."""
    import numpy as np

    with np.errstate(all="ignore"), warnings.catch_warnings():
        # NaN and inf are data here (a diverged loss), not accidents: numpy's warnings would be noise
        warnings.simplefilter("ignore", RuntimeWarning)
        return _analyze(run, ruleset, run_params, rule_params, lang)


def _analyze(
    run: RunData,
    ruleset: RuleSet,
    run_params: Mapping[str, Any] | None,
    rule_params: Mapping[str, Mapping[str, Any]] | None,
    lang: str,
) -> Report:
    from lossdoctor.engine.evaluation.diagnose import coverage, diagnose, guide_run
    from lossdoctor.engine.evaluation.evaluate import evaluate_checks
    from lossdoctor.engine.evaluation.overview import normal_ranges, overview
    from lossdoctor.engine.evaluation.params import resolve
    from lossdoctor.engine.evaluation.verdicts import verdicts
    from lossdoctor.engine.rulefiles.messages import message
    from lossdoctor.model import SEVERITY_ORDER, Report

    params = resolve(run, run_params or {})
    ranges = normal_ranges(ruleset.overview)  # the pack's normal ranges: the overview's and the verdicts'
    outcome = evaluate_checks(run, ruleset.checks, params, rule_params or {}, lang)
    findings = sorted(outcome.findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.first_step, f.rule))
    states = coverage(run, ruleset)
    guide = guide_run(states)
    if not guide:  # no branch, tap or latent in the log: no checklist, no branch verdicts to give
        states = {}
    notes = []
    smoothing = params.get("smoothing")
    if smoothing is not None and isinstance(smoothing.value, int) and smoothing.value > 1:
        notes.append(message("note_smoothing", lang, n=smoothing.value))
    if len(run.segments) > 1:
        notes.append(message("note_segments", lang, count=len(run.segments)))
    not_evaluated = outcome.not_evaluated
    if not guide:
        not_evaluated = _branch_rules_said_once(ruleset, not_evaluated, lang)
        ran = ", ".join(dict.fromkeys(e.rule for e in outcome.evaluated)) or "-"
        notes.append(message("note_not_guide_run", lang, rules=ran))
    return Report(
        run=run,
        params=params,
        findings=findings,
        diagnoses=diagnose(findings, outcome.signals, ruleset, states, lang),
        verdicts=verdicts(run, findings, outcome.signals, params, lang, ranges=ranges) if guide else [],
        not_evaluated=not_evaluated,
        evaluated=outcome.evaluated,
        coverage=states,
        metrics=overview(run, ruleset.overview),
        notes=notes,
        lang=lang,
        pending=outcome.pending,
    )


def _branch_rules_said_once(ruleset: RuleSet, items: list[NotEvaluated], lang: str) -> list[NotEvaluated]:
    """On a run of none of the guide's branches, its branch rules share one reason (said once by reporters).

    Each would otherwise say which branch key it lacks, a dozen lines about a training the run is not.
    """
    from lossdoctor.engine.rulefiles.messages import message

    branch_rules = {c.id for c in ruleset.checks if c.branch != "all"}
    reason = message("ne_not_guide_run", lang)
    return [replace(n, reason=reason) if n.rule in branch_rules else n for n in items]
