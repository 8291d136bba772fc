"""Keras' TensorBoard logdir: `train/` and `validation/` event files, one `epoch_*` scalar per epoch.

`keras.callbacks.TensorBoard` writes `epoch_loss`, `epoch_accuracy`, … with the epoch as the
step, under `train/` for the training metrics and `validation/` for the same names on the
validation data; `batch_*` (update_freq) and `evaluation_*_vs_iterations` count batches on
another axis and are left out. So `train/epoch_loss` is `loss`, `validation/epoch_loss` is
`val_loss`, as Keras' own History and CSVLogger name them, and the axis is the epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers import tfevents
from lossdoctor.readers.base import FileRead, Lines

if TYPE_CHECKING:
    import pandas as pd

SPLITS = {"train": "", "validation": "val_"}
EPOCH_PREFIX = "epoch_"


def split_files(folder: Path) -> dict[str, list[Path]]:
    """The event files of each split folder of a Keras logdir, launches in order (empty: not one)."""
    found: dict[str, list[Path]] = {}
    for split in SPLITS:
        sub = folder / split
        files = [p for p in sub.glob(tfevents.FILE_GLOB) if p.is_file()] if sub.is_dir() else []
        if files:
            found[split] = tfevents.launch_order(files)
    return found


def is_logdir(folder: Path) -> bool:
    """A folder with a `train/` (or `validation/`) of event files and no event file of its own."""
    return folder.is_dir() and not any(folder.glob(tfevents.FILE_GLOB)) and bool(split_files(folder))


def read_logdir(folder: Path) -> FileRead:
    """Both splits joined on the epoch; within a split a later launch wins where epochs overlap."""
    import numpy as np

    values: pd.DataFrame | None = None
    literal: pd.DataFrame | None = None
    skipped: list[ReadWarning] = []
    for split, files in split_files(folder).items():
        for file in files:
            try:
                read_ = tfevents.read(file)
            except InputError as exc:  # a graph-only train/ file, an empty validation/ one: keep the others
                skipped.append(ReadWarning(str(file), None, f"skipped: {exc.message}"))
                continue
            skipped += read_.warnings
            part, nan = _epoch_columns(read_, SPLITS[split])
            if part.empty:
                continue
            values = part if values is None else part.combine_first(values)
            literal = nan if literal is None else nan.combine_first(literal)
    if values is None or literal is None:
        why = "; ".join(f"{Path(w.file).parent.name}/{Path(w.file).name}: {w.message}" for w in skipped)
        raise InputError("a Keras TensorBoard logdir with no epoch_* scalars in train/ or validation/"
                         + (f" ({why})" if why else ""), file=str(folder))
    values = values.sort_index()
    literal = literal.reindex(index=values.index, columns=values.columns).fillna(False).astype(bool)
    nan_masks = {str(name): literal[name].to_numpy() for name in literal if literal[name].any()}
    steps = values.index.to_numpy(dtype=np.int64)
    read_out = FileRead(file=str(folder), rows=values.reset_index(drop=True), steps=steps,
                        lines=Lines.known(np.arange(1, len(steps) + 1, dtype=np.int64)), nan=nan_masks,
                        warnings=skipped)
    read_out.step_unit = "epoch"
    return read_out


def _epoch_columns(read_: FileRead, prefix: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `epoch_*` tags of one file renamed as Keras' History does, indexed by epoch."""
    import numpy as np
    import pandas as pd

    names = {raw: prefix + raw[len(EPOCH_PREFIX):] for raw in read_.rows.columns
             if raw.startswith(EPOCH_PREFIX) and len(raw) > len(EPOCH_PREFIX)}
    index = pd.Index(read_.steps, name="step")
    part = pd.DataFrame({new: read_.rows[raw].to_numpy() for raw, new in names.items()}, index=index)
    none = np.zeros(len(index), dtype=bool)
    nan = pd.DataFrame({new: read_.nan.get(raw, none) for raw, new in names.items()}, index=index)
    keep = part.notna().any(axis=1).to_numpy() | nan.any(axis=1).to_numpy()
    return part[keep], nan[keep]
