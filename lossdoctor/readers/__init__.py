"""Readers: one module per log format, found by content, stitched into one `RunData`.

`READERS` is the registry (name → module satisfying `base.Reader`); the name is
what `--input-format` and the report's `run.format` say. Detection reads only the
first bytes of a file, never its name: a `scalars.json` renamed `run.log` is still
JSON lines. Nothing here imports pandas at module level, so `lossdoctor --help`
stays fast; the readers import it when they read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lossdoctor.errors import InputError, UsageError
from lossdoctor.readers import jsonl, mmengine_scalars, mmengine_text
from lossdoctor.readers.base import Reader, looks_binary, read_head

if TYPE_CHECKING:
    from lossdoctor.model import RunData

# Detection order: the most specific sniffers first (MMEngine's JSON is also generic JSON lines).
READERS: dict[str, Reader] = {
    mmengine_scalars.NAME: mmengine_scalars,
    mmengine_text.NAME: mmengine_text,
    jsonl.NAME: jsonl,
}
FORMATS: tuple[str, ...] = tuple(READERS)
_LAUNCH_NAME = re.compile(r"\d{8}_\d{6}")


def known_formats() -> str:
    """The format names, for error messages."""
    return ", ".join(FORMATS)


def detect(path: Path) -> str:
    """The format of a file from its first bytes; InputError naming the file when none fits."""
    head = read_head(path)
    if not head.strip():
        raise InputError("empty file", file=str(path))
    for name, reader in READERS.items():
        if reader.sniff(head):
            return name
    if looks_binary(head):
        raise InputError(f"binary file, not a training log (known formats: {known_formats()})",
                         file=str(path))
    raise InputError(f"not a recognised training log (known formats: {known_formats()})", file=str(path))


def read_paths(
    paths: Sequence[str | Path],
    input_format: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> RunData:
    """Read one run from files (launches, in the order given) and/or one MMEngine work dir."""
    if input_format is not None and input_format not in READERS:
        raise UsageError(f'unknown input format "{input_format}": known formats are {known_formats()}',
                         field="input-format")
    if not paths:
        raise UsageError("no log given: pass a file or an MMEngine work dir")
    reads = []
    names: list[str] = []
    for file in expand_paths([Path(p) for p in paths]):
        name = input_format or detect(file)
        reads.append(READERS[name].read(file))
        names.append(name)
    from lossdoctor.frame import build_run

    return build_run(reads, "+".join(dict.fromkeys(names)), aliases)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; a folder becomes its launches' files. Several runs is the sweep mode: refused."""
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
    """The error for several runs at once, until sweep mode exists."""
    return UsageError(f"several runs given ({', '.join(runs)}): analysing several runs at once "
                      "(sweep mode) is not implemented yet; analyse one at a time")


def _launch_file(folder: Path) -> Path | None:
    """The file to read in one launch folder: `vis_data/scalars.json`, else its twin, else the text log."""
    for candidate in (folder / "vis_data" / "scalars.json", folder / "scalars.json"):
        if candidate.is_file():
            return candidate
    twins = sorted(p for p in (folder / "vis_data").glob("*.json") if _LAUNCH_NAME.fullmatch(p.stem))
    if twins:
        return twins[-1]
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
    raise InputError("nothing readable: expected an MMEngine work dir (<timestamp>/vis_data/scalars.json "
                     f"or <timestamp>/<timestamp>.log) or a log file (known formats: {known_formats()})",
                     file=str(folder))
