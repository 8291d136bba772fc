"""`lossdoctor rules …` and user packs: what a team does when it extends the doctor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossdoctor.cli import run
from lossdoctor.engine.devtools.series import expand

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(p for p in (ROOT / "rules").glob("*.yaml") if p.name != "messages.yaml")

TEAM_RULES = """\
pack: team
extends: default
overrides:
  z-var-out-of-range:
    params: {high: 2.5}
    text: {en: {remedy: "Our VAE runs hot: check the logvar clamp in model.py first."}}
disable: [loss-spike]
checks:
  - id: grad-norm-explodes
    severity: red
    branch: all
    summary: the clipped global grad_norm stays above 50
    metrics: {norm: grad_norm}
    params: {limit: {type: float, default: 50.0}}
    condition: norm > limit
    for: 100
    evidence: {grad_norm_median: median(norm)}
    text:
      en: {title: Gradient norm explodes, cause: grad_norm stays far above its usual level,
           remedy: Lower the LR}
      zh: {title: 梯度范数爆炸, cause: grad_norm 长期远高于正常水平, remedy: 降 LR}
"""
TEAM_TESTS = """\
rule_files: [team.yaml]
cases:
  - name: grad_norm explodes from step 310
    series: {grad_norm: {values: "5x30 80x20 5x10", noise: 0.1, seed: 1}}
    expect: [{rule: grad-norm-explodes, first_step: 310, last_step: 500}]
  - name: a noisy grad_norm with one spike is fine
    series: {grad_norm: {values: "5x60", noise: 0.3, seed: 2, spikes: {30: 20}}}
    quiet: [grad-norm-explodes]
"""


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def team(tmp_path: Path) -> Path:
    (tmp_path / "team.yaml").write_text(TEAM_RULES, encoding="utf-8")
    (tmp_path / "team_test.yaml").write_text(TEAM_TESTS, encoding="utf-8")
    return tmp_path


def test_list_names_every_rule_with_its_pack(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["rules", "list", "--format", "json", "--rules", str(team / "team.yaml")], capsys)
    rows = {row["rule"]: row for row in json.loads(out)["checks"]}
    assert code == 0
    assert rows["grad-norm-explodes"]["pack"] == "team"
    assert rows["z-var-out-of-range"]["pack"] == "default+team"
    stalled = rows["flow-stalled"]
    assert (stalled["pack"], stalled["severity"], stalled["branch"]) == ("default", "red", "flow")
    assert "loss-spike" not in rows
    assert "‖z_text‖" in json.loads(out)["out_of_scope"]


def test_show_explains_one_rule_with_real_example_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["rules", "show", "z-var-out-of-range"], capsys)
    assert code == 0
    for expected in ("var < low or var > high", "param `high` | float, default `1.5`", "§7, §1.1, §2.3",
                     "Latent variance out of range", "z_init/var 超出正常范围", "Example evidence",
                     "z_var_median=1.8"):
        assert expected in out
    code, _, err = cli(["rules", "show", "no-such-rule"], capsys)
    assert code == 2 and "no rule named 'no-such-rule'" in err


def test_check_accepts_the_bundled_pack(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["rules", "check", *map(str, BUNDLED)], capsys)
    assert code == 0 and f"{len(BUNDLED)} file(s) valid" in out


def test_check_reports_every_problem_with_file_line_rule_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        TEAM_RULES.replace("condition: norm > limit", "condition: norm > limit and rising(norm, 0 - 5)")
        .replace("    for: 100\n", "    for: -5\n    colour: red\n")
        .replace("z-var-out-of-range:\n    params", "z-var-out-of-rang:\n    params"),
        encoding="utf-8",
    )
    code, _, err = cli(["rules", "check", str(bad)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert any(line.startswith(f'{bad}:4: rule "z-var-out-of-rang"') and "no rule of this name" in line
               for line in lines)
    # the override error stops the file before its checks are read; fix it and look again
    bad.write_text(bad.read_text(encoding="utf-8").replace("z-var-out-of-rang:", "z-var-out-of-range:"))
    code, _, err = cli(["rules", "check", str(bad)], capsys)
    assert code == 2
    assert f'{bad}:17: rule "grad-norm-explodes", field "colour": unknown field' in err
    assert 'field "for": expected a step count such as 200' in err


def test_check_finds_windows_that_make_no_sense(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = tmp_path / "odd.yaml"
    odd.write_text(TEAM_RULES.replace("condition: norm > limit", "condition: rising(norm, limit - 50)"))
    code, _, err = cli(["rules", "check", str(odd)], capsys)
    assert code == 2
    expected = 'field "condition": rising(norm, limit - 50) has a window of 0 steps'
    assert expected in err and 'rule "grad-norm-explodes"' in err


def test_a_user_rule_tested_with_rules_test_fires_in_analyze_as_its_test_says(
    team: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(["rules", "test", str(team / "team_test.yaml")], capsys)
    assert code == 0 and "2 passed, 0 failed" in out
    values = expand({"values": "5x30 80x20 5x10", "noise": 0.1, "seed": 1})
    log = tmp_path / "run.jsonl"
    log.write_text("".join(json.dumps({"step": 10 * (i + 1), "grad_norm": float(v)}) + "\n"
                           for i, v in enumerate(values)))
    code, out, _ = cli(["analyze", str(log), "--rules", str(team / "team.yaml"), "--format", "json"], capsys)
    report = json.loads(out)
    [finding] = [f for f in report["findings"] if f["rule"] == "grad-norm-explodes"]
    assert (finding["first_step"], finding["last_step"], finding["pack"]) == (310, 500, "team")
    assert code == 1
    assert {"rule": "grad-norm-explodes", "tag": None, "pack": "team"} in report["evaluated"]


def test_overrides_and_disable_change_what_analyze_does(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = ROOT / "sample_logs" / "z_var_high"
    _, out, _ = cli(["analyze", str(sample), "--format", "json", "--fail-on", "never"], capsys)
    assert "z-var-out-of-range" in {f["rule"] for f in json.loads(out)["findings"]}
    _, out, _ = cli(["analyze", str(sample), "--format", "json", "--rules", str(team / "team.yaml")], capsys)
    report = json.loads(out)
    assert "z-var-out-of-range" not in {f["rule"] for f in report["findings"]}  # high raised to 2.5
    assert {"rule": "z-var-out-of-range", "tag": None, "pack": "default+team"} in report["evaluated"]
    assert "loss-spike" not in {e["rule"] for e in report["evaluated"]}


def test_a_failing_case_prints_expected_and_got(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tests = team / "team_test.yaml"
    tests.write_text(TEAM_TESTS.replace("first_step: 310", "first_step: 300"), encoding="utf-8")
    code, out, _ = cli(["rules", "test", str(tests)], capsys)
    assert code == 1
    assert "FAIL" in out and "expected: rule=grad-norm-explodes, first_step=300" in out
    assert "got: grad-norm-explodes red steps 310–500" in out and "1 passed, 1 failed" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('"5x30 80x20 5x10"', '"5x30 eighty"'), "cannot read 'eighty'"),
        (("rule: grad-norm-explodes, first", "rule: grad-norm-explode, first"), "grad-norm-explode"),
        (("    quiet:", "    quiet_please:"), 'field "quiet_please": unknown field'),
    ],
)
def test_an_invalid_test_file_is_exit_2(
    team: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], message: str
) -> None:
    tests = team / "team_test.yaml"
    tests.write_text(TEAM_TESTS.replace(*change), encoding="utf-8")
    code, _, err = cli(["rules", "test", str(tests)], capsys)
    assert code == 2 and message in err and str(tests) in err


def test_the_bundled_tests_pass_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["rules", "test", str(ROOT / "rules/tests/default.yaml")], capsys)
    assert code == 0 and out.strip().endswith("passed, 0 failed")
