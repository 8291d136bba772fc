"""The epoch as a run's axis: per-epoch histories that log no training step.

Keras' `CSVLogger` writes `epoch,accuracy,loss,val_accuracy,val_loss`; a
`pd.DataFrame(history.history).to_csv()` keeps only pandas' row index, and with
`index=False` not even that. In all three the rows are epochs, in order, so the
epoch column, the row index or, failing both, the row's position is the axis, and
the report says which (a run read in row order is told so, never silently).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

from lossdoctor.model import ReadWarning

if TYPE_CHECKING:
    from lossdoctor.readers.wide_csv import Table

EPOCH_COLUMNS = ("epoch", "Epoch")
INDEX_COLUMNS = ("", "Unnamed: 0")
ROW_COLUMN = "\0row"  # the synthetic axis of a history with no index column; never a metric name
_NAME = re.compile(r"[A-Za-z_][\w./ -]{0,199}")
ROW_ORDER_NOTE = ("no step or epoch column: read as one row per epoch, in file order "
                  "(the first row is epoch 0)")


def is_history(head: bytes, header: list[str]) -> bool:
    """A header of plain metric names, a loss or accuracy among them, over a row of numbers only.

    Strict on purpose: a JSON line or a text log must never pass for a table.
    """
    names = [name for name in header if name not in INDEX_COLUMNS]
    if not names or not all(_NAME.fullmatch(name) for name in names):
        return False
    if not any("loss" in name.lower() or "acc" in name.lower() for name in names):
        return False
    lines = head.decode("utf-8", errors="replace").replace("\r", "\n").split("\n")
    rows = [line for line in lines[1:] if line.strip()]
    if not rows:
        return False
    cells = next(csv.reader([rows[0]]))
    return len(cells) == len(header) and all(_number(cell) for cell in cells)


def _number(cell: str) -> bool:
    cell = cell.strip()
    if not cell:
        return True
    try:
        float(cell)
    except ValueError:
        return False
    return True


def record_epochs(path: Path, records: list[dict[str, float]]) -> tuple[str | None, list[ReadWarning]]:
    """The epoch key of JSON records with no step (Keras' `history.history` dumped as JSON): `epoch`,
    else each record's position, said in a note; None when the records are not a loss history."""
    if any(name in record for record in records for name in EPOCH_COLUMNS):
        return next(n for n in EPOCH_COLUMNS if any(n in r for r in records)), []
    keys = {key for record in records for key in record}
    if not records or not any("loss" in key.lower() or "acc" in key.lower() for key in keys):
        return None, []
    for position, record in enumerate(records):
        record[ROW_COLUMN] = float(position)
    return ROW_COLUMN, [ReadWarning(str(path), None, ROW_ORDER_NOTE)]


def lightning_hparams(path: Path) -> tuple[dict[str, object], str | None]:
    """Lightning's `hparams.yaml` beside `metrics.csv`, safely loaded (`num_classes` says what chance is)."""
    import yaml

    hparams = path.parent / "hparams.yaml"
    if not hparams.is_file() or hparams.stat().st_size > 1 << 20:
        return {}, None
    try:
        loaded = yaml.safe_load(hparams.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError:  # python/object tags and the like: the hyperparameters are not data here
        return {}, None
    return (loaded, str(hparams)) if isinstance(loaded, dict) and loaded else ({}, None)


def pandas_blanks_are_nan(table: Table, axis: str | None) -> None:
    """In a history pandas wrote (`to_csv`: an index column or none), a blank cell is NaN, not "not logged".

    pandas writes NaN as an empty cell; every row of `history.history` is an epoch that logged
    every key. Keras' CSVLogger (an `epoch` column) writes `nan` itself, so its blanks stay blanks.
    """
    import numpy as np

    if axis is None or axis in EPOCH_COLUMNS:
        return
    for name, column in table.values.items():
        if name != axis and name not in INDEX_COLUMNS:
            table.nan[name] = np.isnan(column)


def epoch_column(path: Path, table: Table) -> tuple[str | None, list[ReadWarning]]:
    """The column that counts epochs (added for row order), and the note saying how it was chosen."""
    import numpy as np

    found = next((name for name in EPOCH_COLUMNS + INDEX_COLUMNS if name in table.values), None)
    if found is not None:
        return found, []
    if not table.rows or not table.values:
        return None, []
    table.values[ROW_COLUMN] = np.arange(table.rows, dtype=np.float64)
    return ROW_COLUMN, [ReadWarning(str(path), None, ROW_ORDER_NOTE)]
