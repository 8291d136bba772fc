"""Branch verdicts print only what they judged, and never contradict a red finding of their branch."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from lossdoctor.engine import analyze, load_default
from lossdoctor.engine.evaluation.overview import normal_ranges
from lossdoctor.engine.evaluation.params import resolve
from lossdoctor.engine.evaluation.verdicts import Check, fmt, judged
from lossdoctor.model import Report, RunData
from lossdoctor.readers import read_paths

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
SCENARIOS = sorted(p.name for p in SAMPLES.iterdir() if (p / "expect.yaml").exists())
# a number standing on its own: not the digits inside a name such as dbg/update_ratio/flow2
NUMBER = re.compile(r"(?<![\w/.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|(?<![\w/.])nan\b")


@cache
def run_of(name: str, source: str = "scalars") -> RunData:
    folder = SAMPLES / name
    return read_paths([folder] if source == "scalars" else sorted(folder.glob("*/*.log")))


@cache
def report_of(name: str, lang: str, source: str = "scalars") -> Report:
    return analyze(run_of(name, source), load_default(), lang=lang)


@cache
def ranges() -> dict[str, tuple[float, float]]:
    return normal_ranges(load_default().overview)


def printed_numbers(text: str) -> list[str]:
    return NUMBER.findall(text)


@pytest.mark.parametrize(("lang", "source"), [("en", "scalars"), ("zh", "scalars"), ("en", "text log")])
@pytest.mark.parametrize("name", SCENARIOS)
def test_every_number_a_verdict_prints_is_one_it_judged(name: str, lang: str, source: str) -> None:
    report = report_of(name, lang, source)
    run = run_of(name, source)
    for verdict, checks in judged(run, report.findings, set(), report.params, lang, ranges=ranges()):
        if not checks:  # decided by a fired rule or a missing metric: it prints no number
            assert not printed_numbers(verdict.evidence), verdict.evidence
            continue
        judged_numbers = {fmt(v) for check in checks for v in check.values.values()}
        for number in printed_numbers(verdict.evidence):
            assert number in judged_numbers, f"{verdict.branch}: {number} printed but not judged"
        for check in checks:  # and every judged number is shown with its condition
            for value in check.values.values():
                assert fmt(value) in printed_numbers(verdict.evidence), (verdict.branch, check.key)
        learning = all(c.holds is not False for c in checks)
        assert (verdict.verdict == "learning") == learning, verdict


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_verdict_never_says_learning_beside_a_red_or_warn_finding_of_its_branch(name: str) -> None:
    report = report_of(name, "en")
    for verdict in report.verdicts:
        mine = [f for f in report.findings if f.branch == verdict.branch and f.severity in ("red", "warn")]
        if mine:
            assert verdict.verdict != "learning", (verdict, [f.rule for f in mine])
            assert any(f.rule in verdict.evidence for f in mine), verdict.evidence


def test_coverage_mismatch_is_not_reported_as_coverage_equal_to_ga() -> None:
    """The issue's report: 'has_grad/trainable 1.00 ≈ ga 2 · learning' beside four red findings."""
    report = report_of("grad_coverage_mismatch", "en")
    flow = next(v for v in report.verdicts if v.branch == "flow")
    assert flow.verdict != "learning"
    assert "≈ GA" not in flow.evidence and "≈ ga" not in flow.evidence
    assert "grad-coverage-mismatch (flow)" in flow.evidence


def _flow_checks(run: RunData, **given: object) -> tuple[str, str, dict[str, Check]]:
    params = resolve(run, given)
    verdict, checks = judged(run, [], set(), params, "en", ranges=ranges())[0]
    return verdict.verdict, verdict.evidence, {c.key: c for c in checks}


def test_flow_coverage_is_judged_against_ga_with_the_guides_ten_percent() -> None:
    run = run_of("grad_coverage_mismatch")
    frame = run.frame[["dbg/flow_has_grad", "dbg/flow_trainable"]].dropna()
    ratio = float(np.median(frame["dbg/flow_has_grad"] / frame["dbg/flow_trainable"]))
    verdict, evidence, checks = _flow_checks(run)  # its config says GA 2; the taps say 1
    assert checks["coverage"].holds is False and checks["coverage"].values["ratio"] == ratio == 1.0
    assert verdict == "unknown" and "is off GA 2 by more than ±10 %" in evidence
    verdict, evidence, checks = _flow_checks(run, ga=1)  # the same run told GA is 1 is learning
    assert checks["coverage"].holds is True and verdict == "learning"
    assert checks["coverage"].values["ga"] == 1.0


def test_flow_coverage_not_checkable_is_said_not_claimed() -> None:
    run = run_of("healthy")
    frame = run.frame.drop(columns=["dbg/flow_has_grad", "dbg/flow_trainable"])
    bare = RunData(frame=frame, files=run.files, format=run.format)
    verdict, evidence, checks = _flow_checks(bare, ga=2)
    assert checks["coverage"].holds is None and verdict == "learning"
    assert "≈ GA not checked: dbg/flow_has_grad, dbg/flow_trainable not in the log" in evidence


def test_dino_learning_needs_its_gradient_to_grow_through_the_warmup() -> None:
    run = run_of("healthy")
    frame = run.frame.copy()
    column = frame["dbg/grad_dino_t_head"]
    warmup = column.dropna().loc[:1000]
    frame.loc[warmup.index, "dbg/grad_dino_t_head"] = warmup.to_numpy()[::-1]  # shrinks through the warmup
    shrinking = RunData(frame=frame, files=run.files, format=run.format)
    params = resolve(shrinking, {"warmup_steps": 1000})
    dino, checks = judged(shrinking, [], set(), params, "en", ranges=ranges())[1]
    assert dino.branch == "dino" and dino.verdict == "unknown"
    assert "did not grow through the warmup" in dino.evidence
    growth = next(c for c in checks if c.key == "growth")
    assert growth.values["last"] < growth.values["first"]


def test_the_kl_verdict_holds_z_var_to_the_pack_normal_range() -> None:
    """The band is the pack's `overview:` range for z_init/var (0.8–1.2), the one the overview prints."""
    assert ranges()["z_init/var"] == (0.8, 1.2)
    run = run_of("healthy")
    kl, checks = judged(run, [], set(), resolve(run, {}), "en", ranges=ranges())[2]
    zvar = next(c for c in checks if c.key == "zvar")
    assert kl.verdict == "learning" and (zvar.values["low"], zvar.values["high"]) == (0.8, 1.2)
    narrow = {"z_init/var": (zvar.values["var"] + 1.0, zvar.values["var"] + 2.0)}
    kl, checks = judged(run, [], set(), resolve(run, {}), "en", ranges=narrow)[2]
    assert kl.verdict == "unknown" and next(c for c in checks if c.key == "zvar").holds is False
    # a standalone pack with no range for it: the condition is said to be unchecked, not dropped
    kl, checks = judged(run, [], set(), resolve(run, {}), "en", ranges={})[2]
    assert next(c for c in checks if c.key == "zvar").holds is None
    assert "z_init/var within its normal range not checked" in kl.evidence


def test_a_team_pack_range_for_z_var_is_the_one_judged_and_shown(tmp_path: Path) -> None:
    """A later pack's overview entry for a metric replaces the default's, in the verdict and the overview."""
    from lossdoctor.engine.rulefiles.packs import load_rules

    team = tmp_path / "team.yaml"
    team.write_text("pack: team\noverview: [{metric: z_init/var, low: 0.1, high: 9.0}]\n")
    ruleset = load_rules([team])
    assert [e for e in ruleset.overview if e["metric"] == "z_init/var"] == [
        {"metric": "z_init/var", "low": 0.1, "high": 9.0}
    ]
    run = run_of("healthy")
    _, checks = judged(run, [], set(), resolve(run, {}), "en", ranges=normal_ranges(ruleset.overview))[2]
    zvar = next(c for c in checks if c.key == "zvar")
    assert (zvar.values["low"], zvar.values["high"]) == (0.1, 9.0) and zvar.holds
