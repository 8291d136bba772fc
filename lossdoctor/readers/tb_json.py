"""TensorBoard's JSON export of one tag: one line `[[wall, step, value], ...]`, no trailing newline.

Non-finite values are the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (strict JSON
has no numbers for them). The tag is only in the file name, as for the CSV export.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers import tb_export
from lossdoctor.readers.base import FileRead, Lines, line_warnings, read_document
from lossdoctor.readers.nonfinite import Spellings

NAME = "tb-json"
_START = re.compile(rb"\s*\[\s*\[\s*-?[\d.]")


def sniff(head: bytes) -> bool:
    """A list of lists whose first item starts with a number (the wall time)."""
    return _START.match(head.lstrip(b"\xef\xbb\xbf")) is not None


def read(path: Path) -> FileRead:
    """One exported tag as a run; a folder of them goes through `tb_export.read_exports`."""
    return tb_export.read_single(path, read_points)


def read_points(path: Path, label: str) -> tb_export.Points:
    """Parse the list; a malformed point is named by its position and skipped, the rest kept."""
    import numpy as np

    text = read_document(path, label)
    if not text.strip():
        raise InputError("empty file", file=label)
    spellings = Spellings()
    try:
        data = spellings.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not complete JSON at line {exc.lineno} column {exc.colno} ({exc.msg}): "
                         "a TensorBoard JSON export is one list [[wall_time, step, value], ...]",
                         file=label, line=exc.lineno) from None
    except ValueError as exc:
        raise InputError(f"not JSON we can read ({exc})", file=label) from None
    if not isinstance(data, list):
        raise InputError("not a TensorBoard JSON export: expected a list [[wall_time, step, value], ...]",
                         file=label)
    rows: list[tuple[float, float, float]] = []
    bad: list[tuple[int, str]] = []
    for index, item in enumerate(data, 1):
        parsed = _point(item, spellings)
        if parsed is None:
            bad.append((index, f"point {index} is {json.dumps(item)[:40]}, not [wall_time, step, value]"))
        else:
            rows.append(parsed)
    if not rows:
        raise InputError("no points: expected [[wall_time, step, value], ...]", file=label)
    array = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    run, tag = tb_export.name_parts(Path(label).name)
    warnings = [ReadWarning(label, None, w.message) for w in line_warnings(label, bad, "point skipped")]
    warnings += spellings.warnings(label)
    return tb_export.Points(file=label, run=run, tag=tag, wall=array[:, 0],
                            steps=array[:, 1].astype(np.int64), values=array[:, 2], nan=np.isnan(array[:, 2]),
                            lines=Lines.known(np.ones(len(rows), dtype=np.int64)), warnings=warnings)


def _point(item: object, spellings: Spellings) -> tuple[float, float, float] | None:
    """[wall, step, value] as floats; None when it is anything else. A null value is orjson's NaN."""
    if not isinstance(item, list) or len(item) != 3:
        return None
    wall, step, value = (tb_export.to_float(x) for x in item)
    if value is None and item[2] is None:
        spellings.null(1)
        value = float("nan")
    if wall is None or step is None or value is None or step != step:
        return None
    return wall, step, value
