"""A half-written last line is not data (the text formats leave it out and name it); text pairs read whole."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor.errors import InputError
from lossdoctor.readers import read_paths

REAL = Path(__file__).parent / "data" / "real"
RTMDET = REAL / "mmdet_rtmdet_tiny_demo" / "demo_rtmdet_training" / "20260225_034746" / "20260225_034746.log"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "real_logs"
MMCV_TEXT = SHARED / "mmcv_text" / "mmcls_mobilenetv2_cifar10.log"
LIGHTNING = SHARED / "lightning_csv" / "slm_training_crlf_val_metrics.csv"
MMENGINE = SHARED / "mmengine_text" / "mmpose_epochbased_val_interleaved.log"
LINE = ("2026/11/25 02:32:20 - mmengine - INFO - Iter(train) [{i:>3}/800]  lr: 1.0000e-04  "
        "eta: 0:00:04  time: 0.0047  data_time: 0.0008  loss: {loss}")


def cut_copies(source: Path, folder: Path, marker: bytes, keep: int) -> tuple[Path, Path]:
    """`source` up to the line holding the last `marker` (whole), and with `keep` bytes of that line (cut),
    as a writer killed mid-line would leave it."""
    data = source.read_bytes()
    at = data.rindex(marker)
    line_start = data.rindex(b"\n", 0, at) + 1
    whole, cut = folder / ("whole" + source.suffix), folder / ("cut" + source.suffix)
    whole.write_bytes(data[:line_start])
    cut.write_bytes(data[: at + keep])
    return whole, cut


def test_mmengine_text_cut_mid_value(tmp_path: Path) -> None:
    text = "\n".join(LINE.format(i=i, loss="82.9300") for i in (20, 40)) + "\n" + LINE.format(i=60, loss="8")
    path = tmp_path / "run.log"
    path.write_text(text, encoding="utf-8")
    run = read_paths([path])
    assert run.frame["loss"].tolist() == [82.93, 82.93]  # no `loss: 8` spike at step 60
    (warning,) = [w for w in run.warnings if "no newline" in w.message]
    assert (warning.file, warning.line) == (str(path), 3)


def test_a_log_whose_only_row_is_cut_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("step,loss\n1,0.5", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_paths([path])
    assert err.value.file == str(path)
    assert "line 2, the last, has no newline" in err.value.message


def test_gzipped_cut_log_names_the_user_file(tmp_path: Path) -> None:
    text = "step,loss\n1,2.0\n2,1.9\n3,1"
    path = tmp_path / "metrics.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    run = read_paths([path])
    assert run.frame["loss"].tolist() == [2.0, 1.9]
    assert any(w.file == str(path) and w.line == 4 and "no newline" in w.message for w in run.warnings)


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared real logs not found at {SHARED}")
@pytest.mark.parametrize(("source", "marker", "keep"), [
    (MMCV_TEXT, b"loss: 0.4704", 9),  # `Epoch [10][1560/1563] ... loss: 0.4` of 0.4704
    (MMENGINE, b"Epoch(train) [132][3/6]", 80),  # cut inside `time: 7.47`
    (LIGHTNING, b"9,2419.625244140625,140739,", 32),  # the last row's step, then `39.93` of 39.934356...
])
def test_real_text_logs_cut_while_written(tmp_path: Path, source: Path, marker: bytes, keep: int) -> None:
    whole_path, cut_path = cut_copies(source, tmp_path, marker, keep)
    whole, cut = read_paths([whole_path]), read_paths([cut_path])
    assert cut.frame.equals(whole.frame)
    (warning,) = [w for w in cut.warnings if "no newline" in w.message]
    assert warning.file == str(cut_path)
    assert warning.line == whole_path.read_bytes().count(b"\n") + 1


def test_real_mmdet_text_log_cut_while_written(tmp_path: Path) -> None:
    last_train = RTMDET.read_bytes().rindex(b"Epoch(train)")
    marker = RTMDET.read_bytes()[last_train : last_train + 30]
    keep = RTMDET.read_bytes().index(b"loss: ", last_train) - last_train + 7  # `loss: 2` of `loss: 2.1072`
    whole_path, cut_path = cut_copies(RTMDET, tmp_path, marker, keep)
    whole, cut = read_paths([whole_path]), read_paths([cut_path])
    assert cut.frame.equals(whole.frame)
    cut_line = whole_path.read_bytes().count(b"\n") + 1
    assert [w.line for w in cut.warnings if "no newline" in w.message] == [cut_line]


def test_cli_warns_and_does_not_fire_on_the_cut_value(cli: Callable[..., Result], tmp_path: Path) -> None:
    rows = "\n".join(f"{s},{90 - s / 100:.4f}" for s in range(1, 400))
    path = tmp_path / "train.csv"
    path.write_text(f"step,loss\n{rows}\n400,8", encoding="utf-8")  # `8` of `86.0000`, being written
    result = cli("analyze", path, "--width", "200")
    assert "no newline" in result.out and ":401:" in result.out
    (loss_row,) = [line.split() for line in result.out.splitlines() if line.startswith("loss ")]
    assert loss_row[1] == "86"  # the metric's last value is the last complete line's, not `8`


def test_real_mmdet_text_log_with_single_spaced_pairs_agrees_with_its_scalars() -> None:
    text = read_paths([RTMDET])  # `base_lr: 3.5045e-05 lr: 3.5045e-05`: one space between the two pairs
    scalars = read_paths([RTMDET.parent / "vis_data" / "scalars.json"])
    assert list(text.frame.columns) == ["base_lr", "lr", "time", "data_time", "loss", "loss_cls", "loss_bbox"]
    assert text.frame.index.equals(scalars.frame.index)
    assert text.frame["lr"].to_numpy() == pytest.approx(scalars.frame["lr"].to_numpy(), rel=1e-3)


def test_a_cut_e_notation_value_fires_no_spike_in_analyze_or_watch(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    # a falling loss (a flat one is a plateau now that the window fits a short run)
    rows = "\n".join(f"{s},{1.2e-3 * (1 - s / 1000 + 0.01 * (s % 7) / 7):.4e}" for s in range(1, 400))
    path = tmp_path / "train.csv"
    path.write_text(f"step,loss\n{rows}\n400,1.2345", encoding="utf-8")  # `1.2345` of `1.2345e-03`
    found = json.loads(cli("analyze", path, "--fail-on", "never", "--format", "json").out)["findings"]
    assert [f["rule"] for f in found if f["rule"] == "loss-spike"] == []
    watched = cli("watch", path, "--fail-on", "warn")
    assert watched.code == 0 and "0 alerts fired" in watched.out
