"""The readers' registry: every format by name, and `detect`, which finds a file's format by content.

Detection reads only the first bytes of a file, never its name: a `scalars.json` renamed `run.log`
is still JSON lines. It sits apart from the package's `read_paths` so that `discover` (which
walks folders and asks the format of what it finds) imports it one way.
"""

from __future__ import annotations

from pathlib import Path

from lossdoctor.errors import InputError
from lossdoctor.readers import (
    gzipped,
    hf_trainer_state,
    json_doc,
    jsonl,
    keras_text,
    mlflow,
    mmcv_json,
    mmcv_text,
    mmengine_scalars,
    mmengine_text,
    tb_csv,
    tb_export,
    tb_json,
    tfevents,
    wide_csv,
)
from lossdoctor.readers.base import HEAD_BYTES, Reader, looks_binary, read_head

# Detection order: the most specific sniffers first (MMEngine's JSON is also generic JSON lines).
READERS: dict[str, Reader] = {
    tfevents.NAME: tfevents,  # first: its sniff is a CRC check that no text file passes
    hf_trainer_state.NAME: hf_trainer_state,  # one object with a `log_history` list
    tb_json.NAME: tb_json,  # `[[wall, step, value], ...]`
    tb_csv.NAME: tb_csv,  # the exact header `Wall time,Step,Value` (before the generic csv)
    mmcv_json.NAME: mmcv_json,  # `mode` + `iter` lines: before jsonl, which takes any `iter`
    mmengine_scalars.NAME: mmengine_scalars,
    mmengine_text.NAME: mmengine_text,  # `YYYY/MM/DD` stamps
    mmcv_text.NAME: mmcv_text,  # `YYYY-MM-DD ...,mmm` stamps
    keras_text.NAME: keras_text,  # `Epoch 1/10` then `- loss: ...`: Keras' console output
    json_doc.NAME: json_doc,  # one document: before jsonl, whose sniff also takes a one-line dict of lists
    wide_csv.NAME: wide_csv,
    jsonl.NAME: jsonl,
    mlflow.NAME: mlflow,  # a folder, never sniffed: found by its layout (`_detect`)
}
# Formats holding one tag per file: a folder (or several files) of them is joined into runs by tb_export.
TB_EXPORTS: dict[str, tb_export.PointsReader] = {
    tb_csv.NAME: tb_csv.read_points,
    tb_json.NAME: tb_json.read_points,
}
FORMATS: tuple[str, ...] = tuple(READERS)
# The most `detect` reads when the first record does not fit in HEAD_BYTES (same as one JSON line's bound).
FIRST_RECORD_BYTES = jsonl.MAX_RECORD_BYTES

def known_formats() -> str:
    """The format names, for error messages."""
    return ", ".join(FORMATS)


def detect(path: Path) -> str:
    """The format of a file from its first bytes; InputError naming the file when none fits.

    The first HEAD_BYTES usually hold several records. When the first record alone is
    longer (a JSON line or CSV header of thousands of metrics), it is read whole, up to
    FIRST_RECORD_BYTES, and sniffed alone; past that the error says to pass --input-format.
    """
    head = _head(path, HEAD_BYTES)
    if not head.strip():
        raise InputError("empty file", file=str(path))
    name = _sniff(head)
    if name is None and len(head) >= HEAD_BYTES and b"\n" not in head.rstrip(b"\r\n"):
        longer = _head(path, FIRST_RECORD_BYTES)
        end = longer.find(b"\n")
        if end < 0 and len(longer) >= FIRST_RECORD_BYTES:
            raise InputError(f"the first line is longer than {FIRST_RECORD_BYTES} bytes: cannot tell the "
                             f"format; pass --input-format (known formats: {known_formats()})",
                             file=str(path))
        name = _sniff(longer if end < 0 else longer[: end + 1])
    if name is not None:
        return name
    if looks_binary(head):
        raise InputError(f"binary file, not a training log (known formats: {known_formats()})",
                         file=str(path))
    raise InputError(f"not a recognised training log (known formats: {known_formats()})", file=str(path))


def _head(path: Path, size: int) -> bytes:
    """The first `size` bytes, inflated when the file is gzipped (gzip is transparent)."""
    head = read_head(path, size)
    return gzipped.inflated_head(path, size) if head.startswith(gzipped.MAGIC) else head


def _sniff(head: bytes) -> str | None:
    """The first format whose sniffer takes `head`."""
    return next((name for name, reader in READERS.items() if reader.sniff(head)), None)
