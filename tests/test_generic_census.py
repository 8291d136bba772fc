"""Generic findings on real logs that a look at their numbers refutes are gone; those it confirms stay.

The classification of every generic finding on the real logs is benchmarks/generic_census.md; these
are its false findings (each reproduced with the parameter that silences it set back) and a few of its
true ones, asserted on the JSON a user (or CI) reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

REAL = Path(__file__).resolve().parent / "data" / "real"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "real_logs"
WHISPER = REAL / "hf_whisper_large_v2_flemish"
BYOL = REAL / "lightning_byol_deepmind_research" / "lightning_logs" / "version_13"
MOBILENET = SHARED / "mmcv_text" / "mmcls_mobilenetv2_cifar10.log"
ALEXNET = REAL / "mmpretrain_flower_voc" / "work_dirs" / "alexnet_flower100"
LORA_AT_CHANCE = REAL / "hf_lora_roberta_agnews_outdir" / "runs" / "run0"
STUCK_AT_85 = REAL / "lightning_testtube_tb_contact_point" / "hall_of_fame" / "20200204" / "lightning_logs"
TINY_LOSS = REAL / "tb_lightning_logdir_contact_point" / "lightning_logs" / "version_6"
NOISY_GMM = REAL / "lightning_gmm_density" / "lightning_logs" / "version_0"


def findings(cli: Callable[..., Result], path: Path, rule: str, *extra: str) -> list[dict]:
    doc = json.loads(cli("analyze", path, "--fail-on", "never", "--format", "json", *extra).out)
    return [f for f in doc["findings"] if f["rule"] == rule]


def steps(found: list[dict]) -> list[tuple[int, int]]:
    return [(f["first_step"], f["last_step"]) for f in found]


def test_noise_in_a_falling_whisper_loss_is_not_a_plateau(cli: Callable[..., Result]) -> None:
    """Bin medians 0.013-0.077 around 0.03 between a median of 0.061 before and 0.015 after."""
    assert findings(cli, WHISPER, "loss-plateau") == []
    once = findings(cli, WHISPER, "loss-plateau", "--param", "loss-plateau.long_window=1")
    assert steps(once) == [(9900, 13000)]  # judged on one window, as before
    assert steps(findings(cli, WHISPER, "loss-spike")) == [(10700, 10700)]  # its 8x spike stays


@pytest.mark.skipif(not MOBILENET.is_file(), reason=f"no shared real logs beside this clone: {SHARED}")
def test_the_slowing_tail_of_a_cifar_run_is_not_a_plateau(cli: Callable[..., Result]) -> None:
    """Per-epoch medians 0.525, 0.508, 0.489, 0.484: still falling over the last epochs."""
    assert findings(cli, MOBILENET, "loss-plateau") == []
    assert findings(cli, MOBILENET, "loss-plateau", "--param", "loss-plateau.long_window=1")


def test_a_noisy_train_loss_that_may_still_be_falling_is_not_a_plateau(cli: Callable[..., Result]) -> None:
    """Thirds 0.00111 -> 0.00102 (-2.5 % per window) under +-40 % noise: flatness cannot be told."""
    assert findings(cli, NOISY_GMM, "loss-plateau") == []
    assert steps(findings(cli, NOISY_GMM, "loss-plateau", "--param", "loss-plateau.long_window=1")) == [
        (2349, 6999)
    ]


def test_a_3x_jump_from_a_near_zero_level_is_not_a_spike(cli: Callable[..., Result]) -> None:
    """BYOL 3169 and 3469: 0.0015 -> 0.0056, 0.1 % of a loss that started at 3.69."""
    spikes = findings(cli, BYOL, "loss-spike")
    assert steps(spikes) == [(2189, 2189), (3719, 3719)]  # the 3.4x and 7.2x jumps stay
    assert all(f["evidence"]["loss_initial"] == pytest.approx(3.688, abs=1e-3) for f in spikes)
    unfloored = steps(findings(cli, BYOL, "loss-spike", "--param", "loss-spike.min_jump=0"))
    assert {(3169, 3169), (3469, 3469)} <= set(unfloored)


def test_a_20x_jump_of_a_loss_that_lives_at_3e_6_is_still_a_spike(cli: Callable[..., Result]) -> None:
    pytest.importorskip("google_crc32c", reason="event files need the tensorboard extra (CI installs it)")
    assert steps(findings(cli, TINY_LOSS, "loss-spike")) == [(24, 28)]


@pytest.mark.parametrize("launch", ["1", "2"])
def test_the_runs_that_turned_nan_are_still_red(cli: Callable[..., Result], launch: str) -> None:
    [finding] = findings(cli, ALEXNET, "non-finite-loss", "--launch", launch)
    assert finding["severity"] == "red"
    assert finding["first_step"] == {"1": 1096, "2": 964}[launch]


@pytest.mark.parametrize(
    ("path", "extra", "stretch"),
    [
        (LORA_AT_CHANCE, (), (100, 1200)),  # flat at ln 4, chance for 4 classes
        (ALEXNET, ("--launch", "3"), (100, 1296)),  # flat at ln 100
        (STUCK_AT_85 / "metrics.csv", (), (0, 1022)),  # stuck at 85.03 for 1023 epochs
    ],
    ids=["lora-at-chance", "alexnet-at-chance", "stuck-at-85"],
)
def test_stuck_runs_are_still_plateaus(
    cli: Callable[..., Result], path: Path, extra: tuple[str, ...], stretch: tuple[int, int]
) -> None:
    if path == LORA_AT_CHANCE:
        pytest.importorskip("google_crc32c", reason="event files need the tensorboard extra (CI installs it)")
    assert steps(findings(cli, path, "loss-plateau", *extra)) == [stretch]
