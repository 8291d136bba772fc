"""Gzip is transparent: any format may arrive gzipped, found by its magic bytes, never its name.

Readers work on paths (pyarrow memory-maps them, the text readers stream them), so a
gzipped log is inflated once into a temporary file that keeps the original name
without `.gz` (a TensorBoard export's tag lives in its name), read there, and every
file name in what was read or raised is put back to the user's path. A cut-off gzip
stream (a killed writer) keeps what was inflated and says so.

Inflating is streamed chunk by chunk and bounded: a log compresses about 5-20x, a gzip
bomb (5 MB of zeros expanding to 5 GiB) a thousand times more. Inflating stops, with
an error, past MAX_RATIO times the compressed size (never less than MIN_LIMIT, so a
small well-compressed log is always read).
"""

from __future__ import annotations

import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from lossdoctor.errors import InputError, LossdoctorError
from lossdoctor.model import ReadWarning
from lossdoctor.readers.base import FileRead

MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20
MAX_RATIO = 100  # inflated bytes per compressed byte, at most
MIN_LIMIT = 256 * 1024 * 1024  # inflated bytes always allowed, whatever the ratio


def limit_for(compressed: int) -> int:
    """How many bytes a gzip file of `compressed` bytes may inflate to."""
    return max(MIN_LIMIT, MAX_RATIO * compressed)


@dataclass
class Plain:
    """A file as readers see it (`path`, inflated when gzipped) and as the user named it (`original`)."""

    path: Path
    original: Path
    warnings: list[ReadWarning] = field(default_factory=list)

    @property
    def inflated(self) -> bool:
        return self.path != self.original

    def label(self, text: str) -> str:
        """A file name or source string with the temporary path put back to the user's."""
        return text.replace(str(self.path), str(self.original)) if self.inflated else text


class NotGzip(Exception):
    """Gzip's magic bytes, but nothing inflates: not a gzip file after all."""


def is_gzip(path: Path) -> bool:
    """True when the file starts with gzip's magic bytes."""
    with path.open("rb") as handle:
        return handle.read(2) == MAGIC


def inflated_head(path: Path, size: int = 64 * 1024) -> bytes:
    """The first inflated bytes of a gzipped file, for sniffing its format without inflating it all."""
    inflater = zlib.decompressobj(wbits=31)
    out = b""
    with path.open("rb") as handle:
        while len(out) < size:
            chunk = handle.read(CHUNK // 16)
            if not chunk:
                break
            try:
                out += inflater.decompress(chunk, size - len(out))
            except zlib.error:
                break
            if inflater.eof:
                break
    return out


@contextmanager
def plain(path: Path) -> Iterator[Plain]:
    """The file itself, or its inflated copy (removed on exit) when it is gzipped."""
    if not path.is_file() or not is_gzip(path):
        yield Plain(path, path)
        return
    folder = Path(tempfile.mkdtemp(prefix="lossdoctor-gz-"))
    try:
        name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
        target = folder / (name or "log")
        try:
            warnings = _inflate(path, target)
        except NotGzip:  # the two magic bytes by chance (junk at the top of a log): read the file as it is
            yield Plain(path, path)
            return
        yield Plain(target, path, warnings)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _inflate(source: Path, target: Path) -> list[ReadWarning]:
    """Inflate every gzip member; a cut or corrupt stream keeps what came before it, with a warning."""
    inflater = zlib.decompressobj(wbits=31)
    written = 0
    limit = limit_for(source.stat().st_size)
    problem: str | None = None
    with source.open("rb") as src, target.open("wb") as out:
        while True:
            chunk = src.read(CHUNK)
            if not chunk:
                break
            try:
                while chunk:
                    data = inflater.decompress(chunk, CHUNK)  # at most CHUNK out per call: memory stays flat
                    out.write(data)
                    written += len(data)
                    if written > limit:
                        raise _bomb(source, limit)
                    if inflater.unconsumed_tail:
                        chunk = inflater.unconsumed_tail
                        continue
                    chunk = inflater.unused_data
                    if inflater.eof and chunk:  # a second member (concatenated .gz files)
                        inflater = zlib.decompressobj(wbits=31)
                    else:
                        chunk = b""
            except zlib.error as exc:
                problem = f"corrupt gzip data ({exc}): read the {written} bytes inflated before it"
                break
        if problem is None and not inflater.eof:
            tail = inflater.flush()
            out.write(tail)
            written += len(tail)
            problem = f"gzip stream cut off: read the {written} bytes inflated before the end"
    if written == 0:
        if problem and problem.startswith("corrupt"):
            raise NotGzip(problem)
        raise InputError(problem or "empty gzip file", file=str(source))
    return [ReadWarning(str(source), None, problem)] if problem else []


def _bomb(source: Path, limit: int) -> InputError:
    """The error for a file that inflates past its bound."""
    return InputError(f"gzip file expands to more than {limit} bytes ({MAX_RATIO}x its compressed size, "
                      f"at least {MIN_LIMIT}): refused as a likely gzip bomb; gunzip it yourself to read it",
                      file=str(source))


def relabel(read: FileRead, file: Plain) -> FileRead:
    """The read with the temporary file's name replaced by the user's, plus the inflating warnings."""
    if not file.inflated:
        return read
    warnings = [replace(w, file=file.label(w.file)) for w in read.warnings]
    source = None if read.config_source is None else file.label(read.config_source)
    return replace(read, file=file.label(read.file), warnings=file.warnings + warnings, config_source=source)


@contextmanager
def named_errors(file: Plain) -> Iterator[None]:
    """Errors raised while reading an inflated copy name the user's file."""
    try:
        yield
    except LossdoctorError as exc:
        if exc.file is not None:
            exc.file = file.label(exc.file)
        raise
