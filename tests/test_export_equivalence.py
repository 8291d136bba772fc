"""One run in every form a user may have it gives the same frame and the same findings.

The truth is a bundled sample's `scalars.json`. Its text log is in the sample dir; an event
file (written with TensorBoard's own writer) and the TensorBoard CSV and JSON export folders
are made here the way TensorBoard writes them
(one file per tag named `run-<run>-tag-<tag>`, `/` as `_`, float32 values, CRLF CSV,
non-finite values as `"NaN"`/`"Infinity"` strings in JSON). A form may judge less
than the truth only by reporting the rule as not evaluated, with its reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lossdoctor.engine import analyze, load_default
from lossdoctor.model import RunData
from lossdoctor.readers import read_paths

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_logs" / "flow_stalled"
LAUNCH = next(SAMPLE.glob("2*/"))
RUN_NAME = f"{LAUNCH.name}_vis_data"


def raw_series(scalars: Path) -> dict[str, list[tuple[int, float]]]:
    """Each raw key's (step, value) points from the train lines of a scalars.json."""
    series: dict[str, list[tuple[int, float]]] = {}
    for line in scalars.read_text().splitlines():
        record = json.loads(line)
        if "iter" not in record:
            continue
        for key, value in record.items():
            if key not in ("step", "iter") and isinstance(value, int | float):
                series.setdefault(key, []).append((int(record["step"]), float(value)))
    return series


def f32(value: float) -> float:
    """What TensorBoard stores: a float32 scalar, widened back when exported."""
    return float(np.float32(value))


def export(folder: Path, ext: str) -> Path:
    """The TensorBoard UI export folder of the sample run, one file per tag."""
    folder.mkdir()
    for key, points in raw_series(LAUNCH / "vis_data" / "scalars.json").items():
        path = folder / f"run-{RUN_NAME}-tag-{key.replace('/', '_')}.{ext}"
        rows = [(1795000000.0 + step * 0.25, step, f32(value)) for step, value in points]
        if ext == "csv":
            body = "".join(f"{wall!r},{step},{_csv_value(v)}\r\n" for wall, step, v in rows)
            path.write_bytes(("Wall time,Step,Value\r\n" + body).encode())
        else:
            path.write_text(json.dumps([[wall, step, _json_value(v)] for wall, step, v in rows]))
    return folder


def _csv_value(value: float) -> str:
    return "nan" if math.isnan(value) else ("inf" if value == math.inf else repr(value))


def _json_value(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")


def event_file(folder: Path) -> Path:
    """The sample run as MMEngine's TensorboardVisBackend writes it: one scalar event per (step, tag)."""
    import pandas as pd

    pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed (CI installs it)")
    from helpers.tfevents_writer import write_event_file

    series = raw_series(LAUNCH / "vis_data" / "scalars.json")
    frame = pd.DataFrame({key: pd.Series(dict(points)) for key, points in series.items()}).sort_index()
    nan_steps = {key: [s for s, v in points if math.isnan(v)] for key, points in series.items()}
    return write_event_file(folder, frame, nan_steps=nan_steps)


FORMS: dict[str, tuple[str, Callable[[Path], Path], float, float]] = {
    # form: (format, path maker, atol, rtol) — the text log shows 4 decimals, TensorBoard keeps float32
    "scalars.json": ("mmengine-scalars", lambda tmp: LAUNCH / "vis_data" / "scalars.json", 0.0, 0.0),
    "text log": ("mmengine-text", lambda tmp: LAUNCH / f"{LAUNCH.name}.log", 0.5e-4 + 1e-9, 1e-4),
    "tb csv folder": ("tb-csv", lambda tmp: export(tmp / "csv", "csv"), 0.0, 1e-6),
    "tb json folder": ("tb-json", lambda tmp: export(tmp / "json", "json"), 0.0, 1e-6),
    "event file": ("tfevents", lambda tmp: event_file(tmp / "events"), 0.0, 1e-6),
}


@pytest.fixture(scope="module")
def truth() -> tuple[RunData, set[tuple[str, str | None]]]:
    run = read_paths([LAUNCH / "vis_data" / "scalars.json"])
    report = analyze(run, load_default())
    return run, {(f.rule, f.tag) for f in report.findings}


@pytest.mark.parametrize("form", list(FORMS))
def test_same_frame_and_findings(
    form: str, tmp_path: Path, truth: tuple[RunData, set[tuple[str, str | None]]]
) -> None:
    fmt, make, atol, rtol = FORMS[form]
    run = read_paths([make(tmp_path)])
    expected, expected_findings = truth
    assert run.format == fmt
    assert run.frame.index.equals(expected.frame.index)
    assert set(run.frame.columns) == set(expected.frame.columns)
    assert run.shadows == expected.shadows and run.shadow_only == expected.shadow_only
    for column in expected.frame.columns:
        np.testing.assert_allclose(run.frame[column], expected.frame[column], atol=atol,
                                   rtol=rtol if column == "lr" or rtol == 1e-6 else 0, err_msg=column)
    report = analyze(run, load_default())
    found = {(f.rule, f.tag) for f in report.findings}
    not_evaluated = {(n.rule, n.tag) for n in report.not_evaluated}
    assert found <= expected_findings, f"{form} fires what scalars.json does not: {found - expected_findings}"
    missing = expected_findings - found
    for rule, tag in missing:  # only a rule the form cannot decide, said so with its reason
        assert (rule, tag) in not_evaluated or (rule, None) in not_evaluated, (form, rule, tag)
    assert all(n.reason for n in report.not_evaluated)
    if fmt.startswith("tb") or fmt == "tfevents":
        assert found == expected_findings  # float32 decides everything full precision does
