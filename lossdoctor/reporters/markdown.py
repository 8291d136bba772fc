"""The markdown report: a compact rendering for a PR comment or a GitHub step summary.

A reviewer reads this in a pull request, not in a terminal, so it is the
terminal report cut down to what decides a merge: one heading naming the run,
one line of counts, a table of diagnoses (the answer), a table of findings (the
evidence), branch verdicts and what could not be judged. Metrics and coverage
stay in the terminal/JSON reports.

Everything the engine wrote goes through `md_text`, which backslash-escapes the
ASCII punctuation markdown gives meaning to (a `|` in a cause must not split a
table row, a `*` must not start emphasis, a `<` must not open HTML) and turns
newlines into `<br>` so a row stays on one line. Backslash escapes of ASCII
punctuation are valid CommonMark everywhere, so this is safe in and out of tables.

The few phrasing helpers the other CI reporters share (a rule's display name,
a step range, the one-sentence summary) live here too, so the JUnit body, the
GitHub annotations and this page say the same thing in the same words.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from lossdoctor.document import log_interval, not_evaluated_groups, step_extent
from lossdoctor.model import SEVERITY_ORDER, Finding, Report
from lossdoctor.reporters.labels import every_interval, label, severity_word, verdict_word
from lossdoctor.reporters.outside import clean, safe_output
from lossdoctor.reporters.terminal import format_number

SEVERITY_EMOJI = {"red": "🔴", "warn": "🟡", "info": "🔵"}
# GitHub rejects a step summary over 1 MiB; a run never has this many findings, but a
# hostile rule pack could, and a truncated table beats a missing summary.
STEP_SUMMARY_MAX_ROWS = 50
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&#!])")
_NEWLINES = re.compile(r"\r\n|\r|\n")


# --- phrasing shared by the CI reporters ----------------------------------------------------------

def case_name(rule: str, tag: str | None) -> str:
    """`rule` or `rule (tag)`: a finding's identity is (rule, tag), so the tag is part of the name."""
    return f"{rule} ({tag})" if tag else rule


def steps_text(first: int, last: int, lang: str) -> str:
    """`steps 400–1190` (or `step 230` for a single step), in `lang`."""
    if first == last:
        return label("step_single", lang, first=first)
    return label("step_range", lang, first=first, last=last)


def evidence_text(evidence: Mapping[str, object], sep: str = ", ") -> str:
    """`key=value` pairs as a person reads them (NaN stays NaN, 0.003125 is 0.00313)."""
    return sep.join(f"{key}={format_number(value)}" for key, value in evidence.items())


def severity_counts(report: Report) -> dict[str, int]:
    """How many findings fired at each severity, highest first."""
    return {level: sum(f.severity == level for f in report.findings) for level in ("red", "warn", "info")}


def sorted_findings(report: Report) -> list[Finding]:
    """Findings worst first, then by step and rule: the order every reporter lists them in."""
    return sorted(report.findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.first_step, f.rule))


def summary_sentence(report: Report) -> str:
    """The terminal's closing line as plain text: counts, diagnoses and how many checks were judged.

    Nothing evaluated is said plainly rather than shown as an all-clear: an empty
    log must not read as a healthy run in a CI summary.
    """
    lang = report.lang
    rules = label("summary_rules", lang, evaluated=len(report.evaluated),
                  not_evaluated=len(report.not_evaluated))
    if not report.evaluated and not report.findings:
        return label("summary_nothing", lang)
    if not report.findings and not report.diagnoses:
        return f"{label('summary_clean', lang)} · {rules}"
    parts = [label("summary_counts", lang, **severity_counts(report))]
    if report.diagnoses:
        key = "summary_diagnosis_one" if len(report.diagnoses) == 1 else "summary_diagnoses"
        parts.append(label(key, lang, n=len(report.diagnoses)))
    return " · ".join([*parts, rules])


def run_name(report: Report) -> str:
    """The run as one path: the file itself, or the folder the stitched launches share."""
    files = report.run.files
    if not files:
        return label("none", report.lang)
    if len(files) == 1:
        return files[0]
    try:
        common = os.path.commonpath(files)
    except ValueError:  # absolute and relative paths mixed, or different drives
        common = ""
    return common or files[0]


# --- markdown escaping --------------------------------------------------------------------------

def md_text(text: object) -> str:
    """`text` as literal markdown on one line: specials backslash-escaped, newlines as `<br>`."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    return _NEWLINES.sub("<br>", escaped)


def md_code(text: str) -> str:
    """`text` as inline code when that is safe, else as escaped plain text.

    Code spans cannot hold escapes, and a backtick, backslash, pipe or newline
    inside one breaks a table differently in each renderer; such names (never a
    bundled rule id) fall back to escaped text rather than a broken row.
    """
    if text and not re.search(r"[`\\|\r\n]", text):
        return f"`{text}`"
    return md_text(clean(text))  # a name's newline shown as `\n`, never obeyed


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    """A GFM table; cells must already be escaped (one line, no bare `|`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return lines


def _severity_cell(severity: str, lang: str) -> str:
    return f"{SEVERITY_EMOJI.get(severity, '')} {md_text(severity_word(severity, lang))}".strip()


def _capped(rows: list[list[str]], max_rows: int | None, width: int, lang: str) -> list[list[str]]:
    """At most `max_rows` rows, the last one saying how many were left out."""
    if max_rows is None or len(rows) <= max_rows:
        return rows
    more = md_text(label("and_more", lang, n=len(rows) - max_rows))
    return [*rows[:max_rows], [more] + [""] * (width - 1)]


# --- the report ---------------------------------------------------------------------------------

def render(report: Report, *, width: int | None = None, color: bool | None = None) -> str:
    """The markdown report; `width` and `color` mean nothing here (a browser wraps it)."""
    return render_markdown(report)


def step_summary(report: Report) -> str:
    """What the CLI appends to `$GITHUB_STEP_SUMMARY`: the markdown report, tables capped.

    It starts with a blank line so it never runs into whatever an earlier
    command of the same step appended, and caps each table so a flood of
    findings cannot push the summary past GitHub's 1 MiB limit.
    """
    return "\n" + render_markdown(report, max_rows=STEP_SUMMARY_MAX_ROWS)


def render_markdown(report: Report, max_rows: int | None = None) -> str:
    """Heading, counts and run line, then diagnoses, findings, verdicts, not evaluated."""
    lang = report.lang
    lines = [f"## {md_text(label('title', lang))}: {md_code(run_name(report))}", ""]
    worst = report.worst()
    badge = f"{SEVERITY_EMOJI[worst]} " if worst in SEVERITY_EMOJI and report.findings else ""
    lines += [f"{badge}**{md_text(summary_sentence(report))}**", "", _run_line(report), ""]
    if report.notes:  # e.g. smoothed values: it changes how every number below reads
        lines += [f"**{md_text(label('notes', lang))}:** " + " · ".join(md_text(n) for n in report.notes), ""]

    lines.append(f"### {md_text(label('diagnoses', lang))}")
    lines.append("")
    if report.diagnoses:
        diagnoses = sorted(report.diagnoses, key=lambda d: -SEVERITY_ORDER[d.severity])
        rows = [[_severity_cell(d.severity, lang),
                 f"**{md_text(d.title)}**<br>{md_code(d.rule)} · "
                 f"{md_text(label('rests_on', lang, checks=', '.join(d.checks) or label('none', lang)))}",
                 md_text(d.cause), md_text(d.remedy)] for d in diagnoses]
        header = [label(f"ci_col_{c}", lang) for c in ("severity", "diagnosis", "cause", "remedy")]
        lines += _table([md_text(h) for h in header], _capped(rows, max_rows, 4, lang))
    else:
        lines.append(md_text(label("no_diagnoses", lang)))
    lines.append("")

    lines.append(f"### {md_text(label('checks', lang))}")
    lines.append("")
    if report.findings:
        rows = [[_severity_cell(f.severity, lang), f"{md_code(f.rule)}<br>{md_text(f.title)}",
                 md_text(f.tag) if f.tag else "–",
                 md_text(f"{f.first_step}–{f.last_step}" if f.first_step != f.last_step else f.first_step),
                 md_text(evidence_text(f.evidence)) or "–"] for f in sorted_findings(report)]
        header = [label(f"ci_col_{c}", lang) for c in ("severity", "rule", "tag", "steps", "evidence")]
        lines += _table([md_text(h) for h in header], _capped(rows, max_rows, 5, lang))
    elif report.evaluated:
        lines.append(md_text(label("no_findings", lang, n=len(report.evaluated))))
    else:
        lines.append(md_text(label("no_checks_run", lang)))
    lines.append("")

    if report.verdicts:
        lines += [f"### {md_text(label('verdicts', lang))}", ""]
        rows = [[md_text(v.branch), f"**{md_text(verdict_word(v.verdict, lang))}**", md_text(v.evidence)]
                for v in report.verdicts]
        header = [label(f"ci_col_{c}", lang) for c in ("branch", "verdict", "evidence")]
        lines += _table([md_text(h) for h in header], _capped(rows, max_rows, 3, lang))
        lines.append("")

    groups = not_evaluated_groups(report)
    if groups:
        lines += [f"### {md_text(label('not_evaluated', lang))}", ""]
        shown = groups if max_rows is None else groups[:max_rows]
        lines += [f"- {', '.join(map(md_code, names))} — {md_text(reason)}" for names, reason in shown]
        if len(shown) < len(groups):
            lines.append(f"- {md_text(label('and_more', lang, n=len(groups) - len(shown)))}")
        lines.append("")
    return safe_output("\n".join(lines).rstrip("\n") + "\n")


def _run_line(report: Report) -> str:
    """`**Run:** format · files · steps · interval`: enough to know which log this is about."""
    run, lang = report.run, report.lang
    parts = [md_code(run.format)]
    parts += [md_code(path) for path in run.files]
    extent = step_extent(run.frame)
    parts.append(md_text(f"{label('steps', lang)} {extent[0]}–{extent[1]}" if extent
                         else f"{label('steps', lang)}: {label('none', lang)}"))
    interval = log_interval(run.frame)
    if interval is not None:
        parts.append(md_text(every_interval(run.step_unit, interval, format_number(interval), lang)))
    return f"**{md_text(label('ci_run', lang))}:** " + " · ".join(parts)
