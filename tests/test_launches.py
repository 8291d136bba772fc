"""A restart is not a resume: launches that start again from the first step are runs of their own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor.errors import UsageError
from lossdoctor.readers import read_paths

REAL = Path(__file__).parent / "data" / "real"
DFINE = REAL / "dfine_multirun" / "scalars.json"  # six D-FINE launches concatenated, each from step 1


def line(step: int, loss: float) -> str:
    return json.dumps({"lr": 1e-4, "data_time": 0.01, "loss": loss, "iter": step, "step": step})


def launch(folder: Path, stamp: str, steps: list[int], loss: float) -> Path:
    vis = folder / stamp / "vis_data"
    vis.mkdir(parents=True)
    path = vis / "scalars.json"
    path.write_text("\n".join(line(s, loss) for s in steps) + "\n", encoding="utf-8")
    return path


def test_real_restarts_in_one_scalars_file_are_not_stitched() -> None:
    run = read_paths([DFINE])
    assert run.frame.index[0] == 1 and run.frame.index[-1] == 340
    assert len(run.frame) == 35  # the third launch only: every 10 steps from 10, plus step 1
    assert len(run.segments) == 1  # no "resume" marks stacked at step 1
    notes = [w.message for w in run.warnings]
    assert any(n.startswith("launch 1 of 3: steps 1–2, 2 points, ended at loss 42.28") for n in notes)
    assert any(n.startswith("launch 2 of 3: steps 1–150, 150 points, ended at loss 24.65") for n in notes)
    assert not any("resume appended" in n for n in notes)


def test_an_earlier_launch_can_be_judged_alone() -> None:
    run = read_paths([DFINE], launch=2)
    assert (run.frame.index[0], run.frame.index[-1], len(run.frame)) == (1, 150, 150)
    assert run.frame["loss"].iloc[0] == pytest.approx(40.96, abs=0.01)
    with pytest.raises(UsageError, match="holds 3 launches"):
        read_paths([DFINE], launch=4)


def test_a_resume_from_a_checkpoint_is_still_stitched(tmp_path: Path) -> None:
    work = tmp_path / "work"
    launch(work, "20240101_000000", [10, 20, 30, 40], 2.0)
    launch(work, "20240102_000000", [30, 40, 50], 1.0)  # resumed from the checkpoint at step 20
    run = read_paths([work])
    assert run.frame.index.tolist() == [10, 20, 30, 40, 50]
    assert len(run.segments) == 2
    assert not any("not part of the run" in w.message for w in run.warnings)


def test_a_second_launch_from_scratch_beside_a_crashed_one_is_the_run(tmp_path: Path) -> None:
    work = tmp_path / "work"
    crashed = launch(work, "20240101_000000", [10, 20, 30], float("nan"))
    launch(work, "20240102_000000", [10, 20, 30, 40], 1.0)
    run = read_paths([work])
    assert run.frame["loss"].tolist() == [1.0] * 4
    (note,) = [w for w in run.warnings if w.message.startswith("launch 1 of 2")]
    assert note.file == str(crashed) and note.line == 1
    assert note.message.startswith("launch 1 of 2: steps 10–30, 3 points, ended in NaN (loss)")


def test_cli_names_the_earlier_launch_and_judges_it_on_request(cli: Callable[..., Result]) -> None:
    latest = cli("analyze", DFINE, "--width", "200")
    assert "launch 2 of 3: steps 1–150" in latest.out and "Steps         1–340" in latest.out
    second = cli("analyze", DFINE, "--launch", "2", "--width", "200")
    assert "Steps         1–150" in second.out and "launch 3 of 3: steps 1–340" in second.out
    assert cli("analyze", DFINE, "--launch", "9").code == 2


def test_lightning_hp_metric_file_is_not_a_new_run() -> None:
    pytest.importorskip("tensorboard")
    run = read_paths([REAL / "tb_lightning_binn" / "lightning_logs" / "version_0"])  # train + hp_metric files
    assert run.frame["loss"].notna().sum() == 5
    assert not any("not part of the run" in w.message for w in run.warnings)


FLOWER = REAL / "mmpretrain_flower_voc" / "work_dirs"


def test_real_work_dir_of_restarts_judges_the_current_run_and_names_the_nan_launches() -> None:
    run = read_paths([FLOWER / "alexnet_flower100"])  # four launches from scratch; 1 and 2 diverged to NaN
    assert [s.file.split("/")[-3] for s in run.segments] == ["20260316_202022"]
    assert (run.frame.index[0], run.frame.index[-1]) == (100, 33168)
    assert not len(run.nan_steps.get("loss", []))
    notes = [w.message for w in run.warnings if "not part of the run judged here" in w.message]
    assert [n.split(":")[0] for n in notes] == ["launch 1 of 4", "launch 2 of 4", "launch 3 of 4"]
    assert notes[0].startswith("launch 1 of 4: steps 100–8168, 74 points, ended in NaN (loss)")
    first = read_paths([FLOWER / "alexnet_flower100"], launch=1)
    assert len(first.nan_steps["loss"]) == 65


def test_real_resume_is_stitched_and_the_later_restart_is_the_run() -> None:
    # 165005 trains to step 7072; 193945 resumes from the epoch-20 checkpoint at 5080; 205022 starts afresh
    earlier = read_paths([FLOWER / "ca_vit_flower100"], launch=1)
    assert [(s.file.split("/")[-3], s.first) for s in earlier.segments] == [
        ("20260319_165005", 100), ("20260319_193945", 5080)]
    current = read_paths([FLOWER / "ca_vit_flower100"])
    assert [s.file.split("/")[-3] for s in current.segments] == ["20260319_205022"]
    assert any(w.message.startswith("launch 1 of 2 (resumed 1×): steps 100–7072") for w in current.warnings)


PIZZA = REAL / "mmcv_mmseg_vit_adapter" / "work_dirs" / "pizze_training_large"


def test_real_mmcv_work_dir_of_nine_launches_from_iter_10() -> None:
    run = read_paths([PIZZA])  # nine <ts>.log.json launches, each from iter 10; one holds no train line
    assert run.files == [str(PIZZA / "20240214_133201.log.json")]
    assert (run.frame.index[0], run.frame.index[-1], len(run.frame)) == (10, 4130, 413)
    named = [w.message.split(":")[0] for w in run.warnings if "not part of the run judged here" in w.message]
    assert named == [f"launch {n} of 8" for n in range(1, 8)]
    (empty,) = [w for w in run.warnings if w.message.startswith("launch not read")]
    assert empty.file == str(PIZZA / "20240214_131055.log.json")
    first = read_paths([PIZZA], launch=1)
    assert (first.frame.index[-1], len(first.frame)) == (200, 20)


TEXT = ("2026/11/25 02:32:20 - mmengine - INFO - Iter(train) [{i:>3}/800]  lr: 1.0000e-04  "
        "eta: 0:00:04  time: 0.0047  data_time: 0.0008  loss: {loss}")


def text_launch(work: Path, stamp: str, steps: list[int], loss: str, said: str = "") -> None:
    folder = work / stamp
    folder.mkdir(parents=True)
    lines = ([f"2026/11/25 02:32:19 - mmengine - INFO - {said}"] if said else [])
    lines += [TEXT.format(i=s, loss=loss) for s in steps]
    (folder / f"{stamp}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("said", "stitched"), [("resumed epoch: 0, iter: 40", True),
                                                 ("Load checkpoint from work/iter_40.pth", False)])
def test_the_launch_own_text_log_says_whether_it_resumed(tmp_path: Path, said: str, stitched: bool) -> None:
    work = tmp_path / "work"
    text_launch(work, "20240101_000000", [20, 40, 60], "2.0000")
    text_launch(work, "20240102_000000", [60, 80], "1.0000", said)  # steps continue either way
    run = read_paths([work])
    assert (run.frame.index.tolist() == [20, 40, 60, 80]) is stitched
    assert any("not part of the run judged here" in w.message for w in run.warnings) is not stitched


def test_launch_is_refused_for_several_runs(cli: Callable[..., Result]) -> None:
    result = cli("analyze", FLOWER, "--launch", "1")
    assert result.code == 2 and "--launch picks a launch of one run; 5 runs were given" in result.err


def test_a_launch_killed_before_its_first_line_is_left_out_and_named(tmp_path: Path) -> None:
    work = tmp_path / "work"
    first = launch(work, "20240101_000000", [10, 20], 1.0)
    dead = launch(work, "20240102_000000", [30], 1.0)
    dead.write_text("", encoding="utf-8")  # the resumed job died before it logged anything
    run = read_paths([work])
    assert run.files == [str(first)] and run.frame.index.tolist() == [10, 20]
    assert [(w.file, w.message) for w in run.warnings] == [(str(dead), "launch not read: empty file")]
