"""A bounded, column-wise store of the rows `watch` has read, and the `RunData` built from it.

Why bounded: one update must cost the same at step 2k and at step 200k. So the store
keeps (1) every row while the run is short (`exact_rows`): the frame judged is then
exactly the one `analyze` would build from the file, and so are the findings; (2) once
the run is longer, a full-resolution *tail* long enough for the longest window of the
loaded rules (`tail_steps`, from each rule's `for` and window parameters) plus a
*history* thinned to at most `history_rows` rows with a uniform stride (the stride doubles
when it fills), which is what run-long checks (`loss-plateau`, `early_median`, the
scope's start level) read. The first non-finite value of each metric is never thinned
away: `non-finite-loss` names the first bad step. When the store has been thinned,
`exact` is False and the watcher confirms findings with a full read when the file is quiet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lossdoctor.live.lines import Row

if TYPE_CHECKING:
    from lossdoctor.model import RunData
    from lossdoctor.readers.base import FileRead

EXACT_ROWS = 4096
HISTORY_ROWS = 1024
MIN_TAIL_ROWS = 256
MAX_TAIL_ROWS = 16384


class RowBuffer:
    """Rows of one run, launch by launch, in file order (a column per raw key, NaN where not logged)."""

    def __init__(
        self, tail_steps: float = 2000.0, exact_rows: int = EXACT_ROWS, history_rows: int = HISTORY_ROWS
    ) -> None:
        self.tail_steps = tail_steps
        self.exact_rows = exact_rows
        self.history_rows = history_rows
        self.files: list[str] = []
        self.precision: list[dict[str, float]] = []
        self.configs: list[tuple[dict[str, Any], str | None]] = []
        self.n = 0
        self.capacity = 1024
        self.steps = np.zeros(self.capacity, dtype=np.int64)
        self.lines = np.zeros(self.capacity, dtype=np.int64)
        self.launch = np.zeros(self.capacity, dtype=np.int32)
        self.seq = np.zeros(self.capacity, dtype=np.int64)  # ordinal of each row since the start
        self.values: dict[str, np.ndarray] = {}
        self.nan: dict[str, np.ndarray] = {}
        self.count = 0  # rows ever added
        self.stride = 1  # history keeps rows whose ordinal is a multiple of it
        self.thinned = False
        self.first_bad: set[int] = set()  # ordinals of rows holding a metric's first non-finite value
        self._bad_seen: set[str] = set()
        self._resumes: dict[Path, bool | None] = {}  # what each launch's text log said (readers.launches)

    # -- launches -------------------------------------------------------------------------------

    def launch_index(self, file: str) -> int:
        """The launch a file's rows belong to (a new file is a new launch, after the others)."""
        if file in self.files:
            return self.files.index(file)
        self.files.append(file)
        self.precision.append({})
        self.configs.append(({}, None))
        return len(self.files) - 1

    def restart(self, file: str) -> None:
        """Forget a launch's rows: its file was truncated or replaced and is read again."""
        if file not in self.files:
            return
        index = self.files.index(file)
        keep = self.launch[: self.n] != index
        self._compact(np.flatnonzero(keep))
        self.precision[index] = {}

    def replace_file(self, old: str, new: str) -> None:
        """A launch is read from a better file now (its `scalars.json` appeared): same place, no rows yet."""
        if old not in self.files:
            return
        self.restart(old)
        index = self.files.index(old)
        self.files[index] = new
        self.configs[index] = ({}, None)

    def clear(self) -> None:
        """Forget everything (a single watched file started over)."""
        self.__init__(self.tail_steps, self.exact_rows, self.history_rows)  # type: ignore[misc]

    # -- rows -----------------------------------------------------------------------------------

    def add(self, rows: list[Row], launch: int, merge_same_step: bool = False) -> None:
        """Append one launch's new rows; `merge_same_step` merges a row into the previous one of its step."""
        for row in rows:
            if (
                merge_same_step
                and self.n
                and self.steps[self.n - 1] == row.step
                and self.launch[self.n - 1] == launch
            ):
                self._set(self.n - 1, row)
                continue
            if self.n == self.capacity:
                self._grow()
            i = self.n
            self.steps[i], self.lines[i], self.launch[i], self.seq[i] = row.step, row.line, launch, self.count
            self.n += 1
            self.count += 1
            self._set(i, row)
        if self.n > self._max_rows():
            self._thin()

    def _set(self, i: int, row: Row) -> None:
        for key, value in row.values.items():
            column = self.values.get(key)
            if column is None:
                column = self.values[key] = np.full(self.capacity, np.nan)
            column[i] = value
            if not math.isfinite(value) and key not in self._bad_seen:
                self._bad_seen.add(key)
                self.first_bad.add(int(self.seq[i]))
        for key in row.nan:
            mask = self.nan.get(key)
            if mask is None:
                mask = self.nan[key] = np.zeros(self.capacity, dtype=bool)
            mask[i] = True

    def load(self, read: FileRead, launch: int) -> None:
        """Append a whole file's rows at once (the history a watch starts on), then bound the store.

        Column-wise, so a 200k-row history costs a few array copies, not a Python loop per row;
        what is kept is what `add` row by row would have kept.
        """
        count = len(read.steps)
        self._resize(max(self.capacity, self.n + count))
        held = slice(self.n, self.n + count)
        self.steps[held], self.lines[held], self.launch[held] = read.steps, read.lines.get(), launch
        self.seq[held] = np.arange(self.count, self.count + count)
        for key in read.rows.columns:
            values = read.rows[key].to_numpy(dtype=np.float64)
            self.values.setdefault(str(key), np.full(self.capacity, np.nan))[held] = values
            bad = np.flatnonzero(~np.isfinite(values))
            if len(bad) and key not in self._bad_seen:
                self._bad_seen.add(str(key))
                self.first_bad.add(self.count + int(bad[0]))
        for key, mask in read.nan.items():
            self.nan.setdefault(key, np.zeros(self.capacity, dtype=bool))[held] = mask
        self.n += count
        self.count += count
        if self.n > self._max_rows():
            self._thin()
        self._resize(max(1024, 2 * self.n))  # give back what the whole file needed for a moment

    def _grow(self) -> None:
        self._resize(self.capacity * 2)

    def _resize(self, capacity: int) -> None:
        if capacity == self.capacity:
            return
        self.capacity = capacity
        for name in ("steps", "lines", "launch", "seq"):
            old = getattr(self, name)
            new = np.zeros(self.capacity, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        for key, column in self.values.items():
            grown = np.full(self.capacity, np.nan)
            grown[: self.n] = column[: self.n]
            self.values[key] = grown
        for key, mask in self.nan.items():
            grown_mask = np.zeros(self.capacity, dtype=bool)
            grown_mask[: self.n] = mask[: self.n]
            self.nan[key] = grown_mask

    # -- bounding -------------------------------------------------------------------------------

    def tail_rows(self) -> int:
        """Rows the tail needs: the rules' longest reach in steps at the log's current interval."""
        recent = self.steps[max(0, self.n - 65) : self.n]
        diffs = np.diff(recent)
        diffs = diffs[diffs > 0]
        interval = float(np.median(diffs)) if len(diffs) else 1.0
        rows = math.ceil(self.tail_steps / max(interval, 1e-9) * 1.25) + 16
        return int(min(MAX_TAIL_ROWS, max(MIN_TAIL_ROWS, rows)))

    def _max_rows(self) -> int:
        return max(self.exact_rows, self.tail_rows() + self.history_rows + self.history_rows // 2)

    def _thin(self) -> None:
        """Keep the tail whole and every `stride`-th older row (and each metric's first bad one)."""
        boundary = self.n - self.tail_rows()
        old = self.seq[:boundary]
        protected = np.isin(old, list(self.first_bad)) if self.first_bad else np.zeros(boundary, dtype=bool)
        while True:
            keep_old = (old % self.stride == 0) | protected
            if int(keep_old.sum()) <= self.history_rows:
                break
            self.stride *= 2
        self.thinned = True
        self._compact(np.concatenate([np.flatnonzero(keep_old), np.arange(boundary, self.n)]))

    def _compact(self, keep: np.ndarray) -> None:
        count = len(keep)
        for name in ("steps", "lines", "launch", "seq"):
            array = getattr(self, name)
            array[:count] = array[keep]
        for column in self.values.values():
            column[:count] = column[keep]
            column[count : self.n] = np.nan
        for mask in self.nan.values():
            mask[:count] = mask[keep]
            mask[count : self.n] = False
        self.n = count

    @property
    def exact(self) -> bool:
        """True while every row read is still held: the frame is exactly what `analyze` builds."""
        return not self.thinned

    def exact_from(self) -> int | None:
        """The first step of the full-resolution tail (None: everything is full resolution)."""
        if not self.thinned or not self.n:
            return None
        return int(self.steps[max(0, self.n - self.tail_rows())])

    # -- to the engine --------------------------------------------------------------------------

    def reads(self) -> list[FileRead]:
        """One `FileRead` per launch, as the readers would hand them to `frame.build_run`."""
        import pandas as pd

        from lossdoctor.readers.base import FileRead, Lines

        out: list[FileRead] = []
        launch = self.launch[: self.n]
        for index, file in enumerate(self.files):
            rows = np.flatnonzero(launch == index)
            if not len(rows):
                continue
            values: dict[str, np.ndarray] = {}
            nan: dict[str, np.ndarray] = {}
            for key, column in self.values.items():
                kept = column[rows]
                literal = self.nan[key][rows] if key in self.nan else None
                has_literal = literal is not None and bool(literal.any())
                if np.isnan(kept).all() and not has_literal:
                    continue  # the reader drops a column this file never held a number in
                values[key] = kept
                if has_literal and literal is not None:
                    nan[key] = literal
            config, source = self.configs[index]
            precision = {k: v for k, v in self.precision[index].items() if k in values}
            out.append(
                FileRead(
                    file=file,
                    rows=pd.DataFrame(values, copy=False),
                    steps=self.steps[rows].copy(),
                    lines=Lines.known(self.lines[rows].copy()),
                    nan=nan,
                    precision=precision,
                    config=config,
                    config_source=source,
                )
            )
        return out

    def run(self, fmt: str, aliases: Mapping[str, str] | None = None) -> RunData | None:
        """The `RunData` of what is held, built by `frame.build_run` like any read (None before a row).

        Launches are split into runs as `analyze` splits them (`readers.launches`): a launch that
        starts again from the first step is a new run, and the latest run is the one judged.
        """
        from lossdoctor.readers.frame import build_run
        from lossdoctor.readers.launches import split_runs

        reads = self.reads()
        if not reads:
            return None
        return build_run(split_runs(reads, self._resume_said)[-1], fmt, aliases)

    def _resume_said(self, file: Path) -> bool | None:
        """A launch's log, once it has training rows, already holds its resume line: read its head once.

        "No such log" (None) is asked again: the log may appear after the rows that asked.
        """
        from lossdoctor.readers.launches import resume_said

        if self._resumes.get(file) is None:
            self._resumes[file] = resume_said(file)
        return self._resumes[file]
