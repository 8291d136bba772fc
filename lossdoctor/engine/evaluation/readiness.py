"""Which rules can run on a run, and what each one that cannot still needs (`lossdoctor metrics`).

It asks the same questions judging asks (the metrics each rule resolves to, its required run
parameters, its tags) through the same functions, so "can run" here means the rule is judged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lossdoctor.engine.evaluation.evaluate import PARAM_FLAGS, resolve_metrics, tags_for
from lossdoctor.engine.evaluation.params import resolve
from lossdoctor.engine.rulefiles.packs import load_default

if TYPE_CHECKING:
    from lossdoctor.engine.rulefiles.schema import CheckRule
    from lossdoctor.model import Param, RunData


def rule_status(run: RunData) -> list[dict[str, Any]]:
    """For each default rule: "can run" (with its tags), or the metrics and parameters it needs."""
    params = resolve(run, {})
    return [_status(run, rule, params) for rule in load_default().checks]


def _status(run: RunData, rule: CheckRule, params: dict[str, Param]) -> dict[str, Any]:
    columns = [str(c) for c in run.frame.columns]
    needs = [f"parameter {name} ({PARAM_FLAGS.get(name, f'--param {name}=N')})"
             for name in rule.requires if name not in params]
    tags: list[str] = []
    if rule.per_tag:
        found = tags_for(rule, columns)
        tags = [t for t in found if not _missing(run, rule, t)]
        if not tags:
            first = next(iter(rule.metrics.values()))[0]
            needs.insert(0, _missing(run, rule, found[0])[0] if found else first)
    else:
        needs[:0] = _missing(run, rule, None)
    out: dict[str, Any] = {"rule": rule.id, "status": "needs" if needs else "can run", "needs": needs}
    if rule.per_tag:
        out["tags"] = tags
    return out


def _missing(run: RunData, rule: CheckRule, tag: str | None) -> list[str]:
    """The required metrics of a rule (for one tag) that the log does not hold a value for."""
    missing = []
    for found in resolve_metrics(run, rule, tag):
        if found.local in rule.optional or found.present is not None:
            continue
        if found.shadowed:
            shadow = run.shadows.get(found.shadowed)
            missing.append(f"{found.shadowed} (only its zero-weight shadow {shadow} is logged)")
        else:
            missing.append(" or ".join(found.names))
    return missing
