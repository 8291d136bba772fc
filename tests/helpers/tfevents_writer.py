"""Write a run (a step-indexed frame of metrics) into a TensorBoard event file with TensorBoard's own classes.

Why TensorBoard's writer and not our own framing: a test that writes with the reader's idea of the
format proves nothing. `EventFileWriter` frames and CRCs the records (its pure-Python CRC is fine
for test-sized runs) and names the file `events.out.tfevents.<time>.<host>.<pid>.<n>`; the events
are `tensorboard.compat.proto` `Event`/`Summary` messages, one scalar per event as MMEngine's
`TensorboardVisBackend` and torch's `SummaryWriter.add_scalar` write them. `tensor=True` writes
each scalar as a `DT_FLOAT` scalar tensor with the `scalars` plugin, as `tf.summary.scalar` (TF2)
and torch's `new_style=True` do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def scalar_value(tag: str, value: float, tensor: bool = False) -> Any:
    """One `Summary.Value`: a `simple_value`, or a float32 scalar tensor tagged for the scalars plugin."""
    from tensorboard.compat.proto import summary_pb2, tensor_pb2, types_pb2

    if not tensor:
        return summary_pb2.Summary.Value(tag=tag, simple_value=value)
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[value])
    return summary_pb2.Summary.Value(tag=tag, tensor=proto, metadata=metadata)


def write_event_file(
    folder: Path,
    frame: pd.DataFrame,
    *,
    nan_steps: Mapping[str, Sequence[int] | np.ndarray] | None = None,
    tensor: bool = False,
    extra: Sequence[Any] = (),
    wall_start: float = 1795573939.0,
    suffix: str = "",
) -> Path:
    """Write `frame` (index: step; columns: tags) as one event per (step, tag), in step order.

    A NaN cell is left out (not logged) unless `nan_steps[tag]` lists its step, as `RunData`
    keeps the two apart. `extra` events are written first, after the file-version record.
    """
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    folder.mkdir(parents=True, exist_ok=True)
    writer = EventFileWriter(str(folder), filename_suffix=suffix)
    for event in extra:
        writer.add_event(event)
    literal = {tag: set(np.asarray(steps).tolist()) for tag, steps in (nan_steps or {}).items()}
    for row, (step, values) in enumerate(frame.iterrows()):
        for tag, value in values.items():
            number = float(value)
            if np.isnan(number) and int(step) not in literal.get(str(tag), ()):
                continue
            summary = summary_pb2.Summary(value=[scalar_value(str(tag), number, tensor)])
            writer.add_event(event_pb2.Event(wall_time=wall_start + row, step=int(step), summary=summary))
    writer.close()
    written = sorted(folder.glob(f"events.out.tfevents.*{suffix}"), key=lambda p: p.stat().st_mtime_ns)
    return written[-1]


def write_run(folder: Path, run: Any, **options: Any) -> Path:
    """Write a `RunData` (its frame and literal NaNs) into an event file in `folder`."""
    return write_event_file(folder, run.frame, nan_steps=run.nan_steps, **options)
