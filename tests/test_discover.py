"""A folder finds its runs as their tools lay them out and says what it skipped; `metrics DIR` shows it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor.readers import read_paths, split_runs
from lossdoctor.readers.discover import discover

REAL = Path(__file__).parent / "data" / "real"
FLOWER = REAL / "mmpretrain_flower_voc" / "work_dirs"
MLFLOW = REAL / "mlflow_keras_deepcnn"
KERAS_TB = REAL / "tb_keras_deepcnn" / "tensorboard_log_dir"
BYOL = REAL / "lightning_byol_deepmind_research"
LANDCOVER = REAL / "mmseg_landcover_workdir"
BINN = REAL / "tb_lightning_binn"


def found(root: Path) -> list[tuple[str, str]]:
    return [(str(r.path.relative_to(root)), r.kind) for r in discover(root).runs]


def skipped(root: Path) -> dict[str, str]:
    return {str(s.path.relative_to(root)): s.reason for s in discover(root).skipped}


def test_nested_mmengine_work_dirs_are_each_a_run(tmp_path: Path) -> None:
    root = tmp_path / "experiments"  # experiments/<model>/<schedule>/<variant>/<ts>/
    for model, source in (("alexnet", "alexnet_flower100"), ("vit", "vit_base_patch16_voc")):
        shutil.copytree(FLOWER / source, root / model / "sched_100e" / "base" / "", dirs_exist_ok=True)
    runs = found(root)
    assert runs == [("alexnet/sched_100e/base", "MMEngine work dir (4 launches)"),
                    ("vit/sched_100e/base", "MMEngine work dir (2 launches)")]
    assert len(split_runs([root])) == 2


def test_real_folder_of_five_work_dirs_names_them_all_and_the_empty_launches() -> None:
    assert [path for path, _ in found(FLOWER)] == [
        "alexnet_flower100", "ca_vit_flower100", "resnet50_voc", "swin_base_patch16_voc",
        "vit_base_patch16_voc"]
    assert skipped(FLOWER)["ca_vit_flower100/20260319_163007"].startswith("launch folder without a log")
    with pytest.raises(Exception, match="several runs given"):
        read_paths([FLOWER])


def test_a_work_dir_with_event_files_beside_its_launches(tmp_path: Path) -> None:
    work = LANDCOVER / "logs" / "Dataset_128_CrossEntropyLoss_Adam_bsize_2"
    assert found(LANDCOVER) == [(str(work.relative_to(LANDCOVER)), "MMEngine work dir (1 launch)")]
    reasons = skipped(LANDCOVER)
    assert "event file(s) beside the launches" in reasons[str(work.relative_to(LANDCOVER))]
    run = read_paths([LANDCOVER])
    assert any(w.message.startswith("skipped: launch folder without a log") for w in run.warnings)


def test_a_keras_tensorboard_logdir_is_one_run_of_train_and_validation() -> None:
    runs = found(KERAS_TB)
    assert [path for path, _ in runs] == [f"tb_logs_at_{stamp}" for stamp in (
        "2022-09-25-10-39-45", "2022-09-25-12-32-50", "2022-09-25-21-02-25", "2022-09-27-06-02-14")]
    assert {kind for _, kind in runs} == {"Keras TensorBoard logdir"}
    assert "tb_logs_at_2022-09-25-10-39-45/validation" not in skipped(KERAS_TB)  # read with train/


def test_lightning_versions_in_order_and_an_empty_one_skipped() -> None:
    runs = found(BYOL)
    assert runs[0] == ("lightning_logs/version_0", "Lightning CSVLogger")
    assert [path for path, _ in runs][:3] == ["lightning_logs/version_0", "lightning_logs/version_1",
                                              "lightning_logs/version_2"]
    assert len(runs) == 14
    assert "hparams.yaml" in skipped(BYOL)["lightning_logs/version_11"]


def test_lightning_tensorboard_versions() -> None:
    runs = found(BINN)
    assert [path for path, _ in runs] == ["lightning_logs/version_0", "lightning_logs/version_1"] + [
        f"lightning_logs/version_{n}" for n in range(107, 112)]


def test_mlflow_file_store_run_is_found_and_read() -> None:
    (run,) = discover(MLFLOW).runs
    assert (run.path.name, run.kind) == ("cb0096518b0e4c66a94428555f05420b", "MLflow run")
    data = read_paths([MLFLOW])
    assert data.format == "mlflow"
    assert data.frame.loc[0, "loss"] == pytest.approx(3.2727866172790527)
    assert data.frame.loc[0, "accuracy"] == pytest.approx(0.786, abs=1e-3)


def test_mlflow_metrics_join_on_step_and_nested_names(tmp_path: Path) -> None:
    run = tmp_path / "mlruns" / "1" / "abc"
    (run / "metrics" / "train").mkdir(parents=True)
    (run / "meta.yaml").write_text("run_id: abc\n", encoding="utf-8")
    (run / "metrics" / "train" / "loss").write_text("1 2.0 10\n2 1.5 20\n3 nan 30\n", encoding="utf-8")
    (run / "metrics" / "lr").write_text("1 0.1 10\n3 0.05 30\n4 0.0", encoding="utf-8")  # cut last line
    data = read_paths([tmp_path])
    assert data.frame.index.tolist() == [10, 20, 30]
    assert data.frame["loss"].iloc[:2].tolist() == [2.0, 1.5] and data.nan_steps["loss"].tolist() == [30]
    assert any(w.line == 3 and "no newline" in w.message for w in data.warnings)


def test_hf_trainer_output_reads_the_latest_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for step in (500, 1000):
        (out / f"checkpoint-{step}").mkdir(parents=True)
        history = [{"step": s, "loss": 1.0 / s, "learning_rate": 1e-4} for s in range(10, step + 1, 10)]
        (out / f"checkpoint-{step}" / "trainer_state.json").write_text(
            json.dumps({"log_history": history}), encoding="utf-8")
    (run,) = discover(out).runs
    assert run.inputs == (out / "checkpoint-1000" / "trainer_state.json",)
    assert "earlier checkpoint" in skipped(out)["checkpoint-500"]
    assert read_paths([out]).frame.index[-1] == 1000


def test_tensorboard_logdir_with_run_subfolders_is_no_longer_refused(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    root = tmp_path / "runs"
    for version in ("version_0", "version_108"):
        shutil.copytree(BINN / "lightning_logs" / version, root / version)
    assert len(split_runs([root])) == 2
    assert read_paths([root / "version_108"]).frame["loss"].notna().sum() == 28


def test_unrelated_files_become_a_sweep_with_the_reason(cli: Callable[..., Result], tmp_path: Path) -> None:
    files = [REAL / "hf_multi_eval_trainer_state_viz" / "trainer_state.json",
             REAL / "lightning_gmm_density" / "lightning_logs" / "version_0" / "metrics.csv",
             FLOWER / "resnet50_voc" / "20260420_164816" / "vis_data" / "scalars.json"]
    assert len(split_runs(files)) == 3
    result = cli("analyze", *files, "--format", "json", "--fail-on", "never")
    assert "not launches of one run (3 formats" in result.err
    assert len(json.loads(result.out)["runs"]) == 3


def test_launch_files_of_one_work_dir_stay_one_run() -> None:
    work = FLOWER / "resnet50_voc"
    files = [work / stamp / "vis_data" / "scalars.json" for stamp in ("20260420_164816", "20260420_170257")]
    assert split_runs(files) == [files]


def test_metrics_shows_the_tree_of_runs(cli: Callable[..., Result]) -> None:
    result = cli("metrics", FLOWER)
    assert result.code == 0
    assert "5 runs found" in result.out
    assert "alexnet_flower100  (MMEngine work dir (4 launches))" in result.out
    assert "20260319_163007: launch folder without a log" in result.out
    doc = json.loads(cli("metrics", BYOL, "--format", "json").out)
    assert len(doc["runs"]) == 14 and doc["skipped"][0]["path"] == "lightning_logs/version_11"


def test_metrics_on_one_run_shows_its_tree_and_its_metrics(cli: Callable[..., Result]) -> None:
    doc = json.loads(cli("metrics", MLFLOW, "--format", "json").out)
    assert doc["runs"] == [{"path": "mlruns/0/cb0096518b0e4c66a94428555f05420b", "kind": "MLflow run",
                            "reads": ["mlruns/0/cb0096518b0e4c66a94428555f05420b"]}]
    assert doc["format"] == "mlflow" and {m["name"] for m in doc["metrics"]} == {"loss", "accuracy"}


def test_a_folder_with_nothing_says_what_it_skipped(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("lr 0.1 worked best\n", encoding="utf-8")
    result = cli("analyze", tmp_path)
    assert result.code == 2
    assert "nothing readable" in result.err and "notes.txt: not a recognised training log" in result.err


def test_a_sweep_of_a_folder_says_what_it_skipped(cli: Callable[..., Result]) -> None:
    result = cli("analyze", BYOL, "--format", "json", "--fail-on", "never", "--jobs", "1")
    assert len(json.loads(result.out)["runs"]) == 14
    assert "skipped " + str(BYOL / "lightning_logs" / "version_11") in result.err


def test_mmcv_work_dirs_of_log_json_launches() -> None:
    root = REAL / "mmcv_mmseg_vit_adapter"
    assert found(root) == [
        ("work_dirs/mask2former_beit_adapter_large_896_80k_ade20k_ss", "MMCV work dir (2 launches)"),
        ("work_dirs/pizze_training_large", "MMCV work dir (9 launches)")]
    reasons = skipped(root)
    eval_file = "work_dirs/pizze_training_large/eval_single_scale_20240214_132141.json"
    assert reasons[eval_file] == "not a launch log"
    assert len(split_runs([root])) == 2


def test_the_tree_never_prints_an_escape_sequence(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "evil\x1b[2Jname.log").write_text("not a log\n", encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for name in ("a", "b"):
        (tmp_path / name / "log.jsonl").write_text('{"step": 1, "loss": 1.0}\n', encoding="utf-8")
    result = cli("metrics", tmp_path)
    assert "2 runs found" in result.out and "\x1b[2J" not in result.out and "evil?[2Jname.log" in result.out


def test_the_walk_is_bounded_and_says_where_it_stopped(tmp_path: Path) -> None:
    deep = tmp_path
    for level in range(40):
        deep = deep / f"d{level}"
    deep.mkdir(parents=True)
    (deep / "log.jsonl").write_text('{"step": 1, "loss": 1.0}\n', encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path)  # a symlinked folder is not followed
    result = discover(tmp_path)
    assert result.runs == []
    assert [s.reason for s in result.skipped] == ["not searched: deeper than 32 folders"]


def test_folders_and_loose_files_given_together_are_a_sweep(tmp_path: Path) -> None:
    loose = REAL / "hf_multi_eval_trainer_state_viz" / "trainer_state.json"
    runs = split_runs([FLOWER / "resnet50_voc", BYOL / "lightning_logs" / "version_0", loose])
    assert runs == [[FLOWER / "resnet50_voc"], [BYOL / "lightning_logs" / "version_0"], [loose]]


def test_an_mlflow_run_is_named_by_its_meta(tmp_path: Path) -> None:
    run = tmp_path / "mlruns" / "3" / "f00d"
    (run / "metrics").mkdir(parents=True)
    (run / "meta.yaml").write_text("run_id: f00d\nrun_name: bright-owl-7\n", encoding="utf-8")
    (run / "metrics" / "loss").write_text("1 2.0 1\n2 1.0 2\n", encoding="utf-8")
    assert found(tmp_path) == [("mlruns/3/f00d", "MLflow run 'bright-owl-7'")]
