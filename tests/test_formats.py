"""The readers added for issue #4 on small files made here: detection, bad input, gzip, TB export folders.

Real files are in test_real_formats.py; the cross-form equivalence in test_export_equivalence.py.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from lossdoctor.errors import InputError, UsageError
from lossdoctor.readers import FORMATS, detect, read_paths
from lossdoctor.readers import mmengine_text as mmengine_text_reader

ROOT = Path(__file__).resolve().parents[1]
NEW_FORMATS = ("mmcv-json", "mmcv-text", "tb-csv", "tb-json", "hf-trainer-state", "csv", "json")


def tb_csv(path: Path, rows: list[tuple[float, int, str]]) -> Path:
    """A TensorBoard CSV export as TensorBoard writes it: CRLF, `Wall time,Step,Value`."""
    body = "".join(f"{wall!r},{step},{value}\r\n" for wall, step, value in rows)
    path.write_bytes(("Wall time,Step,Value\r\n" + body).encode())
    return path


def tb_rows(steps: range, start: float = 1.7e9, value: float = 1.0) -> list[tuple[float, int, str]]:
    return [(start + s, s, repr(value / s)) for s in steps]


# --- the registry and detection ----------------------------------------------------------------


def test_every_format_of_the_product_is_registered() -> None:
    assert set(NEW_FORMATS) <= set(FORMATS)
    assert {"mmengine-scalars", "mmengine-text", "jsonl"} <= set(FORMATS)


@pytest.mark.parametrize(("content", "name", "fmt"), [
    (b"Wall time,Step,Value\r\n1.7e9,1,0.5\r\n", "x.csv", "tb-csv"),
    (b"[[1.7e9, 1, 0.5], [1.7e9, 2, \"NaN\"]]", "x.json", "tb-json"),
    (b'{"env_info": "sys.platform: linux"}\n{"mode": "train", "epoch": 1, "iter": 10, "loss": 1.0}\n',
     "x.json", "mmcv-json"),
    (b"2023-02-06 20:30:20,361 - mmcls - INFO - Environment info:\n", "x.log", "mmcv-text"),
    (b'{\n  "best_metric": null,\n  "log_history": [\n    {"loss": 1.0, "step": 5}\n  ]\n}', "x.json",
     "hf-trainer-state"),
    (b"step,epoch,train_loss\n0,0,1.5\n", "metrics.csv", "csv"),
    (b"_step,_runtime,loss\n0,0.1,1.5\n", "history.csv", "csv"),
    (b'[{"step": 1, "loss": 1.0}]', "x.json", "json"),
    (b'{"step": [1, 2], "loss": [1.0, 0.5]}', "x.json", "json"),
    (b'{"step": 1, "loss": 1.0}\n{"step": 2, "loss": 0.5}\n', "x.json", "jsonl"),
    (b'{"lr": 0.1, "iter": 1, "step": 1}\n', "x.json", "mmengine-scalars"),
    (b"2026/11/25 02:32:20 - mmengine - INFO - Iter(train) [ 20/800]  lr: 1.0000e-04  loss: 2.9200\n",
     "x.log", "mmengine-text"),
])  # fmt: skip
def test_detection_by_content(tmp_path: Path, content: bytes, name: str, fmt: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect(path) == fmt
    gz = tmp_path / (name + ".gz")
    gz.write_bytes(gzip.compress(content))
    assert detect(gz) == fmt


def test_unknown_file_lists_every_known_format(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("dear diary\n")
    with pytest.raises(InputError) as err:
        read_paths([path])
    for name in FORMATS:
        assert name in err.value.message


def test_input_format_forces_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    path.write_text('[{"step": 1, "loss": 1.0}, {"step": 2, "loss": 0.5}]')
    assert read_paths([path], input_format="json").frame["loss"].tolist() == [1.0, 0.5]
    with pytest.raises(InputError, match="step column"):
        read_paths([path], input_format="csv")


# --- TensorBoard exports ------------------------------------------------------------------------


def test_tb_csv_single_file_tag_from_name_and_non_finite(tmp_path: Path) -> None:
    rows = [(1.7e9, 1, "0.5"), (1.7e9 + 1, 2, "nan"), (1.7e9 + 2, 3, "inf")]
    path = tb_csv(tmp_path / "run-20261124_201554_vis_data-tag-dbg_grad_flow.csv", rows)
    run = read_paths([path])
    assert run.format == "tb-csv"
    assert run.spellings == {"dbg/grad_flow": ["dbg_grad_flow"]}
    assert run.nan_steps["dbg/grad_flow"].tolist() == [2]
    assert np.isinf(run.frame.loc[3, "dbg/grad_flow"])


def test_tb_json_non_finite_strings(tmp_path: Path) -> None:
    path = tmp_path / "run-.-tag-loss.json"
    path.write_text('[[1.7e9, 1, 2.5], [1.7e9, 2, "NaN"], [1.7e9, 3, "Infinity"], [1.7e9, 4, "-Infinity"]]')
    run = read_paths([path])
    assert run.format == "tb-json"
    assert run.nan_steps["loss"].tolist() == [2]
    assert run.frame["loss"].tolist()[2:] == [np.inf, -np.inf]


def test_folder_of_exports_is_one_run_joined_on_step(tmp_path: Path) -> None:
    tb_csv(tmp_path / "run-exp-tag-loss.csv", tb_rows(range(10, 101, 10)))
    tb_csv(tmp_path / "run-exp-tag-z_init_mean.csv", tb_rows(range(20, 101, 20)))
    (tmp_path / "README.md").write_text("exported from tensorboard\n")
    run = read_paths([tmp_path])
    assert run.format == "tb-csv"
    assert list(run.frame.index) == list(range(10, 101, 10))
    assert set(run.frame.columns) == {"loss", "z_init/mean"}
    assert run.frame["z_init/mean"].notna().sum() == 5
    assert len(run.files) == 2


def test_exports_of_a_resumed_job_are_stitched(tmp_path: Path) -> None:
    first, second = "run-20261124_100000_vis_data", "run-20261124_120000_vis_data"
    tb_csv(tmp_path / f"{first}-tag-loss.csv", tb_rows(range(10, 101, 10), 1.7e9, 1.0))
    tb_csv(tmp_path / f"{second}-tag-loss.csv", tb_rows(range(90, 201, 10), 1.7e9 + 500, 2.0))
    run = read_paths([tmp_path])
    assert list(run.frame.index) == list(range(10, 201, 10))
    assert run.frame.loc[90, "loss"] == pytest.approx(2.0 / 90)  # the later launch wins
    assert len(run.segments) == 2
    assert any("replace 2 earlier logged steps" in w.message for w in run.warnings)


def test_two_unrelated_runs_are_refused_naming_both(tmp_path: Path) -> None:
    tb_csv(tmp_path / "run-lr_1e-4-tag-loss.csv", tb_rows(range(10, 101, 10), 1.7e9))
    tb_csv(tmp_path / "run-lr_3e-4-tag-loss.csv", tb_rows(range(10, 101, 10), 1.7e9 + 500))
    with pytest.raises(UsageError) as err:
        read_paths([tmp_path])
    assert "run-lr_1e-4-tag-loss.csv" in err.value.message and "run-lr_3e-4-tag-loss.csv" in err.value.message
    assert "not a resume" in err.value.message


def test_file_named_after_the_run_only_needs_tag(tmp_path: Path) -> None:
    path = tb_csv(tmp_path / "run-exp.csv", tb_rows(range(1, 4)))
    with pytest.raises(InputError) as err:
        read_paths([path])
    assert "--tag" in err.value.message and err.value.file == str(path)
    run = read_paths([path], tag="train/loss")
    assert list(run.frame.columns) == ["loss"] and run.spellings["loss"] == ["train/loss"]


def test_tb_csv_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "run-.-tag-loss.csv"
    path.write_bytes(b"Wall time,Step\r\n1.7e9,1\r\n")
    with pytest.raises(InputError) as err:
        read_paths([path], input_format="tb-csv")
    assert 'column "Value" is missing' in err.value.message and err.value.file == str(path)


def test_tb_csv_ragged_and_truncated_rows_keep_the_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "run-.-tag-loss.csv"
    path.write_bytes(b"Wall time,Step,Value\r\n1.7e9,1,0.5\r\n1.7e9,2\r\n1.7e9,3,0.25\r\n1.7e9,4")
    run = read_paths([path])
    assert list(run.frame.index) == [1, 3]
    assert {(w.line, w.message.split(":")[0]) for w in run.warnings} == {
        (3, "not a CSV row"), (5, "last line has no newline (cut off while being written?)")}


def test_sampled_export_is_said(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    steps = np.sort(rng.choice(np.arange(1, 100_000), 1000, replace=False))
    path = tb_csv(tmp_path / "run-.-tag-loss.csv", [(1.7e9 + float(s), int(s), "1.0") for s in steps])
    run = read_paths([path])
    assert any(w.line is None and "sampled export" in w.message for w in run.warnings)


def test_tb_json_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "run-.-tag-loss.json"
    path.write_text('[[1.7e9, 1, 0.5], [1.7e9, 2], "x", [1.7e9, 3, 0.25]]')
    run = read_paths([path])
    assert list(run.frame.index) == [1, 3]
    assert len([w for w in run.warnings if "point skipped" in w.message]) == 2
    path.write_text("[[1.7e9, 1, 0.5], [1.7e9, 2,")
    with pytest.raises(InputError, match="not complete JSON"):
        read_paths([path])


# --- MMCV, Hugging Face, CSV, JSON --------------------------------------------------------------


def test_mmcv_json_global_step_from_the_text_log_beside(tmp_path: Path) -> None:
    lines = ['{"env_info": "x", "seed": 0}']
    for epoch in (1, 2):
        lines += [json.dumps({"mode": "train", "epoch": epoch, "iter": i, "lr": 0.1, "loss": 1.0 / i})
                  for i in (10, 20)]
        lines.append(json.dumps({"mode": "val", "epoch": epoch, "iter": 313, "accuracy_top-1": 80.0}))
    path = tmp_path / "20230206_203013.log.json"
    path.write_text("\n".join(lines) + "\n")
    run = read_paths([path])
    assert run.format == "mmcv-json" and list(run.frame.index) == [10, 20, 30, 40]
    assert any("largest logged iter (20)" in w.message for w in run.warnings)
    (tmp_path / "20230206_203013.log").write_text(
        "2023-02-06 20:30:27,084 - mmcls - INFO - Epoch [1][10/25]\tlr: 1.000e-01, loss: 0.1000\n")
    run = read_paths([path])
    assert list(run.frame.index) == [10, 20, 35, 45]
    assert [w.message for w in run.warnings] == ["2 validation lines set aside (not training steps)"]


def test_mmcv_text_epoch_iter_val_and_eta_with_days(tmp_path: Path) -> None:
    stamp = "2023-02-06 20:30:27,084 - mmdet - INFO - "
    path = tmp_path / "run.log"
    path.write_text(
        f"{stamp}Environment info:\n"
        f"{stamp}Epoch [1][10/20]\tlr: 5.000e-03, eta: 1 day, 1:24:43, time: 0.325, loss: 2.2532\n"
        f"{stamp}Epoch [1][20/20]\tlr: 5.000e-03, eta: 1 day, 1:24:40, time: 0.089, loss: nan\n"
        f"{stamp}Epoch(val) [1][313]\taccuracy_top-1: 82.3000, accuracy_top-5: 99.2700\n"
        f"{stamp}Epoch [2][10/20]\tlr: 4.900e-03, eta: 0:21:05, time: 0.298, loss: 0.9219\n")
    run = read_paths([path])
    assert run.format == "mmcv-text" and list(run.frame.index) == [10, 20, 30]
    assert list(run.frame.columns) == ["lr", "time", "loss"]
    assert run.nan_steps["loss"].tolist() == [20]
    assert run.precision["loss"] == pytest.approx(1e-4) and "lr" not in run.precision


def test_hf_trainer_state_merges_eval_and_drops_summary(tmp_path: Path) -> None:
    history = [{"epoch": 0.5, "learning_rate": 1e-5, "loss": 0.3, "step": 25},
               {"epoch": 1.0, "learning_rate": 2e-5, "loss": float("nan"), "step": 50},
               {"epoch": 1.0, "eval_loss": 0.42, "eval_wer": 0.7, "step": 50},
               {"epoch": 1.0, "step": 50, "total_flos": 5e20, "train_loss": 0.2, "train_runtime": 77.0}]
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"epoch": 1.0, "global_step": 50, "log_history": history}, indent=2))
    run = read_paths([path])
    assert run.format == "hf-trainer-state" and list(run.frame.index) == [25, 50]
    assert run.frame.loc[50, "eval_loss"] == 0.42 and "train_runtime" not in run.frame.columns
    assert run.nan_steps["loss"].tolist() == [50]


def test_wide_csv_merges_rows_sharing_a_step_and_keeps_literal_nan(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_bytes(b"epoch,step,train_loss,val_loss\r\n0,49,7.6,\r\n0,99,nan,\r\n0,99,,5.5\r\n"
                     b"1,149,nan,\r\n")
    run = read_paths([path])
    assert run.format == "csv" and list(run.frame.index) == [49, 99, 149]
    assert run.frame.loc[99, "val_loss"] == 5.5
    assert run.nan_steps["loss"].tolist() == [99, 149]  # `train_loss` is a known spelling of loss


def test_wide_csv_all_nan_column_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("step,epoch,gen_loss\n0,0,nan\n1,0,nan\n")
    run = read_paths([path])
    assert run.nan_steps["gen_loss"].tolist() == [0, 1]


def test_wide_csv_step_column_without_numbers(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("step,loss\nfirst,1.0\n")
    with pytest.raises(InputError) as err:
        read_paths([path], input_format="csv")
    assert 'column "step" holds no numbers' in err.value.message and err.value.file == str(path)


def test_wandb_history_uses_step(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text(",_step,_runtime,loss,run_name\n0,0,0.5,1.0,a\n1,1,0.9,0.5,a\n")
    run = read_paths([path])
    assert list(run.frame.columns) == ["_runtime", "loss"] and list(run.frame.index) == [0, 1]


def test_json_dict_of_lists_and_bad_length(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"step": [1, 2, 3], "loss": [1.0, "NaN", 0.5], "lr": [0.1, 0.2]}, indent=1))
    run = read_paths([path])
    assert run.format == "json" and run.nan_steps["loss"].tolist() == [2]
    assert "lr" not in run.frame.columns and any('"lr" has 2 values' in w.message for w in run.warnings)


# --- gzip ---------------------------------------------------------------------------------------


def test_gzip_of_a_work_dir_file_keeps_the_users_name(tmp_path: Path) -> None:
    source = next((ROOT / "sample_logs" / "healthy").glob("*/vis_data/scalars.json"))
    path = tmp_path / "scalars.json.gz"
    path.write_bytes(gzip.compress(source.read_bytes()))
    run = read_paths([path])
    assert run.format == "mmengine-scalars" and run.files == [str(path)]
    assert run.frame.equals(read_paths([source]).frame)
    assert all(w.file == str(path) for w in run.warnings)


def test_gzip_cut_off_keeps_what_was_inflated(tmp_path: Path) -> None:
    text = "".join(json.dumps({"step": s, "loss": 1.0 / s}) + "\n" for s in range(1, 2001))
    data = gzip.compress(text.encode())
    path = tmp_path / "run.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    run = read_paths([path])
    assert 0 < len(run.frame) < 2000
    assert any("gzip stream cut off" in w.message and w.file == str(path) for w in run.warnings)


def test_gzip_folder_of_tb_exports(tmp_path: Path) -> None:
    for tag in ("loss", "loss_flow"):
        plain = tb_csv(tmp_path / f"run-exp-tag-{tag}.csv", tb_rows(range(1, 6)))
        (tmp_path / f"{plain.name}.gz").write_bytes(gzip.compress(plain.read_bytes()))
        plain.unlink()
    run = read_paths([tmp_path])
    assert set(run.frame.columns) == {"loss", "loss_flow"} and run.format == "tb-csv"


def test_gzip_error_names_the_users_file(tmp_path: Path) -> None:
    path = tmp_path / "run.csv.gz"
    path.write_bytes(gzip.compress(b"step,loss\nfirst,1.0\n"))
    with pytest.raises(InputError) as err:
        read_paths([path], input_format="csv")
    assert err.value.file == str(path)


# --- the MMEngine text reader's fast path -------------------------------------------------------


SAMPLE_LOGS = sorted((ROOT / "sample_logs").glob("*/*/*.log"))


@pytest.mark.parametrize("log", SAMPLE_LOGS, ids=lambda p: p.parent.parent.name)
def test_text_fast_path_equals_the_line_loop(log: Path) -> None:
    fast = mmengine_text_reader._read_fast(log)
    slow = mmengine_text_reader._read_slow(log)
    assert fast is not None
    assert list(fast.rows.columns) == list(slow.rows.columns)
    np.testing.assert_array_equal(fast.steps, slow.steps)
    np.testing.assert_array_equal(fast.rows.to_numpy(), slow.rows.to_numpy())
    np.testing.assert_array_equal(fast.lines.get(), slow.lines.get())
    assert fast.precision == slow.precision and fast.nan.keys() == slow.nan.keys()
    assert fast.warnings == slow.warnings and fast.config == slow.config


def test_text_fast_path_late_key_padding_and_epochs(tmp_path: Path) -> None:
    stamp = "2026/11/25 02:32:20 - mmengine - INFO - "
    lines = [f"{stamp}Iter(train) [{s:>3}/200]  lr: 1.0000e-04  eta: 1 day, 0:00:04  loss: {1 / s:.4f}"
             + (f"  kl_raw: {s / 1000:.4f}" if s > 50 else "") for s in range(1, 201, 7)]
    lines.insert(3, f"{stamp}Iter(val) [5/5]  coco/AP (M): -1.000000")
    path = tmp_path / "run.log"
    path.write_text("\n".join(lines) + "\n")
    fast = mmengine_text_reader._read_fast(path)
    slow = mmengine_text_reader._read_slow(path)
    assert fast is not None
    np.testing.assert_array_equal(fast.rows.to_numpy(), slow.rows.to_numpy())
    np.testing.assert_array_equal(fast.steps, slow.steps)
    assert fast.warnings == slow.warnings
    epoch = tmp_path / "epoch.log"
    epoch.write_text("".join(f"{stamp}Epoch(train) [{e}][{i:>2}/10]  lr: 1.0000e-04  loss: 0.5000\n"
                             for e in (1, 2) for i in (5, 10)))
    parsed = mmengine_text_reader._read_fast(epoch)
    assert parsed is not None and parsed.steps.tolist() == [5, 10, 15, 20]
