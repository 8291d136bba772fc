"""Generic JSON documents: a list of objects (`[{"step": 1, "loss": ...}, ...]`) or a dict of lists.

What a custom logger dumps at the end of a run. The step column is the first of
`step`, `iter`, `global_step`, `_step`; the strings `"NaN"`/`"Infinity"` (strict
JSON writers), bare `nan`/`inf` and a `null` under a numeric key are read as the
non-finite numbers they stand for (see `nonfinite.py`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers import epoch_axis
from lossdoctor.readers.base import FileRead, Lines, read_document, set_aside_note
from lossdoctor.readers.jsonl import STEP_KEYS, first_objects, records_to_columns
from lossdoctor.readers.nonfinite import Spellings
from lossdoctor.readers.tb_export import to_float

NAME = "json"
_ARRAY_OF_OBJECTS = re.compile(rb"\s*\[\s*\{")
_DICT_OF_LISTS = re.compile(rb'\s*\{\s*"(?:[^"\\]|\\.)*"\s*:\s*\[')


def sniff(head: bytes) -> bool:
    """A JSON array whose first item is an object, or an object whose first value is a list."""
    head = head.lstrip(b"\xef\xbb\xbf")
    if _ARRAY_OF_OBJECTS.match(head) is not None:
        return True
    one_line = first_objects(head, limit=1)
    if one_line:  # a complete object on the first line: a dict of lists, or JSON lines (not ours)
        return any(isinstance(value, list) for value in one_line[0].values())
    return _DICT_OF_LISTS.match(head) is not None


def read(path: Path) -> FileRead:
    """Records from either shape, rows without a step set aside."""
    import numpy as np
    import pandas as pd

    spellings = Spellings()
    data = _load(path, spellings)
    records, warnings = _records(path, data)
    step_key = next((k for k in STEP_KEYS if any(k in r for r in records)), None)
    unit = "step"
    if step_key is None:  # a per-epoch history (Keras' History as JSON): the epoch, else the position
        step_key, notes = epoch_axis.record_epochs(path, records)
        unit, warnings = "epoch", warnings + notes
    if step_key is None:
        raise InputError(f"no step column: expected one of {', '.join(STEP_KEYS)}", file=str(path))
    kept = [r for r in records if r.get(step_key) is not None and r[step_key] == r[step_key]]
    warnings += set_aside_note(str(path), len(records) - len(kept), f'JSON (no "{step_key}")')
    if not kept:
        raise InputError(f'no records with a "{step_key}"', file=str(path))
    steps = np.asarray([r.pop(step_key) for r in kept], dtype=np.float64).astype(np.int64)
    cols = records_to_columns(kept, [1] * len(kept), spellings)
    warnings += spellings.warnings(str(path))
    read_ = FileRead(file=str(path), rows=pd.DataFrame(cols.values, copy=False), steps=steps,
                     lines=Lines.known(cols.lines_or_rows()), nan=cols.nan, warnings=warnings)
    read_.step_unit = unit
    return read_


def _load(path: Path, spellings: Spellings) -> Any:
    text = read_document(path)
    if not text.strip():
        raise InputError("empty file", file=str(path))
    try:
        return spellings.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not complete JSON ({exc.msg})", file=str(path), line=exc.lineno) from None
    except ValueError as exc:
        raise InputError(f"not JSON we can read ({exc})", file=str(path)) from None


def _records(path: Path, data: Any) -> tuple[list[dict[str, Any]], list[ReadWarning]]:
    """One dict of floats per record, from a list of objects or from a dict of equal-length lists."""
    warnings: list[ReadWarning] = []
    if isinstance(data, list):
        objects = [item for item in data if isinstance(item, dict)]
        if len(objects) != len(data):
            warnings.append(ReadWarning(str(path), None,
                                        f"{len(data) - len(objects)} array items are not objects: skipped"))
        return [_floats(item) for item in objects], warnings
    if isinstance(data, dict):
        lists = {k: v for k, v in data.items() if isinstance(v, list)}
        length = max((len(v) for v in lists.values()), default=0)
        step_len = next((len(lists[k]) for k in STEP_KEYS if k in lists), length)
        records: list[dict[str, Any]] = [{} for _ in range(step_len)]
        for key, values in lists.items():
            if len(values) != step_len:
                warnings.append(ReadWarning(str(path), None, f'list "{key}" has {len(values)} values, '
                                            f"the step list {step_len}: skipped"))
                continue
            for record, value in zip(records, values, strict=True):
                number = to_float(value)
                if number is not None or value is None:  # a null: NaN if the key is numeric elsewhere
                    record[key] = number
        return records, warnings
    raise InputError("not a list of records or a dict of lists", file=str(path))


def _floats(item: dict[str, Any]) -> dict[str, float | None]:
    """The numbers of one record, and its nulls (read as NaN under a numeric key, by records_to_columns)."""
    return {k: f for k, v in item.items() if (f := to_float(v)) is not None or v is None}
