"""Every file in ../shared/real_logs, read in place: the right format, the right steps and metrics.

Skipped, with that reason, where ../shared is absent (a user's clone); CI has it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossdoctor.readers import detect, read_paths

SHARED = Path(__file__).resolve().parents[2] / "shared" / "real_logs"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared real logs not found at {SHARED}")

EXPECTED_FORMAT = {
    "hf_trainer_state/whisper_large_v2_ja_trainer_state.json": "hf-trainer-state",
    "lightning_csv/genrisk_gan_all_nan_metrics.csv": "csv",
    "lightning_csv/slm_training_crlf_val_metrics.csv": "csv",
    "mmcv_logjson/mmcls_mobilenetv2_cifar10.log.json": "mmcv-json",
    "mmcv_text/mmcls_mobilenetv2_cifar10.log": "mmcv-text",
    "mmengine_scalars/dfine_multirun_longkeys_scalars.json": "mmengine-scalars",
    "mmengine_scalars/dfine_single_run_with_val_20241205_152037.json": "mmengine-scalars",
    "mmengine_text/mmpose_epochbased_val_interleaved.log": "mmengine-text",
    "tb_csv/run-.-tag-loss_aocr_restarted.csv": "tb-csv",
    "tb_json/run-.-tag-loss_aocr_restarted.json": "tb-json",
    "mmengine_flowgen/flowgen_healthy/20261125_023218/20261125_023218.log": "mmengine-text",
    "mmengine_flowgen/flowgen_healthy/20261125_023218/vis_data/scalars.json": "mmengine-scalars",
    "mmengine_flowgen/flowgen_healthy/20261125_023218/vis_data/20261125_023218.json": "mmengine-scalars",
}


def test_every_real_text_log_is_listed() -> None:
    found = {str(p.relative_to(SHARED)) for p in SHARED.rglob("*") if p.is_file()
             and p.suffix in (".json", ".log", ".csv")}
    assert found == set(EXPECTED_FORMAT)  # a file added to ../shared needs a line here


@pytest.mark.parametrize(("name", "fmt"), sorted(EXPECTED_FORMAT.items()))
def test_detected_as_the_right_format(name: str, fmt: str) -> None:
    assert detect(SHARED / name) == fmt
    assert read_paths([SHARED / name]).format == fmt


def test_hf_trainer_state() -> None:
    run = read_paths([SHARED / "hf_trainer_state" / "whisper_large_v2_ja_trainer_state.json"])
    assert run.frame.index[0] == 25 and run.frame.index[-1] == 5000 and len(run.frame) == 200
    assert run.frame.index.is_unique
    assert run.frame.loc[25, "lr"] == 4.6000000000000004e-07 and run.spellings["lr"] == ["learning_rate"]
    assert run.frame.loc[5000, "loss"] == 0.0002
    assert run.frame.loc[5000, "eval_wer"] == pytest.approx(0.7449365679946583)  # merged with the train entry
    assert run.frame["eval_loss"].notna().sum() == 5
    assert not {"train_loss", "train_runtime", "total_flos"} & set(run.frame.columns)
    assert [w.message for w in run.warnings] == ["1 summary or step-less log_history line set aside "
                                                 "(not training steps)"]


def test_lightning_diverged_gan_keeps_every_nan() -> None:
    run = read_paths([SHARED / "lightning_csv" / "genrisk_gan_all_nan_metrics.csv"])
    assert list(run.frame.index) == list(range(320))
    assert run.frame.loc[0, "train_disc_loss"] == pytest.approx(1.6226933508321501e24)
    assert len(run.nan_steps["train_gen_loss"]) == 320
    assert len(run.nan_steps["train_disc_loss"]) == 319
    assert [w.message.split(":")[0] for w in run.warnings] == [
        "no `loss`; `train_disc_loss`, `train_gen_loss` are there"]


def test_lightning_crlf_sparse_rows_sharing_a_step() -> None:
    run = read_paths([SHARED / "lightning_csv" / "slm_training_crlf_val_metrics.csv"])
    assert run.frame.index.is_unique and run.frame.index[0] == 49 and run.frame.index[-1] == 140739
    assert run.frame.loc[49, "loss"] == pytest.approx(7.628580570220947)  # found as train_loss_step
    row = run.frame.loc[14073]  # a val-only row and an epoch-summary row, merged
    assert not np.isnan(row["val_loss"]) and not np.isnan(row["train_loss_epoch"])
    assert "epoch" in run.frame.columns and "step" not in run.frame.columns
    assert run.warnings == []


def test_mmcv_json_and_text_are_the_same_run() -> None:
    js = read_paths([SHARED / "mmcv_logjson" / "mmcls_mobilenetv2_cifar10.log.json"])
    text = read_paths([SHARED / "mmcv_text" / "mmcls_mobilenetv2_cifar10.log"])
    assert len(js.frame) == len(text.frame) == 1560
    assert text.frame.index[156] == 1563 + 10  # Epoch [2][10/1563]
    assert js.frame.index[156] == 1560 + 10  # iterations per epoch estimated: said in a warning
    assert any("largest logged iter (1560)" in w.message for w in js.warnings)
    np.testing.assert_allclose(js.frame["loss"].to_numpy(), text.frame["loss"].to_numpy(), atol=0.5e-4)
    assert "accuracy_top-1" not in js.frame.columns and "accuracy_top-1" not in text.frame.columns
    for run in (js, text):
        assert any(w.message == "10 validation lines set aside (not training steps)" for w in run.warnings)
    assert text.precision["loss"] == pytest.approx(1e-4) and text.precision["time"] == pytest.approx(1e-3)


@pytest.mark.parametrize("name", ["tb_csv/run-.-tag-loss_aocr_restarted.csv",
                                  "tb_json/run-.-tag-loss_aocr_restarted.json"])
def test_tb_export_with_restarts_and_sampling(name: str) -> None:
    first = read_paths([SHARED / name], launch=1)  # 95 -> 68 is a resume; 2454 -> 41 and 28094 -> 36 restarts
    assert first.spellings == {"loss_aocr_restarted": ["loss_aocr_restarted"]}
    assert [(s.first, s.last) for s in first.segments] == [(43, 95), (68, 2454)]
    assert first.frame.index.is_unique and first.frame.index[-1] == 2454
    assert first.frame.loc[43, "loss_aocr_restarted"] in (2.8416740894317627, np.float32(2.8416740894317627))
    latest = read_paths([SHARED / name])
    assert [(s.first, s.last) for s in latest.segments] == [(36, 17376)]
    assert sum("not part of the run judged here" in w.message for w in latest.warnings) == 2
    assert any(w.line is None and "sampled export" in w.message for w in latest.warnings)


def test_tb_csv_and_json_exports_agree() -> None:
    csv = read_paths([SHARED / "tb_csv" / "run-.-tag-loss_aocr_restarted.csv"])
    js = read_paths([SHARED / "tb_json" / "run-.-tag-loss_aocr_restarted.json"])
    assert csv.frame.equals(js.frame)
