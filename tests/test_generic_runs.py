"""Runs not of the guide's kind (issue 14): said once, judged by the generic checks alone, on real noise.

The real run is a Lightning CSVLogger of BYOL (deepmind-research, Apache-2.0, tests/data/real): a
near-zero, heavy-tailed loss that a plain 3x-the-median test cut into 33 spike findings, each
citing `loss_flow_max=NaN` and the flow branch's remedy, under twelve "not evaluated" lines of
branch rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from helpers.cli import Result

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real"
BYOL = REAL / "lightning_byol_deepmind_research" / "lightning_logs" / "version_13" / "metrics.csv"
HEALTHY = ROOT / "sample_logs" / "healthy"
SAID_ONCE = "the run logs none of the guide's branch keys"


def test_a_generic_run_says_once_that_the_branch_rules_do_not_apply(cli: Callable[..., Result]) -> None:
    text = cli("analyze", BYOL, "--fail-on", "never", "--width", "200").out
    assert text.count(SAID_ONCE) == 1
    assert "not a run of the guide's kind" in text and "only the generic checks ran" in text
    markdown = cli("analyze", BYOL, "--fail-on", "never", "--format", "markdown").out
    assert markdown.count(SAID_ONCE) == 1
    doc = json.loads(cli("analyze", BYOL, "--fail-on", "never", "--format", "json").out)
    branch = [n for n in doc["not_evaluated"] if n["reason"] == SAID_ONCE]
    assert {n["rule"] for n in branch} >= {"flow-stalled", "kl-rising", "dino-not-improving"}
    assert not doc["verdicts"] and not doc["diagnoses"]  # no branch verdicts, no missing-debug-keys


def test_generic_spikes_on_real_noise_are_few_and_speak_of_no_branch(cli: Callable[..., Result]) -> None:
    doc = json.loads(cli("analyze", BYOL, "--fail-on", "never", "--format", "json").out)
    spikes = [f for f in doc["findings"] if f["rule"] == "loss-spike"]
    assert 1 <= len(spikes) <= 5  # 33 with a bare ratio; the 28x jump at step 2189 stays
    assert any(f["first_step"] == 2189 for f in spikes)
    for finding in spikes:
        assert "loss_flow_max" not in finding["evidence"]  # the run logs no loss_flow
        assert "flow" not in finding["remedy"].lower()


def test_a_guide_run_keeps_its_branch_reasons_and_no_generic_note(cli: Callable[..., Result]) -> None:
    missing = ROOT / "sample_logs" / "missing_debug_keys"
    text = cli("analyze", missing, "--fail-on", "never", "--width", "200").out
    assert SAID_ONCE not in text and "not a run of the guide's kind" not in text
    assert "needs dbg/grad_flow" in text
    assert "not a run of the guide's kind" not in cli("analyze", HEALTHY, "--fail-on", "never").out


def epoch_log(path: Path, fall_per_epoch: float) -> Path:
    """4 epochs of 2000 steps, logged every 50: each epoch drops in its first tenth, then holds flat."""
    import random

    rng = random.Random(3)
    rows, level = ["step,epoch,loss"], 2.0
    for epoch in range(1, 5):
        for i in range(50, 2001, 50):
            value = level * (1.06 if i <= 200 else 1.0) * (1 + rng.gauss(0, 0.01))
            rows.append(f"{(epoch - 1) * 2000 + i},{epoch},{value:.5f}")
        level *= 1 - fall_per_epoch
    path.write_text("\n".join(rows) + "\n")
    return path


def plateaus(cli: Callable[..., Result], path: Path, *extra: str) -> list[tuple[int, int]]:
    doc = json.loads(cli("analyze", path, "--fail-on", "never", "--format", "json", *extra).out)
    return [(f["first_step"], f["last_step"]) for f in doc["findings"] if f["rule"] == "loss-plateau"]


def test_a_plateau_is_judged_over_whole_epochs_where_the_log_has_them(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """Flat inside each epoch, 6 % lower every epoch: no plateau. A 1200-step window (20 % of the run)
    saw only the inside of an epoch and called the whole run one plateau."""
    falling = epoch_log(tmp_path / "falling.csv", fall_per_epoch=0.06)
    assert plateaus(cli, falling) == []
    old_window = ("--param", "loss-plateau.epochs=0", "--param", "loss-plateau.long_window=1")
    assert plateaus(cli, falling, *old_window) == [(200, 8000)]
    stuck = epoch_log(tmp_path / "stuck.csv", fall_per_epoch=0.0)
    assert plateaus(cli, stuck)  # the same shape with no fall across epochs is a plateau
