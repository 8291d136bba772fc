"""Readers: one module per log format, found by content, stitched into one `RunData`.

`READERS` is the registry (registry.py: name → module satisfying `base.Reader`, and `detect`);
the name is what `--input-format` and the report's `run.format` say. Detection reads only the
first bytes of a file, never its name: a `scalars.json` renamed `run.log` is still
JSON lines. Nothing here imports pandas at module level, so `lossdoctor --help`
stays fast; the readers import it when they read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from lossdoctor.errors import InputError, UsageError
from lossdoctor.model import ReadWarning
from lossdoctor.readers import (
    discover,
    gzipped,
    keras_tb,
    launches,
    mlflow,
    tb_export,
    tfevents,
    unfinished,
)
from lossdoctor.readers.base import LAUNCH_STAMP
from lossdoctor.readers.registry import FORMATS, READERS, TB_EXPORTS, detect, known_formats

__all__ = [
    "FORMATS", "READERS", "TB_EXPORTS", "detect", "expand_paths", "file_groups_reason", "known_formats",
    "read_paths", "split_runs",
]  # fmt: skip

if TYPE_CHECKING:
    from lossdoctor.model import RunData
    from lossdoctor.readers.base import FileRead

MAX_SKIP_NOTES = 10
_MMCV_LAUNCH = re.compile(LAUNCH_STAMP.pattern + r"\.log(\.json)?")


def read_paths(
    paths: Sequence[str | Path],
    input_format: str | None = None,
    aliases: Mapping[str, str] | None = None,
    tag: str | None = None,
    launch: int | None = None,
) -> RunData:
    """Read one run from files (launches, in the order given) and/or one MMEngine work dir.

    `tag` names the metric of a TensorBoard export whose file name carries only the run.
    Launches that start again from the first step are runs of their own (`launches`): the
    latest is read, or the 1-based `launch` asked for.
    """
    if input_format is not None and input_format not in READERS:
        raise UsageError(f'unknown input format "{input_format}": known formats are {known_formats()}',
                         field="input-format")
    if not paths:
        raise UsageError("no log given: pass a file or an MMEngine work dir")
    if len(paths) == 1 and input_format in (None, tfevents.NAME) and keras_tb.is_logdir(Path(paths[0])):
        return _keras_logdir(Path(paths[0]), aliases)
    with _listing_errors():
        files, notes = _expand([Path(p) for p in paths])
    unreadable: list[ReadWarning] = []
    with ExitStack() as stack:
        plain: list[gzipped.Plain] = []
        for file in files:
            try:
                plain.append(stack.enter_context(gzipped.plain(file)))
            except OSError as exc:
                unreadable.append(_unreadable(file, exc))
        if not plain:
            first = unreadable[0] if unreadable else ReadWarning(str(files[0]), None, "nothing readable")
            raise InputError(first.message, file=first.file)
        plain, names, unread = _detect_launches(plain, input_format, unreadable)
        plain = [stack.enter_context(unfinished.complete(f, n)) for f, n in zip(plain, names, strict=True)]
        reads = _read_all(plain, names, tag, unread)
    if not reads:
        first = unread[0] if unread else ReadWarning(str(files[0]), None, "nothing readable")
        raise InputError(first.message, file=first.file)
    left_out = {warning.file for warning in unread}
    read_files = [str(file.original) for file in plain if str(file.original) not in left_out]
    run = launches.build_chosen(reads, read_files, "+".join(dict.fromkeys(names)), aliases, launch)
    run.warnings.extend(unread + notes)
    if reads and all(read.step_unit == "epoch" for read in reads):
        run.step_unit = "epoch"
    return run


def _keras_logdir(folder: Path, aliases: Mapping[str, str] | None) -> RunData:
    """A Keras TensorBoard logdir (train/, validation/): one run on the epoch axis."""
    from lossdoctor.readers.frame import build_run

    run = build_run([keras_tb.read_logdir(folder)], tfevents.NAME, aliases)
    run.files = [str(f) for files in keras_tb.split_files(folder).values() for f in files]
    run.step_unit = "epoch"
    return run


def _unreadable(file: Path, exc: OSError) -> ReadWarning:
    """A launch that cannot be read (permission denied, gone, a FIFO...): named, and the others kept."""
    return ReadWarning(str(file), None, f"cannot read: {exc.strerror or exc}; this file is left out")


def _detect(file: gzipped.Plain) -> str:
    if file.path.is_dir() and mlflow.is_run(file.path):
        return mlflow.NAME
    with gzipped.named_errors(file):
        return detect(file.path)


def _detect_launches(
    files: list[gzipped.Plain], forced: str | None, unreadable: list[ReadWarning]
) -> tuple[list[gzipped.Plain], list[str], list[ReadWarning]]:
    """The format of each launch. Among several launches, one that holds no log (a launch killed before its
    first line) is left out with a warning naming it; alone, or when none is readable, its error stands."""
    kept: list[gzipped.Plain] = []
    names: list[str] = []
    unread: list[ReadWarning] = list(unreadable)  # launches that could not even be opened
    for file in files:
        try:
            names.append(forced or _detect(file))
        except OSError as exc:  # permission denied, a FIFO, gone: named, the other launches kept
            unread.append(_unreadable(file.original, exc))
            continue
        except InputError as exc:
            if len(files) == 1:
                raise
            unread.append(_launch_not_read(exc, file))
            continue
        kept.append(file)
    if not kept:
        cut_off = [w for w in unread if w.message.startswith("cannot read")]
        if len(cut_off) == len(unread):  # none could be read at all: the first one's error
            raise InputError(cut_off[0].message, file=cut_off[0].file)
        return [files[0]], [forced or _detect(files[0])], []  # the first log's own error stands
    return kept, names, unread


def _launch_not_read(exc: InputError, file: gzipped.Plain) -> ReadWarning:
    return ReadWarning(str(file.original), exc.line, f"launch not read: {exc.message}")


def _read_all(
    files: list[gzipped.Plain], names: list[str], tag: str | None, unread: list[ReadWarning] | None = None
) -> list[FileRead]:
    """One read per launch, in order; TensorBoard exports (one file per tag) joined into one read per run.
    Among several launches, one with nothing to read is left out into `unread` (all of them: the first
    error stands)."""
    reads: list[FileRead] = []
    first_error: InputError | None = None
    exports = [(file, name) for file, name in zip(files, names, strict=True) if name in TB_EXPORTS]
    for file, name in zip(files, names, strict=True):
        if name in TB_EXPORTS:
            if exports and file is exports[0][0]:
                readers = [TB_EXPORTS[n] for _, n in exports]
                reads.extend(tb_export.read_exports([f for f, _ in exports], readers, tag))
            continue
        try:
            with gzipped.named_errors(file):
                reads.append(gzipped.relabel(READERS[name].read(file.path), file))
        except InputError as exc:
            if len(files) == 1 or unread is None:
                raise
            first_error = first_error or exc
            unread.append(_launch_not_read(exc, file))
        except OSError as exc:  # a launch that cannot be read: named, the others kept
            if unread is None:
                raise
            unread.append(_unreadable(file.original, exc))
    if not reads and first_error is not None:
        raise first_error
    return reads


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; a folder becomes its run's files (`discover`). Several runs (a sweep): refused."""
    with _listing_errors():
        return _expand(paths)[0]


@contextmanager
def _listing_errors() -> Iterator[None]:
    """A folder that cannot be listed (permission denied) is bad input naming it, not a crash."""
    try:
        yield
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(exc.filename or "")) from None


def _expand(paths: list[Path]) -> tuple[list[Path], list[ReadWarning]]:
    """`expand_paths`, and a note for each thing a folder's walk skipped."""
    for path in paths:
        if not path.exists():
            raise InputError("no such file or directory", file=str(path))
    folders = [path for path in paths if path.is_dir()]
    runs = dict.fromkeys(str(path.parent if discover.launch_file(path) else path) for path in folders)
    if len(runs) > 1:
        raise _sweep(list(runs))
    files: list[Path] = []
    notes: list[ReadWarning] = []
    for path in paths:
        files.extend(_folder_files(path, notes) if path.is_dir() else [path])
    return files, notes


def _folder_files(folder: Path, notes: list[ReadWarning]) -> list[Path]:
    """The files of the one run a folder holds (an MLflow run is read as its folder); `notes` gets what
    the walk skipped."""
    if mlflow.is_run(folder):
        return [folder]
    mmcv = discover.mmcv_launches(folder)
    if mmcv:
        return mmcv
    if discover.launch_file(folder) is not None:
        return _work_dir_files(folder)
    found = discover.discover(folder)
    if len(found.runs) > 1:
        raise _sweep([str(run.path) for run in found.runs])
    if not found.runs:
        skipped = "; ".join(f"{s.path.name or s.path}: {s.reason}" for s in found.skipped[:3])
        raise InputError("nothing readable: expected an MMEngine work dir (<timestamp>/vis_data/scalars.json "
                         "or <timestamp>/<timestamp>.log), a TensorBoard logdir, a Lightning, HF Trainer or "
                         f"MLflow run, or a log file (known formats: {known_formats()})"
                         + (f" (skipped: {skipped})" if skipped else ""), file=str(folder))
    notes.extend(ReadWarning(str(item.path), None, f"skipped: {item.reason}")
                 for item in found.skipped[:MAX_SKIP_NOTES])
    if len(found.skipped) > MAX_SKIP_NOTES:
        notes.append(ReadWarning(str(folder), None, f"{len(found.skipped) - MAX_SKIP_NOTES} more skipped "
                                 "(`lossdoctor metrics` lists them)"))
    files: list[Path] = []
    for path in found.runs[0].inputs:
        files.extend(_work_dir_files(path) if path.is_dir() and not mlflow.is_run(path) else [path])
    return files


def _sweep(runs: list[str]) -> UsageError:
    """The error for several runs read as one: `split_runs` first (the CLI's sweep mode does)."""
    return UsageError(f"several runs given ({', '.join(runs)}): read them one at a time "
                      "(`lossdoctor analyze` does: the sweep mode)")


def split_runs(paths: Sequence[Path]) -> list[list[Path]]:
    """The runs among `paths`, each as the paths `read_paths` takes for it (the sweep mode's input).

    Each folder holds the runs `discover` finds in it (launch folders of one work dir, given
    side by side, are one run); a run whose log is broken still is one, so its row can say
    why. Files are launches of one run only when `_file_groups` says so: unrelated files (other
    formats, other work dirs) are runs of their own, and so are folders given beside them.
    """
    with _listing_errors():
        return _split_runs(paths)


def _split_runs(paths: Sequence[Path]) -> list[list[Path]]:
    for path in paths:
        if not path.exists():
            raise InputError("no such file or directory", file=str(path))
    runs: dict[str, list[Path]] = {}
    for folder in (path for path in paths if path.is_dir()):
        if (mlflow.is_run(folder) or discover.mmcv_launches(folder)
                or discover.launch_file(folder) is not None or keras_tb.is_logdir(folder)):
            key = folder.parent if LAUNCH_STAMP.fullmatch(folder.name) else folder
            runs.setdefault(str(key), []).append(folder)
            continue
        for run in discover.discover(folder).runs:
            if run.kind == "Keras TensorBoard logdir":
                runs.setdefault(str(run.path), [run.path])
                continue
            launch = run.kind == "MMEngine launch" and LAUNCH_STAMP.fullmatch(run.path.name) is not None
            runs.setdefault(str(run.path.parent if launch else run.path), []).extend(_run_paths(run))
    files = [path for path in paths if not path.is_dir()]
    groups = _file_groups(files)
    if len(runs) + len(groups) <= 1:
        return [list(paths)]
    return list(runs.values()) + list(groups.values())  # `analyze logs/*`: folders and loose files alike


def _run_paths(run: discover.Found) -> list[Path]:
    """What `read_paths` takes for a found run: its folder (the row's name), or its files when the folder
    also holds other runs (a TensorBoard run with run subfolders, a folder of loose logs)."""
    if run.path.is_dir() and not any(p.is_dir() for p in run.path.iterdir()):
        return [run.path]
    if run.path.is_dir() and not run.kind.startswith("TensorBoard"):
        return [run.path]
    return list(run.inputs)


def file_groups_reason(paths: Sequence[Path]) -> str | None:
    """Why files given together are several runs, or None when they are (the launches of) one."""
    files = [path for path in paths if path.is_file()]
    groups = _file_groups(files)
    if len(groups) <= 1:
        return None
    formats = sorted({family for family, _ in groups})
    why = [f"{len(formats)} formats ({', '.join(formats)})"] if len(formats) > 1 else []
    if len(groups) > len(formats):
        why.append("logs of different runs: only event files of one logdir, TensorBoard exports of one "
                   "folder or the launch logs of one MMEngine work dir are stitched")
    return (f"the {len(files)} files given are not launches of one run ({' and '.join(why)}): "
            f"judged as {len(groups)} runs, one row each")


def _file_groups(files: list[Path]) -> dict[tuple[str, str], list[Path]]:
    """Files grouped into runs: a run's launches are event files of one logdir, TensorBoard exports of one
    folder, or the logs of one MMEngine work dir's launch folders; any other file is a run of its own
    (two CSVs side by side in `logs/` are two runs, not a resume)."""
    groups: dict[tuple[str, str], list[Path]] = {}
    for file in files:
        try:
            fmt = detect(file)
        except InputError:
            fmt = "unreadable"  # its own row, which says why
        if fmt in TB_EXPORTS:
            key = ("tb-export", str(file.parent))
        elif fmt == tfevents.NAME or _in_launch_folder(file) or _MMCV_LAUNCH.fullmatch(file.name):
            key = (fmt, str(_run_folder(file)))
        else:
            key = (fmt, str(file))
        groups.setdefault(key, []).append(file)
    return groups


def _in_launch_folder(file: Path) -> bool:
    parent = file.parent.parent if file.parent.name == "vis_data" else file.parent
    return LAUNCH_STAMP.fullmatch(parent.name) is not None


def _run_folder(file: Path) -> Path:
    """The folder of the run a file belongs to: the work dir for an MMEngine launch's files."""
    parent = file.parent
    if parent.name == "vis_data":
        parent = parent.parent
    if LAUNCH_STAMP.fullmatch(parent.name):
        return parent.parent
    return parent


def _work_dir_files(folder: Path) -> list[Path]:
    """A work dir's launch files in timestamp order (or the folder's own file when it is one launch)."""
    own = discover.launch_file(folder)
    if own is not None:
        return [own]
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir())
    launches = [p for p in subfolders if discover.launch_file(p) is not None]
    if launches:
        return [file for file in (discover.launch_file(p) for p in launches) if file is not None]
    work_dirs = [p for p in subfolders if any(discover.launch_file(q) for q in p.iterdir() if q.is_dir())]
    if len(work_dirs) > 1:
        raise _sweep([str(p) for p in work_dirs])
    if work_dirs:
        return _work_dir_files(work_dirs[0])
    events = tfevents.launch_order([p for p in folder.glob(tfevents.FILE_GLOB) if p.is_file()])
    if events:  # a TensorBoard logdir: its event files are the launches of one run
        return events
    exports = _export_files(folder)
    if exports:
        return exports
    raise InputError("nothing readable: expected an MMEngine work dir (<timestamp>/vis_data/scalars.json "
                     f"or <timestamp>/<timestamp>.log) or a log file (known formats: {known_formats()})",
                     file=str(folder))


def _export_files(folder: Path) -> list[Path]:
    """The TensorBoard exports (CSV or JSON, maybe gzipped) right in a folder, found by content, by name."""
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            if detect(path) in TB_EXPORTS:
                found.append(path)
        except InputError:
            continue  # a README or an empty file beside the exports
    return found
