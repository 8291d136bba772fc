"""The CI gate: which rules run (select/ignore, severity overrides), baselines, the exit code.

Kept apart from the engine: the engine judges a run; the gate decides what a team wants
to fail a build on, and remembers what a known run already showed (like ruff's or
mypy's baselines), so the gate can be adopted on a run that already has warnings.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from lossdoctor.engine.rulefiles.packs import RuleSet
from lossdoctor.errors import FIRED, OK, LossdoctorError, UsageError
from lossdoctor.model import SEVERITY_ORDER, Report

BRANCHES = ("flow", "dino", "kl", "all")
BASELINE_SCHEMA = "lossdoctor.baseline/v1"
Identity = tuple[str, str | None]


class RequirementError(LossdoctorError):
    """A rule the gate requires was not evaluated on the run (exit 2, after the report is written)."""


def choose_rules(ruleset: RuleSet, select: Iterable[str], ignore: Iterable[str], source: str) -> RuleSet:
    """Keep the selected rules (by name or branch), drop the ignored ones; unknown names are errors."""
    select, ignore = list(select), list(ignore)
    known = {c.id for c in ruleset.checks} | {d.id for d in ruleset.diagnoses}
    for name in [*select, *ignore]:
        if name not in known and name not in BRANCHES:
            raise UsageError(
                f"{name!r} is neither a rule nor a branch ({', '.join(BRANCHES)})",
                file=source,
                field="select/ignore",
            )

    def wanted(name: str, branch: str) -> bool:
        # per-tag rules serve every branch, so a selected branch keeps them
        hit = {name, branch} | (set(BRANCHES) if branch == "per-tag" else set())
        chosen = not select or bool(hit & set(select))
        return chosen and name not in ignore and branch not in ignore

    kept = dataclasses.replace(ruleset)
    kept.checks = [c for c in ruleset.checks if wanted(c.id, c.branch)]
    kept.diagnoses = [
        d
        for d in ruleset.diagnoses
        if d.id not in ignore
        and (
            not select
            or d.id in select
            or any(c in {k.id for k in kept.checks} for c in (*d.any_of, *d.all_of))
            or d.coverage
        )
    ]
    return kept


def override_severity(ruleset: RuleSet, levels: Mapping[str, str], source: str) -> RuleSet:
    """Per-rule severity (`severity: {loss-plateau: info}`), for checks and diagnoses."""
    known = {c.id for c in ruleset.checks} | {d.id for d in ruleset.diagnoses}
    for name, level in levels.items():
        if name not in known:
            raise UsageError(f"no rule named {name!r}", file=source, field=f"severity.{name}")
        if level not in SEVERITY_ORDER:
            raise UsageError(
                f"expected red, warn or info, got {level!r}", file=source, field=f"severity.{name}"
            )
    changed = dataclasses.replace(ruleset)
    changed.checks = [dataclasses.replace(c, severity=levels.get(c.id, c.severity)) for c in ruleset.checks]
    changed.diagnoses = [
        dataclasses.replace(d, severity=levels.get(d.id, d.severity)) for d in ruleset.diagnoses
    ]
    return changed


def identities(report: Report) -> set[Identity]:
    """What a baseline remembers: (rule, tag) of every finding and diagnosis that is not info."""
    found: set[Identity] = {(f.rule, f.tag) for f in report.findings if f.severity != "info"}
    return found | {(d.rule, None) for d in report.diagnoses if d.severity != "info"}


def baseline_text(report: Report) -> str:
    """The baseline file for this run; the command line writes it, like every output file."""
    entries = [{"rule": rule, "tag": tag} for rule, tag in sorted(identities(report), key=str)]
    document = {"schema": BASELINE_SCHEMA, "files": report.run.files, "findings": entries}
    return json.dumps(document, indent=2) + "\n"


def read_baseline(path: Path) -> set[Identity]:
    """The identities a baseline file holds; a broken file is an error naming it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError("no such baseline file (write one with --write-baseline)", file=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"not a lossdoctor baseline: {exc}", file=str(path)) from None
    if not isinstance(document, dict) or document.get("schema") != BASELINE_SCHEMA:
        raise UsageError(f'not a lossdoctor baseline: expected "schema": "{BASELINE_SCHEMA}"', file=str(path))
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("rule"), str) for e in entries
    ):
        raise UsageError('expected "findings": [{"rule": …, "tag": …}]', file=str(path), field="findings")
    return {(e["rule"], e.get("tag")) for e in entries}


def required_checks(ruleset: RuleSet, required: Iterable[str], source: str) -> dict[str, tuple[str, ...]]:
    """What each `--require NAME` demands: a rule stands for itself, a branch for each of its checks.

    Names are checked against the rules that run, so a rule required but dropped by
    --select/--ignore is an error before any log is read, not a silent pass.
    """
    demanded: dict[str, tuple[str, ...]] = {}
    checks = {c.id: c.branch for c in ruleset.checks}
    for name in required:
        if name in checks:
            demanded[name] = (name,)
        elif name in BRANCHES and any(branch == name for branch in checks.values()):
            demanded[name] = tuple(rule for rule, branch in checks.items() if branch == name)
        else:
            raise UsageError(
                f"{name!r} is not a check or branch of the rules that run "
                "(a diagnosis cannot be required; see --select/--ignore)",
                file=source,
                field="require",
            )
    return demanded


def unmet_requirements(report: Report, demanded: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Each required check that did not run on this report, with the reason the engine gave.

    A per-tag rule counts as run when it ran for at least one tag.
    """
    ran = {e.rule for e in report.evaluated}
    why: dict[str, str] = {}
    for item in report.not_evaluated:
        why.setdefault(item.rule, item.reason)
    unmet: list[str] = []
    for name, rules in demanded.items():
        for rule in rules:
            if rule not in ran:
                via = "" if rule == name else f" (branch {name})"
                unmet.append(f"{rule}{via} was not evaluated: {why.get(rule, 'it did not run')}")
    return unmet


def check_required(report: Report, demanded: Mapping[str, tuple[str, ...]]) -> None:
    """Raise the gate's exit 2 when a required check did not run: a gate that checked nothing is not green."""
    unmet = unmet_requirements(report, demanded)
    if unmet:
        raise RequirementError("required " + "; ".join(unmet), file=", ".join(report.run.files) or None)


def exit_code(report: Report, fail_on: str) -> int:
    """1 when a finding or diagnosis at or above `fail_on`, not in the baseline, fired (info never counts)."""
    live = [f.severity for f in report.findings if (f.rule, f.tag) not in report.baselined]
    live += [d.severity for d in report.diagnoses if (d.rule, None) not in report.baselined]
    return gate(live, fail_on)


def gate(levels: Iterable[str], fail_on: str) -> int:
    """1 when one of `levels` (what fired, not baselined) is at or above `fail_on`; info never counts.

    The one gate for a report judged now and for a saved report document (runs.saved).
    """
    if fail_on == "never":
        return OK
    bar = SEVERITY_ORDER[fail_on]
    return FIRED if any(level != "info" and SEVERITY_ORDER[level] >= bar for level in levels) else OK
