"""A half-written last line is not data: text logs are read up to their last newline.

A text log read while training writes it (or after the writer was killed) can end in
a cut line: `loss: 8` of `loss: 82.93` parses as a value, draws a fake spike and
fails the gate. The JSON readers already leave such a line out (it is not valid
JSON); a text line has no such check, so for the text formats a last line without
its newline is left out before the reader sees the file, with a warning naming it.
The reader then reads a copy holding the complete lines (only when the file is cut:
a complete log is read in place), and every name in what it says is put back to the
user's file, as for a gzipped log.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers.gzipped import Plain

TEXT_FORMATS = frozenset({"mmengine-text", "mmcv-text", "csv", "tb-csv"})
TAIL_BYTES = 1 << 20
CHUNK = 1 << 20
CUT = "last line has no newline (cut off while being written?): not read"


@contextmanager
def complete(file: Plain, fmt: str) -> Iterator[Plain]:
    """The file as its reader should see it: up to its last newline when it is a text log cut mid-line."""
    cut = _cut_length(file.path) if fmt in TEXT_FORMATS and file.path.is_file() else 0
    if not cut:
        yield file
        return
    folder = Path(tempfile.mkdtemp(prefix="lossdoctor-cut-"))
    try:
        target = folder / file.path.name
        size = file.path.stat().st_size
        lines = _copy_prefix(file.path, target, size - cut)
        warning = ReadWarning(str(file.original), lines + 1, CUT)
        try:
            yield Plain(target, file.original, [*file.warnings, warning])
        except InputError as exc:  # nothing left once the cut line is out: say that it was there
            exc.message += f" (line {lines + 1}, the last, has no newline: cut off while being written?)"
            raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _cut_length(path: Path) -> int:
    """The bytes after the last newline when they hold text (0 when the file ends with a newline)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read()
    if not tail or tail.endswith(b"\n"):
        return 0
    if b"\n" not in tail:
        return 0  # one line (or one longer than the tail): not a cut progress line, left to the reader
    last = tail.rsplit(b"\n", 1)[-1]
    return len(last) if last.strip() else 0


def _copy_prefix(source: Path, target: Path, length: int) -> int:
    """Copy the first `length` bytes; the number of newlines in them (the cut line is the next one)."""
    newlines = 0
    with source.open("rb") as src, target.open("wb") as out:
        left = length
        while left > 0:
            chunk = src.read(min(CHUNK, left))
            if not chunk:
                break
            out.write(chunk)
            newlines += chunk.count(b"\n")
            left -= len(chunk)
    return newlines
