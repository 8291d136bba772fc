"""The TensorBoard event-file reader: real file, both scalar encodings, logdirs, damaged files, the extra.

Files are written with TensorBoard's own writer (tests/helpers/tfevents_writer.py), never with the
reader's framing code, so a shared misunderstanding of the format cannot pass.
"""

from __future__ import annotations

import builtins
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
pytest.importorskip("google_crc32c", reason="the tensorboard extra is not installed")

from helpers.tfevents_writer import write_event_file, write_run

from lossdoctor.engine import analyze, load_default
from lossdoctor.errors import InputError
from lossdoctor.readers import READERS, detect, read_paths, tfevents
from lossdoctor.readers.base import read_head

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "real_logs"
REAL_VIS = SHARED / "mmengine_flowgen" / "flowgen_healthy" / "20261125_023218" / "vis_data"
REAL_EVENTS = REAL_VIS / "events.out.tfevents.1795573939.vm.5785.0"
SAMPLE = ROOT / "sample_logs" / "flow_stalled" / "20261128_134300"
F32 = {"rtol": 2**-23, "atol": 0.0}


def small_frame(steps: range = range(10, 60, 10), **columns: list[float]) -> pd.DataFrame:
    data = columns or {"loss": [1.0 / s for s in steps], "dbg/grad_flow": [0.1 * s for s in steps]}
    return pd.DataFrame(data, index=pd.Index(list(steps), name="step"))


def as_f32(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(np.float32).astype(np.float64)


def records(path: Path) -> list[tuple[int, int]]:
    """(offset, total length) of each record, from the framing."""
    data, out, offset = path.read_bytes(), [], 0
    while offset < len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        out.append((offset, length + 16))
        offset += length + 16
    return out


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.skipif(not REAL_EVENTS.is_file(), reason=f"shared real logs not found at {SHARED}")
def test_real_mmengine_event_file_matches_its_scalars_json() -> None:
    events = read_paths([REAL_EVENTS])
    scalars = read_paths([REAL_VIS / "scalars.json"])
    assert detect(REAL_EVENTS) == "tfevents" and events.format == "tfevents"
    assert events.frame.index.tolist() == scalars.frame.index.tolist() == list(range(20, 801, 20))
    assert sorted(events.frame.columns) == sorted(scalars.frame.columns)  # `iter` only echoed the step
    pd.testing.assert_frame_equal(events.frame[scalars.frame.columns], as_f32(scalars.frame))
    assert events.shadows == scalars.shadows and events.shadow_only == scalars.shadow_only
    assert events.config == scalars.config and events.config_source == str(REAL_VIS / "config.py")
    assert events.warnings == []


def test_simple_values_and_scalar_tensors_read_alike(tmp_path: Path) -> None:
    frame = small_frame()
    simple = read_paths([write_event_file(tmp_path / "simple", frame)])
    tensor = read_paths([write_event_file(tmp_path / "tensor", frame, tensor=True)])
    pd.testing.assert_frame_equal(simple.frame, as_f32(frame), check_names=False)
    pd.testing.assert_frame_equal(tensor.frame, simple.frame)
    assert simple.frame.index.name == "step"


def test_double_and_tensor_content_scalars_and_non_scalars(tmp_path: Path) -> None:
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

    plugin = summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
    meta = summary_pb2.SummaryMetadata(plugin_data=plugin)
    double = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[0.1])
    content = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=np.float32(2.5).tobytes())
    vector = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0],
                                    tensor_shape=tensor_shape_pb2.TensorShapeProto(
                                        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=2)]))
    values = [
        summary_pb2.Summary.Value(tag="lr", tensor=double, metadata=meta),
        summary_pb2.Summary.Value(tag="loss", tensor=content, metadata=meta),
        summary_pb2.Summary.Value(tag="hist", tensor=vector, metadata=meta),  # not a scalar
        summary_pb2.Summary.Value(tag="loss_flow", simple_value=0.5),
    ]
    several = event_pb2.Event(wall_time=1.0, step=7, summary=summary_pb2.Summary(value=values))
    graph = event_pb2.Event(wall_time=1.0, graph_def=b"\x0a\x00")
    path = write_event_file(tmp_path, small_frame(range(0, 0)), extra=[graph, several])
    run = read_paths([path])
    assert run.frame.index.tolist() == [7]
    assert run.frame.loc[7].to_dict() == {"lr": 0.1, "loss": 2.5, "loss_flow": 0.5}


def test_last_write_per_step_and_tag_wins_and_literal_nan_is_kept(tmp_path: Path) -> None:
    frame = small_frame(range(1, 4), loss=[1.0, float("nan"), 3.0])
    first = write_event_file(tmp_path, frame, nan_steps={"loss": [2]})
    again = write_event_file(tmp_path / "b", small_frame(range(3, 4), loss=[9.0]))
    combined = tmp_path / "c" / first.name
    combined.parent.mkdir()
    combined.write_bytes(first.read_bytes() + again.read_bytes()[records(again)[0][1]:])  # no 2nd version
    run = read_paths([combined])
    assert run.frame["loss"].tolist()[0] == 1.0 and run.frame["loss"].tolist()[2] == 9.0
    assert run.nan_steps["loss"].tolist() == [2]
    assert len(run.segments) == 1


def test_a_logdir_of_several_event_files_is_one_run_in_launch_order(tmp_path: Path) -> None:
    logdir = tmp_path / "logdir"
    write_event_file(logdir, small_frame(range(30, 50, 10)), suffix=".b")  # resumed at step 30
    write_event_file(logdir, small_frame(range(10, 40, 10)), suffix=".a")
    (late,) = logdir.glob("*.b")  # by suffix: the writer's counter in the name sorts 10 before 9
    (early,) = logdir.glob("*.a")
    late.rename(logdir / "events.out.tfevents.200.host.1.1")
    early.rename(logdir / "events.out.tfevents.100.host.1.0")
    run = read_paths([logdir])
    assert [Path(f).name for f in run.files] == ["events.out.tfevents.100.host.1.0",
                                                 "events.out.tfevents.200.host.1.1"]
    assert run.frame.index.tolist() == [10, 20, 30, 40]
    assert len(run.segments) == 2


def test_a_work_dir_prefers_scalars_json_but_reads_a_lone_event_file(tmp_path: Path) -> None:
    launch = tmp_path / "work" / "20261128_134300"
    shutil.copytree(SAMPLE, launch)
    sample = read_paths([launch.parent])
    write_run(launch / "vis_data", sample)
    assert read_paths([launch.parent]).format == "mmengine-scalars"
    (launch / "vis_data" / "scalars.json").unlink()
    alone = read_paths([launch.parent])
    assert alone.format == "tfevents"
    pd.testing.assert_frame_equal(alone.frame, as_f32(sample.frame), **F32)


# --- damaged files ---------------------------------------------------------------------------


def test_a_file_cut_off_mid_record_reads_every_whole_record(tmp_path: Path) -> None:
    path = write_event_file(tmp_path, small_frame())
    frames = records(path)
    cut = frames[-1][0] + 20  # inside the last record (loss_flow's grad at step 50)
    path.write_bytes(path.read_bytes()[:cut])
    run = read_paths([path])
    assert run.frame.index.tolist() == [10, 20, 30, 40, 50]
    assert np.isnan(run.frame.loc[50, "dbg/grad_flow"]) and run.frame.loc[50, "loss"] == pytest.approx(0.02)
    (warning,) = run.warnings
    assert warning.line == len(frames)
    assert f"record {len(frames)} at byte {frames[-1][0]}" in warning.message
    assert "cut off mid-record" in warning.message


def test_a_data_crc_mismatch_skips_that_record_only(tmp_path: Path) -> None:
    path = write_event_file(tmp_path, small_frame())
    frames = records(path)
    data = bytearray(path.read_bytes())
    offset, total = frames[3]  # step 20's loss (record 1 is the file version)
    data[offset + total - 6] ^= 0xFF  # a byte of the float
    path.write_bytes(bytes(data))
    run = read_paths([path])
    assert np.isnan(run.frame.loc[20, "loss"]) and run.frame.loc[30, "loss"] == pytest.approx(1 / 30)
    (warning,) = run.warnings
    assert warning.line == 4 and f"record 4 at byte {offset}: data CRC does not match" in warning.message


def test_a_length_crc_mismatch_stops_there(tmp_path: Path) -> None:
    path = write_event_file(tmp_path, small_frame())
    frames = records(path)
    data = bytearray(path.read_bytes())
    data[frames[5][0]] ^= 0x01  # step 30's loss: its length field
    path.write_bytes(bytes(data))
    run = read_paths([path])
    assert run.frame.index.tolist() == [10, 20]
    assert "record 6" in run.warnings[0].message and "length's CRC does not match" in run.warnings[0].message


def test_nothing_readable_is_an_input_error(tmp_path: Path) -> None:
    path = write_event_file(tmp_path, small_frame())
    path.write_bytes(path.read_bytes()[: records(path)[1][0] + 5])  # the version record and a scrap
    with pytest.raises(InputError, match="no scalar summaries"):
        read_paths([path])


# --- detection and the extra -----------------------------------------------------------------


def test_sniffing_claims_event_files_and_nothing_else(tmp_path: Path) -> None:
    path = write_event_file(tmp_path, small_frame())
    head = read_head(path)
    assert [name for name, reader in READERS.items() if reader.sniff(head)] == ["tfevents"]
    others = [SAMPLE / "vis_data" / "scalars.json", SAMPLE / "20261128_134300.log",
              SAMPLE / "vis_data" / "config.py"]
    others += sorted(p for p in SHARED.rglob("*") if p.is_file() and "tfevents" not in p.name)
    for other in others:
        assert not tfevents.sniff(read_head(other)), other
    assert detect(SAMPLE / "vis_data" / "scalars.json") == "mmengine-scalars"


def test_missing_extra_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_event_file(tmp_path, small_frame())
    real_import = builtins.__import__

    def no_tensorboard(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("tensorboard"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    assert detect(path) == "tfevents"  # sniffing needs no extra
    with pytest.raises(InputError) as err:
        read_paths([path])
    assert "pip install 'lossdoctor[tensorboard]'" in err.value.message
    assert err.value.file == str(path)


# --- the same run as scalars.json and as an event file ---------------------------------------


def finding_keys(run: Any) -> list[tuple[str, str | None, int, int]]:
    report = analyze(run, load_default())
    return sorted((f.rule, f.tag, f.first_step, f.last_step) for f in report.findings)


def test_a_sample_run_as_an_event_file_gives_the_same_frame_and_findings(tmp_path: Path) -> None:
    scalars = read_paths([SAMPLE / "vis_data" / "scalars.json"])
    vis = tmp_path / SAMPLE.name / "vis_data"
    path = write_run(vis, scalars)
    shutil.copy(SAMPLE / "vis_data" / "config.py", vis / "config.py")
    events = read_paths([path])
    assert events.format == "tfevents" and events.warnings == []
    pd.testing.assert_frame_equal(events.frame, scalars.frame, **F32)
    for name, steps in scalars.nan_steps.items():
        assert events.nan_steps[name].tolist() == steps.tolist()
    assert events.config == scalars.config  # (shadows are not in a RunData frame, so not written)
    assert finding_keys(events) == finding_keys(scalars)
    assert any(rule == "flow-stalled" for rule, *_ in finding_keys(events))
