"""Rule packs and configs are validated whole: `rules check` and `analyze` share one schema.

A pack `rules check` calls valid never crashes `analyze`; every bad field, in a rule, a
diagnosis, the checklist, the overview, an override or the project config, is exit 2 with
the file, the rule (where there is one) and the field named — never exit 3.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_logs" / "flow_unstable"

RULE = """\
pack: team
checks:
  - id: grad-norm-explodes
    severity: red
    branch: all
    summary: the clipped global grad_norm stays above 50
    guide: beyond the guide
    metrics: {norm: grad_norm}
    params: {limit: {type: float, default: 50.0}}
    precision: {norm: limit}
    condition: norm > limit
    for: 100
    evidence: {grad_norm_median: median(norm)}
    text:
      en: {title: t, cause: c, remedy: r}
      zh: {title: t, cause: c, remedy: r}
"""


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("pack: team\noverview: [[a, b], 42]\n", 'field "overview[0]": expected {metric: NAME'),
        ("pack: team\nchecklist: [[a, b, c]]\n", 'field "checklist": expected a mapping of group'),
        ("pack: team\nchecklist: {losses: [1, 2]}\n", 'field "checklist.losses": expected a group name'),
        (
            "pack: team\noverview: [{metric: loss, low: a, high: 1}]\n",
            'field "overview[0].low": expected a number',
        ),
        (
            "pack: team\noverview: [{metric: loss, low: 1}]\n",
            'field "overview[0].low": a normal range needs both',
        ),
        (
            "pack: team\noverview: [{metric: loss, colour: red}]\n",
            'field "overview[0].colour": unknown field',
        ),
    ],
)
def test_checklist_and_overview_are_checked_by_rules_check_and_analyze(
    tmp_path: Path, cli: Callable[..., Result], text: str, field: str
) -> None:
    """`overview: [[a, b], 42]` was "valid", then exit 3 in analyze; `checklist: [[a, b, c]]`: 3 in both."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(text, encoding="utf-8")
    checked = cli("rules", "check", pack)
    assert checked.code == 2 and f"{pack}:" in checked.err and field in checked.err, checked.err
    analyzed = cli("analyze", SAMPLE, "--rules", pack, "--fail-on", "never")
    assert analyzed.code == 2 and field in analyzed.err, analyzed.err


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("params: {limit:", "params: {7:", 'field "params.7"'),
        ("metrics: {norm: grad_norm}", "metrics: {3: grad_norm}", 'field "metrics.3"'),
        ("metrics: {norm: grad_norm}", "metrics: {step: grad_norm}", 'field "metrics.step"'),
        ("precision: {norm: limit}", "precision: {norm: [limit]}", 'field "precision"'),
        ("guide: beyond the guide", "guide: [a, b]", 'field "guide": expected text'),
        (
            "summary: the clipped",
            "summary: {a: 1}\n    x_summary: the clipped",
            'field "summary": expected text',
        ),
        ("{type: float, default: 50.0}", "{type: [float], default: 50.0}", 'field "params.limit"'),
        ("{type: float, default: 50.0}", "{type: float, default: .nan}", 'field "params.limit": default nan'),
        ("{type: float, default: 50.0}", "{type: int, default: 2.5}", 'field "params.limit": default 2.5'),
        ("{type: float, default: 50.0}", "{type: float, default: 50.0, max: 3}", 'field "params.limit.max"'),
        (
            "evidence: {grad_norm_median: median(norm)}",
            "evidence: {grad_norm_median: [median(norm)]}",
            'field "evidence.grad_norm_median"',
        ),
        ("condition: norm > limit", "condition: {a: 1}", 'field "condition"'),
    ],
)
def test_every_field_of_a_rule_is_checked_with_file_rule_and_field(
    tmp_path: Path, cli: Callable[..., Result], old: str, new: str, field: str
) -> None:
    assert old in RULE
    pack = tmp_path / "team.yaml"
    pack.write_text(RULE.replace(old, new), encoding="utf-8")
    checked = cli("rules", "check", pack)
    assert checked.code == 2, checked.err
    assert f"{pack}:" in checked.err and f'rule "grad-norm-explodes", {field}' in checked.err, checked.err


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("overrides: {z-var-out-of-range: {params: {high: .nan}}}", 'field "params.high": expected a finite'),
        (
            "overrides: {z-var-out-of-range: {params: {high: 1.0e+300}}}",
            'field "params.high": expected a finite',
        ),
        ("overrides: {z-var-out-of-range: {for: var}}", 'field "for": expected a step count'),
        ("diagnoses: [{id: d, severity: red, any: 5, text: {}}]", 'rule "d", field "any"'),
        ("diagnoses: [{id: d, severity: red, coverage: yes-please, text: {}}]", 'rule "d", field "coverage"'),
    ],
)
def test_overrides_and_diagnoses_are_checked(
    tmp_path: Path, cli: Callable[..., Result], text: str, field: str
) -> None:
    pack = tmp_path / "team.yaml"
    pack.write_text("pack: team\n" + text + "\n", encoding="utf-8")
    checked = cli("rules", "check", pack)
    assert checked.code == 2 and field in checked.err, checked.err


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ("params: {ga: .nan}", 'field "params.ga": expected a finite number'),
        ("params: {ga: 0}", 'field "params.ga": expected at least 1'),
        ("params: {warmup_steps: 2.5}", 'field "params.warmup_steps": expected an integer'),
        ("params: {kl_weight: -1}", 'field "params.kl_weight": expected at least 0'),
        ("thresholds: {z-var-out-of-range: {high: .inf}}", 'field "thresholds.z-var-out-of-range.high"'),
    ],
)
def test_the_project_configs_params_use_the_same_checks(
    tmp_path: Path, cli: Callable[..., Result], config: str, field: str
) -> None:
    path = tmp_path / "lossdoctor.yaml"
    path.write_text(config + "\n", encoding="utf-8")
    result = cli("analyze", SAMPLE, "--config", path, "--fail-on", "never")
    assert result.code == 2 and str(path) in result.err and field in result.err, result.err


@pytest.mark.parametrize("window_size", ["'10'", "True", "-3", "2.5"])
def test_a_window_size_that_is_not_a_count_is_not_taken_as_the_smoothing(
    tmp_path: Path, cli: Callable[..., Result], window_size: str
) -> None:
    """A string `window_size` was taken as the smoothing parameter; MMEngine takes an int or 'global'."""
    run = tmp_path / "run"
    shutil.copytree(SAMPLE, run)
    config = next(run.glob("*/vis_data/config.py"))
    text = config.read_text(encoding="utf-8")
    assert "window_size=1)" in text
    config.write_text(text.replace("window_size=1)", f"window_size={window_size})"), encoding="utf-8")
    result = cli("analyze", run, "--format", "json", "--fail-on", "never")
    assert result.code == 0, result.err
    section = json.loads(result.out)["run"]
    assert "smoothing" not in section["params"] and "smoothing" not in section
    assert any(
        "log_processor.window_size" in w["message"] and "ignored" in w["message"] for w in section["warnings"]
    )


@pytest.mark.parametrize(("window_size", "value"), [("10", 10), ("'global'", "global")])
def test_a_valid_window_size_is_the_smoothing(
    tmp_path: Path, cli: Callable[..., Result], window_size: str, value: object
) -> None:
    run = tmp_path / "run"
    shutil.copytree(SAMPLE, run)
    config = next(run.glob("*/vis_data/config.py"))
    config.write_text(
        config.read_text(encoding="utf-8").replace("window_size=1)", f"window_size={window_size})")
    )
    result = cli("analyze", run, "--format", "json", "--fail-on", "never")
    assert json.loads(result.out)["run"]["smoothing"]["value"] == value


@pytest.mark.parametrize(
    ("flag", "complaint"),
    [
        ("ga=0", "expected at least 1"),
        ("warmup_steps=-10", "expected at least 0"),
        ("kl_weight=-1", "at least 0"),
    ],
)
def test_run_parameters_on_the_command_line_use_the_same_checks(
    cli: Callable[..., Result], flag: str, complaint: str
) -> None:
    result = cli("analyze", SAMPLE, "--param", flag, "--fail-on", "never")
    assert result.code == 2 and complaint in result.err and "--param" in result.err, result.err
