"""Readers: one module per log format, found by content, stitched into one `RunData`.

`READERS` is the registry (name → module satisfying `base.Reader`); the name is
what `--input-format` and the report's `run.format` say. Detection reads only the
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
    csv,
    gzipped,
    hf_trainer_state,
    json,
    jsonl,
    mmcv_json,
    mmcv_text,
    mmengine_scalars,
    mmengine_text,
    tb_csv,
    tb_export,
    tb_json,
    tfevents,
)
from lossdoctor.readers.base import HEAD_BYTES, Reader, looks_binary, read_head

if TYPE_CHECKING:
    from lossdoctor.model import RunData
    from lossdoctor.readers.base import FileRead

# Detection order: the most specific sniffers first (MMEngine's JSON is also generic JSON lines).
READERS: dict[str, Reader] = {
    tfevents.NAME: tfevents,  # first: its sniff is a CRC check that no text file passes
    hf_trainer_state.NAME: hf_trainer_state,  # one object with a `log_history` list
    tb_json.NAME: tb_json,  # `[[wall, step, value], ...]`
    tb_csv.NAME: tb_csv,  # the exact header `Wall time,Step,Value` (before the generic csv)
    mmcv_json.NAME: mmcv_json,  # `mode` + `iter` lines: before jsonl, which takes any `iter`
    mmengine_scalars.NAME: mmengine_scalars,
    mmengine_text.NAME: mmengine_text,  # `YYYY/MM/DD` stamps
    mmcv_text.NAME: mmcv_text,  # `YYYY-MM-DD ...,mmm` stamps
    json.NAME: json,  # one document: before jsonl, whose sniff also takes a one-line dict of lists
    csv.NAME: csv,
    jsonl.NAME: jsonl,
}
# Formats holding one tag per file: a folder (or several files) of them is joined into runs by tb_export.
TB_EXPORTS: dict[str, tb_export.PointsReader] = {
    tb_csv.NAME: tb_csv.read_points,
    tb_json.NAME: tb_json.read_points,
}
FORMATS: tuple[str, ...] = tuple(READERS)
# The most `detect` reads when the first record does not fit in HEAD_BYTES (same as one JSON line's bound).
FIRST_RECORD_BYTES = jsonl.MAX_RECORD_BYTES
_LAUNCH_NAME = re.compile(r"\d{8}_\d{6}")


def known_formats() -> str:
    """The format names, for error messages."""
    return ", ".join(FORMATS)


def detect(path: Path) -> str:
    """The format of a file from its first bytes; InputError naming the file when none fits.

    The first HEAD_BYTES usually hold several records. When the first record alone is
    longer (a JSON line or CSV header of thousands of metrics), it is read whole, up to
    FIRST_RECORD_BYTES, and sniffed alone; past that the error says to pass --input-format.
    """
    head = _head(path, HEAD_BYTES)
    if not head.strip():
        raise InputError("empty file", file=str(path))
    name = _sniff(head)
    if name is None and len(head) >= HEAD_BYTES and b"\n" not in head.rstrip(b"\r\n"):
        longer = _head(path, FIRST_RECORD_BYTES)
        end = longer.find(b"\n")
        if end < 0 and len(longer) >= FIRST_RECORD_BYTES:
            raise InputError(f"the first line is longer than {FIRST_RECORD_BYTES} bytes: cannot tell the "
                             f"format; pass --input-format (known formats: {known_formats()})",
                             file=str(path))
        name = _sniff(longer if end < 0 else longer[: end + 1])
    if name is not None:
        return name
    if looks_binary(head):
        raise InputError(f"binary file, not a training log (known formats: {known_formats()})",
                         file=str(path))
    raise InputError(f"not a recognised training log (known formats: {known_formats()})", file=str(path))


def _head(path: Path, size: int) -> bytes:
    """The first `size` bytes, inflated when the file is gzipped (gzip is transparent)."""
    head = read_head(path, size)
    return gzipped.inflated_head(path, size) if head.startswith(gzipped.MAGIC) else head


def _sniff(head: bytes) -> str | None:
    """The first format whose sniffer takes `head`."""
    return next((name for name, reader in READERS.items() if reader.sniff(head)), None)


def read_paths(
    paths: Sequence[str | Path],
    input_format: str | None = None,
    aliases: Mapping[str, str] | None = None,
    tag: str | None = None,
) -> RunData:
    """Read one run from files (launches, in the order given) and/or one MMEngine work dir.

    `tag` names the metric of a TensorBoard export whose file name carries only the run.
    """
    if input_format is not None and input_format not in READERS:
        raise UsageError(f'unknown input format "{input_format}": known formats are {known_formats()}',
                         field="input-format")
    if not paths:
        raise UsageError("no log given: pass a file or an MMEngine work dir")
    files = expand_paths([Path(p) for p in paths])
    unreadable: list[ReadWarning] = []
    with ExitStack() as stack:
        plain: list[gzipped.Plain] = []
        names: list[str] = []
        for file in files:
            try:
                opened = stack.enter_context(gzipped.plain(file))
                names.append(input_format or _detect(opened))
            except OSError as exc:
                unreadable.append(_unreadable(file, exc))
                continue
            plain.append(opened)
        reads = _read_all(plain, names, tag, unreadable)
    if not reads:
        first = unreadable[0] if unreadable else ReadWarning(str(files[0]), None, "nothing readable")
        raise InputError(first.message, file=first.file)
    reads[0].warnings[:0] = unreadable
    from lossdoctor.frame import build_run

    run = build_run(reads, "+".join(dict.fromkeys(names)), aliases)
    left_out = {warning.file for warning in unreadable}
    run.files = [str(file) for file in files if str(file) not in left_out]
    return run


def _unreadable(file: Path, exc: OSError) -> ReadWarning:
    """A launch that cannot be read (permission denied, gone, a FIFO...): named, and the others kept."""
    return ReadWarning(str(file), None, f"cannot read: {exc.strerror or exc}; this file is left out")


def _detect(file: gzipped.Plain) -> str:
    with gzipped.named_errors(file):
        return detect(file.path)


def _read_all(
    files: list[gzipped.Plain], names: list[str], tag: str | None, unreadable: list[ReadWarning]
) -> list[FileRead]:
    """One read per launch, in order; TensorBoard exports (one file per tag) joined into one read per run.

    A launch that cannot be read (an OSError) is added to `unreadable` and left out.
    """
    reads: list[FileRead] = []
    exports = [(file, name) for file, name in zip(files, names, strict=True) if name in TB_EXPORTS]
    for file, name in zip(files, names, strict=True):
        try:
            if name in TB_EXPORTS:
                if exports and file is exports[0][0]:
                    readers = [TB_EXPORTS[n] for _, n in exports]
                    reads.extend(tb_export.read_exports([f for f, _ in exports], readers, tag))
                continue
            with gzipped.named_errors(file):
                reads.append(gzipped.relabel(READERS[name].read(file.path), file))
        except OSError as exc:
            unreadable.append(_unreadable(file.original, exc))
    return reads


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; a folder becomes its launches' files. Several runs is the sweep mode: refused."""
    with _listing_errors():
        return _expand_paths(paths)


@contextmanager
def _listing_errors() -> Iterator[None]:
    """A folder that cannot be listed (permission denied) is bad input naming it, not a crash."""
    try:
        yield
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(exc.filename or "")) from None


def _expand_paths(paths: list[Path]) -> list[Path]:
    for path in paths:
        if not path.exists():
            raise InputError("no such file or directory", file=str(path))
    folders = [path for path in paths if path.is_dir()]
    runs = dict.fromkeys(str(path.parent if _launch_file(path) else path) for path in folders)
    if len(runs) > 1:
        raise _sweep(list(runs))
    files: list[Path] = []
    for path in paths:
        files.extend(_work_dir_files(path) if path.is_dir() else [path])
    return files


def _sweep(runs: list[str]) -> UsageError:
    """The error for several runs read as one: `split_runs` first (the CLI's sweep mode does)."""
    return UsageError(f"several runs given ({', '.join(runs)}): read them one at a time "
                      "(`lossdoctor analyze` does: the sweep mode)")


def split_runs(paths: Sequence[Path]) -> list[list[Path]]:
    """The runs among `paths`, each as the paths `read_paths` takes for it (the sweep mode's input).

    Files are launches of one run; each folder is one run, and a folder holding several
    work dirs is that many runs. A subfolder with no log at all is not a run (a `plots/`
    beside the work dirs); a run whose log is broken still is, so its row can say why.
    """
    with _listing_errors():
        return _split_runs(paths)


def _split_runs(paths: Sequence[Path]) -> list[list[Path]]:
    for path in paths:
        if not path.exists():
            raise InputError("no such file or directory", file=str(path))
    folders = [path for path in paths if path.is_dir()]
    runs: dict[str, list[Path]] = {}
    for folder in folders:
        for run in _runs_in(folder):  # two launch folders of one work dir, given side by side, are one run
            launch = _LAUNCH_NAME.fullmatch(run.name) is not None and _launch_file(run) is not None
            runs.setdefault(str(run.parent if launch else run), []).append(run)
    files = [path for path in paths if not path.is_dir()]
    if len(runs) <= 1:
        return [list(paths)]
    if files:
        raise UsageError(f"several runs given ({', '.join(runs)}) together with files "
                         f"({', '.join(map(str, files))}): give either the runs' folders or one run's files")
    return list(runs.values())


def _runs_in(folder: Path) -> list[Path]:
    """`folder` itself when it is one run (a launch, a work dir, a logdir), else the work dirs it holds."""
    if _launch_file(folder) is not None:
        return [folder]
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir())
    if any(_launch_file(p) is not None for p in subfolders):
        return [folder]
    work_dirs = [p for p in subfolders if any(_launch_file(q) for q in p.iterdir() if q.is_dir())]
    return work_dirs if len(work_dirs) > 1 else [folder]


def _launch_file(folder: Path) -> Path | None:
    """The file to read in one launch folder: `vis_data/scalars.json`, else its twin, else the event file
    (when the tensorboard extra is installed), else the text log."""
    for candidate in (folder / "vis_data" / "scalars.json", folder / "scalars.json"):
        if candidate.is_file():
            return candidate
    twins = sorted(p for p in (folder / "vis_data").glob("*.json") if _LAUNCH_NAME.fullmatch(p.stem))
    if twins:
        return twins[-1]
    events = tfevents.launch_order(list((folder / "vis_data").glob(tfevents.FILE_GLOB)))
    if events and tfevents.available():  # float32 values: finer than the text log's 4 decimals
        return events[-1]
    own_log = folder / f"{folder.name}.log"
    if own_log.is_file():
        return own_log
    logs = sorted(p for p in folder.glob("*.log") if _LAUNCH_NAME.fullmatch(p.stem))
    return logs[-1] if logs else None


def _work_dir_files(folder: Path) -> list[Path]:
    """A work dir's launch files in timestamp order (or the folder's own file when it is one launch)."""
    own = _launch_file(folder)
    if own is not None:
        return [own]
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir())
    launches = [p for p in subfolders if _launch_file(p) is not None]
    if launches:
        return [file for file in (_launch_file(p) for p in launches) if file is not None]
    work_dirs = [p for p in subfolders if any(_launch_file(q) for q in p.iterdir() if q.is_dir())]
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
