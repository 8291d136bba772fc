"""Common names are known: one alias table (data) for each ecosystem's spellings, extended by the user."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor.readers import aliases, read_paths

REAL = Path(__file__).parent / "data" / "real"
LIGHTNING = REAL / "lightning_gmm_density" / "lightning_logs" / "version_0" / "metrics.csv"
HF = REAL / "hf_multi_eval_trainer_state_viz" / "trainer_state.json"
KERAS_TB = REAL / "tb_keras_deepcnn" / "tensorboard_log_dir" / "tb_logs_at_2022-09-25-10-39-45" / "train"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "real_logs"
LIGHTNING_STEP_EPOCH = SHARED / "lightning_csv" / "slm_training_crlf_val_metrics.csv"


def test_the_table_is_data_with_the_common_names() -> None:
    table = aliases.table()
    for spelling in ("train_loss", "Loss/train", "epoch_loss", "train_loss_step", "train_loss_epoch"):
        assert spelling in table["loss"]
    assert "learning_rate" in table["lr"] and "lr-*" in table["lr"]


def test_lightning_train_loss(tmp_path: Path) -> None:
    run = read_paths([LIGHTNING])
    assert run.spellings["loss"] == ["train_loss"]
    assert "val_loss" in run.frame.columns  # a validation loss is never taken for the training loss


def test_hf_learning_rate_and_grad_norm() -> None:
    run = read_paths([HF])
    assert run.spellings["lr"] == ["learning_rate"] and run.spellings["grad_norm"] == ["grad_norm"]
    assert run.spellings["loss"] == ["loss"]  # its final `train_loss` summary is not the loss


def test_keras_epoch_loss_in_tensorboard() -> None:
    pytest.importorskip("tensorboard")
    run = read_paths([KERAS_TB])
    assert run.spellings["loss"] == ["epoch_loss"]


@pytest.mark.skipif(not LIGHTNING_STEP_EPOCH.is_file(), reason=f"shared real logs not found at {SHARED}")
def test_lightning_step_loss_is_not_mixed_with_its_epoch_mean() -> None:
    run = read_paths([LIGHTNING_STEP_EPOCH])
    assert run.spellings["loss"] == ["train_loss_step"]
    assert "train_loss_epoch" in run.frame.columns
    assert run.frame["loss"].notna().sum() == 2814  # the per-step points only


def test_lightning_lr_monitor_and_tutorial_names(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("step,Loss/train,lr-AdamW\n1,2.0,0.001\n2,1.5,0.001\n", encoding="utf-8")
    run = read_paths([path])
    assert run.spellings == {"loss": ["Loss/train"], "lr": ["lr-AdamW"]}


def test_the_project_aliases_extend_and_win(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("step,train_loss,total_loss\n1,2.0,3.0\n2,1.5,2.5\n", encoding="utf-8")
    assert read_paths([path]).spellings["loss"] == ["train_loss"]
    assert read_paths([path], aliases={"total_loss": "loss"}).spellings["loss"] == ["total_loss"]


def test_a_near_name_is_suggested(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    records = [json.dumps({"step": s, "total_loss": 1 / s, "val_loss": 2.0}) for s in (1, 2)]
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    run = read_paths([path])
    (note,) = [w.message for w in run.warnings if "alias it?" in w.message]
    assert note.startswith("no `loss`; `total_loss` is there: alias it?")
    assert "val_loss" not in note


def test_metrics_shows_the_spelling_found(cli: Callable[..., Result]) -> None:
    result = cli("metrics", HF, "--format", "json")
    found = {m["name"]: m["spellings"] for m in json.loads(result.out)["metrics"]}
    assert found["lr"] == ["learning_rate"]
