"""A Report as plain data: the stable `lossdoctor.report/v1` document of docs/report.schema.json.

The JSON reporter prints it; the sweep builds its rows from it and saved reports are read back as
it; the watch's hooks and JSON lines use its `to_jsonable`. So it sits below all of them, beside
the model it serialises. It must be strict RFC 8259 JSON (a NaN loss is the most important thing
a report can carry, and `NaN` is not JSON): every value goes through `to_jsonable`, which writes
non-finite floats as the strings "NaN", "Infinity", "-Infinity" and turns numpy scalars into
Python ones. Keys come out in one fixed order (fields as listed in the schema, parameters sorted
by name, evidence in the rule's own order) so two runs diff cleanly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lossdoctor.model import Report

if TYPE_CHECKING:  # pandas is imported by whoever built the frame, never here
    import pandas as pd

SCHEMA = "lossdoctor.report/v1"


def report_document(report: Report) -> dict[str, Any]:
    """The report as plain Python data, ready for `json.dumps(allow_nan=False)`."""
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "run": run_section(report),
        "findings": [
            {
                "rule": f.rule,
                "tag": f.tag,
                "severity": f.severity,
                "branch": f.branch,
                "first_step": int(f.first_step),
                "last_step": int(f.last_step),
                "evidence": to_jsonable(f.evidence),
                "title": f.title,
                "cause": f.cause,
                "remedy": f.remedy,
                "pack": f.pack,
                "baselined": (f.rule, f.tag) in report.baselined,
            }
            for f in report.findings
        ],
        "diagnoses": [
            {"rule": d.rule, "severity": d.severity, "checks": list(d.checks),
             "title": d.title, "cause": d.cause, "remedy": d.remedy}
            for d in report.diagnoses
        ],
        "verdicts": [{"branch": v.branch, "verdict": v.verdict, "evidence": v.evidence}
                     for v in report.verdicts],
        "not_evaluated": [
            {"rule": n.rule, "tag": n.tag, "reason": n.reason, "pack": n.pack} for n in report.not_evaluated
        ],
        "evaluated": [{"rule": e.rule, "tag": e.tag, "pack": e.pack} for e in report.evaluated],
        "coverage": {str(name): state for name, state in report.coverage.items()},
        "metrics": [
            {"name": m.name, "last": to_jsonable(m.last), "trend": m.trend,
             "normal": m.normal, "in_range": m.in_range}
            for m in report.metrics
        ],
        "lang": report.lang,
    }
    return document


def run_section(report: Report) -> dict[str, Any]:
    """`run`: what was read, how densely, stitched from what, with which parameters."""
    run = report.run
    extent = step_extent(run.frame)
    section: dict[str, Any] = {
        "files": list(run.files),
        "format": run.format,
        "points": len(run.frame),
        "steps": None if extent is None else {"first": extent[0], "last": extent[1]},
        "interval": log_interval(run.frame),
        "step_unit": run.step_unit,
        "segments": [{"file": s.file, "first": int(s.first), "last": int(s.last)} for s in run.segments],
        "params": {
            name: {"value": to_jsonable(report.params[name].value), "source": report.params[name].source}
            for name in sorted(report.params)
        },
        "warnings": [{"file": w.file, "line": w.line, "message": w.message} for w in run.warnings],
        "notes": list(report.notes),
        "config": report.config_source,
    }
    smoothing = report.params.get("smoothing")
    if smoothing is not None:
        section["smoothing"] = {"value": to_jsonable(smoothing.value), "source": smoothing.source}
    return section


def step_extent(frame: pd.DataFrame) -> tuple[int, int] | None:
    """First and last logged step, or None for an empty frame (nothing was read)."""
    if len(frame) == 0:
        return None
    return int(frame.index.min()), int(frame.index.max())


def not_evaluated_groups(report: Report) -> list[tuple[list[str], str]]:
    """The rules not evaluated, those sharing one reason together, in first-seen order.

    A run of none of the guide's branches has a dozen branch rules not evaluated for one reason:
    said once, with their names, instead of once per rule.
    """
    groups: dict[str, list[str]] = {}
    for item in report.not_evaluated:
        groups.setdefault(item.reason, []).append(item.rule + (f" ({item.tag})" if item.tag else ""))
    return [(names, reason) for reason, names in groups.items()]


def log_interval(frame: pd.DataFrame) -> int | float | None:
    """The typical logging interval: the median step difference (robust to one resume gap).

    An int when it is whole (`10`, not `10.0`), None with fewer than two points.
    """
    if len(frame) < 2:
        return None
    median = float(frame.index.to_series().diff().median())
    if not math.isfinite(median):
        return None
    return int(median) if median.is_integer() else median


def to_jsonable(value: Any) -> Any:
    """`value` as strict-JSON-safe Python data, walking dicts and sequences.

    Non-finite floats become "NaN"/"Infinity"/"-Infinity" (the schema's
    spelling); numpy scalars and arrays become Python numbers and lists (they
    expose `tolist`); anything else unknown is written as its `str`, so an odd
    config value never makes the whole report fail.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _float_value(value)
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(item) for item in items]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # numpy scalar or array
        return to_jsonable(value.tolist())
    return str(value)


def _float_value(value: float) -> float | str:
    """A finite float as is; NaN and infinities as the strings JSON can carry."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float(value)
