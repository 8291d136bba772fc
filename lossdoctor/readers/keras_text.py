"""Keras' console output (`model.fit(verbose=1|2)` captured to a file): one summary line per epoch.

    Epoch 3/50
    196/196 [==============================] - 10s 49ms/step - loss: nan - accuracy: 0.1000 - val_loss: nan

`Epoch N/M` opens epoch N-1 (0-based, as CSVLogger and History count); the progress bar rewrites
its line with `\\r` (or backspaces) and the epoch's last line carries the final values, so the last
`name: value` pairs before the next `Epoch` line win. `ETA` and timings are not metrics. Values are
printed with 4 decimals (`precision` records it); `nan` and `inf` are the literal numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

from lossdoctor.errors import InputError
from lossdoctor.readers.base import FileRead, Lines
from lossdoctor.readers.jsonl import records_to_columns

NAME = "keras-text"
EPOCH = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$")
NUMBER = r"[-+]?(?:nan|inf|\d+(?:\.\d*)?(?:e[-+]?\d+)?)"
PAIR = re.compile(r" - (?P<key>[A-Za-z_][\w/.]*): (?P<value>" + NUMBER + r")(?=\s|$)", re.IGNORECASE)
SKIP = frozenset({"ETA", "eta"})
MAX_LINE = 1 << 16  # a progress line longer than this is not Keras output


def sniff(head: bytes) -> bool:
    """An `Epoch N/M` line followed, within a few lines, by ` - loss: ` pairs."""
    lines = _lines(head.decode("utf-8", errors="replace"))
    for index, line in enumerate(lines[:200]):
        if EPOCH.match(line):
            return any(" - loss: " in later or "- loss:" in later for later in lines[index + 1 : index + 6])
    return False


def _lines(text: str) -> list[str]:
    """Lines as a terminal shows them: `\\r` and backspace redraws split a line into its versions."""
    return re.split(r"\r\n|\r|\n|\x08+", text)


def read(path: Path) -> FileRead:
    """One record per epoch: the last value of each metric printed before the next `Epoch` line."""
    import numpy as np
    import pandas as pd

    text = path.read_bytes().decode("utf-8", errors="replace")
    epochs: list[int] = []
    records: list[dict[str, float]] = []
    lines: list[int] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        for line in _lines(raw):
            opened = EPOCH.match(line)
            if opened:
                epochs.append(int(opened.group(1)) - 1)
                records.append({})
                lines.append(number)
            elif records and len(line) < MAX_LINE:
                for match in PAIR.finditer(line):
                    if match.group("key") not in SKIP:
                        records[-1][match.group("key")] = float(match.group("value"))
    kept = [i for i, record in enumerate(records) if record]
    if not kept:
        raise InputError("no Keras epoch lines: expected 'Epoch 1/10' followed by '- loss: 0.6931 - …'",
                         file=str(path))
    cols = records_to_columns([records[i] for i in kept], [lines[i] for i in kept])
    read_ = FileRead(file=str(path), rows=pd.DataFrame(cols.values, copy=False),
                     steps=np.asarray([epochs[i] for i in kept], dtype=np.int64),
                     lines=Lines.known(np.asarray([lines[i] for i in kept], dtype=np.int64)), nan=cols.nan,
                     precision={name: 1e-4 for name in cols.values})
    read_.step_unit = "epoch"
    return read_
