"""Which launches are one run: a resume continues a run, a restart from the first step begins a new one.

A training job killed and resumed from a checkpoint logs its steps onward from
where the checkpoint was taken, which is always after the run's first logged step.
A job started again from scratch (or with the step counter reset) logs its first
step again: the loss is back at its initial level and stitching it to the launch
before would draw a sawtooth and report a dead launch's faults as the run's. So
a launch (a new file, or steps going back inside one file) whose first step is
at or before the first step of the run so far begins a new run. Where the launch's own
MMEngine/MMCV text log is there, it decides instead: a resume is logged ("resumed
epoch: 0, iter: 1000"), a launch without that line is a new run (`load_from` loads
weights, "Load checkpoint", but starts a new run); the latest run
is the one judged, and each earlier one is named in a read warning and can be
judged alone (`analyze --launch N`). A file of placeholders only (Lightning's second
event file holding just `hp_metric`) is no launch of its own.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from lossdoctor.errors import UsageError
from lossdoctor.model import ReadWarning
from lossdoctor.readers import aliases as alias_table
from lossdoctor.readers.base import LAUNCH_STAMP, FileRead, Lines, read_head

if TYPE_CHECKING:
    from lossdoctor.model import RunData

# The resume line of the text log (MMEngine `Runner.resume`, MMCV `BaseRunner.resume`), before training.
RESUMED = re.compile(rb"- (?:INFO|WARNING) - resumed epoch:? \d+, iter:? \d+")
RESUME_HEAD_BYTES = 8 * 1024 * 1024
_TEXT_LOG = re.compile(LAUNCH_STAMP.pattern + r"\.log")
# Metrics that alone make no launch: Lightning writes `hp_metric` (a placeholder) into a second event file of
# the same version folder when `trainer.test` runs.
PLACEHOLDERS = frozenset({"hp_metric"})
# The metrics tried, in order, to say how an earlier launch ended.
LOSS_NAMES = ("loss", "train_loss", "train/loss", "loss_flow")
# The metrics whose absence is worth a "this near name could be it" note.
SUGGESTED = ("loss", "lr", "grad_norm", "loss_flow", "loss_dino", "loss_kl")


@dataclass(frozen=True)
class Launch:
    """One earlier run (a launch the later ones restarted from scratch), summarised for the report."""

    number: int
    of: int
    file: str
    line: int | None
    first: int
    last: int
    points: int
    ended: str  # "ended at loss 0.42", "ended in NaN", ""
    resumed: int = 0  # resumes stitched into it

    def describe(self) -> str:
        """`launch 1 of 2: steps 1–500, 250 points, ended in NaN`."""
        ended = f", {self.ended}" if self.ended else ""
        resumed = f" (resumed {self.resumed}×)" if self.resumed else ""
        return (f"launch {self.number} of {self.of}{resumed}: steps {self.first}–{self.last}, "
                f"{self.points} points{ended}")


def split_runs(
    reads: Sequence[FileRead], said_resume: Callable[[Path], bool | None] | None = None
) -> list[list[FileRead]]:
    """The reads cut into launches and grouped into runs, oldest first; each run is what `build_run` takes.

    `said_resume` answers `resume_said` for a launch's file; a live watch, which splits again on every
    update, passes one that remembers its answers instead of reading each log's head again.
    """
    said_resume = said_resume or resume_said
    runs: list[list[FileRead]] = []
    start = 0
    for piece, opens_file in _pieces(reads):
        if not len(piece.steps):
            continue
        first = int(piece.steps[0])
        said = said_resume(Path(piece.file)) if runs and opens_file else None
        if runs and (said is True or (said is None and first > start) or _placeholder(piece)):
            runs[-1].append(piece)  # a resume; or Lightning's hp_metric file: no new run
            continue
        runs.append([piece])
        start = first
    return runs or [list(reads)]


def _placeholder(piece: FileRead) -> bool:
    """A piece that logs nothing but placeholders (no training metric): not a launch of its own."""
    columns = {str(c) for c in piece.rows.columns}
    return bool(columns) and columns <= PLACEHOLDERS


def _pieces(reads: Sequence[FileRead]) -> list[tuple[FileRead, bool]]:
    """Each read cut where its steps go back (a launch appended to the same file), with whether the piece
    opens its file; file warnings go with the file's last piece, the one most likely judged."""
    import numpy as np

    out: list[tuple[FileRead, bool]] = []
    for read in reads:
        cuts = np.flatnonzero(np.diff(read.steps) < 0) + 1
        if not len(cuts):
            out.append((read, True))
            continue
        bounds = [0, *cuts.tolist(), len(read.steps)]
        for lo, hi in itertools.pairwise(bounds):
            out.append((_slice(read, lo, hi, keep_warnings=hi == len(read.steps)), lo == 0))
    return out


def resume_said(file: Path) -> bool | None:
    """What the launch's own text log says: True when it logged a resume (MMEngine's `resumed epoch: 0, iter:
    1000`, MMCV's `resumed epoch 3, iter 900`), False when it did not, None when there is no such log."""
    log = _own_text_log(file)
    if log is None:
        return None
    try:
        head = read_head(log, RESUME_HEAD_BYTES)
    except OSError:
        return None
    return RESUMED.search(head) is not None


def _own_text_log(file: Path) -> Path | None:
    """The MMEngine/MMCV text log written by the same launch as `file` (itself, when it is one)."""
    from lossdoctor.readers.mmengine_scalars import own_logs

    if _TEXT_LOG.fullmatch(file.name):
        return file if file.is_file() else None
    if file.name.endswith(".log.json"):
        twin = file.with_name(file.name[: -len(".json")])
        return twin if twin.is_file() else None
    logs = own_logs(file) if file.parent.name == "vis_data" else []
    return logs[0] if logs else None


def _slice(read: FileRead, lo: int, hi: int, keep_warnings: bool) -> FileRead:
    """Rows lo..hi of a read as a read of its own (line numbers still those of the file)."""
    lines = read.lines
    return replace(
        read,
        rows=read.rows.iloc[lo:hi].reset_index(drop=True),
        steps=read.steps[lo:hi],
        lines=Lines(lambda: lines.get()[lo:hi]),
        nan={name: mask[lo:hi] for name, mask in read.nan.items()},
        warnings=list(read.warnings) if keep_warnings else [],
    )


def summarise(number: int, of: int, run: RunData, first_read: FileRead) -> Launch:
    """An earlier run as the report names it: where it starts, its steps and how its loss ended."""
    steps = run.frame.index
    lines = first_read.lines.get()
    return Launch(number, of, first_read.file, int(lines[0]) if len(lines) else None,
                  int(steps[0]), int(steps[-1]), len(steps), _ending(run), max(0, len(run.segments) - 1))


def _ending(run: RunData) -> str:
    """How the loss ended: the last logged value, or "in NaN"/"in inf" when it was not finite."""
    columns = [str(c) for c in run.frame.columns]
    others = [c for c in columns if "loss" in c.lower() and not c.lower().startswith(("val", "eval", "test"))]
    for name in dict.fromkeys([n for n in LOSS_NAMES if n in columns] + others):
        series = run.frame[name]
        last_step = int(run.frame.index[-1])
        nan_steps = run.nan_steps.get(name)
        if nan_steps is not None and len(nan_steps) and int(nan_steps[-1]) == last_step:
            return f"ended in NaN ({name})"
        logged = series.dropna()
        if len(logged):
            value = float(logged.iloc[-1])
            if math.isinf(value):
                return f"ended in inf ({name})"
            return f"ended at {name} {value:.4g}"
    return ""


def warning_for(launch: Launch, judged: int) -> ReadWarning:
    """The read warning naming an earlier or later launch that the judged run does not include."""
    message = (f"{launch.describe()}: not part of the run judged here (a launch that starts again from the "
               f"first step is a new run, a restart, not a resume); this report judges launch {judged} of "
               f"{launch.of} (`--launch {launch.number}` judges this one)")
    return ReadWarning(launch.file, launch.line, message)


def pick(runs: list[list[FileRead]], launch: int | None) -> int:
    """The index of the run to judge: the latest, or the 1-based `launch` asked for."""
    if launch is None:
        return len(runs) - 1
    if not 1 <= launch <= len(runs):
        raise UsageError(f"--launch {launch}: the input holds {len(runs)} launch"
                         f"{'es' if len(runs) != 1 else ''} (runs started from the first step)",
                         field="launch")
    return launch - 1


def build_chosen(
    reads: Sequence[FileRead], files: list[str], fmt: str, aliases: Mapping[str, str] | None,
    launch: int | None,
) -> RunData:
    """The run to judge, built from its launches, with a warning naming each launch left out."""
    from lossdoctor.readers.frame import build_run

    runs = split_runs(reads)
    chosen = pick(runs, launch)
    run = build_run(runs[chosen], fmt, aliases)
    run.files = files if len(runs) == 1 else list(dict.fromkeys(read.file for read in runs[chosen]))
    others = [warning_for(summarise(index + 1, len(runs), build_run(pieces, fmt, aliases), pieces[0]),
                          chosen + 1)
              for index, pieces in enumerate(runs) if index != chosen]
    run.warnings[:0] = others
    advice = alias_table.suggestions(run.frame.columns, SUGGESTED)
    run.warnings.extend(ReadWarning(run.files[0] if run.files else "", None, text) for text in advice)
    return run
