"""The CI gate: project config, rule choice, severities, baselines, outputs and exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lossdoctor.cli import run

ROOT = Path(__file__).resolve().parents[1]
HEALTHY = ROOT / "sample_logs" / "healthy"
STALLED = ROOT / "sample_logs" / "flow_stalled"  # red: flow-stalled (+ dino-not-improving, warn dino-grad-…)
PLATEAU = ROOT / "sample_logs" / "loss_plateau"  # warn only: loss-plateau


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(args)
    out, err = capsys.readouterr()
    return code, out, err


def report_of(out: str) -> dict:  # type: ignore[type-arg]
    loaded: dict = json.loads(out)  # type: ignore[type-arg]
    return loaded


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder the user runs lossdoctor from, in a subfolder of it (found upwards)."""
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path / "src")
    return tmp_path


def test_exit_codes_for_each_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_rules = tmp_path / "bad.yaml"
    bad_rules.write_text("checks:\n  - id: x\n    severity: loud\n")
    bad_config = tmp_path / "lossdoctor.yaml"
    bad_config.write_text("fail_on: sometimes\n")
    empty = tmp_path / "empty.json"
    empty.write_text("")
    cases = {
        "clean": (["analyze", str(HEALTHY)], 0),
        "fired": (["analyze", str(STALLED)], 1),
        "below --fail-on": (["analyze", str(PLATEAU)], 0),
        "at --fail-on warn": (["analyze", str(PLATEAU), "--fail-on", "warn"], 1),
        "bad input": (["analyze", str(empty)], 2),
        "bad config": (["analyze", str(HEALTHY), "--config", str(bad_config)], 2),
        "bad rule file": (["analyze", str(HEALTHY), "--rules", str(bad_rules)], 2),
    }
    for name, (args, expected) in cases.items():
        code, _, err = cli([*args, "--format", "json"], capsys)
        assert code == expected, (name, err)
        if expected == 2:
            assert err.startswith("lossdoctor: error: ") and err.count("\n") == 1, (name, err)


def test_config_is_found_upwards_and_flags_win(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "lossdoctor.yaml").write_text(
        "params: {ga: 1}\nthresholds: {flow-stalled: {grad_low: 1.0e-5}}\nfail_on: warn\n"
    )
    code, out, _ = cli(["analyze", str(STALLED), "--format", "json"], capsys)
    report = report_of(out)
    assert report["run"]["config"] == str(project / "lossdoctor.yaml")
    assert report["run"]["params"]["ga"] == {"value": 1, "source": f"{project / 'lossdoctor.yaml'} params.ga"}
    assert "flow-stalled" not in {f["rule"] for f in report["findings"]}  # the config's threshold
    assert code == 1  # fail_on: warn from the file
    code, out, _ = cli(["analyze", str(STALLED), "--format", "json", "--ga", "2", "--fail-on", "never",
                        "--param", "flow-stalled.grad_low=0.01"], capsys)
    report = report_of(out)
    assert code == 0 and report["run"]["params"]["ga"]["source"] == "command line"
    assert "flow-stalled" in {f["rule"] for f in report["findings"]}


def test_pyproject_tool_section_is_a_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.lossdoctor]\nignore = ["flow"]\n')
    _, out, _ = cli(["analyze", str(STALLED), "--format", "json"], capsys)
    report = report_of(out)
    assert report["run"]["config"].endswith("pyproject.toml [tool.lossdoctor]")
    assert not [e for e in report["evaluated"] if e["rule"] in ("flow-stalled", "grad-flow-dead")]


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("colour: red\n", 'field "colour"', "unknown key; known: params"),
        ("params: {ga: two}\n", 'field "params.ga"', "expected an integer, got 'two'"),
        ("params: {gaa: 2}\n", 'field "params.gaa"', "unknown run parameter"),
        ("thresholds: {flow-stalled: {grad_lo: 1}}\n", 'field "thresholds.flow-stalled.grad_lo"', "grad_low"),
        ("thresholds: {flow-stalled: {grad_lo: 1}}\n", 'field "thresholds.flow-stalled.grad_lo"',
         "grad_low"),
        ("select: flow\n", 'field "select"', "expected a list of rule names or branches"),
        ("severity: {loss-plateau: loud}\n", 'field "severity.loss-plateau"', "expected red, warn or info"),
        ("fail_on: sometimes\n", 'field "fail_on"', "expected one of red, warn, never"),
    ],
)
def test_a_bad_config_names_file_key_and_expectation(
    project: Path, capsys: pytest.CaptureFixture[str], text: str, key: str, expected: str
) -> None:
    (project / "lossdoctor.yaml").write_text(text)
    code, out, err = cli(["analyze", str(HEALTHY)], capsys)
    assert code == 2 and not out
    assert str(project / "lossdoctor.yaml") in err and key in err and expected in err


def test_select_ignore_and_severity(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = cli(["analyze", str(STALLED), "-f", "json", "--select", "flow", "--ignore", "flow-unstable"],
                    capsys)
    evaluated = {e["rule"] for e in report_of(out)["evaluated"]}
    assert "flow-stalled" in evaluated and "flow-unstable" not in evaluated
    assert not evaluated & {"dino-not-improving", "kl-rising", "loss-plateau"}
    assert "grad-coverage-mismatch" in evaluated  # per-tag rules serve every branch
    code, _, _ = cli(["analyze", str(PLATEAU), "-f", "json", "--fail-on", "warn", "--severity",
                      "loss-plateau=info"], capsys)
    assert code == 0
    code, _, err = cli(["analyze", str(PLATEAU), "--select", "flo"], capsys)
    assert code == 2 and "'flo' is neither a rule nor a branch" in err


def test_a_baseline_lets_known_findings_pass_and_new_ones_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.json"
    code, _, _ = cli(["analyze", str(STALLED), "-f", "json", "--write-baseline", str(baseline)], capsys)
    assert code == 0 and json.loads(baseline.read_text())["schema"] == "lossdoctor.baseline/v1"
    code, out, _ = cli(["analyze", str(STALLED), "-f", "json", "--baseline", str(baseline)], capsys)
    findings = report_of(out)["findings"]
    assert code == 0 and findings and all(f["baselined"] for f in findings if f["severity"] != "info")
    code, out, _ = cli(["analyze", str(ROOT / "sample_logs" / "z_mean_drift"), "-f", "json", "--baseline",
                        str(baseline)], capsys)
    assert code == 1
    assert [f["rule"] for f in report_of(out)["findings"] if not f["baselined"]] == ["z-mean-drift"]
    baseline.write_text("{}")
    code, _, err = cli(["analyze", str(STALLED), "--baseline", str(baseline)], capsys)
    assert code == 2 and "not a lossdoctor baseline" in err


def test_several_formats_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    junit, md = tmp_path / "r.xml", tmp_path / "r.md"
    code, out, _ = cli(["analyze", str(STALLED), "--format", "json", "--format", "github",
                        "--output", f"junit={junit}", "--output", f"github={tmp_path / 'gh.txt'}",
                        "--output", f"markdown={md}"], capsys)
    assert code == 1
    assert report_of(out)["schema"] == "lossdoctor.report/v1"  # the one format without a file
    suite = ET.parse(junit).getroot()
    assert suite.iter("testcase") and any(c.get("name") == "flow-stalled" for c in suite.iter("testcase"))
    assert (tmp_path / "gh.txt").read_text().startswith("::")
    assert "flow-stalled" in md.read_text()
    text = summary.read_text()
    assert text.startswith("# earlier step\n") and "flow-stalled" in text
    code, _, err = cli(["analyze", str(STALLED), "--format", "json", "--format", "markdown"], capsys)
    assert code == 2 and "only one format can go to stdout" in err


def test_init_writes_a_config_that_loads(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["init", str(project / "lossdoctor.yaml")], capsys)
    assert code == 0 and "wrote" in out
    code, out, _ = cli(["analyze", str(HEALTHY), "--format", "json"], capsys)
    assert code == 0 and report_of(out)["run"]["config"] == str(project / "lossdoctor.yaml")
    code, _, err = cli(["init", str(project / "lossdoctor.yaml")], capsys)
    assert code == 2 and "--force" in err


def test_require_fails_a_broken_export_that_would_pass_green(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log with no metric the rules know passes green unless the gate demands that rules ran."""
    export = tmp_path / "broken.csv"
    export.write_text("step,acc_top1\n" + "".join(f"{s},{0.1 + s / 1e4:.4f}\n" for s in range(0, 2000, 10)))
    code, _, _ = cli(["analyze", str(export)], capsys)
    assert code == 0  # nothing fired: today's green gate
    code, out, err = cli(["analyze", str(export), "--require", "loss-plateau", "-f", "json"], capsys)
    assert code == 2
    assert report_of(out)["run"]  # the report is still written: it says why the rule did not run
    assert "required loss-plateau was not evaluated: needs loss" in err and str(export) in err


def test_require_a_branch_names_each_check_that_did_not_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = ROOT / "sample_logs" / "missing_debug_keys"
    code, _, err = cli(["analyze", str(missing), "--require", "flow"], capsys)
    assert code == 2
    assert "flow-stalled (branch flow) was not evaluated: needs dbg/grad_flow" in err
    assert "flow-unstable (branch flow)" in err
    code, _, _ = cli(["analyze", str(HEALTHY), "--require", "flow", "--require", "non-finite-loss"], capsys)
    assert code == 0  # every flow check and the NaN check ran on a fully instrumented run
    (project / "lossdoctor.yaml").write_text("require: [flow]\n")
    code, _, err = cli(["analyze", str(missing)], capsys)
    assert code == 2 and "flow-stalled (branch flow)" in err  # the config's require: too


def test_require_refuses_names_that_cannot_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["analyze", str(HEALTHY), "--require", "flow-stalld"], capsys)
    assert code == 2 and "'flow-stalld' is not a check or branch of the rules that run" in err
    ignored = ["--ignore", "loss-plateau", "--require", "loss-plateau"]
    code, _, err = cli(["analyze", str(HEALTHY), *ignored], capsys)
    assert code == 2 and "'loss-plateau' is not a check or branch" in err  # required but ignored


def test_require_in_a_sweep_exits_2_naming_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    missing = ROOT / "sample_logs" / "missing_debug_keys"
    code, _, err = cli(["analyze", str(HEALTHY), str(missing), "--require", "flow-stalled", "--jobs", "1"],
                       capsys)
    assert code == 2
    assert f"{missing}: required flow-stalled was not evaluated" in err and str(HEALTHY) + ":" not in err
