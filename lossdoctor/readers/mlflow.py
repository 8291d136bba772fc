"""An MLflow file store run (`mlruns/<experiment>/<run>/`): one file per metric under `metrics/`.

Each metric file holds lines `timestamp value step` (milliseconds, a float, an int);
a metric named `train/loss` is the file `metrics/train/loss`. The run is a folder,
not a file, so it is found by its layout (`metrics/` beside `meta.yaml`), never by
content; every metric is joined on its step. A step logged twice keeps its later
line, as the other readers do.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers.base import FileRead, Lines, line_warnings
from lossdoctor.readers.unfinished import CUT

NAME = "mlflow"
MAX_METRIC_FILES = 5000
_RUN_NAME = re.compile(r"^run_name: *(.*)$", re.MULTILINE)
_WHOLE = re.compile(r"\A(.+)", re.DOTALL)
NO_METRICS = ("no metrics: expected an MLflow run folder with metrics/<name> files of "
              "'timestamp value step' lines")


def sniff(head: bytes) -> bool:
    """Never from bytes: an MLflow run is a folder, found by `is_run`."""
    return False


def is_run(folder: Path) -> bool:
    """An MLflow file-store run folder: `metrics/` beside `meta.yaml`."""
    return (folder / "metrics").is_dir() and (folder / "meta.yaml").is_file()


def run_name(folder: Path) -> str | None:
    """The run's name from its `meta.yaml` (`run_name:`), or its `tags/mlflow.runName`; None when unnamed."""
    for file, pattern in ((folder / "meta.yaml", _RUN_NAME), (folder / "tags" / "mlflow.runName", _WHOLE)):
        try:
            with file.open("r", encoding="utf-8", errors="replace") as handle:
                match = pattern.search(handle.read(65536))
        except OSError:
            continue
        if match and match.group(1).strip().strip("'\""):
            return match.group(1).strip().strip("'\"")
    return None


def read(path: Path) -> FileRead:
    """Every metric file of the run, joined on the step."""
    import numpy as np
    import pandas as pd

    folder = path.parent if path.name == "metrics" else path
    metrics_dir = folder / "metrics"
    if not metrics_dir.is_dir():
        raise InputError(NO_METRICS, file=str(path))
    files = sorted(p for p in metrics_dir.rglob("*") if p.is_file())[:MAX_METRIC_FILES]
    series: dict[str, dict[int, float]] = {}
    warnings: list[ReadWarning] = []
    for file in files:
        name = file.relative_to(metrics_dir).as_posix()
        values, bad, cut = _read_metric(file)
        warnings.extend(line_warnings(str(file), bad, "not a 'timestamp value step' line") + cut)
        if values:
            series[name] = values
    if not series:
        raise InputError(NO_METRICS, file=str(path))
    steps = np.array(sorted({step for values in series.values() for step in values}), dtype=np.int64)
    position = {int(step): row for row, step in enumerate(steps.tolist())}
    columns: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    for name, values in series.items():
        column = np.full(len(steps), np.nan)
        literal = np.zeros(len(steps), dtype=bool)
        for step, value in values.items():
            column[position[step]] = value
            literal[position[step]] = math.isnan(value)
        columns[name] = column
        if literal.any():
            nan[name] = literal
    rows = pd.DataFrame(columns, copy=False)
    return FileRead(file=str(folder), rows=rows, steps=steps, lines=Lines.known(np.arange(1, len(steps) + 1)),
                    nan=nan, warnings=warnings)


def _read_metric(file: Path) -> tuple[dict[int, float], list[tuple[int, str]], list[ReadWarning]]:
    """step -> value of one metric file (a later line wins), the lines that were not `ts value step`, and
    the warning for a last line cut off while being written."""
    values: dict[int, float] = {}
    bad: list[tuple[int, str]] = []
    cut: list[ReadWarning] = []
    with file.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            parts = line.split()
            if not parts:
                continue
            try:
                value = float(parts[1])
                step = int(parts[2]) if len(parts) > 2 else 0
            except (IndexError, ValueError):
                bad.append((number, repr(line.strip()[:80])))
                continue
            if not line.endswith("\n"):  # a half-written last line is not data
                cut.append(ReadWarning(str(file), number, CUT))
                continue
            values[step] = value
    return values, bad, cut
