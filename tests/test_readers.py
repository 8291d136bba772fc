"""Readers on small files: every bad input keeps the good rows and names file and line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossdoctor.errors import InputError, UsageError
from lossdoctor.model import ReadWarning, RunData
from lossdoctor.readers import FORMATS, read_paths


def train_line(step: int, **values: Any) -> str:
    """One MMEngine scalars.json train line, as Python's json writes it (bare NaN allowed)."""
    record: dict[str, Any] = {"lr": 1e-4, "data_time": 0.01, "loss": 1.0 / step}
    record.update(values)
    record.update(iter=step, step=step)
    return json.dumps(record)


def write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def scalars(tmp_path: Path, lines: list[str], end: str = "\n") -> Path:
    return write(tmp_path / "scalars.json", lines, end)


def messages(run: RunData) -> list[str]:
    return [w.message for w in run.warnings]


def warning_at(run: RunData, line: int) -> ReadWarning:
    found = [w for w in run.warnings if w.line == line]
    assert found, f"no warning at line {line}: {run.warnings}"
    return found[0]


# --- the registry -----------------------------------------------------------------------------


def test_formats_lists_the_readers_most_specific_first() -> None:
    order = [name for name in FORMATS if name != "tfevents"]
    assert order == ["hf-trainer-state", "tb-json", "tb-csv", "mmcv-json", "mmengine-scalars",
                     "mmengine-text", "mmcv-text", "keras-text", "json", "csv", "jsonl", "mlflow"]


def test_unknown_format_is_a_usage_error_listing_known_ones(tmp_path: Path) -> None:
    path = scalars(tmp_path, [train_line(1)])
    with pytest.raises(UsageError) as err:
        read_paths([path], input_format="tb-csv-nope")
    assert all(name in err.value.message for name in FORMATS)


def test_missing_path_names_it(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_paths([tmp_path / "nope.json"])
    assert err.value.file == str(tmp_path / "nope.json")


def test_detection_is_by_content_not_name(tmp_path: Path) -> None:
    path = write(tmp_path / "run.log", [train_line(1), train_line(2)])
    assert read_paths([path]).format == "mmengine-scalars"


# --- mmengine-scalars: bad input ------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "scalars.json"
    path.write_bytes(b"")
    with pytest.raises(InputError) as err:
        read_paths([path])
    assert err.value.file == str(path)
    assert "empty" in err.value.message


def test_empty_file_with_forced_format(tmp_path: Path) -> None:
    path = tmp_path / "scalars.json"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        read_paths([path], input_format="mmengine-scalars")


def test_not_a_log(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.txt", ["dear diary", "today the loss went down"])
    with pytest.raises(InputError) as err:
        read_paths([path])
    assert err.value.file == str(path)
    assert "mmengine-scalars" in err.value.message  # lists the known formats


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(InputError) as err:
        read_paths([path])
    assert err.value.file == str(path)
    assert "binary" in err.value.message


def test_json_without_step_is_no_training_lines(tmp_path: Path) -> None:
    path = scalars(tmp_path, ['{"lr": 0.1, "data_time": 0.2}'])
    with pytest.raises(InputError) as err:
        read_paths([path], input_format="mmengine-scalars")
    assert 'no training lines: expected MMEngine scalars.json lines with a "step" key' in err.value.message


def test_truncated_last_line_is_dropped_with_its_line(tmp_path: Path) -> None:
    lines = [train_line(i) for i in (1, 2, 3)] + [train_line(4)[:25]]
    path = scalars(tmp_path, lines, end="")
    run = read_paths([path])
    assert run.frame.index.tolist() == [1, 2, 3]
    warning = warning_at(run, 4)
    assert warning.file == str(path)
    assert "truncated" in warning.message


def test_last_line_without_newline_but_complete_is_kept(tmp_path: Path) -> None:
    path = scalars(tmp_path, [train_line(1), train_line(2)], end="")
    run = read_paths([path])
    assert run.frame.index.tolist() == [1, 2]
    assert run.warnings == []


def test_non_json_line_in_the_middle(tmp_path: Path) -> None:
    lines = [train_line(1), train_line(2), "Traceback (most recent call last):", train_line(3)]
    path = scalars(tmp_path, lines)
    run = read_paths([path])
    assert run.frame.index.tolist() == [1, 2, 3]
    warning = warning_at(run, 3)
    assert warning.file == str(path)
    assert warning.message.startswith("not JSON")


def test_binary_garbage_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "scalars.json"
    data = (train_line(1) + "\n" + train_line(2) + "\n").encode() + b"\x00\xff\xfe\x00garbage\n"
    path.write_bytes(data + (train_line(3) + "\n").encode())
    run = read_paths([path])
    assert run.frame.index.tolist() == [1, 2, 3]
    assert warning_at(run, 3).message.startswith("not JSON")


def test_many_bad_lines_are_capped_with_a_count(tmp_path: Path) -> None:
    lines = [train_line(1)] + ["junk"] * 50 + [train_line(2)]
    run = read_paths([scalars(tmp_path, lines)])
    assert run.frame.index.tolist() == [1, 2]
    assert sum(m.startswith("not JSON") for m in messages(run)) == 20
    assert any("30 more lines skipped" in m for m in messages(run))


def test_nan_and_infinity_literals(tmp_path: Path) -> None:
    lines = [
        train_line(1),
        train_line(2, loss=float("nan")),
        train_line(3, loss=float("inf"), grad_norm=float("-inf")),
        train_line(4, grad_norm=2.0),
    ]
    assert "NaN" in lines[1] and "-Infinity" in lines[2]
    run = read_paths([scalars(tmp_path, lines)])
    assert run.nan_steps["loss"].tolist() == [2]
    assert run.nan_steps["loss"].dtype == np.int64
    assert run.frame["loss"].tolist()[2] == float("inf")
    assert run.frame["grad_norm"].tolist()[2] == float("-inf")
    assert math.isnan(run.frame["grad_norm"].tolist()[0])  # missing, not NaN
    assert "grad_norm" not in run.nan_steps


def test_nan_literal_on_the_slow_path_too(tmp_path: Path) -> None:
    lines = [train_line(1, loss=float("nan")), "junk", train_line(2)]
    run = read_paths([scalars(tmp_path, lines)])
    assert run.nan_steps["loss"].tolist() == [1]


def test_duplicate_step_later_wins_with_line(tmp_path: Path) -> None:
    lines = [train_line(1), train_line(2, loss=5.0), train_line(2, loss=6.0), train_line(3)]
    path = scalars(tmp_path, lines)
    run = read_paths([path])
    assert run.frame.index.tolist() == [1, 2, 3]
    assert run.frame.loc[2, "loss"] == 6.0
    warning = warning_at(run, 3)
    assert "step 2 logged again (first at line 2)" in warning.message


def test_steps_going_backwards_start_a_new_segment(tmp_path: Path) -> None:
    lines = [train_line(s, loss=1.0) for s in (10, 20, 30)] + [train_line(s, loss=2.0) for s in (20, 30, 40)]
    path = scalars(tmp_path, lines)
    run = read_paths([path])
    assert run.frame.index.tolist() == [10, 20, 30, 40]
    assert run.frame["loss"].tolist() == [1.0, 2.0, 2.0, 2.0]
    assert [(s.first, s.last) for s in run.segments] == [(10, 30), (20, 40)]
    warning = warning_at(run, 4)
    assert "steps go back from 30 to 20" in warning.message
    assert "replace 2 earlier logged steps (20-30)" in warning.message


def test_metric_appearing_late_is_nan_before(tmp_path: Path) -> None:
    lines = [train_line(1), train_line(2), train_line(3, **{"dbg/grad_flow": 0.5})]
    run = read_paths([scalars(tmp_path, lines)])
    column = run.frame["dbg/grad_flow"]
    assert column.isna().tolist() == [True, True, False]
    assert "dbg/grad_flow" not in run.nan_steps


def test_val_lines_are_set_aside_and_counted(tmp_path: Path) -> None:
    val = json.dumps({"coco/bbox_mAP": 0.5, "data_time": 0.1, "time": 0.2, "step": 0})
    run = read_paths([scalars(tmp_path, [train_line(1), val, train_line(2), val])])
    assert run.frame.index.tolist() == [1, 2]
    assert "coco/bbox_mAP" not in run.frame.columns
    assert "2 validation lines set aside (not training steps)" in messages(run)


def test_frame_shape_and_dtypes(tmp_path: Path) -> None:
    run = read_paths([scalars(tmp_path, [train_line(1, memory=800, note="hi"), train_line(2, memory=810)])])
    assert run.frame.index.name == "step"
    assert run.frame.index.dtype == np.int64
    assert all(dtype == np.float64 for dtype in run.frame.dtypes)
    assert "note" not in run.frame.columns  # not numeric
    assert "step" not in run.frame.columns and "iter" not in run.frame.columns
    assert run.precision == {}


def test_config_beside_scalars(tmp_path: Path) -> None:
    vis = tmp_path / "vis_data"
    vis.mkdir()
    (vis / "config.py").write_text("optim_wrapper = dict(accumulative_counts=4)\n")
    run = read_paths([scalars(vis, [train_line(1)])])
    assert run.config["optim_wrapper"]["accumulative_counts"] == 4
    assert run.config_source == str(vis / "config.py")


# --- files and folders --------------------------------------------------------------------------


def test_several_files_are_launches_in_the_order_given(tmp_path: Path) -> None:
    first = write(tmp_path / "a.json", [train_line(s, loss=1.0) for s in (1, 2, 3)])
    second = write(tmp_path / "b.json", [train_line(s, loss=2.0) for s in (3, 4)])
    run = read_paths([first, second])
    assert run.files == [str(first), str(second)]
    assert run.frame["loss"].tolist() == [1.0, 1.0, 2.0, 2.0]
    assert len(run.segments) == 2
    assert any("replace 1 earlier logged step (3-3)" in m for m in messages(run))


def make_launch(work_dir: Path, stamp: str, steps: list[int], loss: float) -> Path:
    vis = work_dir / stamp / "vis_data"
    vis.mkdir(parents=True)
    return write(vis / "scalars.json", [train_line(s, loss=loss) for s in steps])


def test_work_dir_launches_in_timestamp_order(tmp_path: Path) -> None:
    work = tmp_path / "work"
    late = make_launch(work, "20240102_000000", [3, 4], 2.0)
    early = make_launch(work, "20240101_000000", [1, 2, 3], 1.0)
    run = read_paths([work])
    assert run.files == [str(early), str(late)]
    assert run.frame["loss"].tolist() == [1.0, 1.0, 2.0, 2.0]


def test_work_dir_falls_back_to_text_log(tmp_path: Path) -> None:
    launch = tmp_path / "work" / "20240101_000000"
    launch.mkdir(parents=True)
    write(launch / "20240101_000000.log", [TEXT_LINE.format(i=20, loss="1.0000")])
    run = read_paths([tmp_path / "work"])
    assert run.format == "mmengine-text"
    assert run.frame.index.tolist() == [20]


def test_folder_with_nothing_readable(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as err:
        read_paths([tmp_path / "empty"])
    assert err.value.file == str(tmp_path / "empty")


def test_several_work_dirs_is_the_sweep_mode(tmp_path: Path) -> None:
    make_launch(tmp_path / "run_a", "20240101_000000", [1], 1.0)
    make_launch(tmp_path / "run_b", "20240101_000000", [1], 1.0)
    with pytest.raises(UsageError, match="sweep mode"):
        read_paths([tmp_path / "run_a", tmp_path / "run_b"])
    with pytest.raises(UsageError, match="several runs given"):
        read_paths([tmp_path])


# --- mmengine-text ------------------------------------------------------------------------------

TEXT_LINE = ("2026/11/25 02:32:20 - mmengine - INFO - Iter(train) [{i:>3}/800]  lr: 1.0000e-04  "
             "eta: 0:00:04  time: 0.0047  data_time: 0.0008  loss: {loss}  dbg/update_ratio/flow: 0.0001")
TEXT_HEADER = [
    "2026/11/25 02:32:18 - mmengine - INFO - ",
    "------------------------------------------------------------",
    "System environment:",
    "    Python: 3.11.7",
    "2026/11/25 02:32:18 - mmengine - INFO - Config:",
    "optim_wrapper = dict(accumulative_counts=2, type='OptimWrapper')",
    "model = dict(dino_warmup_iters=600, name='生成器')",
    "",
    "2026/11/25 02:32:19 - mmengine - INFO - Hooks will be executed in the following order:",
    "before_run:",
    "(VERY_HIGH   ) RuntimeInfoHook                    ",
]


def test_text_log_values_precision_and_config(tmp_path: Path) -> None:
    lines = [*TEXT_HEADER, TEXT_LINE.format(i=20, loss="2.9200"),
             "2026/11/25 02:32:20 - mmengine - INFO - Exp name: x",
             TEXT_LINE.format(i=40, loss="nan"), TEXT_LINE.format(i=60, loss="inf")]
    path = write(tmp_path / "20261125_023218.log", lines)
    run = read_paths([path])
    assert run.format == "mmengine-text"
    assert run.frame.index.tolist() == [20, 40, 60]
    assert run.frame.loc[20, "loss"] == 2.92
    assert run.nan_steps["loss"].tolist() == [40]
    assert run.frame.loc[60, "loss"] == float("inf")
    assert "eta" not in run.frame.columns
    assert run.precision["loss"] == pytest.approx(1e-4)
    assert run.precision["dbg/update_ratio/flow"] == pytest.approx(1e-4)
    assert "lr" not in run.precision
    assert run.config["optim_wrapper"]["accumulative_counts"] == 2
    assert run.config["model"] == {"dino_warmup_iters": 600, "name": "生成器"}
    assert run.config_source == f"{path}:6 (config printed at the top of the text log)"


def test_text_log_epoch_based_steps_and_val_lines(tmp_path: Path) -> None:
    stamp = "06/05 20:10:13 - mmengine - INFO - "  # no year, as in pasted logs
    lines = [
        stamp + "Epoch(train)   [1][1/6]  lr: 4.000000e-08  eta: 4:59:11  loss: 0.421912",
        stamp + "Epoch(train)   [1][6/6]  lr: 4.000000e-08  eta: 1 day, 4:59:11  loss: 0.4",
        stamp + "Epoch(val)  [1][1/6]    eta: 0:00:12  time: 2.449414  data_time: 2.133989  ",
        stamp + "Epoch(val) [1][6/6]    coco/AP: 0.000891  coco/AP (M): -1.000000  time: 1.5",
        stamp + "Epoch(train) [2][ 3/6]  lr: 4.000000e-08  loss: 0.3",
    ]
    run = read_paths([write(tmp_path / "x.log", lines)])
    assert run.frame.index.tolist() == [1, 6, 9]
    assert "coco/AP" not in run.frame.columns
    assert "2 validation lines set aside (not training steps)" in messages(run)
    assert run.precision["loss"] == pytest.approx(1e-1)  # coarsest decimals seen


def test_text_log_without_train_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "x.log", TEXT_HEADER)
    with pytest.raises(InputError) as err:
        read_paths([path])
    assert err.value.file == str(path)
    assert "no training lines" in err.value.message


def test_text_log_steps_going_back_is_a_resume(tmp_path: Path) -> None:
    lines = [TEXT_LINE.format(i=i, loss="1.0000") for i in (20, 40, 60)]
    lines.append(TEXT_LINE.format(i=40, loss="2.0000"))
    run = read_paths([write(tmp_path / "x.log", lines)])
    assert run.frame["loss"].tolist() == [1.0, 2.0, 1.0]
    assert warning_at(run, 4).message.startswith("steps go back from 60 to 40")


def test_text_log_starting_again_at_its_first_step_is_a_new_run(tmp_path: Path) -> None:
    lines = [TEXT_LINE.format(i=i, loss=loss) for i, loss in ((20, "1.0000"), (40, "1.0000"), (20, "2.0000"),
                                                               (40, "2.0000"))]
    run = read_paths([write(tmp_path / "x.log", lines)])
    assert run.frame["loss"].tolist() == [2.0, 2.0]
    assert warning_at(run, 1).message.startswith("launch 1 of 2: steps 20–40, 2 points, ended at loss 1")


# --- jsonl --------------------------------------------------------------------------------------


def test_generic_jsonl_with_global_step(tmp_path: Path) -> None:
    lines = [json.dumps({"global_step": s, "train/loss": 1 / s, "train/dbg/grad_flow": 0.1}) for s in (5, 10)]
    lines.insert(1, json.dumps({"eval_loss": 3.0}))
    run = read_paths([write(tmp_path / "log.jsonl", lines)])
    assert run.format == "jsonl"
    assert run.frame.index.tolist() == [5, 10]
    assert list(run.frame.columns) == ["loss", "dbg/grad_flow"]
    assert run.spellings["dbg/grad_flow"] == ["train/dbg/grad_flow"]
    assert any("1 JSON" in m and "set aside" in m for m in messages(run))


def test_jsonl_without_step_column(tmp_path: Path) -> None:
    path = write(tmp_path / "log.jsonl", [json.dumps({"loss": 1.0})])
    with pytest.raises(InputError) as err:
        read_paths([path], input_format="jsonl")
    assert err.value.file == str(path)


# --- property: junk and truncation never lose good rows ------------------------------------------

junk_line = st.one_of(
    st.binary(min_size=1, max_size=30).map(lambda b: b.replace(b"\n", b"")).filter(lambda b: bool(b.strip())),
    st.sampled_from([b"{", b'{"step": ', b"[1, 2]", b"null", b"Traceback", b"\x00\x00", b'{"step": 1,,}']),
)


EXAMPLES = int(os.environ.get("LOSSDOCTOR_HYPOTHESIS_EXAMPLES", "60"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    losses=st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=12),
    junk=st.dictionaries(st.integers(0, 12), junk_line, max_size=4),
    cut=st.integers(0, 40),
    fmt=st.sampled_from(["mmengine-scalars", "jsonl"]),
)
def test_property_junk_and_truncation(
    tmp_path: Path, losses: list[float], junk: dict[int, bytes], cut: int, fmt: str
) -> None:
    good = [(train_line(i + 1, loss=value) + "\n").encode() for i, value in enumerate(losses)]
    chunks: list[bytes] = []
    for index, line in enumerate(good):
        if index in junk:
            chunks.append(junk[index] + b"\n")
        chunks.append(line)
    data = b"".join(chunks)
    truncated = 2 <= cut < len(good[-1])  # cut=1 removes only the newline: the line is still complete
    if cut and cut < len(good[-1]):
        data = data[: len(data) - cut]
    path = tmp_path / "prop.json"
    path.write_bytes(data)
    try:
        run = read_paths([path], input_format=fmt)
    except InputError:
        assert len(good) == 1 and truncated  # the only good line was cut
        return
    expected = losses[:-1] if truncated else losses
    for step, value in enumerate(expected, 1):
        assert run.frame.loc[step, "loss"] == pytest.approx(value)
    if truncated:
        assert any("truncated" in w.message for w in run.warnings)


def test_bare_null_line_does_not_reach_pyarrow(tmp_path: Path) -> None:
    """Regression: pyarrow 26 segfaults when a block starts with a bare `null` line."""
    for lines in (["null", train_line(1)], [train_line(1), "null", train_line(2)], [" null", train_line(1)]):
        run = read_paths([scalars(tmp_path, lines)], input_format="mmengine-scalars")
        assert 1 in run.frame.index
        assert any("not an object" in w.message for w in run.warnings)


def test_importing_readers_does_not_import_pandas() -> None:
    """`lossdoctor --help` must stay fast: the registry imports pandas only when a log is read."""
    code = ("import sys, lossdoctor.readers, lossdoctor.readers.frame, lossdoctor.readers.trainconfig; "
            "print('pandas' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_scalars_without_config_py_takes_the_text_log_header(tmp_path: Path) -> None:
    launch = tmp_path / "20261125_023218"
    (launch / "vis_data").mkdir(parents=True)
    log = write(launch / "20261125_023218.log", [*TEXT_HEADER, TEXT_LINE.format(i=20, loss="9.0000")])
    run = read_paths([scalars(launch / "vis_data", [train_line(20, loss=1.0)])])
    assert run.frame["loss"].tolist() == [1.0]  # values from the JSON, never from the log
    assert run.files == [str(launch / "vis_data" / "scalars.json")]
    assert run.config["optim_wrapper"]["accumulative_counts"] == 2
    assert run.config_source == f"{log}:6 (config printed at the top of the text log)"
