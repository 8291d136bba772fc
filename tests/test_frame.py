"""Canonical names, aliases and the guide's zero-weight shadows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lossdoctor.model import RunData
from lossdoctor.readers import read_paths
from lossdoctor.readers.names import canonical_name, shadow_target


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("dbg/grad_flow", "dbg/grad_flow"),
        ("dbg_grad_flow", "dbg/grad_flow"),
        ("train/dbg/grad_flow", "dbg/grad_flow"),
        ("train_dbg_grad_flow", "dbg/grad_flow"),
        ("z_init_mean", "z_init/mean"),
        ("train/z_init/mean", "z_init/mean"),
        ("z_init_var", "z_init/var"),
        ("dbg_update_ratio_flow", "dbg/update_ratio/flow"),
        ("dbg_update_ratio_dino_t_head", "dbg/update_ratio/dino_t_head"),
        ("dbg_flow_has_grad", "dbg/flow_has_grad"),
        ("dbg_mu_head_trainable", "dbg/mu_head_trainable"),
        ("dbg_grad_my_new_tag", "dbg/grad_my_new_tag"),  # any tag, not only the guide's
        ("loss_flow", "loss_flow"),  # never `loss/flow`
        ("data_time", "data_time"),
        ("base_lr", "base_lr"),
        ("train/loss", "loss"),
        ("coco/AP (M)", "coco/AP (M)"),
        ("acc_pose", "acc_pose"),
    ],
)
def test_canonical_name(raw: str, canonical: str) -> None:
    assert canonical_name(raw) == canonical


def test_aliases_win() -> None:
    assert canonical_name("my_loss", {"my_loss": "loss_flow"}) == "loss_flow"
    assert canonical_name("dbg_grad_flow", {"dbg_grad_flow": "custom"}) == "custom"


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        ("loss_dbg_grad_flow", "dbg/grad_flow"),
        ("loss_z_init_mean", "z_init/mean"),
        ("loss_dbg_update_ratio_flow", "dbg/update_ratio/flow"),
        ("loss_dbg_flow_has_grad", "dbg/flow_has_grad"),
        ("loss_kl_raw", "kl_raw"),
        ("loss_flow", None),
        ("loss_dino", None),
        ("loss_kl", None),
        ("loss_kpt", None),
        ("loss_bbox_aux_0", None),
        ("loss", None),
    ],
)
def test_shadow_target(raw: str, target: str | None) -> None:
    assert shadow_target(raw, set()) == target


def test_shadow_of_another_metric_in_the_log() -> None:
    assert shadow_target("loss_acc_pose", {"acc_pose"}) == "acc_pose"
    assert shadow_target("loss_acc_pose", set()) is None


def read(tmp_path: Path, rows: list[dict[str, Any]], aliases: dict[str, str] | None = None) -> RunData:
    path = tmp_path / "scalars.json"
    lines = [json.dumps({**row, "iter": i, "step": i}) + "\n" for i, row in enumerate(rows, 1)]
    path.write_text("".join(lines))
    return read_paths([path], aliases=aliases)


def test_shadow_never_becomes_a_value(tmp_path: Path) -> None:
    run = read(tmp_path, [{"loss": 1.0, "dbg/grad_flow": 0.3, "loss_dbg_grad_flow": 0.0}] * 2)
    assert "loss_dbg_grad_flow" not in run.frame.columns
    assert run.frame["dbg/grad_flow"].tolist() == [0.3, 0.3]
    assert run.shadows == {"dbg/grad_flow": "loss_dbg_grad_flow"}
    assert run.shadow_only == set()


def test_shadow_only_metric_is_reported(tmp_path: Path) -> None:
    run = read(tmp_path, [{"loss": 1.0, "loss_dbg_grad_flow": 0.0, "loss_z_init_mean": 0.0}] * 2)
    assert "dbg/grad_flow" not in run.frame.columns
    assert list(run.frame.columns) == ["loss"]
    assert run.shadow_only == {"dbg/grad_flow", "z_init/mean"}


def test_nan_shadow_is_recorded(tmp_path: Path) -> None:
    rows = [
        {"loss": 1.0, "loss_dbg_grad_flow": 0.0},
        {"loss": 1.0, "loss_dbg_grad_flow": float("inf")},
        {"loss": float("nan"), "loss_dbg_grad_flow": float("nan")},
    ]
    run = read(tmp_path, rows)
    assert run.shadow_nonfinite == {"loss_dbg_grad_flow": 2}
    assert run.nan_steps["loss"].tolist() == [3]
    assert "dbg/grad_flow" not in run.nan_steps


def test_sanitised_spellings_are_merged_and_recorded(tmp_path: Path) -> None:
    run = read(tmp_path, [{"dbg_grad_flow": 0.1, "z_init_mean": 0.0, "train/loss": 2.0}])
    assert sorted(run.frame.columns) == ["dbg/grad_flow", "loss", "z_init/mean"]
    assert run.spellings["dbg/grad_flow"] == ["dbg_grad_flow"]
    assert run.spellings["loss"] == ["train/loss"]


def test_two_spellings_in_one_file_fill_each_other(tmp_path: Path) -> None:
    run = read(tmp_path, [{"dbg/grad_flow": 0.1}, {"dbg_grad_flow": 0.2}])
    assert run.frame["dbg/grad_flow"].tolist() == [0.1, 0.2]
    assert run.spellings["dbg/grad_flow"] == ["dbg/grad_flow", "dbg_grad_flow"]


def test_user_alias_maps_a_raw_column(tmp_path: Path) -> None:
    run = read(tmp_path, [{"my_total": 1.5}], aliases={"my_total": "loss"})
    assert run.frame["loss"].tolist() == [1.5]
    assert run.spellings["loss"] == ["my_total"]
