"""MMEngine `vis_data/scalars.json` (and its `<ts>.json` twin): JSON lines with a `step` key.

Train lines carry `iter` (and `epoch` in epoch-based runs) beside `step`; val lines
carry `coco/...` metrics with `"step": 0` and neither, so they are set aside rather
than keyed on a step that is not a training step. The training config comes from
`vis_data/config.py` beside the file, else from the config printed at the top of
the launch's text log; the log's values are never read when the JSON is there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers import mmengine_text
from lossdoctor.readers.base import LAUNCH_STAMP, FileRead, set_aside_note
from lossdoctor.readers.jsonl import first_objects, read_columns, to_file_read
from lossdoctor.readers.trainconfig import read_config

NAME = "mmengine-scalars"
# Keys MMEngine's LogProcessor writes on every train line, beside `step`.
MMENGINE_KEYS = ("iter", "epoch", "lr", "base_lr", "data_time", "time", "memory", "grad_norm")
NO_TRAIN_LINES = 'no training lines: expected MMEngine scalars.json lines with a "step" key'


def sniff(head: bytes) -> bool:
    """JSON objects with `step` and at least one key MMEngine's logger always writes."""
    return any("step" in obj and any(key in obj for key in MMENGINE_KEYS) for obj in first_objects(head))


def read(path: Path) -> FileRead:
    """Read the train lines of one scalars.json; count the val lines set aside."""
    import numpy as np

    cols = read_columns(path)
    step = cols.values.get("step")
    if step is None:
        raise InputError(NO_TRAIN_LINES, file=str(path))
    train = ~np.isnan(step)
    markers = [cols.values[key] for key in ("iter", "epoch") if key in cols.values]
    if markers:  # val lines have neither key; their "step" is not a train step
        has_marker = np.zeros(cols.rows, dtype=bool)
        for marker in markers:
            has_marker |= ~np.isnan(marker)
        train &= has_marker
    notes = set_aside_note(str(path), int(cols.rows - train.sum()), "validation")
    read_ = to_file_read(path, cols, "step", train, drop=("step", "iter"), notes=notes,
                         no_rows=NO_TRAIN_LINES)
    config, source, warnings = find_config(path)
    read_.config, read_.config_source = config, source
    read_.warnings.extend(warnings)
    return read_


def find_config(path: Path) -> tuple[dict[str, Any], str | None, list[ReadWarning]]:
    """The training config of this launch only: `config.py` beside the file, else the config printed at the
    top of the launch's own text log (`<ts>/<ts>.log` for `<ts>/vis_data/`, or the log sharing the file's
    timestamp name). Any other log in the folder is another launch or another run: its config is not this
    run's (an unrelated log once lent its `beta` and `window_size` to a D-FINE run beside it)."""
    beside = path.parent / "config.py"
    if beside.is_file():
        try:
            return read_config(beside), str(beside), []
        except InputError as exc:
            warning = ReadWarning(exc.file or str(beside), exc.line, f"config not read: {exc.message}")
            return {}, None, [warning]
    for log in own_logs(path):
        found = mmengine_text.read_log_config(log)
        if found is not None:
            return found
    return {}, None, []


def own_logs(path: Path) -> list[Path]:
    """The text logs that belong to the launch a vis_data file (or a `<ts>.json` twin) was written by."""
    candidates = []
    if path.parent.name == "vis_data":
        launch = path.parent.parent
        candidates.append(launch / f"{launch.name}.log")
    if LAUNCH_STAMP.fullmatch(path.stem):
        candidates.append(path.parent / f"{path.stem}.log")
        if path.parent.name == "vis_data":
            candidates.append(path.parent.parent / f"{path.stem}.log")
    return [log for log in dict.fromkeys(candidates) if log.is_file()]
