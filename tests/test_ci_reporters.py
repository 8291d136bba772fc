"""CI reporters: JUnit XML, GitHub workflow commands, markdown (PR comment / step summary).

Each output is checked the way its consumer reads it: the JUnit XML with a real
parser and against the schema Jenkins' xUnit plugin uses (vendored in
tests/schemas/junit.xsd: nothing is downloaded), the GitHub lines against the
workflow-command syntax and the runner's own unescaping, the markdown with a
real CommonMark+tables parser (markdown-it-py, which rich already depends on).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.report_factory import clean_report, empty_report, full_report, nan_report
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML

from lossdoctor.model import Diagnosis, Evaluated, Finding, NotEvaluated, Report
from lossdoctor.reporters import REPORTERS, render
from lossdoctor.reporters.github import escape_data, escape_property
from lossdoctor.reporters.junit import xml_safe
from lossdoctor.reporters.markdown import STEP_SUMMARY_MAX_ROWS, md_code, md_text, step_summary

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).resolve().parent / "schemas" / "junit.xsd")))
HOSTILE_CAUSE = ("pipe | here, 100% sure:\nsecond line\r\n::set-output name=x::y <b>&amp;</b> \\| `tick` "
                 "*bold* \x1b[31m")


def hostile_report(lang: str = "en") -> Report:
    """Everything that breaks naive escaping, plus the report shapes the factory lacks.

    A cause with pipes, newlines, `%`, `::`, markup and an ESC; a rule firing in
    two stretches; a finding its `evaluated` list forgot; an info diagnosis; a
    rule and tag with `:` and `,` (property delimiters for the GitHub runner).
    """
    report = full_report(lang)
    stalled = next(f for f in report.findings if f.rule == "flow-stalled")
    report.findings = [replace(f, cause=HOSTILE_CAUSE) if f is stalled else f for f in report.findings]
    report.findings.append(replace(stalled, severity="warn", first_step=1195, last_step=1200,
                                   evidence={"loss": float("nan"), "note": "a|b"}))
    report.findings.append(Finding(rule="user:rule,x", tag="t:1,2", severity="red", branch="flow",
                                   first_step=5, last_step=5, evidence={}, title="Odd rule", cause="c",
                                   remedy="r", pack="mine"))
    report.diagnoses.append(Diagnosis("just-info", "info", (), "FYI", "A remark | with a pipe.", "Nothing."))
    report.not_evaluated.append(NotEvaluated("user:rule,x", "reason with <xml> & \"quotes\"\nand a newline",
                                             tag="t:2", pack="mine"))
    return report


FACTORIES: dict[str, Callable[[str], Report]] = {
    "full": full_report, "nan": nan_report, "clean": clean_report, "empty": empty_report,
    "hostile": hostile_report,
}
CASES = [(name, lang) for name in sorted(FACTORIES) for lang in ("en", "zh")]


# --- JUnit --------------------------------------------------------------------------------------

def _junit(report: Report) -> ET.Element:
    return ET.fromstring(render(report, "junit").encode("utf-8"))


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    """Test cases by `classname::name` (names repeat across classnames only)."""
    cases = {f"{c.get('classname')}::{c.get('name')}": c for c in root.iter("testcase")}
    assert len(cases) == len(list(root.iter("testcase"))), "duplicate test case identities"
    return cases


def _status(case: ET.Element) -> str:
    children = {child.tag for child in case}
    outcome = children & {"failure", "skipped", "error"}
    assert len(outcome) <= 1, children
    return outcome.pop() if outcome else "passed"


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_junit_is_valid_against_the_jenkins_xsd(name: str, lang: str) -> None:
    document = etree.fromstring(render(FACTORIES[name](lang), "junit").encode("utf-8"))
    assert XSD.validate(document), XSD.error_log


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_junit_counts_agree_with_the_cases(name: str, lang: str) -> None:
    report = FACTORIES[name](lang)
    root = _junit(report)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    statuses = [_status(case) for case in cases]
    keys = {(e.rule, e.tag) for e in report.evaluated} | {(f.rule, f.tag) for f in report.findings}
    assert len(cases) == len(keys) + len(report.not_evaluated) + len(report.diagnoses)
    for element in (root, suite):
        assert element.get("tests") == str(len(cases))
        assert element.get("failures") == str(statuses.count("failure"))
        assert element.get("errors") == "0"
        assert element.get("time") == "0"
    assert suite.get("skipped") == str(statuses.count("skipped")) == str(len(report.not_evaluated))
    assert {case.get("time") for case in cases} <= {"0"}


def test_junit_full_report_case_by_case() -> None:
    got = {key: (_status(case), case.findall("failure")[0].get("type") if case.findall("failure") else None)
           for key, case in _cases(_junit(full_report())).items()}
    passed = ("passed", None)
    assert got == {
        "lossdoctor.default::grad-coverage-mismatch (flow)": passed,
        "lossdoctor.default::flow-stalled": ("failure", "red"),
        "lossdoctor.default::flow-unstable": passed,
        "lossdoctor.default::flow-stuck-high-grad": passed,
        "lossdoctor.default::dino-not-improving": passed,
        "lossdoctor.default::dino-share-early-high": ("failure", "warn"),
        "lossdoctor.default::z-mean-drift": passed,
        "lossdoctor.default::z-var-out-of-range": ("failure", "red"),
        "lossdoctor.default::kl-rising": ("failure", "red"),
        "lossdoctor.default::update-ratio-zero (dino_t_head)": passed,  # info: reported, never failing
        "lossdoctor.default::loss-plateau": passed,
        "lossdoctor.default::non-finite-loss": passed,
        "lossdoctor.default::loss-spike": passed,
        "lossdoctor.default::grad-flow-dead": ("skipped", None),
        "lossdoctor.default::update-ratio-zero (flow)": ("skipped", None),
        "lossdoctor.default::dino-grad-early-large": ("skipped", None),
        "lossdoctor.diagnosis::lr-too-low-or-over-regularised": ("failure", "red"),
        "lossdoctor.diagnosis::kl-too-weak": ("failure", "red"),
    }


def test_junit_failure_lists_the_stretch_and_skips_give_the_reason() -> None:
    cases = _cases(_junit(full_report()))
    failure = cases["lossdoctor.default::flow-stalled"].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.get("message") == "Flow branch stalled (steps 400–1190)"
    for part in ["steps 400–1190", "dbg/grad_flow=0.00313", "threshold=0.01", "window=100",
                 "The flow gradient is tiny and loss_flow has stopped falling.",
                 "→ Raise the LR, relax gradient clipping, weaken the other regularisers."]:
        assert part in failure.text
    info = cases["lossdoctor.default::update-ratio-zero (dino_t_head)"]
    assert "dino_t_head has 0 trainable parameters" in (info.findtext("system-out") or "")
    skipped = cases["lossdoctor.default::grad-flow-dead"].find("skipped")
    assert skipped is not None
    assert skipped.get("message", "").startswith("the text log has 4 decimals and cannot show ≈ 0")
    diagnosis = cases["lossdoctor.diagnosis::kl-too-weak"].find("failure")
    assert diagnosis is not None and "rests on: kl-rising, z-var-out-of-range" in (diagnosis.text or "")


def test_junit_shows_non_finite_evidence() -> None:
    failure = _cases(_junit(nan_report()))["lossdoctor.default::non-finite-loss"].find("failure")
    assert failure is not None
    for part in ["first_bad_step=230", "loss=NaN", "loss_flow=0.812", "dbg/grad_flow=inf", "z_init/mean=-inf",
                 "shadow=loss_dbg_grad_flow", "steps 230–1200"]:
        assert part in (failure.text or "")


def test_junit_hostile_report_case_by_case() -> None:
    cases = _cases(_junit(hostile_report()))
    stalled = cases["lossdoctor.default::flow-stalled"].find("failure")
    assert stalled is not None
    # two stretches, one case: the worst severity is the type, both stretches are listed
    assert stalled.get("type") == "red"
    assert stalled.get("message") == "Flow branch stalled (steps 400–1190, steps 1195–1200)"
    assert "loss=NaN" in (stalled.text or "") and "note=a|b" in (stalled.text or "")
    # the parser gives back exactly what the engine wrote, minus what XML cannot hold
    assert xml_safe(HOSTILE_CAUSE) in (stalled.text or "")
    assert "\\x1b[31m" in (stalled.text or "")
    # a finding missing from `evaluated` still fails, under its own pack
    odd = cases["lossdoctor.mine::user:rule,x (t:1,2)"]
    assert _status(odd) == "failure"
    skipped = cases["lossdoctor.mine::user:rule,x (t:2)"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "reason with <xml> & \"quotes\"\nand a newline"
    info = cases["lossdoctor.diagnosis::just-info"]
    assert _status(info) == "passed" and "A remark | with a pipe." in (info.findtext("system-out") or "")


def test_junit_chinese_and_empty() -> None:
    zh = _cases(_junit(full_report("zh")))
    failure = zh["lossdoctor.default::flow-stalled"].find("failure")
    assert failure is not None
    assert failure.get("message") == "Flow 分支停滞 (步 400–1190)"
    assert "dbg/grad_flow 很小且 loss_flow 不再下降。" in (failure.text or "")
    assert "降 LR、加裁剪、检查 flow 头的数值稳定性" not in (failure.text or "")
    root = _junit(empty_report())
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "0" and not suite.findall("testcase")
    assert "no red flags can be ruled out" in (suite.findtext("system-out") or "")


def test_junit_is_deterministic_and_declares_utf8() -> None:
    first, second = render(full_report("zh"), "junit"), render(full_report("zh"), "junit")
    assert first == second
    assert first.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')


def test_xml_safe_keeps_text_and_names_what_xml_cannot_hold() -> None:
    assert xml_safe("a\tb\nc") == "a\tb\nc"
    assert xml_safe("a\r\nb\rc") == "a\nb\nc"
    assert xml_safe("\x00\x1b\ufffe") == "\\x00\\x1b\\ufffe"
    assert xml_safe("中文 ≈ 😀") == "中文 ≈ 😀"


# --- GitHub workflow commands -------------------------------------------------------------------

PROPERTY_VALUE = r"(?:[^%,:\r\n]|%(?:25|0D|0A|3A|2C))*"
COMMAND_LINE = re.compile(
    rf"::(?P<command>error|warning|notice)"
    rf"(?: (?P<props>[A-Za-z]+={PROPERTY_VALUE}(?:,[A-Za-z]+={PROPERTY_VALUE})*))?"
    r"::(?P<message>(?:[^%\r\n]|%(?:25|0D|0A))*)"
)


def _unescape_data(text: str) -> str:
    """The runner's unescaping (ActionCommand.cs): `%25` last, so `%250A` stays `%0A`."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def _commands(report: Report) -> list[tuple[str, dict[str, str], str]]:
    """Every line parsed as the runner would, failing on any line that is not a command."""
    text = render(report, "github")
    assert text.endswith("\n")
    parsed = []
    for line in text.splitlines():
        match = COMMAND_LINE.fullmatch(line)
        assert match, f"not a workflow command: {line!r}"
        props = {}
        if match["props"]:
            for pair in match["props"].split(","):
                key, value = pair.split("=", 1)
                props[key] = _unescape_property(value)
        parsed.append((match["command"], props, _unescape_data(match["message"])))
    return parsed


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_github_every_line_is_a_well_formed_workflow_command(name: str, lang: str) -> None:
    report = FACTORIES[name](lang)
    commands = _commands(report)
    assert len(commands) == len(report.findings) + len(report.diagnoses) + 1
    assert commands[-1][1] == {"title": "lossdoctor"}


def test_github_full_report_commands() -> None:
    commands = _commands(full_report())
    assert [(c, p["title"]) for c, p, _ in commands] == [
        ("error", "lossdoctor diagnosis lr-too-low-or-over-regularised"),
        ("error", "lossdoctor diagnosis kl-too-weak"),
        ("error", "lossdoctor kl-rising"),
        ("error", "lossdoctor flow-stalled"),
        ("error", "lossdoctor z-var-out-of-range"),
        ("warning", "lossdoctor dino-share-early-high"),
        ("notice", "lossdoctor update-ratio-zero (dino_t_head)"),
        ("notice", "lossdoctor"),
    ]
    files = {p.get("file") for _, p, _ in commands[:-1]}
    assert files == {"work_dirs/flow_dino_kl_b16/20240301_101500/vis_data/scalars.json"}
    assert commands[3][2] == ("Flow branch stalled (steps 400–1190): The flow gradient is tiny and "
                              "loss_flow has stopped falling. → Raise the LR, relax gradient clipping, "
                              "weaken the other regularisers.")
    assert commands[-1][2] == ("3 red, 1 warn, 1 info findings · 2 diagnoses · 13 checks evaluated, "
                               "3 not evaluated")


def test_github_escaping_round_trips_and_cannot_forge_a_command() -> None:
    report = hostile_report()
    text = render(report, "github")
    assert len(text.splitlines()) == len(report.findings) + len(report.diagnoses) + 1
    assert not any(line.startswith("::set-output") for line in text.splitlines())
    commands: dict[str, list[tuple[str, str]]] = {}
    for command, props, message in _commands(report):
        commands.setdefault(props["title"], []).append((command, message))
    cause = "The flow gradient is tiny and loss_flow has stopped falling."
    remedy = "Raise the LR, relax gradient clipping, weaken the other regularisers."
    assert commands["lossdoctor flow-stalled"] == [  # one annotation per stretch
        ("error", f"Flow branch stalled (steps 400–1190): {HOSTILE_CAUSE} → {remedy}"),
        ("warning", f"Flow branch stalled (steps 1195–1200): {cause} → {remedy}"),
    ]
    assert commands["lossdoctor user:rule,x (t:1,2)"] == [("error", "Odd rule (step 5): c → r")]
    assert commands["lossdoctor diagnosis just-info"] == [
        ("notice", "FYI: A remark | with a pipe. → Nothing. (rests on: none)")]


def test_github_escape_functions() -> None:
    assert escape_data("100%\r\n%0A") == "100%25%0D%0A%250A"
    assert escape_property("C:\\logs,a%b\n") == "C%3A\\logs%2Ca%25b%0A"
    for text in ["", "plain", "%25", "a:b,c%\r\nd", HOSTILE_CAUSE]:
        assert _unescape_data(escape_data(text)) == text
        assert _unescape_property(escape_property(text)) == text


def test_github_nothing_evaluated_is_a_warning_not_an_all_clear() -> None:
    assert _commands(empty_report()) == [
        ("warning", {"title": "lossdoctor"}, "Nothing was evaluated: no red flags can be ruled out")]
    assert _commands(clean_report("zh"))[-1][2].startswith("未发现红旗信号")


# --- markdown -----------------------------------------------------------------------------------

PARSER = MarkdownIt("commonmark").enable("table")
RENDERER = RendererHTML()


def _tables(text: str) -> list[list[list[str]]]:
    """Tables as rows of rendered cell text, from markdown-it's token stream."""
    tables: list[list[list[str]]] = []
    row: list[str] | None = None
    for token in PARSER.parse(text):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(RENDERER.renderInline(token.children or [], PARSER.options, {}))
        elif token.type == "tr_close" and row is not None:
            tables[-1].append(row)
            row = None
    return tables


def _raw_cells(line: str) -> int:
    """Cells of a raw table row: pipes not escaped by a backslash, minus the outer two."""
    return len(re.findall(r"(?<!\\)\|", line)) - 1


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_markdown_tables_have_a_cell_per_column_in_every_row(name: str, lang: str) -> None:
    report = FACTORIES[name](lang)
    text = render(report, "markdown")
    tables = _tables(text)
    for table in tables:
        assert {len(row) for row in table} == {len(table[0])}
    raw_rows = [line for line in text.splitlines() if line.startswith("|")]
    widths = {_raw_cells(line) for line in raw_rows}
    assert widths <= {3, 4, 5}
    expected = int(bool(report.diagnoses)) + int(bool(report.findings)) + int(bool(report.verdicts))
    assert len(tables) == expected
    if report.findings:
        findings = next(t for t in tables if len(t[0]) == 5)
        assert len(findings) == len(report.findings) + 1


def test_markdown_full_report_tables() -> None:
    diagnoses, findings, verdicts = _tables(render(full_report(), "markdown"))
    assert diagnoses[0] == ["severity", "diagnosis", "cause", "remedy"]
    assert diagnoses[1][0] == "🔴 RED"
    assert diagnoses[2][2] == "The KL weight is too weak: kl_raw and z_init/var rise together."
    assert findings[0] == ["severity", "rule", "tag", "steps", "key evidence"]
    assert findings[1:] == [
        ["🔴 RED", "<code>kl-rising</code><br>KL keeps rising", "–", "200–1200",
         "kl_raw_change=0.667, kendall_tau=1, window=200"],
        ["🔴 RED", "<code>flow-stalled</code><br>Flow branch stalled", "–", "400–1190",
         "dbg/grad_flow=0.00313, threshold=0.01, loss_flow_change=-0.0041, window=100"],
        ["🔴 RED", "<code>z-var-out-of-range</code><br>Latent variance out of range", "–", "600–1200",
         "z_init/var=1.98, low=0.3, high=1.5, side=high"],
        ["🟡 WARN", "<code>dino-share-early-high</code><br>DINO loss dominates early", "–", "10–300",
         "share=0.62, threshold=0.5, warmup_steps=1200"],
        ["🔵 INFO", "<code>update-ratio-zero</code><br>Frozen tag", "dino_t_head", "10–1200", "trainable=0"],
    ]
    assert [row[:2] for row in verdicts[1:]] == [["flow", "<strong>stalled</strong>"],
                                                 ["dino", "<strong>unknown</strong>"],
                                                 ["kl", "<strong>too weak</strong>"]]


def test_markdown_heading_counts_and_not_evaluated() -> None:
    text = render(full_report(), "markdown")
    assert text.startswith("## lossdoctor report: `work_dirs/flow_dino_kl_b16`\n")
    counts = "3 red, 1 warn, 1 info findings · 2 diagnoses · 13 checks evaluated, 3 not evaluated"
    assert f"🔴 **{counts}**" in text
    assert "- `update-ratio-zero (flow)` — dbg/update\\_ratio/flow is not logged" in text
    rendered = PARSER.render(text)
    assert "<li><code>grad-flow-dead</code> — the text log has 4 decimals" in rendered


def test_markdown_escapes_pipes_newlines_and_markup() -> None:
    text = render(hostile_report(), "markdown")
    tables = _tables(text)
    findings = next(t for t in tables if len(t[0]) == 5)
    assert {len(row) for row in findings} == {5}
    assert ["🟡 WARN", "<code>flow-stalled</code><br>Flow branch stalled", "–", "1195–1200",
            "loss=NaN, note=a|b"] in findings
    odd = next(row for row in findings if "Odd rule" in row[1])
    assert odd[1] == "<code>user:rule,x</code><br>Odd rule" and odd[2] == "t:1,2"
    diagnoses = tables[0]
    assert ["🔵 INFO", "<strong>FYI</strong><br><code>just-info</code> · rests on: none",
            "A remark | with a pipe.", "Nothing."] in diagnoses
    rendered = PARSER.render(text)
    assert "<b>" not in rendered  # engine text never becomes HTML
    reason = "reason with &lt;xml&gt; &amp; &quot;quotes&quot;<br>and a newline"
    assert reason in rendered
    for line in text.splitlines():  # newlines in engine text never break a row or a bullet
        assert "second line" not in line or "<br>" in line


def test_md_text_round_trips_through_a_real_parser() -> None:
    samples = ["a | b", "x\\|y", "*not bold* _nor this_", "<script>", "&amp;", "`code`", "[link](x)", "# 1."]
    for raw in samples:
        rendered = PARSER.renderInline(md_text(raw))
        assert rendered == html.escape(raw, quote=True), raw


def test_md_code_falls_back_to_text_when_a_code_span_would_break_a_row() -> None:
    assert md_code("flow-stalled") == "`flow-stalled`"
    for raw in ["a|b", "a`b", "a\\b", ""]:
        assert md_code(raw) == md_text(raw)
    assert md_code("a\nb") == md_text("a\\nb")  # a name's newline is shown, not obeyed (issue 15)
    row = f"| {md_code('a|b')} | x |"
    assert _tables("| h | i |\n|---|---|\n" + row + "\n")[0][1] == ["a|b", "x"]


def test_markdown_chinese_labels() -> None:
    text = render(full_report("zh"), "markdown")
    assert text.startswith("## lossdoctor 诊断报告: ")
    for heading in ["### 诊断", "### 检查项", "### 分支判定", "### 未评估"]:
        assert heading in text
    tables = _tables(text)
    assert tables[0][0] == ["级别", "诊断", "原因", "处理办法"]
    assert tables[1][0] == ["级别", "规则", "tag", "步数", "关键证据"]
    assert tables[1][1][0] == "🔴 严重"
    assert "**检查结果：3 严重，1 警告，1 提示 · 2 条诊断 · 已评估 13 项检查，3 项未评估**" in text


def test_markdown_empty_and_clean_reports_say_so() -> None:
    empty = render(empty_report(), "markdown")
    assert "**Nothing was evaluated: no red flags can be ruled out**" in empty
    assert "No checks were evaluated." in empty and "|" not in empty
    clean = render(clean_report(), "markdown")
    assert "**No red flags found · 13 checks evaluated, 0 not evaluated**" in clean
    assert "No red flags found: none of the 13 evaluated checks fired." in clean


def test_step_summary_is_the_markdown_report_capped() -> None:
    report = full_report()
    assert step_summary(report) == "\n" + render(report, "markdown")
    many = full_report()
    template = many.findings[0]
    many.findings = [replace(template, first_step=i, last_step=i) for i in range(STEP_SUMMARY_MAX_ROWS + 10)]
    many.not_evaluated = [NotEvaluated(f"rule-{i}", f"no key-{i}") for i in range(STEP_SUMMARY_MAX_ROWS + 3)]
    many.evaluated = [Evaluated(template.rule, None, "default")]
    summary = step_summary(many)
    findings = next(t for t in _tables(summary) if len(t[0]) == 5)
    assert len(findings) == 1 + STEP_SUMMARY_MAX_ROWS + 1
    assert findings[-1][0] == "… and 10 more"
    assert "- … and 3 more" in summary
    assert len(render(many, "markdown")) > len(summary)
    same = full_report()
    same.not_evaluated = [NotEvaluated(f"rule-{i}", "missing") for i in range(STEP_SUMMARY_MAX_ROWS + 3)]
    lines = [line for line in step_summary(same).splitlines() if line.endswith("— missing")]
    assert len(lines) == 1 and "`rule-0`, `rule-1`" in lines[0]  # one reason, said once with its rules


# --- registry -----------------------------------------------------------------------------------

def test_ci_formats_are_registered() -> None:
    assert {"junit", "github", "markdown"} <= set(REPORTERS)
    for name in ("junit", "github", "markdown"):
        assert render(full_report(), name, width=40, color=True) == render(full_report(), name)
