"""MMEngine's text log (`<ts>/<ts>.log`): the config at the top, then one progress line per logged step.

`2026/11/25 02:32:20 - mmengine - INFO - Iter(train) [ 20/800]  lr: 8.1818e-06  eta: 0:00:04  loss: 2.9200`
or `Epoch(train)   [1][ 50/100]  ...`, whose global step is `(epoch-1)*n + i`. Pairs are
separated by two spaces and keys may hold `/`, spaces, dots and parentheses, so a
line is split on the double space, not on a `key: value` regex. Values are printed
with 4 decimals (the file cannot show less than 1e-4), which `precision` records
so the engine does not read `0.0000` as exactly zero.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers.base import FileRead, Lines, set_aside_note
from lossdoctor.readers.jsonl import records_to_columns
from lossdoctor.readers.trainconfig import parse_config_text

NAME = "mmengine-text"
_STAMP = r"(?:\d{4}/)?\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:,\d+)?"
LOG_LINE = re.compile(_STAMP + r" - \S+ - [A-Z]+ - ")
PROGRESS = re.compile(
    _STAMP + r" - \S+ - [A-Z]+ - (?P<loop>Epoch|Iter)\((?P<phase>\w+)\)\s*"
    r"\[\s*(?P<a>\d+)(?:/\s*(?P<a_of>\d+))?\](?:\s*\[\s*(?P<i>\d+)/\s*(?P<n>\d+)\])?(?P<rest>.*)$"
)
SKIPPED_KEYS = frozenset({"eta"})
# Pairs are split on two spaces; mmdet 3.x prints `base_lr: 3.5045e-05 lr: 3.5045e-05` with one, so a single
# space after a value and before `name: ` also ends a pair (keys holding spaces, `coco/AP (M)`, follow two).
_PAIR_BREAK = re.compile(r"\s{2,}|(?<=[0-9a-z]) (?=[A-Za-z_][\w./-]*: )")
NO_TRAIN_LINES = "no training lines: expected MMEngine log lines like 'Iter(train) [ 20/800]  loss: 2.9200'"


def sniff(head: bytes) -> bool:
    """The first non-empty line is an MMEngine logger line (`<time> - <logger> - INFO - ...`)."""
    text = head.decode("utf-8", errors="replace")
    for line in text.splitlines()[:20]:
        if line.strip():
            return LOG_LINE.match(line) is not None
    return False


def read(path: Path) -> FileRead:
    """Read the train progress lines and the printed config; val lines are counted and set aside."""
    fast = _read_fast(path)
    return fast if fast is not None else _read_slow(path)


def _read_fast(path: Path) -> FileRead | None:
    """The bulk parser (`mmengine_text_fast`), or None when the log needs the careful line loop."""
    import pandas as pd

    from lossdoctor.readers import mmengine_text_fast

    parsed = mmengine_text_fast.parse(path.read_bytes(), PROGRESS.match)
    if parsed is None:
        return None
    found = read_log_config(path)
    config: ConfigFound = found if found is not None else ({}, None, [])
    precision = {key: 10.0**-d for key, d in parsed.decimals.items()}
    warnings = set_aside_note(str(path), parsed.other_phases, "validation") + config[2]
    return FileRead(file=str(path), rows=pd.DataFrame(parsed.values, copy=False), steps=parsed.steps,
                    lines=Lines.known(parsed.lines), nan=parsed.nan, warnings=warnings, precision=precision,
                    config=config[0], config_source=config[1])


def _read_slow(path: Path) -> FileRead:
    """Line by line: any layout, any junk; every pair split and converted in Python."""
    import numpy as np
    import pandas as pd

    records: list[dict[str, Any]] = []
    line_numbers: list[int] = []
    decimals: dict[str, int | None] = {}
    val = 0
    config_lines: list[str] | None = None
    config_start = 0
    config: ConfigFound = ({}, None, [])
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if config_lines is not None:
                if not LOG_LINE.match(line):
                    config_lines.append(line)
                    continue
                config = _parse_block(path, config_lines, config_start)
                config_lines = None
            if line.rstrip().endswith("- INFO - Config:") and LOG_LINE.match(line) and not records:
                config_lines, config_start = [], number + 1
                continue
            match = PROGRESS.match(line)
            if match is None:
                continue
            if match["phase"] != "train":
                val += 1
                continue
            step = _global_step(match)
            if step is None:
                continue
            records.append(_pairs(match["rest"], decimals))
            records[-1]["\0step"] = step
            line_numbers.append(number)
    if config_lines is not None:
        config = _parse_block(path, config_lines, config_start)
    if path.stat().st_size == 0:
        raise InputError("empty file", file=str(path))
    if not records:
        raise InputError(NO_TRAIN_LINES, file=str(path))
    cols = records_to_columns(records, line_numbers)
    steps = cols.values.pop("\0step").astype(np.int64)
    frame = pd.DataFrame(cols.values, copy=False)
    precision = {key: 10.0**-d for key, d in decimals.items() if d is not None and key in frame.columns}
    warnings = set_aside_note(str(path), val, "validation") + config[2]
    return FileRead(file=str(path), rows=frame, steps=steps, lines=Lines.known(cols.lines_or_rows()),
                    nan=cols.nan, warnings=warnings, precision=precision,
                    config=config[0], config_source=config[1])


def parse_progress(
    line: str, decimals: dict[str, int | None]
) -> tuple[str, int | None, dict[str, Any]] | None:
    """One line as (phase, global step, values), or None when it is not a progress line.

    The line-by-line view of what `read` does to a whole file, for `watch`, which sees a
    log a few appended lines at a time. Values are only parsed for train lines (val lines
    are set aside as in `read`); `decimals` collects each key's printed precision.
    """
    match = PROGRESS.match(line)
    if match is None:
        return None
    if match["phase"] != "train":
        return match["phase"], None, {}
    return "train", _global_step(match), _pairs(match["rest"], decimals)


def _global_step(match: re.Match[str]) -> int | None:
    """`Iter [i/N]` is step i; `Epoch [e][i/n]` is step (e-1)*n + i."""
    if match["loop"] == "Iter":
        return int(match["a"])
    if match["i"] is None or match["n"] is None:
        return None
    return (int(match["a"]) - 1) * int(match["n"]) + int(match["i"])


def _pairs(rest: str, decimals: dict[str, int | None]) -> dict[str, Any]:
    """`lr: 1.0000e-04  loss: 2.9200  coco/AP (M): -1.000000` into floats; non-numbers are skipped."""
    found: dict[str, Any] = {}
    for pair in _PAIR_BREAK.split(rest.strip()):
        key, sep, text = pair.rpartition(": ")
        key = key.strip()
        if not sep or not key or key in SKIPPED_KEYS:
            continue
        text = text.strip()
        try:
            value = float(text)
        except ValueError:
            continue  # `eta: 1 day, 2:03:04` and other non-numbers
        found[key] = value
        shown = printed_decimals(text)
        if shown is not None:
            previous = decimals.get(key)
            decimals[key] = shown if previous is None else min(previous, shown)
        else:
            decimals.setdefault(key, None)
    return found


def printed_decimals(text: str) -> int | None:
    """Decimals of a fixed-point number (`0.0001` → 4); None for e-notation, nan and inf."""
    lowered = text.lower()
    if "e" in lowered or "n" in lowered:  # 1.0000e-04, nan, inf
        return None
    _, dot, fraction = text.partition(".")
    return len(fraction) if dot else 0


ConfigFound = tuple[dict[str, Any], str | None, list[ReadWarning]]


def _parse_block(path: Path, lines: list[str], start: int) -> ConfigFound:
    """Parse the config printed after `- INFO - Config:`; a broken one is a warning, not a failure."""
    source = f"{path}:{start} (config printed at the top of the text log)"
    try:
        return parse_config_text("".join(lines), str(path), first_line=start), source, []
    except InputError as exc:
        return {}, None, [ReadWarning(str(path), exc.line, f"config not read: {exc.message}")]


def read_log_config(path: Path) -> ConfigFound | None:
    """Only the config block at the top of a text log (for a scalars.json without `config.py`)."""
    block: list[str] | None = None
    start = 0
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                if block is not None:
                    if LOG_LINE.match(line):
                        break
                    block.append(line)
                elif line.rstrip().endswith("- INFO - Config:") and LOG_LINE.match(line):
                    block, start = [], number + 1
                elif PROGRESS.match(line):
                    return None
    except OSError:
        return None
    return None if block is None else _parse_block(path, block, start)
