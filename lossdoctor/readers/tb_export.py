"""TensorBoard UI exports: one file per tag, many files one run, shared by `tb-csv` and `tb-json`.

TensorBoard's download links give `run-<run>-tag-<tag>.csv|json`, with `/` in both
run and tag written as `_`; the tag is left sanitised here (`dbg_grad_flow`) and
`frame.py` maps it back against the names the rules ask for, as the catalogue says.
A folder of exports is one run: the tag files of each run are joined on the step
(each tag may be sampled at other steps), and the runs of a resumed job are ordered
by wall time and handed to `build_run` as launches. Two runs that are not a resume
(the later one starts from scratch, or they ran at the same time) are refused, naming
both. The server keeps at most 1000 points per tag by default, so a long run's export
is a sample at irregular steps: the read says so.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lossdoctor.errors import InputError, UsageError
from lossdoctor.model import ReadWarning
from lossdoctor.readers.base import FileRead, Lines

if TYPE_CHECKING:
    import numpy as np

    from lossdoctor.readers.gzipped import Plain

# TensorBoard's default `--samples_per_plugin scalars=1000`: a tag with exactly this many points was cut.
SAMPLE_CAP = 1000
# A later run resumes an earlier one only if it starts after the earlier one's last point (minus this slack).
RESUME_SLACK_S = 60.0
_TAGGED = re.compile(r"run[-_](?P<run>.*?)-tag-(?P<tag>.+)", re.DOTALL)
_RUN_ONLY = re.compile(r"run[-_](?P<run>.+)", re.DOTALL)
NO_TAG = ("the file name carries no tag (TensorBoard names exports run-<run>-tag-<tag>.csv; this one "
          "names only the run), so which metric it holds is unknown: pass --tag NAME (e.g. --tag loss)")


@dataclass
class Points:
    """One exported tag: (wall time, step, value) in file order, under the user's file name."""

    file: str
    run: str | None
    tag: str | None
    wall: np.ndarray
    steps: np.ndarray
    values: np.ndarray
    nan: np.ndarray
    lines: Lines
    warnings: list[ReadWarning] = field(default_factory=list)


# `read_points(path, label)`: one export file's points, named `label` (the user's name of a gzipped file).
PointsReader = Callable[[Path, str], Points]


def name_parts(name: str) -> tuple[str | None, str | None]:
    """(run, tag) from an export's file name; tag None when the name carries only the run."""
    stem = name[:-3] if name.lower().endswith(".gz") else name
    for ext in (".csv", ".json"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
    tagged = _TAGGED.fullmatch(stem)
    if tagged:
        return tagged["run"], tagged["tag"]
    run_only = _RUN_ONLY.fullmatch(stem)
    return (run_only["run"] if run_only else stem), None


def read_single(path: Path, read_points: PointsReader) -> FileRead:
    """One export file as a run (the `Reader.read` of tb-csv and tb-json); the tag must be in its name."""
    points = read_points(path, str(path))
    if points.tag is None:
        raise InputError(NO_TAG, file=str(path))
    run = _join_run([points])
    run.read.warnings.extend(_sampled_note(run.read.file, [points]))
    return run.read


def read_exports(
    files: Sequence[Plain],
    read_points: Sequence[PointsReader],
    tag: str | None = None,
) -> list[FileRead]:
    """The exports given (one file per tag) as one read per run, oldest run first; unrelated runs refused."""
    points = _read_all(files, read_points)
    for file, point in zip(files, points, strict=True):
        point.warnings[:0] = file.warnings
    _assign_tag(points, tag)
    runs: dict[str, list[Points]] = {}
    for point in points:
        runs.setdefault(point.run or "", []).append(point)
    joined = sorted((_join_run(_unique_tags(group)) for group in runs.values()), key=lambda r: r.first_wall)
    for earlier, later in itertools.pairwise(joined):
        if not later.resumes(earlier):
            raise UsageError(
                "two unrelated runs in one TensorBoard export folder "
                f"({earlier.read.file}, {later.read.file}): "
                f"the later starts at step {later.first_step}, not after the earlier's start (step "
                f"{earlier.first_step}), or while it was still running, so it is not a resume; analysing "
                "several runs at once (sweep mode) is not implemented yet: analyse one at a time")
    for run in joined:
        run.read.warnings.extend(_sampled_note(run.read.file, run.points))
    return [run.read for run in joined]


def _read_all(files: Sequence[Plain], read_points: Sequence[PointsReader]) -> list[Points]:
    """Read the files on a few threads: pyarrow parses without the GIL, and a folder has one file per tag."""
    from concurrent.futures import ThreadPoolExecutor

    if len(files) < 4:
        return [read(file.path, str(file.original)) for file, read in zip(files, read_points, strict=True)]
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="lossdoctor-tb") as pool:
        jobs = [pool.submit(reader, file.path, str(file.original))
                for file, reader in zip(files, read_points, strict=True)]
        return [job.result() for job in jobs]


def _assign_tag(points: list[Points], tag: str | None) -> None:
    """`--tag` names the metric of the one export whose file name carries no tag."""
    untagged = [p for p in points if p.tag is None]
    if not untagged:
        return
    if tag is None:
        raise InputError(NO_TAG, file=untagged[0].file)
    if len(untagged) > 1:
        names = ", ".join(p.file for p in untagged)
        raise UsageError(f"--tag names one metric, but several export files carry no tag in their name "
                         f"({names}): rename them run-<run>-tag-<tag>.csv", field="--tag")
    untagged[0].tag = tag


def _unique_tags(points: list[Points]) -> list[Points]:
    """One file per tag and run: a second export of the same tag (a CSV beside its JSON) is skipped."""
    seen: dict[str, Points] = {}
    for point in points:
        first = seen.get(point.tag or "")
        if first is None:
            seen[point.tag or ""] = point
        else:
            first.warnings.append(ReadWarning(point.file, None,
                                              f'tag "{point.tag}" also exported as {first.file}: skipped'))
    return list(seen.values())


@dataclass
class _Run:
    """A run's tags joined into one read, with what decides whether a later run resumes it."""

    read: FileRead
    points: list[Points]
    first_wall: float
    last_wall: float
    first_step: int

    def resumes(self, earlier: _Run) -> bool:
        """Started after `earlier` ended, and not from scratch: a resume, not another run of a sweep."""
        return self.first_step > earlier.first_step and self.first_wall >= earlier.last_wall - RESUME_SLACK_S


def _join_run(points: list[Points]) -> _Run:
    """Join a run's tag files on the step, segment by segment when the job restarted inside the run."""
    import numpy as np
    import pandas as pd

    label = _label(points)
    cuts = [np.flatnonzero(np.diff(p.steps) < 0) + 1 for p in points]
    warnings = [w for p in points for w in p.warnings]
    if len(points) == 1:
        one = points[0]  # a single file keeps its rows as written: build_run names its repeats and resumes
        pieces = [_Piece(one.steps, {one.tag or "": _Span(one.steps, one.values, one.nan, one.lines.get)})]
    elif all(len(c) == len(cuts[0]) for c in cuts):
        pieces = [_Piece.join([_span(p, *bounds[i]) for p, bounds in zip(points, _bounds(cuts, points),
                                                                            strict=True)], points)
                  for i in range(len(cuts[0]) + 1)]
    else:
        warnings.append(ReadWarning(label, None, "the tags restart at different steps (several launches "
                                    "exported as one run): for each tag the later point wins at a step"))
        pieces = [_Piece.join([_latest(p) for p in points], points)]
    steps = np.concatenate([piece.steps for piece in pieces])
    columns: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    for point in points:
        name = point.tag or ""
        columns[name] = np.concatenate([piece.spans[name].values for piece in pieces])
        mask = np.concatenate([piece.spans[name].nan for piece in pieces])
        if mask.any():
            nan[name] = mask
    def lines() -> np.ndarray:  # counted only if a warning needs a line: recounting 26 files costs a second
        return np.concatenate([piece.lines() for piece in pieces])

    read = FileRead(file=label, rows=pd.DataFrame(columns, copy=False), steps=steps.astype(np.int64),
                    lines=Lines(lines), nan=nan, warnings=warnings)
    walls = [p.wall for p in points if len(p.wall)]
    first_wall = min(float(np.nanmin(w)) for w in walls) if walls else 0.0
    last_wall = max(float(np.nanmax(w)) for w in walls) if walls else 0.0
    first_step = int(steps.min()) if len(steps) else 0
    return _Run(read, points, first_wall, last_wall, first_step)


def _label(points: list[Points]) -> str:
    """The name a joined run goes by: its one file, or the glob of its tag files."""
    if len(points) == 1:
        return points[0].file
    first = Path(points[0].file)
    suffix = "".join(first.suffixes[-2:]) if first.name.lower().endswith(".gz") else first.suffix
    return str(first.parent / f"run-{points[0].run}-tag-*{suffix}")


@dataclass
class _Span:
    """One tag's points inside one segment, deduplicated (later wins) and sorted by step."""

    steps: np.ndarray
    values: np.ndarray
    nan: np.ndarray
    lines: Callable[[], np.ndarray]  # lazy: line numbers are recounted only when a warning needs one


def _span(point: Points, lo: int, hi: int) -> _Span:
    """Rows lo:hi of one tag (steps never go back inside), a step logged twice keeping its later value."""
    import numpy as np

    steps = point.steps[lo:hi]
    last = np.r_[steps[1:] != steps[:-1], True] if len(steps) else np.zeros(0, dtype=bool)
    everything = bool(last.all())

    def pick(array: np.ndarray) -> np.ndarray:
        return array if everything else array[last]

    return _Span(pick(steps), pick(point.values[lo:hi]), pick(point.nan[lo:hi]),
                 lambda: pick(point.lines.get()[lo:hi]))


def _latest(point: Points) -> _Span:
    """All of one tag's points by step, the later in file order winning at a repeated step."""
    import numpy as np

    order = np.argsort(point.steps, kind="stable")
    steps = point.steps[order]
    last = np.r_[steps[1:] != steps[:-1], True] if len(steps) else np.zeros(0, dtype=bool)
    keep = order[last]
    return _Span(point.steps[keep], point.values[keep], point.nan[keep], lambda: point.lines.get()[keep])


def _bounds(cuts: list[np.ndarray], points: list[Points]) -> list[list[tuple[int, int]]]:
    """Per tag, the (lo, hi) rows of each segment."""
    out = []
    for cut, point in zip(cuts, points, strict=True):
        edges = [0, *cut.tolist(), len(point.steps)]
        out.append(list(itertools.pairwise(edges)))
    return out


@dataclass
class _Piece:
    """One segment of a run: the union of its tags' steps, each tag's values spread over it."""

    steps: np.ndarray
    spans: dict[str, _Span]

    @classmethod
    def join(cls, spans: list[_Span], points: list[Points]) -> _Piece:
        """Outer join on the step; tags sampled at the same steps skip the union (the common, big case)."""
        import numpy as np

        same = all(len(s.steps) == len(spans[0].steps) and np.array_equal(s.steps, spans[0].steps)
                   for s in spans[1:])
        union = spans[0].steps if same else _union([s.steps for s in spans])
        spread: dict[str, _Span] = {}
        for span, point in zip(spans, points, strict=True):
            if same or len(span.steps) == len(union):  # a subset as long as the union is the union
                spread[point.tag or ""] = span
                continue
            where = np.searchsorted(union, span.steps)
            values = np.full(len(union), np.nan)
            values[where] = span.values
            nan = np.zeros(len(union), dtype=bool)
            nan[where] = span.nan
            spread[point.tag or ""] = _Span(union, values, nan, _spread_lines(span, where, len(union)))
        return cls(union, spread)

    def lines(self) -> np.ndarray:
        """Per row, its line in the first tag file that has the step (a joined row has no single line)."""
        import numpy as np

        spans = list(self.spans.values())
        lines = spans[0].lines().copy()
        for span in spans[1:]:
            missing = lines == 0
            if not missing.any():
                break
            lines[missing] = span.lines()[missing]
        return lines if len(lines) else np.zeros(0, dtype=np.int64)


def _union(steps: list[np.ndarray]) -> np.ndarray:
    """The sorted union of the tags' steps; when the longest holds all the others (a tag that starts late),
    it is the union, found without sorting millions of steps."""
    import numpy as np

    longest = max(steps, key=len)
    for other in steps:
        where = np.searchsorted(longest, other)
        if (where >= len(longest)).any() or not np.array_equal(longest[where], other):
            return np.unique(np.concatenate(steps))
    return longest


def _spread_lines(span: _Span, where: np.ndarray, size: int) -> Callable[[], np.ndarray]:
    """A span's line numbers spread over the joined steps (0 where the tag has no point), when asked."""
    import numpy as np

    def spread() -> np.ndarray:
        lines = np.zeros(size, dtype=np.int64)
        lines[where] = span.lines()
        return lines

    return spread


def _sampled_note(label: str, points: list[Points]) -> list[ReadWarning]:
    """Say when tags hold exactly TensorBoard's default cap of points at irregular steps: a sample."""
    import numpy as np

    sampled = [p for p in points if len(p.steps) == SAMPLE_CAP and len(np.unique(np.diff(p.steps))) > 1]
    if not sampled:
        return []
    return [ReadWarning(label, None, (
        f"sampled export: {len(sampled)} of {len(points)} tags hold exactly {SAMPLE_CAP} points, "
        "TensorBoard's default cap per tag, at irregular steps, so the points between them are missing; "
        "windows are judged in steps on the points kept (for every point, export after starting "
        "tensorboard with --samples_per_plugin scalars=0, or read the event file)"))]


def to_float(value: object) -> float | None:
    """A JSON value as a float: numbers, and the strings TensorBoard writes for non-finite values."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip().lower() in _NON_FINITE:
        return _NON_FINITE[value.strip().lower()]
    return None


_NON_FINITE = {"nan": float("nan"), "-nan": float("nan"), "infinity": float("inf"), "inf": float("inf"),
               "-infinity": float("-inf"), "-inf": float("-inf"), "+infinity": float("inf")}
