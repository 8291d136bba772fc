"""Real per-epoch histories (tests/data/real, SOURCES.md): they load on the epoch axis and are judged.

The healthy runs must stay quiet on the checks for the metrics every run logs; every rule is either
judged on some point or not evaluated with a reason; a one-epoch Keras logdir is too short to judge.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lossdoctor.engine import analyze, load_default
from lossdoctor.errors import InputError
from lossdoctor.model import Report
from lossdoctor.readers import read_paths
from lossdoctor.reporters.terminal import render

REAL = Path(__file__).resolve().parent / "data" / "real"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "real_logs"
KERAS_TB = REAL / "tb_keras_deepcnn" / "tensorboard_log_dir"
NEW_CHECKS = ("val-loss-diverging", "accuracy-not-improving", "loss-magnitude-absurd")
# healthy per-epoch histories: (path, epochs read, metrics the new checks can judge on it)
HEALTHY = [
    (REAL / "keras_csvlogger_brats_segmentation" / "training.log", 24, NEW_CHECKS),
    (REAL / "keras_csvlogger_braincnn" / "training.log", 25, NEW_CHECKS[1:]),  # no validation in it
    (REAL / "keras_csvlogger_mnist_crcrlf" / "training_log.csv", 10, NEW_CHECKS),
    (REAL / "keras_history_json_traffic_signs" / "history.json", 80, NEW_CHECKS),
]


def judged(path: Path) -> Report:
    return analyze(read_paths([path]), load_default())


@pytest.mark.parametrize(("path", "epochs", "checks"), HEALTHY, ids=[p.parent.name for p, _, _ in HEALTHY])
def test_healthy_histories_stay_quiet(path: Path, epochs: int, checks: tuple[str, ...]) -> None:
    report = judged(path)
    assert report.run.step_unit == "epoch" and len(report.run.frame) == epochs
    assert "every epoch" in render(report, width=120)
    evaluated = {e.rule for e in report.evaluated}
    assert set(checks) <= evaluated, set(checks) - evaluated
    assert not [f.rule for f in report.findings if f.severity != "info"]
    assert not report.verdicts and not report.coverage  # no flow branch, no taps in a Keras history


@pytest.mark.parametrize("path", [p for p, _, _ in HEALTHY]
                         + [REAL / "lightning_gmm_density" / "lightning_logs" / "version_0" / "metrics.csv"],
                         ids=lambda p: p.parent.name)
def test_on_real_histories_evaluated_means_some_point_was_judged(path: Path) -> None:
    report = judged(path)
    assert all(e.judged > 0 for e in report.evaluated), [e.rule for e in report.evaluated if not e.judged]
    assert all(n.reason for n in report.not_evaluated)


def test_keras_csvlogger_with_cr_cr_lf_and_a_restart_reads_its_last_launch() -> None:
    run = read_paths([REAL / "keras_csvlogger_mnist_crcrlf" / "training_log.csv"])
    assert list(run.frame.index) == list(range(10))
    assert {"accuracy", "loss", "val_accuracy", "val_loss"} <= set(run.frame.columns)


def test_lightning_metrics_keeps_its_step_axis_and_judges_the_validation_curve() -> None:
    report = judged(REAL / "lightning_gmm_density" / "lightning_logs" / "version_0" / "metrics.csv")
    assert report.run.step_unit == "step"
    assert {"val-loss-diverging", "accuracy-not-improving"} <= {e.rule for e in report.evaluated}
    assert not {f.rule for f in report.findings} & set(NEW_CHECKS)


def test_a_one_epoch_keras_tensorboard_logdir_is_read_and_too_short_to_judge() -> None:
    pytest.importorskip("google_crc32c", reason="event files need the tensorboard extra (CI installs it)")
    report = judged(KERAS_TB / "tb_logs_at_2022-09-25-10-39-45")
    frame = report.run.frame
    assert report.run.step_unit == "epoch" and list(frame.index) == [0]
    assert sorted(frame.columns) == ["accuracy", "loss", "val_accuracy", "val_loss"]  # evaluation_* left out
    reasons = {n.rule: n.reason for n in report.not_evaluated}
    for rule in ("loss-plateau", "loss-spike", *NEW_CHECKS):
        assert rule in reasons and rule not in {e.rule for e in report.evaluated}


def test_a_keras_logdir_with_no_scalar_names_each_event_file() -> None:
    with pytest.raises(InputError) as err:
        read_paths([KERAS_TB / "tb_logs_at_2022-09-27-06-02-14"])
    assert "no epoch_* scalars" in err.value.message
    assert "train/events.out.tfevents" in err.value.message and "validation/" in err.value.message


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no shared real logs beside this clone: {SHARED}")
def test_a_real_all_nan_gan_speaks_of_no_flow_branch_and_no_taps() -> None:
    report = judged(SHARED / "lightning_csv" / "genrisk_gan_all_nan_metrics.csv")
    assert "non-finite-loss" in {f.rule for f in report.findings}
    assert [d.rule for d in report.diagnoses] == ["lr-too-high-or-unstable"]
    text = render(report, width=120)
    spoken = text[: text.find("Not evaluated")]
    for word in (r"\bflow\b", r"\btaps?\b", "LayerNorm", "dbg/"):
        assert not re.search(word, spoken, re.IGNORECASE), word


TESTTUBE = REAL / "lightning_testtube_tb_contact_point" / "hall_of_fame"


@pytest.mark.parametrize(("run", "stuck"), [("20200204", True), ("20200205", True), ("20200218", False)])
def test_lightning_epoch_rows_with_no_step_are_judged_for_a_plateau(run: str, stuck: bool) -> None:
    report = judged(TESTTUBE / run / "lightning_logs" / "metrics.csv")
    assert report.run.step_unit == "epoch"
    plateau = [f for f in report.findings if f.rule == "loss-plateau"]
    assert bool(plateau) == stuck
    if stuck:  # the loss never moved: the whole run is one plateau
        assert (plateau[0].first_step, plateau[0].last_step) == (0, report.run.frame.index[-1])


def test_a_folder_of_keras_logdirs_is_a_sweep_of_runs() -> None:
    from lossdoctor.readers import split_runs

    runs = split_runs([KERAS_TB])
    names = sorted(run[0].name for run in runs)
    assert names == ["tb_logs_at_2022-09-25-10-39-45", "tb_logs_at_2022-09-25-12-32-50",
                     "tb_logs_at_2022-09-25-21-02-25", "tb_logs_at_2022-09-27-06-02-14"]
    assert all(len(run) == 1 and run[0].is_dir() for run in runs)  # each logdir whole: train/ + validation/
