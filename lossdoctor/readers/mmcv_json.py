"""MMCV 1.x `<ts>.log.json`: an env/config first line, then `{"mode": "train", "epoch": e, "iter": i, ...}`.

In epoch-based runs `iter` restarts every epoch, so the global step is `(e-1)*n + i`
with n the iterations per epoch. The JSON does not hold n: it is taken from the text
log MMCV writes beside it (`<ts>.log`, `Epoch [1][10/1563]`), else estimated as the
largest logged `iter` and said so (steps are then off by less than one logging
interval per epoch). Val lines carry the val loader's length as `iter`, not a train
step: they are set aside. Iteration-based runs log the global `iter`: used as is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers.base import FileRead, Lines, line_warnings, set_aside_note
from lossdoctor.readers.jsonl import MAX_RECORD_BYTES, TRUNCATED, first_objects, records_to_columns
from lossdoctor.readers.nonfinite import Spellings

NAME = "mmcv-json"
ENV_KEYS = (b'{"env_info"', b'{"mmcv_version"', b'{"seed"')
NO_TRAIN_LINES = ('no training lines: expected MMCV log.json lines like '
                  '{"mode": "train", "epoch": 1, "iter": 10}')
_ITERS_PER_EPOCH = re.compile(r"Epoch \[\d+\]\[\s*\d+/(\d+)\]")


def sniff(head: bytes) -> bool:
    """MMCV's env line first, or JSON lines with `mode` and `epoch`/`iter`."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(ENV_KEYS):
        return True
    return any(obj.get("mode") in ("train", "val") and ("iter" in obj or "epoch" in obj)
               for obj in first_objects(head))


def read(path: Path) -> FileRead:
    """Read the train lines, compute global steps, set aside the val lines and the env line."""
    import numpy as np
    import pandas as pd

    spellings = Spellings()
    records, numbers, val, warnings = _parse(path, spellings)
    if not records:
        raise InputError(NO_TRAIN_LINES, file=str(path))
    steps, note = _global_steps(path, records)
    cols = records_to_columns(records, numbers, spellings)
    warnings += spellings.warnings(str(path))
    for key in ("iter",):
        cols.values.pop(key, None)
        cols.nan.pop(key, None)
    notes = set_aside_note(str(path), val, "validation") + ([note] if note else [])
    return FileRead(file=str(path), rows=pd.DataFrame(cols.values, copy=False),
                    steps=np.asarray(steps, dtype=np.int64), lines=Lines.known(cols.lines_or_rows()),
                    nan=cols.nan, warnings=warnings + notes)


def _parse(
    path: Path, spellings: Spellings
) -> tuple[list[dict[str, Any]], list[int], int, list[ReadWarning]]:
    """Train records with their line numbers, the val count, and warnings for lines that are not JSON."""
    if path.stat().st_size == 0:
        raise InputError("empty file", file=str(path))
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    bad: list[tuple[int, str]] = []
    truncated: list[ReadWarning] = []
    val = 0
    raw_lines = path.read_bytes().split(b"\n")
    for index, raw in enumerate(raw_lines):
        if not raw.strip():
            continue
        if len(raw) > MAX_RECORD_BYTES:
            bad.append((index + 1, f"a line of {len(raw)} bytes, longer than {MAX_RECORD_BYTES} (not read)"))
            continue
        try:
            obj = spellings.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            if index == len(raw_lines) - 1:
                truncated.append(ReadWarning(str(path), index + 1, TRUNCATED))
            else:
                bad.append((index + 1, raw[:40].decode("utf-8", "replace")))
            continue
        if not isinstance(obj, dict) or "mode" not in obj:
            continue  # the env/config line
        if obj["mode"] != "train" or not isinstance(obj.get("iter"), int):
            val += 1
            continue
        records.append({k: v for k, v in obj.items() if k != "mode"})
        numbers.append(index + 1)
    return records, numbers, val, line_warnings(str(path), bad, "not JSON") + truncated


def _global_steps(path: Path, records: list[dict[str, Any]]) -> tuple[list[int], ReadWarning | None]:
    """`iter` as is when it never restarts, else `(epoch-1)*n + iter` with n known or estimated."""
    iters = [int(r["iter"]) for r in records]
    epochs = [int(r.get("epoch", 1)) for r in records]
    pairs = zip(iters, iters[1:], epochs, epochs[1:], strict=False)
    restarts = any(b < a and eb > ea for a, b, ea, eb in pairs)
    if not restarts:
        return iters, None
    per_epoch = iters_per_epoch_beside(path)
    note = None
    if per_epoch is None:
        per_epoch = max(iters)
        note = ReadWarning(str(path), None, (
            f"iterations per epoch are not in the log.json: taken as the largest logged iter ({per_epoch}), "
            "so global steps may be short by less than one logging interval per epoch; the text log "
            "MMCV writes beside it (same name without .json) gives the exact count"))
    return [(e - 1) * per_epoch + i for e, i in zip(epochs, iters, strict=True)], note


def iters_per_epoch_beside(path: Path) -> int | None:
    """n from the first `Epoch [e][i/n]` line of the text log beside a `<ts>.log.json`, if there is one."""
    name = path.name
    if not name.endswith(".json"):
        return None
    text_log = path.with_name(name[: -len(".json")])
    if not text_log.is_file():
        return None
    with text_log.open("r", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = _ITERS_PER_EPOCH.search(line)
            if match:
                return int(match.group(1))
    return None
