"""MMCV 1.x text log: `2023-02-06 20:30:27,084 - mmcls - INFO - Epoch [1][10/1563]\tlr: 5.000e-03, ...`.

After the env and config dump, one progress line per logged step: `Epoch [e][i/n]`
(global step `(e-1)*n + i`) or `Iter [i/N]`, a TAB, then `key: value` pairs
separated by `, `. `eta` may itself hold `, ` (`1 day, 2:03:04`) and is skipped.
Val lines (`Epoch(val) [10][313]`) are set aside. Values are printed with few
decimals (loss 4, time 3), which `precision` records.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lossdoctor.errors import InputError
from lossdoctor.readers.base import FileRead, Lines, set_aside_note
from lossdoctor.readers.jsonl import records_to_columns
from lossdoctor.readers.mmengine_text import printed_decimals

NAME = "mmcv-text"
_STAMP = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}"
LOG_LINE = re.compile(_STAMP + r" - \S+ - [A-Z]+ - ")
PROGRESS = re.compile(
    _STAMP + r" - \S+ - [A-Z]+ - (?P<loop>Epoch|Iter)(?:\((?P<phase>\w+)\))?\s*"
    r"\[\s*(?P<a>\d+)(?:/\s*(?P<a_of>\d+))?\](?:\s*\[\s*(?P<i>\d+)(?:/\s*(?P<n>\d+))?\])?\s*(?P<rest>.*)$"
)
NO_TRAIN_LINES = ("no training lines: expected MMCV log lines like "
                  r"'Epoch [1][10/1563]\tlr: 5.000e-03, loss: 2.2532'")


def sniff(head: bytes) -> bool:
    """The first non-empty line is a Python logging line with MMCV's `YYYY-MM-DD HH:MM:SS,mmm` stamp."""
    text = head.decode("utf-8", errors="replace")
    for line in text.splitlines()[:20]:
        if line.strip():
            return LOG_LINE.match(line.lstrip("\ufeff")) is not None
    return False


def read(path: Path) -> FileRead:
    """Read the train progress lines; val lines are counted and set aside."""
    import numpy as np
    import pandas as pd

    if path.stat().st_size == 0:
        raise InputError("empty file", file=str(path))
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    decimals: dict[str, int | None] = {}
    val = 0
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            match = PROGRESS.match(line.rstrip("\r\n"))
            if match is None:
                continue
            step = global_step(match)
            if (match["phase"] or "train") != "train" or step is None:
                val += 1
                continue
            record = pairs(match["rest"], decimals)
            record["\0step"] = step
            records.append(record)
            numbers.append(number)
    if not records:
        raise InputError(NO_TRAIN_LINES, file=str(path))
    cols = records_to_columns(records, numbers)
    steps = cols.values.pop("\0step").astype(np.int64)
    frame = pd.DataFrame(cols.values, copy=False)
    precision = {key: 10.0**-d for key, d in decimals.items() if d is not None and key in frame.columns}
    return FileRead(file=str(path), rows=frame, steps=steps, lines=Lines.known(cols.lines_or_rows()),
                    nan=cols.nan, warnings=set_aside_note(str(path), val, "validation"), precision=precision)


def global_step(match: re.Match[str]) -> int | None:
    """`Iter [i/N]` is step i; `Epoch [e][i/n]` is `(e-1)*n + i`; anything else is not a train step."""
    if match["loop"] == "Iter":
        return int(match["a"]) if match["a_of"] is not None else None
    if match["i"] is None or match["n"] is None:
        return None
    return (int(match["a"]) - 1) * int(match["n"]) + int(match["i"])


def pairs(rest: str, decimals: dict[str, int | None]) -> dict[str, Any]:
    """`lr: 5.000e-03, eta: 1 day, 2:03:04, loss: 2.2532` into floats; non-numbers are skipped."""
    found: dict[str, Any] = {}
    for piece in rest.split(", "):
        key, sep, text = piece.partition(": ")
        key, text = key.strip(), text.strip()
        if not sep or not key or key == "eta":
            continue
        try:
            value = float(text)
        except ValueError:
            continue
        found[key] = value
        shown = printed_decimals(text)
        if shown is None:
            decimals.setdefault(key, None)
        else:
            previous = decimals.get(key)
            decimals[key] = shown if previous is None else min(previous, shown)
    return found
