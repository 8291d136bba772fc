"""Reporters: the JSON contract, the terminal layout (golden files), labels, the registry.

Golden files are exact text of a 100-column, colourless console (rich's own
test style): a layout change shows up as a readable diff. Rerun with
LOSSDOCTOR_UPDATE_GOLDEN=1 to rewrite them, then review the diff.
"""

from __future__ import annotations

import json
import math
import os
import re
import string
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.report_factory import clean_report, empty_report, full_report, nan_report
from jsonschema import Draft202012Validator
from rich.cells import cell_len
from rich.console import Console

from lossdoctor.document import to_jsonable
from lossdoctor.errors import UsageError
from lossdoctor.model import Report
from lossdoctor.reporters import REPORTERS, render
from lossdoctor.reporters.labels import LABELS, label, verdict_word
from lossdoctor.reporters.terminal import format_evidence, format_number, print_report, sparkline

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
FACTORIES: dict[str, Callable[[str], Report]] = {
    "full": full_report, "nan": nan_report, "clean": clean_report, "empty": empty_report,
}


def _strict_loads(text: str) -> Any:
    """json.loads that fails on NaN/Infinity tokens, which RFC 8259 does not allow."""
    def reject(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")
    return json.loads(text, parse_constant=reject)


# --- JSON ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_json_validates_against_schema(name: str, lang: str) -> None:
    document = _strict_loads(render(FACTORIES[name](lang), "json"))
    Draft202012Validator.check_schema(SCHEMA)
    errors = [f"{list(e.path)}: {e.message}" for e in Draft202012Validator(SCHEMA).iter_errors(document)]
    assert errors == []
    assert document["schema"] == "lossdoctor.report/v1"
    assert document["lang"] == lang


def test_json_writes_non_finite_values_as_strings() -> None:
    document = _strict_loads(render(nan_report(), "json"))
    evidence = document["findings"][0]["evidence"]
    assert evidence["loss"] == "NaN"
    assert evidence["dbg/grad_flow"] == "Infinity"
    assert evidence["z_init/mean"] == "-Infinity"
    assert document["run"]["params"]["flow-unstable.spike_factor"]["value"] == "Infinity"
    assert document["metrics"][0]["last"] == "NaN"


def test_json_turns_numpy_scalars_into_python_numbers() -> None:
    document = _strict_loads(render(nan_report(), "json"))
    evidence = document["findings"][0]["evidence"]
    assert evidence["first_bad_step"] == 230 and isinstance(evidence["first_bad_step"], int)
    assert evidence["loss_flow"] == pytest.approx(0.8123, rel=1e-6)
    assert document["run"]["params"]["lr"]["value"] == pytest.approx(1e-4)


def test_to_jsonable_walks_nested_structures() -> None:
    value = {"a": [1.0, math.nan, (np.float32(-math.inf),)], "b": {2: np.array([1, 2])},
             "c": {"z", "y"}, "d": None, "e": True, "f": object}
    assert to_jsonable(value) == {"a": [1.0, "NaN", ["-Infinity"]], "b": {"2": [1, 2]},
                                  "c": ["y", "z"], "d": None, "e": True, "f": str(object)}
    json.dumps(to_jsonable(value), allow_nan=False)


def test_json_run_section_describes_what_was_read() -> None:
    run = _strict_loads(render(full_report(), "json"))["run"]
    assert (run["points"], run["steps"], run["interval"]) == (120, {"first": 10, "last": 1200}, 10)
    assert [(s["first"], s["last"]) for s in run["segments"]] == [(10, 600), (610, 1200)]
    assert len(run["warnings"]) == 13  # never capped in JSON, unlike the terminal
    last_warning = {"file": run["files"][1], "line": None, "message": "file ends without a newline"}
    assert run["warnings"][-1] == last_warning
    assert run["params"]["ga"] == {"value": 2, "source": run["params"]["ga"]["source"]}
    assert run["params"]["ga"]["source"].endswith("config.py optim_wrapper.accumulative_counts")
    assert run["smoothing"]["value"] == 10
    assert list(run["params"]) == sorted(run["params"])


def test_json_of_an_empty_run_has_null_extent() -> None:
    document = _strict_loads(render(empty_report(), "json"))
    run = document["run"]
    assert (run["points"], run["steps"], run["interval"]) == (0, None, None)
    assert document["findings"] == [] and document["evaluated"] == []


def test_json_is_deterministic_and_ordered() -> None:
    first, second = render(full_report(), "json"), render(full_report(), "json")
    assert first == second
    assert list(json.loads(first)) == ["schema", "run", "findings", "diagnoses", "verdicts", "not_evaluated",
                                       "evaluated", "coverage", "metrics", "lang"]
    finding = json.loads(first)["findings"][0]
    assert list(finding) == ["rule", "tag", "severity", "branch", "first_step", "last_step", "evidence",
                             "title", "cause", "remedy", "pack", "baselined"]


# --- terminal -----------------------------------------------------------------------------------

def _terminal(report: Report, width: int = 100) -> str:
    """The report as the golden tests see it: fixed width, no colour, cell padding stripped."""
    console = Console(file=StringIO(), width=width, color_system=None)
    print_report(report, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


GOLDEN_CASES = [("full", "en"), ("full", "zh"), ("nan", "en"), ("clean", "en"), ("clean", "zh"),
                ("empty", "en")]


@pytest.mark.parametrize(("name", "lang"), GOLDEN_CASES)
def test_terminal_matches_golden(name: str, lang: str) -> None:
    got = _terminal(FACTORIES[name](lang))
    path = GOLDEN / f"terminal_{name}_{lang}.txt"
    if os.environ.get("LOSSDOCTOR_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def test_render_terminal_equals_print_report() -> None:
    assert render(full_report(), "terminal", width=100, color=False) == _terminal(full_report())


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_terminal_fits_80_columns_without_cutting_evidence(name: str, lang: str) -> None:
    report = FACTORIES[name](lang)
    text = render(report, "terminal", width=80, color=False)
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    for finding in report.findings:
        for pair in format_evidence(finding.evidence).split("  "):
            assert pair in text
        assert finding.rule in text


def test_terminal_leads_with_diagnoses_and_sorts_checks_red_first() -> None:
    text = _terminal(full_report())
    headings = ["Diagnoses", "Checks", "Branch verdicts", "Metrics", "Coverage", "Not evaluated"]
    positions = [text.index(f"\n{heading}") for heading in headings]
    assert positions == sorted(positions)
    checks = re.findall(r"^ (RED|WARN|INFO) ", text[positions[1]:positions[2]], flags=re.MULTILINE)
    assert checks == ["RED", "RED", "RED", "WARN", "INFO"]
    assert text.index("kl-rising · steps 200–1200") < text.index("flow-stalled · steps 400–1190")


@pytest.mark.parametrize(("lang", "sentence"), [("en", "No red flags found"), ("zh", "未发现红旗信号")])
def test_terminal_says_plainly_when_nothing_fired(lang: str, sentence: str) -> None:
    text = _terminal(clean_report(lang))
    assert text.count(sentence) == 2  # in the checks section and on the summary line


def test_terminal_caps_read_warnings() -> None:
    text = _terminal(full_report())
    assert text.count("not JSON, skipped") == 10
    assert "… and 3 more" in text


def test_terminal_prints_engine_text_literally_not_as_markup() -> None:
    report = full_report()
    report.findings[0] = replace(report.findings[0], cause="see [flow] and [bold]this[/bold]")
    assert "see [flow] and [bold]this[/bold]" in _terminal(report)


def test_terminal_colour_is_opt_in() -> None:
    assert "\x1b[" in render(full_report(), "terminal", width=100, color=True)
    assert "\x1b[" not in render(full_report(), "terminal", width=100, color=False)


@pytest.mark.parametrize(("value", "text"), [
    (0.003125, "0.00313"), (1e-2, "0.01"), (-0.0041, "-0.0041"), (1.9812, "1.98"), (123.456, "123"),
    (1190.0, "1190"), (3.2e-5, "3.2e-5"), (1.0e-6, "1e-6"), (2.5e7, "2.5e7"), (0.0, "0"), (7, "7"),
    (math.nan, "NaN"), (math.inf, "inf"), (-math.inf, "-inf"), (np.float32(0.5), "0.5"),
    (np.int64(230), "230"), ("high", "high"), (True, "True"),
])
def test_format_number(value: object, text: str) -> None:
    assert format_number(value) == text


def test_sparkline_scales_marks_nan_and_keeps_it_when_bucketing() -> None:
    assert sparkline([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 8) == "▁▂▃▄▅▆▇█"
    assert sparkline([1.0, math.nan, 1.0], 8) == "▄×▄"
    assert sparkline([math.nan, math.inf], 8) == "××"
    assert sparkline([float(i) for i in range(40)] + [math.nan], 10)[-1] == "×"
    assert len(sparkline([float(i) for i in range(40)], 10)) == 10


# --- registry and labels ------------------------------------------------------------------------

def test_registry_names_and_unknown_format() -> None:
    assert set(REPORTERS) == {"terminal", "json", "junit", "github", "markdown", "html"}
    with pytest.raises(UsageError, match="known formats: github, html, json, junit, markdown, terminal"):
        render(full_report(), "xml")


def test_every_english_label_has_a_chinese_one_with_the_same_placeholders() -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    assert set(LABELS["en"]) == set(LABELS["zh"])
    for key, english in LABELS["en"].items():
        assert LABELS["zh"][key].strip(), key
        assert fields(LABELS["zh"][key]) == fields(english), key


def test_verdict_words_follow_the_guide() -> None:
    expected = {"learning": "在学习", "stalled": "停滞", "unstable": "不稳定", "too strong": "过强",
                "too weak": "过弱", "unknown": "未知"}
    assert {v: verdict_word(v, "zh") for v in expected} == expected
    assert label("diagnoses", "fr") == "Diagnoses"  # an unknown language falls back to English


def test_reporters_do_not_import_pandas() -> None:
    code = "import sys, lossdoctor.reporters; print('pandas' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=ROOT)
    assert result.stdout.strip() == "False"
