"""Per-epoch histories (Keras CSVLogger, `history.history` tables, Lightning epoch rows): read and judged."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor.engine import analyze, load_default
from lossdoctor.readers import read_paths
from lossdoctor.reporters.terminal import render

KERAS = (
    "epoch,accuracy,loss,val_accuracy,val_loss\n"
    "0,0.61,1.10,0.66,0.95\n1,0.72,0.80,0.71,0.83\n2,0.78,0.62,0.74,0.76\n3,0.81,0.55,0.75,0.74\n"
)


def test_keras_csvlogger_is_read_with_the_epoch_as_its_axis(tmp_path: Path) -> None:
    path = tmp_path / "training.log"
    path.write_text(KERAS)
    run = read_paths([path])
    assert run.format == "csv" and list(run.frame.index) == [0, 1, 2, 3]
    assert run.step_unit == "epoch"
    assert run.frame.loc[2, "val_loss"] == 0.76


def test_keras_csvlogger_forced_csv_is_not_refused_for_want_of_a_step(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(KERAS)
    assert list(read_paths([path], input_format="csv").frame.index) == [0, 1, 2, 3]


@pytest.mark.parametrize("newline", ["\r\n", "\r\r\n"])
def test_windows_line_ends_are_read_as_written(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "training.log"
    path.write_bytes(KERAS.replace("\n", newline).encode())
    run = read_paths([path])
    assert list(run.frame.index) == [0, 1, 2, 3] and run.frame.loc[3, "loss"] == 0.55


def test_a_history_with_no_index_column_is_one_row_per_epoch_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("loss,accuracy,val_loss,val_accuracy\n1.1,0.6,0.9,0.66\n0.8,0.7,0.8,0.7\n0.6,0.8,0.7,0.7\n")
    run = read_paths([path])
    assert list(run.frame.index) == [0, 1, 2] and run.step_unit == "epoch"
    assert any("one row per epoch" in w.message for w in run.warnings)


def test_pandas_index_column_of_a_history_is_the_epoch(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text(",loss,accuracy\n0,1.1,0.6\n1,0.8,0.7\n2,0.6,0.8\n")
    run = read_paths([path])
    assert list(run.frame.index) == [0, 1, 2] and list(run.frame.columns) == ["loss", "accuracy"]


def test_the_report_says_every_epoch(tmp_path: Path) -> None:
    path = tmp_path / "training.log"
    path.write_text(KERAS)
    text = render(analyze(read_paths([path]), load_default()), width=100)
    assert "every epoch" in text and "every 1 steps" not in text


def test_a_json_line_is_not_taken_for_a_history_table(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text('{"step": 1, "loss": 1.0, "accuracy": 0.5}\n{"step": 2, "loss": 0.9, "accuracy": 0.6}\n')
    assert read_paths([path]).format != "csv"


def _history(tmp_path: Path, losses: list[float], name: str = "training.log") -> Path:
    path = tmp_path / name
    path.write_text("epoch,loss\n" + "".join(f"{e},{v}\n" for e, v in enumerate(losses)))
    return path


def _judge(path: Path) -> tuple[dict[str, str], set[str], dict[str, int]]:
    report = analyze(read_paths([path]), load_default())
    reasons = {n.rule: n.reason for n in report.not_evaluated}
    judged = {e.rule: e.judged for e in report.evaluated}
    return reasons, {f.rule for f in report.findings}, judged


def test_a_50x_spike_at_epoch_15_of_20_is_found(tmp_path: Path) -> None:
    losses = [2.0 * 0.95**e for e in range(20)]
    losses[15] *= 50
    _, fired, _ = _judge(_history(tmp_path, losses))
    assert "loss-spike" in fired


def test_a_spike_rule_with_no_history_to_judge_is_not_evaluated_and_says_why(tmp_path: Path) -> None:
    reasons, fired, judged = _judge(_history(tmp_path, [2.0, 1.5, 80.0, 1.0]))
    assert "loss-spike" not in judged and "loss-spike" not in fired
    assert "no point could be judged (spike over" in reasons["loss-spike"]


def test_plateau_is_judged_on_a_flat_epoch_history(tmp_path: Path) -> None:
    flat = [1.0 + 0.002 * ((-1) ** e) for e in range(30)]
    _, fired, judged = _judge(_history(tmp_path, flat))
    assert judged["loss-plateau"] > 0 and "loss-plateau" in fired


def test_plateau_stays_quiet_on_a_falling_epoch_history(tmp_path: Path) -> None:
    _, fired, judged = _judge(_history(tmp_path, [2.0 * 0.9**e for e in range(30)]))
    assert judged["loss-plateau"] > 0 and "loss-plateau" not in fired


def test_an_all_nan_loss_is_there_and_said_to_be_nan(tmp_path: Path) -> None:
    reasons, fired, _ = _judge(_history(tmp_path, [float("nan")] * 10))
    assert "non-finite-loss" in fired
    assert "every value is NaN" in reasons["loss-plateau"] and "not in the log" not in reasons["loss-plateau"]


def test_a_nan_keras_run_speaks_of_no_flow_branch_and_no_taps(tmp_path: Path) -> None:
    path = _history(tmp_path, [1.2, 1.0, 0.9] + [float("nan")] * 4)
    report = analyze(read_paths([path]), load_default())
    text = render(report, width=120)
    assert "non-finite-loss" in {f.rule for f in report.findings}
    assert [d.rule for d in report.diagnoses] == ["lr-too-high-or-unstable"]
    assert not report.verdicts and not report.coverage
    spoken = text[: text.find("Not evaluated")]  # the rules it could not judge are listed by name below
    for word in (r"\bflow\b", r"\btaps?\b", "LayerNorm", "dbg/"):
        assert not re.search(word, spoken, re.IGNORECASE), word


def test_keras_tensorboard_epoch_scalars_are_one_run_on_the_epoch_axis(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    import pandas as pd
    from helpers.tfevents_writer import write_event_file

    epochs = pd.Index(range(6), name="step")
    train = pd.DataFrame({"epoch_loss": [1.0, 0.8, 0.6, 0.5, 0.4, 0.35],
                          "epoch_accuracy": [0.5, 0.6, 0.7, 0.75, 0.8, 0.82]}, index=epochs)
    valid = pd.DataFrame({"epoch_loss": [0.9, 0.8, 0.85, 0.95, 1.1, 1.3],
                          "evaluation_loss_vs_iterations": [0.9, 0.8, 0.85, 0.95, 1.1, 1.3]},
                         index=epochs)
    write_event_file(tmp_path / "logs" / "train", train, tensor=True)
    write_event_file(tmp_path / "logs" / "validation", valid, tensor=True)
    run = read_paths([tmp_path / "logs"])
    assert run.step_unit == "epoch" and list(run.frame.index) == list(range(6))
    assert sorted(run.frame.columns) == ["accuracy", "loss", "val_loss"]
    assert run.frame.loc[5, "val_loss"] == pytest.approx(1.3)
    assert run.frame.loc[5, "loss"] == pytest.approx(0.35)


def test_lightning_hparams_give_the_class_count_for_chance_level(tmp_path: Path) -> None:
    version = tmp_path / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    (version / "hparams.yaml").write_text("lr: 0.1\nnum_classes: 10\n")
    rows = "".join(f"{e},{99 + 100 * e},{0.1 + 0.004 * (-1) ** e},2.30\n" for e in range(12))
    (version / "metrics.csv").write_text("epoch,step,val_acc,train_loss\n" + rows)
    report = analyze(read_paths([version / "metrics.csv"]), load_default())
    assert report.params["num_classes"].value == 10 and "ga" not in report.params  # not an MMEngine config
    stuck = next(f for f in report.findings if f.rule == "accuracy-not-improving")
    assert stuck.severity == "red" and stuck.title == "Accuracy stuck at chance level"


def test_keras_history_saved_as_json_is_one_row_per_epoch(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text('{"loss": [1.2, 0.9, 0.7], "accuracy": [0.5, 0.6, 0.7], "val_loss": [1.0, 0.9, 0.95]}')
    run = read_paths([path])
    assert run.step_unit == "epoch" and list(run.frame.index) == [0, 1, 2]
    assert run.frame.loc[2, "val_loss"] == 0.95
    assert any("one row per epoch" in w.message for w in run.warnings)


def test_a_pandas_history_whose_loss_is_blank_everywhere_is_all_nan_not_missing(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"  # pd.DataFrame(history.history).to_csv() writes NaN as an empty cell
    path.write_text(",loss,accuracy\n" + "".join(f"{e},,0.1\n" for e in range(8)))
    run = read_paths([path])
    assert run.nan_steps["loss"].tolist() == list(range(8))
    reasons, fired, _ = _judge(path)
    assert "non-finite-loss" in fired and "every value is NaN" in reasons["loss-plateau"]


def test_metrics_command_says_the_axis_is_the_epoch(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = tmp_path / "training.log"
    path.write_text(KERAS)
    result = cli("metrics", path)
    assert result.code == 0 and "0–3 (epochs)" in result.out


KERAS_CONSOLE = (
    "Epoch 1/4\n"
    "  1/469 [..............................] - ETA: 2:01 - loss: 2.3305 - accuracy: 0.0859\r"
    "469/469 [==============================] - 96s 203ms/step - loss: 0.4512 - accuracy: 0.8731"
    " - val_loss: 0.2301 - val_accuracy: 0.9312\n"
    "Epoch 2/4\n"
    "469/469 [==============================] - 88s 188ms/step - loss: nan - accuracy: 0.1000"
    " - val_loss: nan - val_accuracy: 0.1000\n"
    "Epoch 3/4\n469/469 - 88s - loss: nan - accuracy: 0.1000 - val_loss: nan - val_accuracy: 0.1000\n"
    "Epoch 4/4\n469/469 - 87s - loss: nan - accuracy: 0.1000 - val_loss: nan - val_accuracy: 0.1000\n"
)


def test_keras_console_output_is_one_row_per_epoch_with_its_final_values(tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    path.write_text(KERAS_CONSOLE)
    run = read_paths([path])
    assert run.format == "keras-text" and run.step_unit == "epoch"
    assert list(run.frame.index) == [0, 1, 2, 3]
    assert run.frame.loc[0, "loss"] == 0.4512  # the epoch's last line, not the ETA redraw before it
    assert run.frame.loc[0, "val_accuracy"] == 0.9312
    assert "ETA" not in run.frame.columns and run.nan_steps["loss"].tolist() == [1, 2, 3]


def test_a_keras_console_nan_run_is_reported_without_the_guide(tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    path.write_text(KERAS_CONSOLE)
    report = analyze(read_paths([path]), load_default(), run_params={"num_classes": 10})
    assert "non-finite-loss" in {f.rule for f in report.findings}
    assert not report.verdicts and not report.coverage
