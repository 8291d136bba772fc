"""What every format reader hands to `lossdoctor.readers.frame`, and the protocol it satisfies.

A reader knows one file format and nothing else: it turns one file into rows of
raw-named float columns plus the step of each row, in file order. Stitching
launches, canonical names, shadows and literal-NaN bookkeeping all happen once,
in `frame.py`, so every format gets them identically.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lossdoctor.model import ReadWarning

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# An MMEngine launch: its folder, text log and JSON twin are named for its start time, YYYYMMDD_HHMMSS.
LAUNCH_STAMP = re.compile(r"\d{8}_\d{6}")

# How much of a file `detect` looks at: enough for a few JSON lines or a text log's first lines.
HEAD_BYTES = 64 * 1024
# One JSON document (trainer_state.json, a JSON export) parsed at most: parsed, JSON costs ~8x its size.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
# Individual "not JSON"/"not parsed" warnings kept per file before a summary takes over.
MAX_LINE_WARNINGS = 20


class Lines:
    """1-based line number of each row, computed on first use.

    The pyarrow path does not know line numbers; recounting a 165 MB file costs a
    pass over it, so it is done only when a warning (duplicate step, resume) needs one.
    """

    def __init__(self, loader: Callable[[], np.ndarray]) -> None:
        self._loader = loader
        self._cache: np.ndarray | None = None

    @classmethod
    def known(cls, lines: np.ndarray) -> Lines:
        """Line numbers already counted while parsing."""
        made = cls(lambda: lines)
        made._cache = lines
        return made

    def get(self) -> np.ndarray:
        """The line numbers, one per row."""
        if self._cache is None:
            self._cache = self._loader()
        return self._cache


@dataclass
class FileRead:
    """One file's training rows, in file order, before stitching.

    `rows` holds float64 columns under the names the file used; `steps[i]` is the
    training step of row i and `lines[i]` its 1-based line in the file, so any
    later warning (duplicate step, resume) can point at a line. `nan[raw]` marks
    the rows where the file literally held NaN, which a missing key cannot fake.
    """

    file: str
    rows: pd.DataFrame
    steps: np.ndarray
    lines: Lines
    nan: dict[str, np.ndarray] = field(default_factory=dict)
    warnings: list[ReadWarning] = field(default_factory=list)
    precision: dict[str, float] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    config_source: str | None = None
    step_unit: str = "step"  # "epoch" when the file's axis is the epoch (a per-epoch history)


class Reader(Protocol):
    """A reader module: a format name, a content sniffer and a reader of one file."""

    NAME: str

    def sniff(self, head: bytes) -> bool:
        """True when the first bytes of a file look like this format."""
        ...

    def read(self, path: Path) -> FileRead:
        """Read one file; raise InputError only when nothing in it is usable."""
        ...


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first bytes of a file, for sniffing without reading a large log twice."""
    with path.open("rb") as handle:
        return handle.read(size)


def read_document(path: Path, label: str | None = None) -> str:
    """A whole-file JSON document as text; past MAX_DOCUMENT_BYTES an InputError, not gigabytes of objects."""
    from lossdoctor.errors import InputError

    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise InputError(f"a single JSON document of {size} bytes, more than {MAX_DOCUMENT_BYTES}: "
                         "too large to parse at once (export it as JSON lines)", file=label or str(path))
    return path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")


def looks_binary(head: bytes) -> bool:
    """A NUL byte in the head means a binary file, never a text or JSON-lines log."""
    return b"\x00" in head


def line_warnings(file: str, bad: list[tuple[int, str]], what: str) -> list[ReadWarning]:
    """One warning per skipped line up to a cap, then one summary, so a junk file stays readable."""
    out = [ReadWarning(file, line, f"{what}: {detail}") for line, detail in bad[:MAX_LINE_WARNINGS]]
    if len(bad) > MAX_LINE_WARNINGS:
        out.append(ReadWarning(file, None, f"{len(bad) - MAX_LINE_WARNINGS} more lines skipped ({what})"))
    return out


def set_aside_note(file: str, count: int, what: str) -> list[ReadWarning]:
    """The single note saying how many validation lines were kept out of the frame."""
    if not count:
        return []
    plural = "s" if count != 1 else ""
    return [ReadWarning(file, None, f"{count} {what} line{plural} set aside (not training steps)")]
