"""JUnit XML: the report as test results, for Jenkins, GitLab and any CI that reads JUnit.

CI systems already know how to show, count and track test results, so every
rule becomes a test case and the run's health becomes a test report:

- one case per `report.evaluated` entry (rule, tag): *failed* when a finding with
  that identity fired at red or warn (the failure body lists every stretch: steps,
  evidence, cause, remedy), *passed* otherwise; info findings never fail a build,
  so they go to the case's `<system-out>`;
- one case per `report.not_evaluated` entry, *skipped* with the reason: a rule
  that could not be judged must show up, never pass silently;
- one case per diagnosis (classname `lossdoctor.diagnosis`), failed at red/warn.

Rule cases are named `rule` or `rule (tag)` under the classname
`lossdoctor.<pack>`: the pack, not the branch, because a case's identity must
not change between runs, or a CI's per-test history breaks whenever a rule
starts or stops firing. There is no timing per rule, so every `time` is 0 and the
totals agree; no timestamp or hostname either, so the same report renders to the
same bytes. The document is built with ElementTree, which escapes markup; what it
does not do is drop characters XML 1.0 cannot carry at all (an ESC from a log
line), which `xml_safe` does, so the file always parses. It validates against
Jenkins' xUnit JUnit schema (tests/schemas/junit.xsd).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field

from lossdoctor.document import step_extent
from lossdoctor.model import SEVERITY_ORDER, Finding, Report
from lossdoctor.reporters.labels import label, severity_word, verdict_word
from lossdoctor.reporters.markdown import case_name, evidence_text, steps_text, summary_sentence
from lossdoctor.reporters.terminal import format_number

SUITE_NAME = "lossdoctor"
DIAGNOSIS_CLASS = "lossdoctor.diagnosis"

FAILING = ("red", "warn")
# XML 1.0 Char production: tab, LF, CR and everything from space up, minus surrogates and U+FFFE/FFFF
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class Case:
    """One test case before it becomes XML: its status decides the child element."""

    classname: str
    name: str
    failure: tuple[str, str, str] | None = None  # (type, message, body)
    skipped: str | None = None  # the reason
    out: list[str] = field(default_factory=list)


def render(report: Report, *, width: int | None = None, color: bool | None = None) -> str:
    """The JUnit XML document (UTF-8 declared); `width` and `color` mean nothing here."""
    root = build(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def build(report: Report) -> ET.Element:
    """`<testsuites>` holding the one `lossdoctor` suite, counts filled in from the cases."""
    cases = collect_cases(report)
    failures = sum(case.failure is not None for case in cases)
    skipped = sum(case.skipped is not None for case in cases)
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts, "time": "0"})
    suite = ET.SubElement(root, "testsuite",
                          {"name": SUITE_NAME, **counts, "skipped": str(skipped), "time": "0"})
    _properties(suite, report)
    for case in cases:
        _case_element(suite, case)
    out = _suite_out(report)
    if out:
        ET.SubElement(suite, "system-out").text = xml_safe(out)
    return root


def collect_cases(report: Report) -> list[Case]:
    """Every case in document order: evaluated rules, not-evaluated rules, diagnoses.

    A finding whose (rule, tag) is missing from `evaluated` still gets its own
    case after the evaluated ones: a red flag must never vanish from CI because
    the report's lists disagree.
    """
    lang = report.lang
    by_key: dict[tuple[str, str | None], list[Finding]] = {}
    for finding in report.findings:
        by_key.setdefault((finding.rule, finding.tag), []).append(finding)

    cases: list[Case] = []
    seen: set[tuple[str, str | None]] = set()
    keys = [(e.rule, e.tag, e.pack) for e in report.evaluated]
    keys += [(f.rule, f.tag, f.pack) for f in report.findings]
    for rule, tag, pack in keys:
        if (rule, tag) in seen:
            continue
        seen.add((rule, tag))
        cases.append(_rule_case(rule, tag, pack, by_key.get((rule, tag), []), lang))
    for item in report.not_evaluated:
        cases.append(Case(f"lossdoctor.{item.pack}", case_name(item.rule, item.tag), skipped=item.reason))
    for diagnosis in report.diagnoses:
        checks = ", ".join(diagnosis.checks) or label("none", lang)
        body = "\n".join([f"[{severity_word(diagnosis.severity, lang)}] {diagnosis.title}",
                          label("rests_on", lang, checks=checks), diagnosis.cause, f"→ {diagnosis.remedy}"])
        case = Case(DIAGNOSIS_CLASS, diagnosis.rule)
        if diagnosis.severity in FAILING:
            case.failure = (diagnosis.severity, diagnosis.title, body)
        else:
            case.out.append(body)
        cases.append(case)
    return cases


def _rule_case(rule: str, tag: str | None, pack: str, findings: list[Finding], lang: str) -> Case:
    """A rule's case: failed by its red/warn stretches, info stretches kept as output."""
    case = Case(f"lossdoctor.{pack}", case_name(rule, tag))
    failing = [f for f in findings if f.severity in FAILING]
    if failing:
        worst = max(failing, key=lambda f: SEVERITY_ORDER[f.severity])
        stretches = ", ".join(steps_text(f.first_step, f.last_step, lang) for f in failing)
        body = "\n\n".join(stretch_text(f, lang) for f in failing)
        case.failure = (worst.severity, f"{worst.title} ({stretches})", body)
    case.out += [stretch_text(f, lang) for f in findings if f.severity not in FAILING]
    return case


def stretch_text(finding: Finding, lang: str) -> str:
    """One stretch as plain text: severity, steps and branch, evidence, cause, remedy."""
    head = (f"[{severity_word(finding.severity, lang)}] {finding.title} · "
            f"{steps_text(finding.first_step, finding.last_step, lang)} · {finding.branch}")
    lines = [head]
    if finding.evidence:
        lines.append(evidence_text(finding.evidence, sep="  "))
    lines += [finding.cause, f"→ {finding.remedy}"]
    return "\n".join(lines)


def _case_element(suite: ET.Element, case: Case) -> None:
    element = ET.SubElement(suite, "testcase",
                            {"classname": xml_safe(case.classname), "name": xml_safe(case.name), "time": "0"})
    if case.failure is not None:
        kind, message, body = case.failure
        failure = ET.SubElement(element, "failure", {"message": xml_safe(message), "type": kind})
        failure.text = xml_safe(body)
    if case.skipped is not None:
        ET.SubElement(element, "skipped", {"message": xml_safe(case.skipped)})
    if case.out:
        ET.SubElement(element, "system-out").text = xml_safe("\n\n".join(case.out))


def _properties(suite: ET.Element, report: Report) -> None:
    """What was read and with which parameters, as suite properties CI pages list."""
    run = report.run
    items: list[tuple[str, str]] = [("lossdoctor.format", run.format)]
    items += [("lossdoctor.file", path) for path in run.files]
    extent = step_extent(run.frame)
    if extent is not None:
        items.append(("lossdoctor.steps", f"{extent[0]}–{extent[1]}"))
    items.append(("lossdoctor.lang", report.lang))
    items += [(f"lossdoctor.param.{name}", f"{format_number(p.value)} ({p.source})")
              for name, p in sorted(report.params.items())]
    properties = ET.SubElement(suite, "properties")
    for name, value in items:
        ET.SubElement(properties, "property", {"name": xml_safe(name), "value": xml_safe(value)})


def _suite_out(report: Report) -> str:
    """Suite-level output: the summary sentence, branch verdicts and run notes."""
    lang = report.lang
    lines = [summary_sentence(report)]
    verdicts = (f"{v.branch}: {verdict_word(v.verdict, lang)} — {v.evidence}" for v in report.verdicts)
    lines += _section(label("verdicts", lang), verdicts)
    lines += _section(label("notes", lang), report.notes)
    return "\n".join(lines)


def _section(heading: str, items: Iterable[str]) -> list[str]:
    listed = [f"- {item}" for item in items]
    return ["", f"{heading}:", *listed] if listed else []


def xml_safe(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold shown as `\\xNN` / `\\uNNNN`, line ends as LF.

    ElementTree escapes `<`, `&` and quotes but writes control characters as
    they are, which makes the whole file unparseable for Jenkins; a literal
    stand-in keeps the information and the file valid.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML_CHAR.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                             else f"\\u{ord(m.group()):04x}", text)
