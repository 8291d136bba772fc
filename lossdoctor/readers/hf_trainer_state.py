"""Hugging Face `trainer_state.json`: one JSON object whose `log_history` lists the logged entries.

Train entries (`loss`, `learning_rate`, fractional `epoch`) and eval entries
(`eval_loss`, `eval_wer`, ...) share a step: they are merged into one row per step,
because they describe the same moment. The closing summary entry (`train_loss`,
`train_runtime`, `total_flos`) carries the last step too but is not a logged point:
it is set aside.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers.base import FileRead, Lines, read_document, set_aside_note
from lossdoctor.readers.jsonl import records_to_columns
from lossdoctor.readers.nonfinite import Spellings
from lossdoctor.readers.tb_export import to_float

NAME = "hf-trainer-state"
SUMMARY_KEYS = ("train_runtime", "train_loss", "total_flos")
_LOG_HISTORY = re.compile(rb'^\s*\{.*?"log_history"\s*:\s*\[', re.DOTALL)


def sniff(head: bytes) -> bool:
    """An object with a `log_history` list (HF sorts keys, so it comes within the first lines)."""
    return _LOG_HISTORY.match(head.lstrip(b"\xef\xbb\xbf")) is not None


def read(path: Path) -> FileRead:
    """Merge the entries of `log_history` by step; the summary and step-less entries are set aside."""
    import numpy as np
    import pandas as pd

    spellings = Spellings()
    history = _history(path, spellings)
    rows: dict[int, dict[str, Any]] = {}
    set_aside = 0
    for entry in history:
        step = entry.get("step") if isinstance(entry, dict) else None
        if not isinstance(step, int) or isinstance(step, bool) or any(k in entry for k in SUMMARY_KEYS):
            set_aside += 1
            continue
        row = rows.setdefault(step, {})
        for key, value in entry.items():
            number = to_float(value)
            if key != "step" and number is not None:
                row[key] = number
            elif key != "step" and value is None:  # orjson's NaN (see nonfinite.py)
                row.setdefault(key, None)
    if not rows:
        raise InputError("no training entries in log_history (expected dicts with a step)", file=str(path))
    steps = list(rows)
    cols = records_to_columns(list(rows.values()), [0] * len(rows), spellings)
    warnings: list[ReadWarning] = set_aside_note(str(path), set_aside, "summary or step-less log_history")
    warnings += spellings.warnings(str(path))
    return FileRead(file=str(path), rows=pd.DataFrame(cols.values, copy=False),
                    steps=np.asarray(steps, dtype=np.int64),
                    lines=Lines.known(np.ones(len(steps), dtype=np.int64)), nan=cols.nan, warnings=warnings)


def _history(path: Path, spellings: Spellings) -> list[Any]:
    """The `log_history` list; a cut-off or non-JSON file is an error naming the line."""
    text = read_document(path)
    if not text.strip():
        raise InputError("empty file", file=str(path))
    try:
        state = spellings.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not complete JSON ({exc.msg})", file=str(path), line=exc.lineno) from None
    except ValueError as exc:
        raise InputError(f"not JSON we can read ({exc})", file=str(path)) from None
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        raise InputError('no "log_history" list: not a Hugging Face trainer_state.json', file=str(path))
    return history
