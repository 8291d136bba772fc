"""Generic JSON lines: one object per line with a step-like key (`step`, `iter`, `global_step`, `_step`).

This module also holds the JSON-lines machinery MMEngine's `scalars.json` reader
reuses: a pyarrow fast path (a 200k-line log must read about as fast as
`pandas.read_json(engine="pyarrow")`) and a line-by-line fallback that keeps every
good line when pyarrow gives up on a bad one.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers.base import FileRead, Lines, line_warnings, set_aside_note
from lossdoctor.readers.nonfinite import Spellings

if TYPE_CHECKING:
    import numpy as np

NAME = "jsonl"
STEP_KEYS = ("step", "iter", "global_step", "_step")
# pyarrow's block size: one block per few thousand lines keeps threads busy without big buffers.
# A line longer than a block makes pyarrow give up: the file goes to the slow path and its bound.
BLOCK_SIZE = 1 << 22
# One record (a JSON line) parsed at most: a longer line is skipped as a bad line.
MAX_RECORD_BYTES = 16 * 1024 * 1024
TRUNCATED = "truncated last line (not complete JSON): skipped"


@dataclass
class Columns:
    """A JSON-lines file as float columns, one entry per parsed line, before train rows are chosen."""

    values: dict[str, np.ndarray]
    nan: dict[str, np.ndarray]
    lines: np.ndarray | None  # 1-based line per row; None: recount from the file if needed
    rows: int
    warnings: list[ReadWarning] = field(default_factory=list)

    def lines_or_rows(self) -> np.ndarray:
        """The known line numbers, or row numbers when the fast path did not count lines."""
        import numpy as np

        return self.lines if self.lines is not None else np.arange(1, self.rows + 1, dtype=np.int64)


def first_objects(head: bytes, limit: int = 20) -> list[dict[str, Any]]:
    """The JSON objects among the first complete lines of a file, for sniffing."""
    lines = head.split(b"\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the last piece may be cut by the head's size
    found: list[dict[str, Any]] = []
    spellings = Spellings()
    for raw in lines[:limit]:
        try:
            obj = spellings.loads(raw.decode("utf-8").lstrip("\ufeff"))
        except (UnicodeDecodeError, ValueError):
            continue
        if isinstance(obj, dict):
            found.append(obj)
    return found


def sniff(head: bytes) -> bool:
    """JSON objects carrying a step-like key."""
    return any(key in obj for obj in first_objects(head) for key in STEP_KEYS)


def read(path: Path) -> FileRead:
    """Read generic JSON lines; rows without the step key are set aside and counted."""
    cols = read_columns(path)
    step_key = next((key for key in STEP_KEYS if key in cols.values), None)
    if step_key is None:
        raise InputError(f"no step column: expected one of {', '.join(STEP_KEYS)}", file=str(path))
    import numpy as np

    keep = ~np.isnan(cols.values[step_key])
    skipped = int(cols.rows - keep.sum())
    notes = set_aside_note(str(path), skipped, f'JSON (no "{step_key}")')
    return to_file_read(path, cols, step_key, keep, drop=(step_key,), notes=notes,
                        no_rows=f'no training lines: expected JSON lines with a "{step_key}" key')


def read_columns(path: Path) -> Columns:
    """Parse a JSON-lines file fast with pyarrow, or line by line when pyarrow rejects it.

    The file is never memory-mapped: a log truncated while a map of it is read kills the
    process with SIGBUS, while a read just returns less. A file of complete lines is read
    by pyarrow from the file itself (its reads overlap its parse: as fast as a map); one
    with a cut-off last line, or one pyarrow rejects, is read into memory once. A file that
    shrank under the reader is said to have changed, and what was read is used.
    """
    size = path.stat().st_size
    if size and _ends_with_newline(path, size):
        try:
            cols = _stream_with_pyarrow(path, size)
        except Exception:  # a bad line: the in-memory path sorts it out (unless the file shrank meanwhile)
            if changed_while_read(path, size):
                raise InputError(f"changed while read (truncated or replaced: {size} bytes at the start, "
                                 f"{_size_now(path)} now): read it again once it is stable",
                                 file=str(path)) from None
        else:
            cols.warnings += changed_while_read(path, size)
            return cols
    data = _read_whole(path)
    if not data.strip():
        raise InputError("empty file", file=str(path))
    limit, truncated = _complete_length(path, data)
    try:
        cols = _read_with_pyarrow(data, limit)
    except Exception:  # pyarrow raises ArrowInvalid and friends on any bad line: go slow, keep good lines
        cols = _read_line_by_line(path, data)
    else:
        if truncated is not None:
            cols.warnings.append(truncated)
    cols.warnings += changed_while_read(path, len(data))
    return cols


def _ends_with_newline(path: Path, size: int) -> bool:
    with path.open("rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) == b"\n"


def _read_whole(path: Path) -> bytes:
    """The file's bytes as they are now (a writer may still be appending or truncating)."""
    with path.open("rb") as handle:
        return handle.read()


def _size_now(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def changed_while_read(path: Path, read: int) -> list[ReadWarning]:
    """A warning when the file is now shorter than what was read: it was truncated or replaced meanwhile."""
    now = _size_now(path)
    if now >= read:
        return []
    return [ReadWarning(str(path), None, f"changed while read (truncated or replaced: {read} bytes read, "
                        f"{now} now): the report is of the {read} bytes read")]


def _complete_length(path: Path, data: bytes) -> tuple[int, ReadWarning | None]:
    """How many bytes hold complete lines: a cut-off last line (a live or killed writer) is left out."""
    size = len(data)
    if data.endswith(b"\n"):
        return size, None
    cut = data.rfind(b"\n") + 1
    last = data[cut:]
    if not last.strip():
        return size, None
    if len(last) <= MAX_RECORD_BYTES:
        try:
            Spellings().loads(last.decode("utf-8"))
            return size, None
        except (UnicodeDecodeError, ValueError):
            pass
    warning = ReadWarning(str(path), data.count(b"\n") + 1, TRUNCATED)
    return cut, warning


class NotObjectLines(ValueError):
    """A line that is not a JSON object: pyarrow must not see it (a bare `null` line crashes pyarrow 26)."""


# A line whose first non-blank character is not `{`: a JSON null/number/list, junk, or binary.
_NOT_OBJECT_LINE = re.compile(rb"\n[ \t\r]*[^{ \t\r\n]")
# A value `null` (pyarrow cannot tell it from an absent key; orjson writes it for NaN): the slow path.
_NULL_VALUE = re.compile(rb":[ \t]*null[ \t]*[,}\]]")


def _refuse_non_object_lines(data: bytes, limit: int, *, first: bool = True) -> None:
    """Raise NotObjectLines when a line does not start like an object (or the file has a BOM).

    One regex pass over the bytes: ~50 ms per 165 MB, no copy. A bare `null` line is
    what crashes pyarrow; other junk makes it raise, which sends the file to the slow path.
    A `null` value or a line longer than one block goes there too.
    """
    head = data[: min(limit, 64)]
    if first and (head.startswith(b"\xef\xbb\xbf") or head.lstrip()[:1] not in (b"{", b"")):
        raise NotObjectLines("the first line is not a JSON object")
    if _NOT_OBJECT_LINE.search(data, 0, limit):
        raise NotObjectLines("a line is not a JSON object")
    null_at = data.find(b"null", 0, limit)  # a plain find is ~10x faster than the regex over every `:`
    if null_at >= 0 and _NULL_VALUE.search(data, max(0, null_at - 64), limit):
        raise NotObjectLines("a value is null")


def _read_with_pyarrow(data: bytes, limit: int) -> Columns:
    """The fast path: pyarrow parses the bytes in C++ threads, then each numeric column becomes one array.

    Lines that do not start like an object are refused first: pyarrow 26 crashes the process
    on a bare `null` line at the start of a block, and any junk belongs to the slow path anyway.
    """
    import pyarrow as pa
    import pyarrow.json as pj

    _refuse_non_object_lines(data, limit)
    buffer = pa.py_buffer(data)[:limit]  # no copy
    table = pj.read_json(
        pa.BufferReader(buffer),
        read_options=pj.ReadOptions(block_size=BLOCK_SIZE),
        parse_options=pj.ParseOptions(newlines_in_values=False),
    )
    del buffer
    return _table_columns(table)


def _stream_with_pyarrow(path: Path, size: int) -> Columns:
    """The fast path on a file of complete lines: refused lines checked chunk by chunk, then pyarrow
    reads the file with plain reads (no map, so no SIGBUS if it shrinks meanwhile)."""
    import pyarrow as pa
    import pyarrow.json as pj

    _refuse_non_object_lines_in_file(path, size)
    with pa.OSFile(str(path)) as source:
        table = pj.read_json(
            source,
            read_options=pj.ReadOptions(block_size=BLOCK_SIZE),
            parse_options=pj.ParseOptions(newlines_in_values=False),
        )
    return _table_columns(table)


def _refuse_non_object_lines_in_file(path: Path, size: int) -> None:
    """`_refuse_non_object_lines` over the file 16 MiB at a time, never a copy of the whole file.

    What crosses a chunk boundary is carried over: a line start followed only by blanks
    (as a bare newline), else the last 64 bytes (enough for `: null,`).
    """
    carry = b""
    with path.open("rb") as handle:
        while handle.tell() < size:
            chunk = handle.read(min(1 << 24, size - handle.tell()))
            if not chunk:
                break
            window = carry + chunk
            _refuse_non_object_lines(window, len(window), first=not carry)
            last = window.rfind(b"\n")
            blank_line_start = last >= 0 and not window[last + 1 :].strip(b" \t\r")
            carry = b"\n" if blank_line_start else window[-64:]


def _table_columns(table: Any) -> Columns:
    """Each numeric column of a pyarrow table as one float array; literal NaNs told from nulls."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    for name in table.column_names:
        column = table.column(name)
        kind = column.type
        if pa.types.is_floating(kind):
            array = column.to_numpy().astype(np.float64, copy=False)
            if np.isnan(array).any():  # null and literal NaN both read as NaN: ask arrow which is which
                literal = pc.is_nan(column).fill_null(False).to_numpy()
                if literal.any():
                    nan[name] = np.asarray(literal, dtype=bool)
        elif pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_null(kind):
            array = column.cast(pa.float64()).to_numpy()
        else:
            continue  # strings, lists, objects: not metrics
        values[name] = array
    rows = table.num_rows
    del table
    return Columns(values=values, nan=nan, lines=None, rows=rows)


def _read_line_by_line(path: Path, data: bytes) -> Columns:
    """The slow, forgiving path: every line that parses is kept, every other one is named.

    A line longer than MAX_RECORD_BYTES is skipped unparsed: parsed, one JSON line costs
    about 8 times its size in Python objects, and no training record is megabytes long.
    """
    records: list[dict[str, Any]] = []
    line_numbers: list[int] = []
    bad: list[tuple[int, str]] = []
    warnings: list[ReadWarning] = []
    spellings = Spellings()
    last_index = data.count(b"\n")
    for index, raw in enumerate(_lines(data)):
        if not raw.strip():
            continue
        if len(raw) > MAX_RECORD_BYTES:
            bad.append((index + 1, f"a line of {len(raw)} bytes, longer than {MAX_RECORD_BYTES} (not read)"))
            continue
        try:
            obj = spellings.loads(raw.decode("utf-8").lstrip("\ufeff"))
        except (UnicodeDecodeError, ValueError) as exc:
            if index == last_index:  # no newline after it: the writer was cut off
                warnings.append(ReadWarning(str(path), index + 1, TRUNCATED))
            else:
                bad.append((index + 1, _short(raw, exc)))
            continue
        if not isinstance(obj, dict):
            bad.append((index + 1, f"a JSON {type(obj).__name__}, not an object"))
            continue
        records.append(obj)
        line_numbers.append(index + 1)
    cols = records_to_columns(records, line_numbers, spellings)
    cols.warnings = line_warnings(str(path), bad, "not JSON") + warnings + spellings.warnings(str(path))
    return cols


def _lines(data: bytes) -> Iterator[bytes]:
    """The lines of `data` one at a time (a split would copy the whole file at once)."""
    start = 0
    while start <= len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        yield data[start:end]
        start = end + 1


def _short(raw: bytes, exc: Exception) -> str:
    """A bad line's start and the parser's complaint, short enough for one report line."""
    text = raw[:40].decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    more = "..." if len(raw) > 40 else ""
    reason = exc.msg if isinstance(exc, json.JSONDecodeError) else (
        "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc))
    return f"{text!r}{more} ({reason})"


def records_to_columns(
    records: list[dict[str, Any]], line_numbers: list[int], spellings: Spellings | None = None
) -> Columns:
    """Turn parsed objects into float columns; a non-numeric value is a gap, never a number.

    A `null` under a key that holds a number in another record is a NaN the writer could
    not spell (orjson): a literal NaN. An absent key is a gap; a key only ever null is no metric.
    """
    import numpy as np

    rows = len(records)
    values: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    nulls: dict[str, list[int]] = {}
    for row, obj in enumerate(records):
        for key, value in obj.items():
            if value is None:
                nulls.setdefault(key, []).append(row)
            elif isinstance(value, bool | int | float):
                column = values.get(key)
                if column is None:
                    column = values[key] = np.full(rows, np.nan)
                column[row] = float(value)
                if isinstance(value, float) and math.isnan(value):
                    nan.setdefault(key, np.zeros(rows, dtype=bool))[row] = True
    for key, where in nulls.items():
        if key in values:
            nan.setdefault(key, np.zeros(rows, dtype=bool))[where] = True
            if spellings is not None:
                spellings.null(len(where))
    return Columns(values=values, nan=nan, lines=np.asarray(line_numbers, dtype=np.int64), rows=rows)


def row_lines(path: Path) -> np.ndarray:
    """1-based line numbers of the non-blank lines, i.e. of pyarrow's rows (it skips blank lines)."""
    import numpy as np

    found: list[int] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if raw.strip():
                found.append(number)
    return np.asarray(found, dtype=np.int64)


def to_file_read(
    path: Path,
    cols: Columns,
    step_key: str,
    keep: np.ndarray,
    *,
    drop: tuple[str, ...],
    notes: list[ReadWarning],
    no_rows: str,
) -> FileRead:
    """Keep the training rows, drop bookkeeping and all-empty columns, and wrap it for `frame.py`."""
    import numpy as np
    import pandas as pd

    if not keep.any():
        raise InputError(no_rows, file=str(path))
    everything = bool(keep.all())
    values: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    for name, array in cols.values.items():
        if name in drop:
            continue
        kept = array if everything else array[keep]
        literal = cols.nan.get(name)
        literal = None if literal is None else (literal if everything else literal[keep])
        if np.isnan(kept).all() and (literal is None or not literal.any()):
            continue  # only on val lines (coco/...), or never a number
        values[name] = kept
        if literal is not None and literal.any():
            nan[name] = literal
    steps = cols.values[step_key]
    steps = (steps if everything else steps[keep]).astype(np.int64)
    lines = _kept_lines(path, cols, keep, everything)
    frame = pd.DataFrame(values, copy=False)
    return FileRead(file=str(path), rows=frame, steps=steps, lines=lines, nan=nan,
                    warnings=cols.warnings + notes)


def _kept_lines(path: Path, cols: Columns, keep: np.ndarray, everything: bool) -> Lines:
    """Line numbers of the kept rows: known from the slow path, recounted lazily after pyarrow."""
    if cols.lines is not None:
        return Lines.known(cols.lines if everything else cols.lines[keep])
    rows = cols.rows

    def recount() -> np.ndarray:
        import numpy as np

        every = row_lines(path)[:rows]
        if len(every) < rows:  # cannot happen unless the file changed under us: use row numbers
            every = np.arange(1, rows + 1, dtype=np.int64)
        return every if everything else every[keep]

    return Lines(recount)
