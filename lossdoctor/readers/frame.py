"""From per-file reads to one step-indexed frame with canonical metric names.

Everything format-independent happens here, once: canonical names (a metric reaches
a log as `dbg/grad_flow`, `dbg_grad_flow` or `train/dbg/grad_flow`), the guide's
zero-weight shadows (`loss_dbg_grad_flow` is always 0.0 and proves only that the
metric is instrumented), stitching launches (later wins where steps overlap) and the
record of literal NaNs, which a missing key must never be mistaken for.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning, RunData, Segment
from lossdoctor.readers import aliases as alias_table
from lossdoctor.readers.names import canonical_name, flat_metrics, shadow_target

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from lossdoctor.readers.base import FileRead

MAX_DUPLICATE_WARNINGS = 20
MAX_METRICS = 10_000  # columns per file: a real run logs tens to a few hundred scalars


@dataclass
class _Named:
    """One file's rows after naming: value columns under canonical names, shadows kept aside by raw name."""

    values: pd.DataFrame
    nan: dict[str, np.ndarray]
    shadows: pd.DataFrame
    shadow_nan: dict[str, np.ndarray]


def _name_columns(read: FileRead, run: RunData, aliases: Mapping[str, str] | None) -> _Named:
    """Rename one file's columns, merge spellings of one metric, set shadows aside."""
    import numpy as np

    raw_names = [str(name) for name in read.rows.columns]
    if len(raw_names) > MAX_METRICS:
        raise InputError(f"{len(raw_names)} metrics, more than {MAX_METRICS}: not a training log lossdoctor "
                         "can judge (log fewer scalars, or split them over files)", file=read.file)
    canonical = {raw: canonical_name(raw, aliases) for raw in raw_names}
    flat = flat_metrics(dict.fromkeys(canonical.values()))  # once: per key it was quadratic
    shadow_of = {raw: shadow_target(raw, (), aliases, flat) for raw in raw_names}
    values: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    shadows: dict[str, np.ndarray] = {}
    shadow_nan: dict[str, np.ndarray] = {}
    for raw in raw_names:
        array = read.rows[raw].to_numpy(dtype=np.float64)
        literal = read.nan.get(raw)
        target = shadow_of[raw]
        if target is not None:
            run.shadows.setdefault(target, raw)
            shadows[raw] = array
            if literal is not None:
                shadow_nan[raw] = literal
            continue
        name = canonical[raw]
        spellings = run.spellings.setdefault(name, [])
        if raw not in spellings:
            spellings.append(raw)
        if raw in read.precision:
            run.precision[name] = max(run.precision.get(name, 0.0), read.precision[raw])
        if name in values:  # two spellings of one metric in one file: fill the gaps of the first
            values[name] = np.where(np.isnan(values[name]) & ~nan.get(name, False), array, values[name])
        else:
            values[name] = array
        if literal is not None:
            nan[name] = nan[name] | literal if name in nan else literal
    import pandas as pd

    rows = pd.RangeIndex(len(read.steps))
    return _Named(pd.DataFrame(values, index=rows, copy=False), nan,
                  pd.DataFrame(shadows, index=rows, copy=False), shadow_nan)


def build_run(reads: Sequence[FileRead], fmt: str, aliases: Mapping[str, str] | None = None) -> RunData:
    """Stitch per-file reads into one `RunData`: later launches win where steps overlap."""
    import numpy as np
    import pandas as pd

    aliases = alias_table.for_run((str(c) for read in reads for c in read.rows.columns), aliases)
    run = RunData(frame=pd.DataFrame(), files=[read.file for read in reads], format=fmt)
    named = [_name_columns(read, run, aliases) for read in reads]
    for read in reads:
        run.warnings.extend(read.warnings)
    stitch = _Stitch(reads, run.warnings)
    run.segments = [seg for seg, _ in stitch.segments]
    take = stitch.rows_to_keep()
    steps, starts = stitch.steps, stitch.starts
    values = _stack([n.values for n in named], take)
    shadows = _stack([n.shadows for n in named], take)
    kept_steps = steps if take is None else steps[take]
    index = pd.Index(kept_steps.astype(np.int64, copy=False), name="step")
    values.index = index
    run.frame = values
    for name, mask in _stack_masks([n.nan for n in named], starts, take).items():
        if mask.any():
            run.nan_steps[name] = kept_steps[mask].astype(np.int64)
    shadow_masks = _stack_masks([n.shadow_nan for n in named], starts, take)
    for raw in shadows.columns:
        bad = np.isinf(shadows[raw].to_numpy()) | shadow_masks.get(raw, False)
        if bad.any():
            run.shadow_nonfinite[str(raw)] = int(kept_steps[np.argmax(bad)])
    run.shadow_only = {name for name in run.shadows if name not in values.columns}
    for read in reads:
        if read.config_source is not None:
            run.config, run.config_source = read.config, read.config_source
    return run


class _Stitch:
    """The rows of all files in order, cut into launches, and the choice of which row wins each step."""

    def __init__(self, reads: Sequence[FileRead], warnings: list[ReadWarning]) -> None:
        import numpy as np

        self.reads = reads
        self.warnings = warnings
        self.steps = reads[0].steps if len(reads) == 1 else np.concatenate([read.steps for read in reads])
        self.starts = np.cumsum([0] + [len(read.steps) for read in reads])
        self.seg_id = np.empty(len(self.steps), dtype=np.int64)
        self.segments: list[tuple[Segment, int]] = []  # (launch, its first row)
        for index, read in enumerate(reads):  # a new file, or a step going backwards, starts a launch
            cuts = np.flatnonzero(np.diff(read.steps) < 0) + 1
            bounds = [0, *cuts.tolist(), len(read.steps)]
            offset = int(self.starts[index])
            for lo, hi in itertools.pairwise(bounds):
                self.seg_id[offset + lo : offset + hi] = len(self.segments)
                launch = Segment(read.file, int(read.steps[lo]), int(read.steps[hi - 1]))
                self.segments.append((launch, offset + lo))

    def rows_to_keep(self) -> np.ndarray | None:
        """Row positions to keep, in step order (None: all, already sorted). Later rows win; say what went."""
        import numpy as np
        import pandas as pd

        steps = self.steps
        if len(steps) < 2 or bool((np.diff(steps) > 0).all()):
            return None
        dropped = np.flatnonzero(pd.Index(steps).duplicated(keep="last"))
        kept = np.setdiff1d(np.arange(len(steps)), dropped, assume_unique=True)
        by_step = np.argsort(steps[kept], kind="stable")
        winners = kept[by_step[np.searchsorted(steps[kept][by_step], steps[dropped])]]
        same = self.seg_id[dropped] == self.seg_id[winners]
        self._warn_duplicates(dropped[same], winners[same])
        for seg_index in range(1, len(self.segments)):
            self._warn_launch(seg_index, dropped[~same][self.seg_id[winners[~same]] == seg_index])
        return kept[by_step]

    def _warn_duplicates(self, lost: np.ndarray, won: np.ndarray) -> None:
        """A step logged twice inside one launch: one warning per step, capped."""
        for old, new in list(zip(lost.tolist(), won.tolist(), strict=True))[:MAX_DUPLICATE_WARNINGS]:
            step, first = int(self.steps[new]), self._line(old)
            message = f"step {step} logged again (first at line {first}): the later line wins"
            self.warnings.append(ReadWarning(self._file(new), self._line(new), message))
        if len(lost) > MAX_DUPLICATE_WARNINGS:
            self.warnings.append(ReadWarning(self._file(int(won[-1])), None, (
                f"{len(lost) - MAX_DUPLICATE_WARNINGS} more duplicate steps: the later lines win")))

    def _warn_launch(self, seg_index: int, overwritten: np.ndarray) -> None:
        """Say where a launch starts and which earlier logged steps its values replace."""
        seg, first_row = self.segments[seg_index]
        replaced = ""
        if len(overwritten):
            lo, hi = int(self.steps[overwritten].min()), int(self.steps[overwritten].max())
            plural = "s" if len(overwritten) != 1 else ""
            replaced = f"; its values replace {len(overwritten)} earlier logged step{plural} ({lo}-{hi})"
        previous = int(self.steps[first_row - 1])
        if self._file(first_row - 1) == seg.file and previous > seg.first:
            what = (f"steps go back from {previous} to {seg.first}: read as a new launch "
                    "(a resume appended to the same file)")
        elif replaced:
            what = f"launch starts at step {seg.first}, before the previous one ended (step {previous})"
        else:
            return
        self.warnings.append(ReadWarning(seg.file, self._line(first_row), what + replaced))

    def _file(self, row: int) -> str:
        """The file a row came from."""
        return self.reads[self._file_index(row)].file

    def _file_index(self, row: int) -> int:
        import numpy as np

        return int(np.searchsorted(self.starts, row, side="right")) - 1

    def _line(self, row: int) -> int | None:
        """The 1-based line of a row in its own file."""
        index = self._file_index(row)
        lines = self.reads[index].lines.get()
        local = row - int(self.starts[index])
        return int(lines[local]) if 0 <= local < len(lines) else None


def _stack(frames: list[pd.DataFrame], take: np.ndarray | None) -> pd.DataFrame:
    """Concatenate files' frames (union of columns: a late metric is NaN before it) and keep `take` rows."""
    import pandas as pd

    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, sort=False)
    if take is not None:
        frame = frame.take(take)
    return frame.reset_index(drop=True).astype("float64")


def _stack_masks(
    masks: list[dict[str, np.ndarray]], starts: np.ndarray, take: np.ndarray | None
) -> dict[str, np.ndarray]:
    """The per-file literal-NaN masks as one mask per column over the kept rows."""
    import numpy as np

    names = {name for per_file in masks for name in per_file}
    total = int(starts[-1])
    out: dict[str, np.ndarray] = {}
    for name in names:
        mask = np.zeros(total, dtype=bool)
        for index, per_file in enumerate(masks):
            if name in per_file:
                mask[int(starts[index]) : int(starts[index + 1])] = per_file[name]
        out[name] = mask if take is None else mask[take]
    return out
