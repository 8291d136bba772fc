"""GitHub Actions workflow commands: each red flag as an annotation on the run.

Printed to a step's stdout, `::error title=…::message` lines become annotations
on the workflow run and the pull request, which is where a reviewer looks. One
line per diagnosis and per finding, `::error` for red, `::warning` for warn,
`::notice` for info, then one closing `::notice` with the summary sentence (a
`::warning` when nothing could be evaluated: that is no all-clear). Diagnoses
come first and findings worst first because GitHub shows only the first few
annotations of each kind per step (10 errors, 10 warnings at the time of writing).

The runner splits a command at the first `::` and reads it to the end of the
line, so escaping is what keeps engine text (a cause with a newline, a `%`, a
`::set-output`) from ending the command early or forging a new one. The rules
are the runner's own (actions/toolkit `command.ts`): in the message `%` → `%25`,
CR → `%0D`, LF → `%0A`; in a property value also `:` → `%3A` and `,` → `%2C`.

The markdown step summary (`$GITHUB_STEP_SUMMARY`) is `markdown.step_summary`;
the CLI appends it, this module only prints commands.
"""

from __future__ import annotations

from collections.abc import Mapping

from lossdoctor.model import SEVERITY_ORDER, Report
from lossdoctor.reporters.labels import label
from lossdoctor.reporters.markdown import case_name, sorted_findings, steps_text, summary_sentence

COMMAND = {"red": "error", "warn": "warning", "info": "notice"}


def render(report: Report, *, width: int | None = None, color: bool | None = None) -> str:
    """One workflow command per line; `width` and `color` mean nothing to the runner."""
    return "".join(line + "\n" for line in commands(report))


def commands(report: Report) -> list[str]:
    """Diagnoses, then findings worst first, then the summary notice, as command lines."""
    lang = report.lang
    location = {"file": report.run.files[0]} if report.run.files else {}
    lines = []
    for diagnosis in sorted(report.diagnoses, key=lambda d: -SEVERITY_ORDER[d.severity]):
        checks = ", ".join(diagnosis.checks) or label("none", lang)
        message = (f"{diagnosis.title}: {diagnosis.cause} → {diagnosis.remedy} "
                   f"({label('rests_on', lang, checks=checks)})")
        lines.append(command(COMMAND[diagnosis.severity], message,
                             {**location, "title": f"lossdoctor diagnosis {diagnosis.rule}"}))
    for finding in sorted_findings(report):
        steps = steps_text(finding.first_step, finding.last_step, lang)
        message = f"{finding.title} ({steps}): {finding.cause} → {finding.remedy}"
        lines.append(command(COMMAND[finding.severity], message,
                             {**location, "title": f"lossdoctor {case_name(finding.rule, finding.tag)}"}))
    nothing = not report.evaluated and not report.findings
    closing = "warning" if nothing else "notice"
    lines.append(command(closing, summary_sentence(report), {"title": "lossdoctor"}))
    return lines


def command(name: str, message: str, properties: Mapping[str, str] | None = None) -> str:
    """`::name key=value,key=value::message`, every part escaped as the runner expects."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in (properties or {}).items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """A message for the runner: `%` first, so the escapes it adds are not escaped again."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: the message escapes plus `:` and `,`, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
