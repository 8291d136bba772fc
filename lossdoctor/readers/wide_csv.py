"""Wide CSV: PyTorch Lightning's `metrics.csv`, a W&B history export (`_step`), any table with a step column.

Columns are looked up by name (Lightning's order varies), rows are sparse (each row
fills only what was logged at that call; Lightning's val row and epoch-summary row
share a step), so rows sharing a step are merged column by column, later non-empty
cell winning. `nan` is a literal NaN (a diverged GAN logs nothing else), an empty
cell is "not logged". The table machinery here is shared with the TensorBoard CSV
reader: pyarrow parses a well-formed file in C++ threads; a ragged or cut-off one is
read line by line so every good row is kept and every bad one is named.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers import epoch_axis
from lossdoctor.readers.base import FileRead, Lines, line_warnings, set_aside_note
from lossdoctor.readers.jsonl import TRUNCATED, row_lines

if TYPE_CHECKING:
    import numpy as np

NAME = "csv"
# Step-like columns, best first: W&B's `_step` counts its own log calls, the trainer's step is the truth.
STEP_COLUMNS = ("step", "global_step", "trainer/global_step", "Step", "iter", "_step")
INDEX_COLUMNS = ("", "Unnamed: 0")  # pandas' to_csv index column: row numbers, not metrics


@dataclass
class Table:
    """A CSV file as float columns by header name (non-numeric columns dropped), one entry per data row."""

    header: list[str]
    values: dict[str, np.ndarray]
    nan: dict[str, np.ndarray]
    lines: Lines
    rows: int
    warnings: list[ReadWarning] = field(default_factory=list)


def header_of(head: bytes) -> list[str] | None:
    """The header row of a CSV head, or None when the first line does not look like one."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first, newline, _ = text.partition("\n")
    if not newline or "," not in first:
        return None
    try:
        row = next(csv.reader([first.rstrip("\r")]))
    except (csv.Error, StopIteration):
        return None
    return [cell.strip() for cell in row]


def sniff(head: bytes) -> bool:
    """A comma-separated header naming a step-like or epoch column, or a history table (`epoch_axis`)."""
    header = header_of(head)
    if header is None:
        return False
    axis = STEP_COLUMNS + epoch_axis.EPOCH_COLUMNS
    return any(name in header for name in axis) or epoch_axis.is_history(head, header)


def read(path: Path) -> FileRead:
    """Read a wide CSV: choose the step column, set aside rows without a step, merge rows sharing one."""
    import numpy as np

    table = read_table(path)
    step_column = next((name for name in STEP_COLUMNS if name in table.values), None)
    unit = "step"
    if step_column is None and not any(name in table.header for name in STEP_COLUMNS):
        step_column, epoch_notes = epoch_axis.epoch_column(path, table)
        unit, table.warnings = "epoch", table.warnings + epoch_notes
        epoch_axis.pandas_blanks_are_nan(table, step_column)
    if step_column is None:
        missing = next((name for name in STEP_COLUMNS if name in table.header), None)
        detail = f'column "{missing}" holds no numbers' if missing else "no step column"
        raise InputError(f"{detail}: expected one of {', '.join(STEP_COLUMNS)}", file=str(path))
    keep = ~np.isnan(table.values[step_column])
    notes = set_aside_note(str(path), int(table.rows - keep.sum()), f'CSV (no "{step_column}")')
    if not keep.any():
        raise InputError(f'no rows with a "{step_column}" value', file=str(path))
    drop = {step_column, *INDEX_COLUMNS}
    nan = {k: m[keep] for k, m in table.nan.items() if k not in drop and m[keep].any()}
    values = {k: v[keep] for k, v in table.values.items()
              if k not in drop and (k in nan or not _all_missing(v[keep]))}  # all-`nan` is data: keep it
    steps = table.values[step_column][keep].astype(np.int64)
    lines = table.lines.get()[keep] if not keep.all() else table.lines.get()
    read_ = merge_same_steps(path, values, nan, steps, lines, table.warnings + notes)
    read_.step_unit = unit
    read_.config, read_.config_source = epoch_axis.lightning_hparams(path)
    return read_


def _all_missing(column: np.ndarray) -> bool:
    import numpy as np

    return bool(np.isnan(column).all())


def merge_same_steps(
    path: Path,
    values: dict[str, np.ndarray],
    nan: dict[str, np.ndarray],
    steps: np.ndarray,
    lines: np.ndarray,
    warnings: list[ReadWarning],
) -> FileRead:
    """Merge runs of consecutive rows with one step (sparse logging), later non-empty cell winning."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(values, copy=False)
    if len(steps) > 1 and bool((steps[1:] == steps[:-1]).any()):
        group = np.cumsum(np.r_[True, steps[1:] != steps[:-1]])
        for name, mask in nan.items():  # a literal NaN is a value: mark it so `last` does not skip it
            frame[name] = np.where(mask, np.inf, frame[name].to_numpy())
            frame[name + "\0nan"] = mask
        grouped = frame.groupby(group, sort=False)
        merged = grouped.last()
        flags = {name: grouped[name + "\0nan"].max().to_numpy(dtype=bool) for name in nan}
        first_of = np.flatnonzero(np.r_[True, steps[1:] != steps[:-1]])
        steps, lines = steps[first_of], lines[first_of]
        frame = merged[list(values)].reset_index(drop=True)
        nan = {}
        for name, was_nan in flags.items():
            column = frame[name].to_numpy(dtype=np.float64)
            literal = was_nan & np.isinf(column) & (column > 0)
            frame[name] = np.where(literal, np.nan, column)
            if literal.any():
                nan[name] = literal
    return FileRead(file=str(path), rows=frame, steps=steps, lines=Lines.known(lines), nan=nan,
                    warnings=warnings)


def read_table(path: Path) -> Table:
    """Parse a CSV fast with pyarrow, or row by row when pyarrow rejects it (ragged, cut off, junk)."""
    if path.stat().st_size == 0:
        raise InputError("empty file", file=str(path))
    try:
        return _read_with_pyarrow(path)
    except Exception:  # pyarrow raises ArrowInvalid on any bad row: go slow, keep the good rows
        return _read_row_by_row(path)


def _read_with_pyarrow(path: Path) -> Table:
    """The fast path; only `""` is missing, so `nan` stays a literal NaN (pyarrow's default nulls it)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    table = pcsv.read_csv(
        str(path),
        read_options=pcsv.ReadOptions(block_size=1 << 22),
        convert_options=pcsv.ConvertOptions(null_values=[""], strings_can_be_null=True),
    )
    values: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_floating(column.type):
            array = column.to_numpy().astype(np.float64, copy=False)
            if np.isnan(array).any():
                literal = pc.is_nan(column).fill_null(False).to_numpy()
                if literal.any():
                    nan[name.strip()] = np.asarray(literal, dtype=bool)
        elif pa.types.is_integer(column.type) or pa.types.is_null(column.type):
            array = column.cast(pa.float64()).to_numpy()
        else:
            continue
        values[name.strip()] = array
    rows = table.num_rows

    def recount() -> np.ndarray:
        every = row_lines(path)[1 : rows + 1]
        return every if len(every) == rows else np.arange(2, rows + 2, dtype=np.int64)

    header = [name.strip() for name in table.column_names]
    return Table(header=header, values=values, nan=nan, lines=Lines(recount), rows=rows)


def _read_row_by_row(path: Path) -> Table:
    """The forgiving path: rows with the wrong number of cells are named and skipped, the rest kept."""
    import numpy as np

    text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    if "\x00" in text[:4096]:
        raise InputError("binary file, not a CSV log", file=str(path))
    rows = _rows(text)
    if not rows or rows[0] is None:
        raise InputError("empty file", file=str(path))
    header = [cell.strip() for cell in rows[0] or []]
    cells: list[list[str]] = []
    lines: list[int] = []
    bad: list[tuple[int, str]] = []
    warnings: list[ReadWarning] = []
    ends_cut = not text.endswith("\n")
    number = 1
    for index, row in enumerate(rows[1:], start=1):
        number += 1
        if row is None:
            bad.append((number, f"not CSV (a field longer than {csv.field_size_limit()} characters?)"))
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            if index == len(rows) - 1 and ends_cut:
                warnings.append(ReadWarning(str(path), number, TRUNCATED))
            else:
                bad.append((number, f"{len(row)} cells, the header has {len(header)}"))
            continue
        cells.append(row)
        lines.append(number)
    values, nan = _columns(header, cells)
    warnings = line_warnings(str(path), bad, "not a CSV row") + warnings
    line_array = np.asarray(lines, dtype=np.int64)
    return Table(header=header, values=values, nan=nan, lines=Lines.known(line_array), rows=len(cells),
                 warnings=warnings)


def _rows(text: str) -> list[list[str] | None]:
    """The rows of a CSV text; None for a row the csv module refuses (a field past its size limit)."""
    reader = csv.reader(io.StringIO(text))
    rows: list[list[str] | None] = []
    while True:
        try:
            rows.append(next(reader))
        except StopIteration:
            return rows
        except csv.Error:
            rows.append(None)


def _columns(
    header: list[str], cells: list[list[str]]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Float columns from string cells: empty is missing, `nan` is literal, a word makes a column text."""
    import numpy as np

    values: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    for position, name in enumerate(header):
        column = np.full(len(cells), np.nan)
        literal = np.zeros(len(cells), dtype=bool)
        numeric = True
        for row, record in enumerate(cells):
            cell = record[position].strip()
            if not cell:
                continue
            try:
                column[row] = float(cell)
            except ValueError:
                numeric = False
                break
            literal[row] = column[row] != column[row]
        if numeric:
            values[name] = column
            if literal.any():
                nan[name] = literal
    return values, nan
