"""Appended lines into training rows, one format at a time, for `watch --follow`.

The bulk readers (`lossdoctor/readers/`) parse a whole file with pyarrow; a live log
arrives a few lines per poll, so here each line is parsed on its own, with the same
choices the reader makes for the whole file: which lines are training steps, which key
is the step, which keys are bookkeeping, what counts as a literal NaN (Python's json
reads `NaN` and `Infinity`, and a NaN loss must reach the rules). Only append-only
formats can be followed: JSON lines (`mmengine-scalars`, `jsonl`), MMEngine's text log
and a wide CSV with a header.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from lossdoctor.readers import csv as csv_reader
from lossdoctor.readers import jsonl, mmengine_text
from lossdoctor.readers.nonfinite import Spellings

FOLLOWABLE = ("mmengine-scalars", "jsonl", "mmengine-text", "csv")
SCALARS_DROP = ("step", "iter")


@dataclass
class Row:
    """One training step as the file logged it: raw key names, floats, the keys that were literally NaN."""

    step: int
    values: dict[str, float]
    nan: set[str] = field(default_factory=set)
    line: int = 0


class LineParser(Protocol):
    """Turns one complete line into a training row, or None (a val line, a blank, junk)."""

    bad_lines: int

    @property
    def precision(self) -> dict[str, float]:
        """What the file can show per key (only the text log's 4 decimals limit it)."""
        ...

    def feed(self, line: str, number: int) -> Row | None:
        """The row this line holds, if it is a training step."""
        ...


def _numbers(obj: dict[str, Any], drop: tuple[str, ...]) -> tuple[dict[str, float], set[str]]:
    """Numeric values (bools count, as in the reader) and the keys holding a literal NaN."""
    values: dict[str, float] = {}
    nan: set[str] = set()
    for key, value in obj.items():
        if key in drop or not isinstance(value, bool | int | float):
            continue
        values[key] = float(value)
        if isinstance(value, float) and math.isnan(value):
            nan.add(key)
    return values, nan


class JsonLinesParser:
    """MMEngine `scalars.json` or generic JSON lines: parsed per line, as the slow reader path does."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.precision: dict[str, float] = {}
        self.bad_lines = 0
        self.step_key: str | None = "step" if fmt == "mmengine-scalars" else None
        self.markers_seen = False  # scalars: once a line has `iter`/`epoch`, lines without are val lines
        self.spellings = Spellings()  # nan/inf spelled as C loggers do; too-deep lines are bad lines
        self.numeric: set[str] = set()  # keys seen holding a number: a later null there is orjson's NaN

    def feed(self, line: str, number: int) -> Row | None:
        if not line.strip():
            return None
        try:
            obj = self.spellings.loads(line.lstrip("\ufeff"))
        except ValueError:
            self.bad_lines += 1
            return None
        if not isinstance(obj, dict):
            self.bad_lines += 1
            return None
        if self.step_key is None:
            self.step_key = next((key for key in jsonl.STEP_KEYS if _is_number(obj.get(key))), None)
            if self.step_key is None:
                return None
        step = obj.get(self.step_key)
        if not isinstance(step, int | float) or isinstance(step, bool) or math.isnan(step):
            return None
        drop: tuple[str, ...] = (self.step_key,)
        if self.fmt == "mmengine-scalars":
            has_marker = any(_is_number(obj.get(key)) for key in ("iter", "epoch"))
            if has_marker:
                self.markers_seen = True
            elif self.markers_seen:
                return None  # a val line (`coco/...` with `"step": 0`)
            drop = SCALARS_DROP
        values, nan = _numbers(obj, drop)
        self.numeric.update(values)
        for key in self.numeric.intersection(k for k, v in obj.items() if v is None):
            values[key] = math.nan
            nan.add(key)
        return Row(int(step), values, nan, number)


class TextLogParser:
    """MMEngine's text log: the train progress lines, through the text reader's own line parser."""

    def __init__(self) -> None:
        self.decimals: dict[str, int | None] = {}
        self.bad_lines = 0

    @property
    def precision(self) -> dict[str, float]:
        """What the printed decimals can show, per key (4 decimals: 1e-4), as the reader records it."""
        return {key: 10.0**-d for key, d in self.decimals.items() if d is not None}

    def feed(self, line: str, number: int) -> Row | None:
        parsed = mmengine_text.parse_progress(line, self.decimals)
        if parsed is None:
            return None
        phase, step, values = parsed
        if phase != "train" or step is None:
            return None
        nan = {key for key, value in values.items() if isinstance(value, float) and math.isnan(value)}
        return Row(step, {key: float(value) for key, value in values.items()}, nan, number)


class CsvParser:
    """A wide CSV (Lightning's `metrics.csv`, a W&B export): a header, then one row per log call."""

    def __init__(self) -> None:
        self.precision: dict[str, float] = {}
        self.bad_lines = 0
        self.header: list[str] | None = None
        self.step_index: int | None = None

    def feed(self, line: str, number: int) -> Row | None:
        if not line.strip():
            return None
        try:
            cells = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            self.bad_lines += 1
            return None
        if self.header is None:
            self.header = [cell.strip() for cell in cells]
            self.header[0] = self.header[0].lstrip("\ufeff")
            step_name = next((n for n in csv_reader.STEP_COLUMNS if n in self.header), None)
            self.step_index = None if step_name is None else self.header.index(step_name)
            return None
        if self.step_index is None or len(cells) != len(self.header):
            self.bad_lines += self.step_index is not None
            return None
        step = _float(cells[self.step_index])
        if step is None or math.isnan(step):
            return None
        values: dict[str, float] = {}
        nan: set[str] = set()
        for index, (name, cell) in enumerate(zip(self.header, cells, strict=True)):
            if index == self.step_index or name in csv_reader.INDEX_COLUMNS:
                continue
            value = _float(cell)
            if value is None:
                continue
            values[name] = value
            if math.isnan(value):
                nan.add(name)
        return Row(int(step), values, nan, number)


def _float(cell: str) -> float | None:
    text = cell.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parser_for(fmt: str) -> LineParser:
    """The line parser of a followable format (the caller checked it is one)."""
    if fmt in ("mmengine-scalars", "jsonl"):
        return JsonLinesParser(fmt)
    if fmt == "mmengine-text":
        return TextLogParser()
    if fmt == "csv":
        return CsvParser()
    raise ValueError(f"{fmt} cannot be followed")
