"""Saved reports as inputs: runs judged separately (an array job), rendered together without re-judging."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result
from helpers.schemas import validated

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
NAMES = ["flow_stalled", "healthy", "z_mean_drift", "noisy_healthy"]


@pytest.fixture()
def judged(cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """runs/<name>/ work dirs and reports/<name>.json, each written by its own `analyze` call."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    for name in NAMES:
        shutil.copytree(SAMPLES / name, tmp_path / "runs" / name)
        code = cli("analyze", f"runs/{name}", "--format", "json", "--output", f"reports/{name}.json").code
        assert code in (0, 1)
    return tmp_path


def without_path(document: dict) -> list[dict]:
    return [{k: v for k, v in run.items() if k != "path"} for run in document["runs"]]


def test_saved_reports_give_the_rows_of_judging_the_runs_together(
    cli: Callable[..., Result], judged: Path
) -> None:
    direct = cli("analyze", *[f"runs/{name}" for name in NAMES], "--format", "json", "--jobs", "1")
    saved = cli("analyze", *sorted(str(p.relative_to(judged)) for p in (judged / "reports").iterdir()),
                "--format", "json")
    assert saved.code == direct.code == 1  # flow_stalled fires red, read from its saved report
    saved_doc, direct_doc = validated(saved.out, "sweep"), validated(direct.out, "sweep")
    assert without_path(saved_doc) == without_path(direct_doc)
    assert [r["path"] for r in saved_doc["runs"]] == [
        r["path"].replace("runs/", "reports/") + ".json" for r in direct_doc["runs"]
    ]


def test_a_folder_of_saved_reports_is_its_reports(cli: Callable[..., Result], judged: Path) -> None:
    folder = cli("analyze", "reports", "--format", "json")
    files = cli("analyze", *sorted(f"reports/{p.name}" for p in (judged / "reports").iterdir()),
                "--format", "json")
    assert folder.code == files.code == 1 and folder.out == files.out
    (judged / "reports" / "notes.txt").write_text("not a report\n")
    mixed = cli("analyze", "reports")
    assert mixed.code == 2 and "notes.txt" in mixed.err and "reports" in mixed.err


def test_table_markdown_and_html_render_from_saved_reports(cli: Callable[..., Result], judged: Path) -> None:
    reports = sorted(str(p) for p in (judged / "reports").iterdir())
    terminal = cli("analyze", *reports, "--width", "200")
    assert "4 runs: 2 red" in terminal.out and "flow_stalled.json" in terminal.out
    assert "lr-too-low-or-over-regularised" in terminal.out  # the saved leading diagnosis
    assert "--detail" not in terminal.out  # refused with saved reports: never suggested
    markdown = cli("analyze", *reports, "--format", "markdown", "--fail-on", "never")
    assert markdown.code == 0 and "| 🔴" in markdown.out
    html = cli("analyze", *reports, "--format", "html", "--fail-on", "never")
    assert html.code == 0 and '<table class="sweep">' in html.out and "flow_stalled.json" in html.out


def test_saved_reports_and_logs_mix_in_one_table(cli: Callable[..., Result], judged: Path) -> None:
    result = cli("analyze", "reports/flow_stalled.json", "runs/healthy", "--format", "json")
    assert result.code == 1
    rows = {r["path"]: r for r in validated(result.out, "sweep")["runs"]}
    assert set(rows) == {"reports/flow_stalled.json", "runs/healthy"}
    saved = json.loads((judged / "reports" / "flow_stalled.json").read_text())
    assert rows["reports/flow_stalled.json"]["report"] == saved  # carried as it was saved


def test_the_gate_applies_to_saved_reports(cli: Callable[..., Result], judged: Path) -> None:
    assert cli("analyze", "reports/healthy.json").code == 0
    assert cli("analyze", "reports/flow_stalled.json").code == 1
    assert cli("analyze", "reports/flow_stalled.json", "--fail-on", "never").code == 0


def test_require_reads_what_the_saved_report_evaluated(
    cli: Callable[..., Result], judged: Path, tmp_path: Path
) -> None:
    shutil.copytree(SAMPLES / "missing_debug_keys", tmp_path / "runs" / "missing_debug_keys")
    cli("analyze", "runs/missing_debug_keys", "--format", "json", "--output", "reports/mdk.json")
    assert cli("analyze", "reports/mdk.json", "--require", "loss-plateau").code == 0
    unmet = cli("analyze", "reports/mdk.json", "--require", "flow-stalled")
    assert unmet.code == 2
    assert "flow-stalled was not evaluated: needs dbg/grad_flow, which is not in the log" in unmet.err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["findings"][0].update(severity="purple"), "findings[0].severity"),
        (lambda d: d.pop("verdicts"), '"verdicts" is not a list'),
    ],
)
def test_a_broken_saved_report_is_exit_2_naming_file_and_field(
    cli: Callable[..., Result], judged: Path, edit: Callable[[dict], object], message: str
) -> None:
    path = judged / "reports" / "flow_stalled.json"
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))
    result = cli("analyze", "reports/flow_stalled.json", "reports/healthy.json")
    assert result.code == 2
    assert "reports/flow_stalled.json" in result.err and message in result.err


def test_a_saved_report_with_a_bare_nan_is_refused(cli: Callable[..., Result], judged: Path) -> None:
    path = judged / "reports" / "healthy.json"
    path.write_text(path.read_text().replace('"lang": "en"', '"lang": "en", "x": NaN'))
    result = cli("analyze", "reports/healthy.json")
    assert result.code == 2 and "reports/healthy.json" in result.err and "NaN" in result.err


def test_control_characters_in_a_saved_report_never_reach_the_terminal(
    cli: Callable[..., Result], judged: Path
) -> None:
    path = judged / "reports" / "flow_stalled.json"
    document = json.loads(path.read_text())
    document["diagnoses"][0]["title"] = "EVIL\x1b]0;pwned\x07\x1b[2J title"
    document["verdicts"][0]["verdict"] = "learning\u202e"
    path.write_text(json.dumps(document))
    for fmt in ("terminal", "markdown", "json"):
        result = cli("analyze", "reports/flow_stalled.json", "--format", fmt, "--width", "200")
        assert result.code == 1 and "EVIL?" in result.out and "pwned??" in result.out
        assert "\x1b" not in result.out and "\u202e" not in result.out and "\\u001b" not in result.out


@pytest.mark.parametrize("option", [["--detail"], ["--format", "junit"], ["--format", "github"]])
def test_what_needs_the_series_is_refused_with_saved_reports(
    cli: Callable[..., Result], judged: Path, option: list[str]
) -> None:
    result = cli("analyze", "reports/flow_stalled.json", "reports/healthy.json", *option)
    assert result.code == 2 and "saved report" in result.err


def test_metrics_names_a_saved_report_as_such(cli: Callable[..., Result], judged: Path) -> None:
    result = cli("metrics", "reports/healthy.json")
    assert result.code == 2
    assert "reports/healthy.json" in result.err and "saved lossdoctor report" in result.err
