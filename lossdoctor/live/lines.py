"""Appended lines into training rows, one format at a time, for `watch --follow`.

The bulk readers (`lossdoctor/readers/`) parse a whole file with pyarrow; a live log
arrives a few lines per poll, so here each line is parsed on its own, with the same
choices the reader makes for the whole file: which lines are training steps, which key
is the step, which keys are bookkeeping, what counts as a literal NaN (Python's json
reads `NaN` and `Infinity`, and a NaN loss must reach the rules). Only append-only
formats can be followed: JSON lines (`mmengine-scalars`, `jsonl`), MMEngine's text log,
MMCV 1.x's text log and `log.json`, and a wide CSV with a header.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lossdoctor.numeric import is_number
from lossdoctor.readers import jsonl, mmcv_json, mmcv_text, mmengine_text
from lossdoctor.readers import wide_csv as csv_reader
from lossdoctor.readers.nonfinite import Spellings

FOLLOWABLE = ("mmengine-scalars", "jsonl", "mmengine-text", "mmcv-text", "mmcv-json", "csv")
SCALARS_DROP = ("step", "iter")
PER_EPOCH = re.compile(r"Epoch\(train\)\s*\[\s*\d+\]\[\s*\d+/\s*(\d+)\]")


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
            self.step_key = next((key for key in jsonl.STEP_KEYS if is_number(obj.get(key))), None)
            if self.step_key is None:
                return None
        step = obj.get(self.step_key)
        if not is_number(step) or math.isnan(step):
            return None
        drop: tuple[str, ...] = (self.step_key,)
        if self.fmt == "mmengine-scalars":
            has_marker = any(is_number(obj.get(key)) for key in ("iter", "epoch"))
            if has_marker:
                self.markers_seen = True
            elif self.markers_seen:
                return None  # a val line (`coco/...` with `"step": 0`)
            drop = SCALARS_DROP
        values, nan = _numbers(obj, drop)
        _nulls_as_nan(obj, self.numeric, values, nan)
        return Row(int(step), values, nan, number)


class TextLogParser:
    """MMEngine's text log: the train progress lines, through the text reader's own line parser."""

    def __init__(self) -> None:
        self.decimals: dict[str, int | None] = {}
        self.bad_lines = 0
        self.per_epoch: int | None = None  # n of `Epoch(train) [e][i/n]`: a planned max_epochs in steps

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
        if self.per_epoch is None and (found := PER_EPOCH.search(line)):
            self.per_epoch = int(found.group(1))
        nan = {key for key, value in values.items() if isinstance(value, float) and math.isnan(value)}
        return Row(step, {key: float(value) for key, value in values.items()}, nan, number)


class MmcvTextParser:
    """MMCV 1.x's text log: `Epoch [e][i/n]` / `Iter [i/N]` train lines, through the reader's own regex."""

    def __init__(self) -> None:
        self.decimals: dict[str, int | None] = {}
        self.bad_lines = 0
        self.per_epoch: int | None = None

    @property
    def precision(self) -> dict[str, float]:
        return {key: 10.0**-d for key, d in self.decimals.items() if d is not None}

    def feed(self, line: str, number: int) -> Row | None:
        match = mmcv_text.PROGRESS.match(line.rstrip("\r\n"))
        if match is None or (match["phase"] or "train") != "train":
            return None
        step = mmcv_text.global_step(match)
        if step is None:
            return None
        if match["loop"] == "Epoch" and match["n"] is not None:
            self.per_epoch = int(match["n"])
        values = mmcv_text.pairs(match["rest"], self.decimals)
        return Row(step, values, {k for k, v in values.items() if math.isnan(v)}, number)


class MmcvJsonParser:
    """MMCV 1.x's `log.json`: train lines `{"mode": "train", "epoch": e, "iter": i, ...}`.

    Epoch-based runs restart `iter` every epoch; the global step is `(e-1)*n + i` with n from
    the text log beside the file, as the reader takes it. Without that log the reader takes n
    as the largest logged `iter`; live, that is the largest `iter` of the first epoch, known
    when the second epoch starts, and the first epoch's steps are `iter` either way.
    """

    def __init__(self, path: str) -> None:
        self.precision: dict[str, float] = {}
        self.bad_lines = 0
        self.path = path
        self.per_epoch: int | None = None
        self.first_epoch: int | None = None
        self.largest_iter = 0
        self.spellings = Spellings()  # nan/inf as the reader reads them; too-deep lines are bad lines
        self.numeric: set[str] = set()  # keys seen holding a number: a later null there is orjson's NaN

    def feed(self, line: str, number: int) -> Row | None:
        if not line.strip():
            return None
        try:
            obj = self.spellings.loads(line.lstrip("\ufeff"))
        except ValueError:
            self.bad_lines += 1
            return None
        if not isinstance(obj, dict) or obj.get("mode") != "train" or not _is_int(obj.get("iter")):
            return None  # the env/config line, or a val line
        epoch = obj.get("epoch", 1)
        step = self._step(int(epoch) if _is_int(epoch) else 1, int(obj["iter"]))
        values, nan = _numbers(obj, ("iter", "mode"))
        _nulls_as_nan(obj, self.numeric, values, nan)
        return Row(step, values, nan, number)

    def _step(self, epoch: int, iteration: int) -> int:
        if self.first_epoch is None:
            self.first_epoch = epoch
        if epoch == self.first_epoch:
            self.largest_iter = max(self.largest_iter, iteration)
            return iteration
        if self.per_epoch is None:
            beside = mmcv_json.iters_per_epoch_beside(Path(self.path))
            self.per_epoch = beside if beside is not None else self.largest_iter
        if iteration > self.per_epoch:  # an iteration-based run: `iter` is the global step
            return iteration
        return (epoch - 1) * self.per_epoch + iteration


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


def _nulls_as_nan(obj: dict[str, Any], numeric: set[str], values: dict[str, float], nan: set[str]) -> None:
    """A null under a key seen holding a number is orjson's NaN, as the bulk readers read it."""
    numeric.update(values)
    for key in numeric.intersection(k for k, v in obj.items() if v is None):
        values[key] = math.nan
        nan.add(key)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parser_for(fmt: str, path: str = "") -> LineParser:
    """The line parser of a followable format (the caller checked it is one)."""
    if fmt in ("mmengine-scalars", "jsonl"):
        return JsonLinesParser(fmt)
    if fmt == "mmengine-text":
        return TextLogParser()
    if fmt == "mmcv-text":
        return MmcvTextParser()
    if fmt == "mmcv-json":
        return MmcvJsonParser(path)
    if fmt == "csv":
        return CsvParser()
    raise ValueError(f"{fmt} cannot be followed")
