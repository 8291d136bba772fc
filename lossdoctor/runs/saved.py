"""Saved reports as inputs: `lossdoctor analyze a.json b.json …` renders runs judged elsewhere.

A cluster judges each run where its log is (`lossdoctor analyze RUN --format json --output RUN.json`,
one array-job task per run); this module reads those `lossdoctor.report/v1` documents back so
`analyze` renders the sweep table, JSON, markdown and HTML from them without re-judging anything.

Why documents, not Reports: a document holds the findings, verdicts and metric summaries but not
the series they were judged on (no frame, no sparkline data, no chart limits), so a Report rebuilt
from it would have to invent the frame its reporters read. The sweep table is already built from
documents (`lossdoctor.runs.sweep.row_of`), so a saved document is shown exactly as a freshly judged
run's document would be, and the sweep JSON carries it unchanged. What needs the series is refused
with saved inputs, by name: `--detail` (each run's full report and charts) and the junit/github
formats (built from a judged Report).

A file is a saved report when it is one JSON object whose `"schema"` is `lossdoctor.report/v1`, and a
flat folder of them (an array job's output, local or in a bucket) stands for its reports;
saved reports and logs may be mixed in one call: each saved report is one run, the logs are split
into runs as usual and judged, and all share one table. A document is checked field by field for
what the table reads, so a truncated or hand-edited one is an error naming its file (exit 2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lossdoctor.document import SCHEMA
from lossdoctor.errors import InputError, UsageError
from lossdoctor.gate import policy
from lossdoctor.readers.base import read_head

MAX_BYTES = 256 << 20  # a report of a 200k-step run is well under 1 MB; this bounds a hostile file
_HEAD = 4096
_SEVERITIES = ("red", "warn", "info")
_CONTROLS = {code: "?" for code in [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F),
                                     *range(0x2066, 0x206A)] if code not in (0x09, 0x0A)}


@dataclass(frozen=True)
class SavedReport:
    """A saved document and the name it was given as (its row's path)."""

    path: str
    document: dict[str, Any]


def partition(paths: Sequence[Path]) -> tuple[list[SavedReport], list[Path]]:
    """The saved reports among `paths` (read and checked), and the other paths, in order."""
    saved: list[SavedReport] = []
    logs: list[Path] = []
    for path in paths:
        if looks_saved(path):
            saved.append(SavedReport(str(path), load(path)))
            continue
        folder = _saved_folder(path)
        if folder:
            saved.extend(SavedReport(str(p), load(p)) for p in folder)
        else:
            logs.append(path)
    return saved, logs


def _saved_folder(path: Path) -> list[Path]:
    """The saved reports of a flat folder of them (an array job's output, maybe in a bucket), else [].

    A folder with subfolders is a run or runs, never this. One holding saved reports beside other
    files is refused: which of them are runs would be a guess.
    """
    if not path.is_dir() or any(p.is_dir() for p in path.iterdir()):
        return []
    files = sorted(path.iterdir())
    reports = [p for p in files if looks_saved(p)]
    others = [p.name for p in files if p not in reports]
    if reports and others:
        raise UsageError(f"a folder of saved reports that also holds other files ({', '.join(others[:5])}): "
                         "give the reports as files", file=str(path))
    return reports


def looks_saved(path: Path) -> bool:
    """Cheap: a file whose first bytes open a JSON object naming the report schema."""
    if not path.is_file():
        return False
    try:
        head = read_head(path, _HEAD)
    except OSError:
        return False
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") and b'"' + SCHEMA.encode() + b'"' in head


def load(path: Path) -> dict[str, Any]:
    """The document, strict JSON, checked where the sweep reads it; InputError naming the file."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"a saved report larger than {MAX_BYTES} bytes", file=str(path))
        document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"not a readable lossdoctor report: {exc}", file=str(path)) from None
    problem = _problem(document)
    if problem:
        raise InputError(f"not a valid {SCHEMA} document: {problem}", file=str(path))
    return _inert(document)


def _inert(value: Any) -> Any:
    """The document with every control character (ESC, BEL, C1, bidi overrides) but newline and tab
    replaced by "?": a saved file is input, and its text reaches terminals, CI logs and pages."""
    if isinstance(value, str):
        return value.translate(_CONTROLS) if _has_control(value) else value
    if isinstance(value, list):
        return [_inert(item) for item in value]
    if isinstance(value, dict):
        return {_inert(key): _inert(item) for key, item in value.items()}
    return value


def _has_control(text: str) -> bool:
    return any(ord(ch) in _CONTROLS for ch in text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (a report writes it as the string \"{name}\")")


def _problem(document: Any) -> str | None:
    """The first field the sweep cannot use, or None."""
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        return f'"schema" is not "{SCHEMA}"'
    if not isinstance(document.get("run"), dict) or not isinstance(document.get("lang", "en"), str):
        return '"run" (an object) and "lang" (a string) are required'
    fields: dict[str, dict[str, Any]] = {
        "findings": {
            "rule": str, "severity": _SEVERITIES, "first_step": int, "title": str, "tag": (str, None)
        },
        "diagnoses": {"rule": str, "severity": _SEVERITIES, "title": str},
        "verdicts": {"branch": str, "verdict": str},
        "evaluated": {"rule": str},
        "not_evaluated": {"rule": str, "reason": str},
    }
    for name, expected in fields.items():
        items = document.get(name)
        if not isinstance(items, list):
            return f'"{name}" is not a list'
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                return f"{name}[{index}] is not an object"
            for key, kind in expected.items():
                if not _fits(item.get(key), kind):
                    return f"{name}[{index}].{key} is missing or not {_kind_name(kind)}"
    return None


def _fits(value: Any, kind: Any) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is str:
        return isinstance(value, str)
    if kind == (str, None):
        return value is None or isinstance(value, str)
    return value in kind


def _kind_name(kind: Any) -> str:
    if kind is int:
        return "an integer"
    if kind is str:
        return "a string"
    if kind == (str, None):
        return "a string or null"
    return " or ".join(kind)


def exit_code(document: Mapping[str, Any], fail_on: str, baseline: set[tuple[str, str | None]]) -> int:
    """The gate on a saved document, as `gate.exit_code` on a Report: findings and diagnoses at or above
    `fail_on` that neither the document (`baselined`) nor the baseline given now already knew."""
    live = [f["severity"] for f in document["findings"]
            if not f.get("baselined") and (f["rule"], f["tag"]) not in baseline]
    live += [d["severity"] for d in document["diagnoses"] if (d["rule"], None) not in baseline]
    return policy.gate(live, fail_on)


def unmet(document: Mapping[str, Any], demanded: Mapping[str, tuple[str, ...]]) -> list[str]:
    """`--require` on a saved document: each required check it says did not run, with its reason."""
    ran = {e["rule"] for e in document["evaluated"]}
    why: dict[str, str] = {}
    for item in document["not_evaluated"]:
        why.setdefault(item["rule"], item["reason"])
    return [f"{rule}{'' if rule == name else f' (branch {name})'} was not evaluated: "
            f"{why.get(rule, 'it did not run')}"
            for name, rules in demanded.items() for rule in rules if rule not in ran]


def refuse_saved(paths: Sequence[Path]) -> None:
    """For commands that read logs only (`metrics`): a saved report is named as what it is."""
    for path in paths:
        if looks_saved(path):
            raise InputError("a saved lossdoctor report, not a training log "
                             "(`lossdoctor analyze` renders it)", file=str(path))


def refuse_series_outputs(formats: Sequence[str], detail: bool) -> None:
    """What needs the runs' series cannot be rendered from saved reports: say so before anything runs."""
    if detail:
        raise UsageError("--detail renders each run's full report and charts, which need the run's series; "
                         "a saved report holds only its results: analyse the logs for --detail",
                         field="--detail")
    for name in formats:
        if name in ("junit", "github"):
            raise UsageError(f"the {name} format is built from a judged run; saved reports render as "
                             "terminal, json, markdown or html", field="--format")
