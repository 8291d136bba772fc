"""Sweep mode: several runs at once, a row per run worst first, one exit code for all."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result
from helpers.schemas import validated

from lossdoctor.readers import split_runs
from lossdoctor.runs.sweep import row_of, rows_worst_first

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
SCENARIOS = sorted(p.name for p in SAMPLES.iterdir() if (p / "expect.yaml").is_file())




def copy_runs(tmp_path: Path, names: list[str]) -> Path:
    runs = tmp_path / "runs"
    for name in names:
        shutil.copytree(SAMPLES / name, runs / name)
    return runs


def broken_run(runs: Path) -> Path:
    folder = runs / "broken" / "20260101_000000" / "vis_data"
    folder.mkdir(parents=True)
    (folder / "scalars.json").write_bytes(b"\x00\x01binary junk")
    return runs / "broken"


def test_split_runs_finds_work_dirs_and_keeps_one_run_as_one(tmp_path: Path) -> None:
    runs = copy_runs(tmp_path, ["healthy", "resumed_healthy"])
    assert split_runs([runs]) == [[runs / "healthy"], [runs / "resumed_healthy"]]
    assert split_runs([runs / "healthy", runs / "resumed_healthy"]) == split_runs([runs])
    assert split_runs([runs / "resumed_healthy"]) == [[runs / "resumed_healthy"]]  # two launches, one run
    launches = sorted((runs / "resumed_healthy").iterdir())[:2]
    assert len(split_runs([p for p in launches if p.is_dir()])) == 1


def test_sweep_json_validates_and_rows_are_worst_first(cli: Callable[..., Result], tmp_path: Path) -> None:
    runs = copy_runs(tmp_path, ["healthy", "flow_stalled", "z_mean_drift", "noisy_healthy"])
    broken_run(runs)
    result = cli("analyze", runs, "--format", "json", "--jobs", "2")
    assert result.code == 1  # a red run fails the sweep
    document = validated(result.out, "sweep")
    statuses = [r["status"] for r in document["runs"]]
    assert statuses == sorted(statuses, key=["red", "error", "warn", "ok"].index)
    broken = next(r for r in document["runs"] if r["path"].endswith("broken"))
    assert broken["report"] is None and broken["exit"] == 2 and "binary" in broken["error"]
    assert {r["path"].rsplit("/", 1)[-1] for r in document["runs"] if r["status"] == "ok"} == {
        "healthy",
        "noisy_healthy",
    }


def test_sweep_table_equals_separate_analyze_calls(cli: Callable[..., Result], tmp_path: Path) -> None:
    """The issue's property, on every sample run: one sweep gives the rows of N separate `analyze` calls."""
    runs = copy_runs(tmp_path, SCENARIOS)
    sweep = json.loads(cli("analyze", runs, "--format", "json").out)
    separate = []
    for name in SCENARIOS:
        result = cli("analyze", runs / name, "--format", "json")
        separate.append(row_of(str(runs / name), json.loads(result.out), result.code))
    from_sweep = [row_of(r["path"], r["report"], r["exit"]) for r in sweep["runs"]]
    assert from_sweep == rows_worst_first(separate)
    by_path = {r["path"]: r["report"] for r in sweep["runs"]}
    alone = json.loads(cli("analyze", runs / "flow_stalled", "--format", "json").out)
    assert by_path[str(runs / "flow_stalled")] == alone


def test_exit_codes_over_all_runs(cli: Callable[..., Result], tmp_path: Path) -> None:
    runs = copy_runs(tmp_path, ["healthy", "noisy_healthy"])
    assert cli("analyze", runs, "--jobs", "1").code == 0
    broken_run(runs)
    assert cli("analyze", runs, "--jobs", "1").code == 0  # one unreadable run does not stop the others
    only_broken = tmp_path / "only_broken"
    broken_run(only_broken)
    (only_broken / "broken2").mkdir()
    shutil.copytree(only_broken / "broken", only_broken / "broken2", dirs_exist_ok=True)
    assert cli("analyze", only_broken, "--jobs", "1").code == 2  # nothing readable
    runs2 = copy_runs(tmp_path / "b", ["healthy", "flow_stalled"])
    assert cli("analyze", runs2, "--jobs", "1").code == 1
    assert cli("analyze", runs2, "--jobs", "1", "--fail-on", "never").code == 0


def test_terminal_table_then_detail_on_request(cli: Callable[..., Result], tmp_path: Path) -> None:
    runs = copy_runs(tmp_path, ["healthy", "flow_stalled"])
    table = cli("analyze", runs, "--jobs", "1", "--width", "120").out
    lines = table.splitlines()
    assert lines[0] == "lossdoctor sweep: 2 runs"
    assert table.index("flow_stalled") < table.index("healthy")
    assert "LR too low or over-regularised" in table and "Add --detail" in table
    assert "Diagnoses" not in table
    detail = cli("analyze", runs, "--jobs", "1", "--width", "120", "--detail").out
    assert detail.count("lossdoctor report") == 2 and "Diagnoses" in detail


@pytest.mark.parametrize("fmt", ["markdown", "junit", "github", "html"])
def test_every_format_renders_a_sweep(cli: Callable[..., Result], tmp_path: Path, fmt: str) -> None:
    runs = copy_runs(tmp_path, ["healthy", "flow_stalled"])
    broken_run(runs)
    out = cli("analyze", runs, "--jobs", "1", "--format", fmt, "--lang", "zh").out
    assert "healthy" in out and "broken" in out and "stalled" in out


def test_write_baseline_is_refused_for_a_sweep(cli: Callable[..., Result], tmp_path: Path) -> None:
    runs = copy_runs(tmp_path, ["healthy", "flow_stalled"])
    result = cli("analyze", runs, "--write-baseline", tmp_path / "b.json")
    assert result.code == 2 and "--write-baseline" in result.err


def test_a_judged_run_is_kept_without_its_metric_columns_and_reports_the_same() -> None:
    """A sweep holds hundreds of runs: once judged, a run keeps its steps, not its curves, and every
    report document (points, steps, interval, findings) is what the whole run gives."""
    from lossdoctor.document import report_document
    from lossdoctor.engine.rulefiles.packs import load_rules
    from lossdoctor.runs.sweep import Judging, judge_run

    rules = load_rules([])
    given = {"ruleset": rules, "run_params": {}, "rule_params": {}, "lang": "en", "fail_on": "red"}
    for name in SCENARIOS:
        whole = judge_run([SAMPLES / name], Judging(**given))
        kept = judge_run([SAMPLES / name], Judging(**given, keep_frames=False))
        assert whole.report is not None and kept.report is not None
        assert kept.report.run.frame.shape[1] == 0 < whole.report.run.frame.shape[1]
        assert report_document(kept.report) == report_document(whole.report)
