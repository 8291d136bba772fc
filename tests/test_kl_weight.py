"""kl-rising without kl_raw judges loss_kl per unit of a logged, changing KL weight (KL annealing)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lossdoctor.engine import analyze, load_default
from lossdoctor.model import Finding, RunData

STEPS = np.arange(50, 4001, 50)


def _kl(rising: bool) -> np.ndarray:
    rng = np.random.default_rng(3)
    level = 0.05 * (1 + STEPS / STEPS[-1]) if rising else np.full(len(STEPS), 0.05)
    return level * (1 + rng.normal(0, 0.03, len(STEPS)))


def _kl_rising(columns: dict[str, np.ndarray], **params: float) -> list[Finding]:
    frame = pd.DataFrame(columns, index=pd.Index(STEPS, name="step"))
    run = RunData(frame=frame, files=["run.json"], format="json")
    report = analyze(run, load_default(), run_params=params)
    return [f for f in report.findings if f.rule == "kl-rising"]


def test_an_annealed_kl_weight_is_not_a_rising_kl() -> None:
    weight = np.minimum(1.0, 0.1 + STEPS / 2000)  # β annealed from 0.1 to 1 over the first half
    assert not _kl_rising({"loss_kl": weight * _kl(rising=False), "kl_weight": weight})


def test_a_rising_kl_under_an_annealed_weight_still_fires_and_says_what_was_judged() -> None:
    weight = np.minimum(1.0, 0.1 + STEPS / 2000)
    [finding] = _kl_rising({"loss_kl": weight * _kl(rising=True), "kl_weight": weight})
    assert finding.evidence["kl_judged"] == "loss_kl / kl_weight (logged, 0.125 → 1)"
    # per unit of weight: KL itself goes 0.05 → 0.1, where loss_kl started near 0.006
    assert 0.045 < finding.evidence["kl_start"] < finding.evidence["kl_end"] < 0.11


def test_without_a_logged_weight_the_evidence_says_a_constant_weight_was_assumed() -> None:
    [finding] = _kl_rising({"loss_kl": 3.0 * _kl(rising=True)}, kl_weight=3.0)
    assert finding.evidence["kl_judged"] == "loss_kl, assuming a constant KL weight (3 from command line)"
    [finding] = _kl_rising({"loss_kl": 3.0 * _kl(rising=True)})
    assert finding.evidence["kl_judged"] == "loss_kl, assuming a constant KL weight"


def test_kl_raw_is_judged_as_it_is() -> None:
    weight = np.minimum(1.0, 0.1 + STEPS / 2000)
    [finding] = _kl_rising({"kl_raw": _kl(rising=True), "loss_kl": weight, "kl_weight": weight})
    assert finding.evidence["kl_judged"] == "kl_raw"


def test_a_kl_annealing_schedule_in_the_training_config_is_applied_and_said() -> None:
    weight = 3.0 * np.minimum(1.0, STEPS / 2000)
    frame = pd.DataFrame({"loss_kl": weight * _kl(rising=False)}, index=pd.Index(STEPS, name="step"))
    run = RunData(frame=frame, files=["run.json"], format="json")
    run.config.update({"model": {"kl_weight": 3.0, "kl_anneal_steps": 2000}})
    assert not [f for f in analyze(run, load_default()).findings if f.rule == "kl-rising"]
    frame["loss_kl"] = weight * _kl(rising=True)
    [finding] = [f for f in analyze(run, load_default()).findings if f.rule == "kl-rising"]
    assert finding.evidence["kl_judged"] == (
        "loss_kl / the KL weight, assuming a linear ramp from 0 to 3 over 2000 steps"
        " (model.kl_anneal_steps in the training config)"
    )
