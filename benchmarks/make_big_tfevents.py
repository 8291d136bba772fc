"""Generate a big, realistic TensorBoard event file for the ``tfevents`` reader benchmark.

Why this shape: MMEngine's ``TensorboardVisBackend`` (and torch's ``SummaryWriter.add_scalar``)
write one event per scalar, so a run of 26 tags logged every step for 200k steps is 5.2 million
records of ~60 bytes each. That per-record count, not the byte count, is what an event reader pays
for, so the benchmark file has it. The values are the curves of ``make_big_scalars.py`` (same seed,
same relations), written as float32 ``simple_value`` the way MMEngine writes them, after a
``file_version`` record and a ``config/text_summary`` text record (a string tensor a scalar reader
must skip). ``dbg/update_ratio/logvar_head`` starts half-way (a late tag) and one ``loss_kl`` is NaN.

The records are serialised with TensorBoard's own ``Event`` protobuf class and framed as
TensorBoard's ``RecordWriter`` frames them (``uint64 length, uint32 masked crc32c(length), data,
uint32 masked crc32c(data)``); the CRC comes from the ``google-crc32c`` C library because
TensorBoard's pure-Python one would take minutes for 5.2M records. Deterministic: the same bytes on
every machine (wall times are derived from the step, not the clock).
"""

from __future__ import annotations

import argparse
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_big_scalars import DATA_DIR, LATE_KEY, NAN_KEY, SEED, generate_columns, train_keys

DEFAULT_STEPS = 200_000
# The bench key set's 22 metrics, two more counters, one zero-weight shadow and MMEngine's `iter`: 26.
EXTRA_TAGS = ("dbg/dino_t_head_has_grad", "dbg/dino_t_head_trainable", "loss_dbg_grad_flow", "iter")
START_WALL = 1795573939.0
CONFIG_TEXT = "model = dict(type='FlowGen')\ntrain_cfg = dict(type='IterBasedTrainLoop', max_iters=200000)\n"


def tags() -> list[str]:
    """The 26 tags of one logged step, in MMEngine's order."""
    return train_keys("bench") + list(EXTRA_TAGS)


def _masked_crc(data: bytes) -> int:
    """TensorBoard's masked CRC32C: rotate right by 15 and add a constant (see RecordWriter)."""
    import google_crc32c

    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One record as TensorBoard's RecordWriter writes it."""
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", _masked_crc(header)) + data + struct.pack("<I", _masked_crc(data))


def write_file(path: Path, steps: int) -> None:
    """Write the event file: version record, text config record, then one record per (step, tag)."""
    import numpy as np
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

    names = tags()
    cols = generate_columns(steps, "full", SEED)
    cols["iter"] = np.arange(1, steps + 1, dtype=np.float64)
    cols[NAN_KEY][(3 * steps) // 5] = np.nan
    late_from = steps // 2
    with path.open("wb") as out:
        version = event_pb2.Event(wall_time=START_WALL, file_version="brain.Event:2")
        out.write(frame(version.SerializeToString()))
        text = tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING, string_val=[CONFIG_TEXT.encode()],
            tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)]),
        )  # fmt: skip
        plugin = summary_pb2.SummaryMetadata.PluginData(plugin_name="text")
        meta = summary_pb2.SummaryMetadata(plugin_data=plugin)
        config = event_pb2.Event(wall_time=START_WALL, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="config/text_summary", tensor=text, metadata=meta)]))
        out.write(frame(config.SerializeToString()))
        event = event_pb2.Event()
        value = event.summary.value.add()
        per_tag = [cols[name].astype(np.float32).tolist() for name in names]
        chunk: list[bytes] = []
        for row in range(steps):
            event.step = row + 1
            event.wall_time = START_WALL + 0.005 * (row + 1)
            for index, name in enumerate(names):
                if name == LATE_KEY and row < late_from:
                    continue
                value.tag = name
                value.simple_value = per_tag[index][row]
                chunk.append(frame(event.SerializeToString()))
            if len(chunk) >= 100_000:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))


def default_path(steps: int) -> Path:
    """The file name encodes the step count (and the name keeps TensorBoard's pattern)."""
    return DATA_DIR / f"tfevents_{steps}" / "events.out.tfevents.1795573939.bench.0"


def ensure_file(steps: int = DEFAULT_STEPS, regen: bool = False, path: Path | None = None) -> Path:
    """The benchmark file, generated only when missing (or when ``regen``), via a temporary name."""
    path = path or default_path(steps)
    if path.exists() and not regen:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    t0 = time.perf_counter()
    write_file(tmp, steps)
    tmp.replace(path)
    size_mb = path.stat().st_size / 1e6
    print(f"generated {path} ({steps} steps x {len(tags())} tags, {size_mb:.1f} MB) "
          f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def main(argv: list[str] | None = None) -> int:
    """CLI: print the path of the (possibly freshly generated) event file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="logged steps (default 200000)")
    parser.add_argument("--regen", action="store_true", help="regenerate even if the file exists")
    parser.add_argument("--output", type=Path, default=None, help="write here instead of benchmarks/data/")
    args = parser.parse_args(argv)
    print(ensure_file(args.steps, args.regen, args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
