"""TensorBoard event files (`events.out.tfevents.*`): scalars as `simple_value` or as scalar tensors.

An event file is TFRecord framing around serialised `tensorboard.Event` protobufs, one record
each: `uint64 length, uint32 masked crc32c(length), data, uint32 masked crc32c(data)`. It has no
magic string, so `sniff` checks the first record's framing and CRC.

Why not TensorBoard's own loader or tbparse: without TensorFlow both check CRCs in pure Python and
build a Python object per event (17.8 s and 8.7 s for 480k scalars). Here one tight Python loop
only walks the framing and hands each record to a C CRC32C (`google-crc32c`, Apache-2.0; as fast
as the LGPL `crc32c` per call, and faster in this loop); the CRC comparisons, and the parsing of
the common record shape (a `simple_value` event as MMEngine, torch's `SummaryWriter.add_scalar`
and `tf.summary` v1 write it), are vectorised with numpy over the whole file. Every other record
(scalar tensors, several values per event, text, graphs, histograms) is parsed with TensorBoard's
`Event` class, imported lazily: `tensorboard` and `google-crc32c` are the `tensorboard` extra.

What is kept: the last value written for each (step, tag), step = `event.step`; non-scalar
summaries and config/graph records are ignored, except MMEngine's `config/text_summary`, read as
the training config when no `config.py` sits beside the file. A file cut off mid-record (a live or
killed writer) is read up to its last whole record; a record whose data CRC does not match is
skipped; a corrupt length stops the reading there (the framing is lost). Each is a warning naming
the record and byte offset.
"""

from __future__ import annotations

import re
import struct
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers.base import MAX_LINE_WARNINGS, FileRead, Lines

if TYPE_CHECKING:
    import numpy as np

NAME = "tfevents"
INSTALL_HINT = "install the extra: pip install 'lossdoctor[tensorboard]'"
FILE_GLOB = "events.out.tfevents.*"
# The timestamp TensorBoard writers put in the file name: `events.out.tfevents.<seconds>.<host>...`.
_NAME_TIME = re.compile(r"events\.out\.tfevents\.(\d+)")
_MASK_DELTA = 0xA282EAD8
_HEADER = 12  # uint64 length + uint32 masked crc of it
_FOOTER = 4  # uint32 masked crc of the data
_PREFIX = 24  # bytes of a scalar event before its tag: wall_time, step, summary/value headers
# MMEngine's TensorboardVisBackend.add_config writes the config as this text summary.
CONFIG_TAG = "config/text_summary"
# Bookkeeping tags MMEngine writes beside the metrics; dropped when they only repeat the step.
STEP_ECHO_TAGS = ("iter", "step")
_SCALAR_PLUGINS = ("", "scalars")
_CASTAGNOLI = 0x82F63B78
_table: list[int] = []


def available() -> bool:
    """True when the extra's modules are installed (checked without importing them)."""
    from importlib.util import find_spec

    try:
        return find_spec("google_crc32c") is not None and find_spec("tensorboard") is not None
    except (ImportError, ValueError):
        return False


def _crc32c_py(data: bytes) -> int:
    """CRC32C in pure Python: enough for sniffing one record without the extra installed."""
    if not _table:
        for byte in range(256):
            crc = byte
            for _ in range(8):
                crc = (crc >> 1) ^ (_CASTAGNOLI if crc & 1 else 0)
            _table.append(crc)
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(crc: int) -> int:
    """TensorBoard's masked CRC: rotate right by 15 bits, add a constant (a CRC of CRCs stays useful)."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def sniff(head: bytes) -> bool:
    """The first record's framing holds: its length's CRC matches, and its data's when it is in the head.

    A text or JSON file passes the length CRC by chance once in 2**32; the data CRC (the first
    record is the tiny `file_version` one in every writer) makes it hopeless.
    """
    if len(head) < _HEADER:
        return False
    length, length_crc = struct.unpack_from("<QI", head, 0)
    if length == 0 or masked(_crc32c_py(head[:8])) != length_crc:
        return False
    end = _HEADER + length
    if end + _FOOTER <= len(head) and length <= 4096:
        return masked(_crc32c_py(head[_HEADER:end])) == struct.unpack_from("<I", head, end)[0]
    return True


def _dependencies(path: Path) -> tuple[Callable[[bytes], int], Any]:
    """The C CRC32C function and TensorBoard's `Event` class, or the message saying how to get them."""
    try:
        import google_crc32c
        from tensorboard.compat.proto.event_pb2 import Event
    except ImportError as exc:
        missing = exc.name or str(exc)
        raise InputError(f"a TensorBoard event file needs the optional packages tensorboard and "
                         f"google-crc32c ({missing} is missing): {INSTALL_HINT}", file=str(path)) from exc
    return google_crc32c.value, Event


def launch_order(paths: list[Path]) -> list[Path]:
    """Event files of one logdir as launches: by the creation time in the name, then by name."""
    def key(path: Path) -> tuple[int, str]:
        match = _NAME_TIME.match(path.name)
        return (int(match.group(1)) if match else 0, path.name)

    return sorted(paths, key=key)


@dataclass
class _Records:
    """The whole records of a file: data offsets and lengths, and what was wrong with the rest."""

    starts: np.ndarray
    lengths: np.ndarray
    warnings: list[ReadWarning] = field(default_factory=list)


@dataclass
class _Scalars:
    """Scalar values in record order: record number, step, tag code and value (float64)."""

    record: list[np.ndarray] = field(default_factory=list)
    step: list[np.ndarray] = field(default_factory=list)
    tag: list[np.ndarray] = field(default_factory=list)
    value: list[np.ndarray] = field(default_factory=list)
    tags: dict[str, int] = field(default_factory=dict)

    def code(self, tag: str) -> int:
        """The number of a tag, given on first sight."""
        return self.tags.setdefault(tag, len(self.tags))


def read(path: Path) -> FileRead:
    """Read the scalars of one event file into one row per step (the last write of each tag wins)."""
    crc_value, event_class = _dependencies(path)
    import numpy as np

    data = path.read_bytes()
    if not data:
        raise InputError("empty file", file=str(path))
    records = _walk(path, data, crc_value)
    scalars = _Scalars()
    fast = _fast_scalars(data, records, scalars)
    config_text = _slow_scalars(path, data, records, ~fast, event_class, scalars)
    if not scalars.tags:
        where = "" if len(records.starts) else " (no whole record)"
        raise InputError(f"no scalar summaries in this TensorBoard event file{where}", file=str(path))
    read_ = _to_file_read(path, scalars, np)
    read_.warnings = records.warnings
    _attach_config(path, read_, config_text)
    return read_


def _walk(path: Path, data: bytes, crc_value: Callable[[bytes], int]) -> _Records:
    """Walk the framing (the one per-record Python loop), then check every CRC at once with numpy.

    The loop only reads each length and computes each data CRC in C; reading the stored CRCs,
    masking and comparing are vectorised. A bad length CRC means the framing cannot be trusted
    past that record: reading stops there. A bad data CRC skips that record only.
    """
    import numpy as np
    import pandas as pd

    size = len(data)
    unpack = struct.unpack_from
    starts = array("q")  # typed arrays: numpy takes them without a copy, lists cost a conversion
    crcs = array("L")
    add_start, add_crc = starts.append, crcs.append
    offset = 0
    while offset + _HEADER <= size:
        start = offset + _HEADER
        end = start + unpack("<Q", data, offset)[0]
        if end + _FOOTER > size:
            break
        add_start(start)
        add_crc(crc_value(data[start:end]))
        offset = end + _FOOTER
    begin = np.frombuffer(starts, dtype=np.int64) if starts else np.zeros(0, dtype=np.int64)
    view = np.frombuffer(data, dtype=np.uint8)
    lengths = _gather(view, begin - _HEADER, "<u8").astype(np.int64)
    warnings: list[ReadWarning] = []
    stored = _gather(view, begin - 4, "<u4")
    which, distinct = pd.factorize(lengths)  # few distinct lengths: one CRC each
    expected = np.asarray([masked(crc_value(struct.pack("<Q", n))) for n in distinct.tolist()],
                          dtype=np.uint32)
    bad_header = np.flatnonzero(stored != expected[which])
    if len(bad_header):
        stop = int(bad_header[0])
        warnings.append(_stop(path, stop, int(begin[stop]) - _HEADER, "its length's CRC does not match "
                              "(corrupt framing)"))
        begin, lengths, crcs = begin[:stop], lengths[:stop], crcs[:stop]
    elif offset < size:
        warnings.append(_tail_warning(path, data, offset, len(starts), crc_value))
    raw = np.frombuffer(crcs, dtype=f"u{crcs.itemsize}") if crcs else np.zeros(0, np.uint32)
    mask = raw.astype(np.uint64)
    full = np.uint64(0xFFFFFFFF)
    mask = (((mask >> np.uint64(15)) | (mask << np.uint64(17))) & full) + np.uint64(_MASK_DELTA)
    mask &= full
    bad = np.flatnonzero(mask != _gather(view, begin + lengths, "<u4").astype(np.uint64))
    if len(bad):
        warnings += _bad_data_warnings(path, bad, begin)
        keep = np.ones(len(begin), dtype=bool)
        keep[bad] = False
        begin, lengths = begin[keep], lengths[keep]
    return _Records(begin, lengths, warnings)


def _gather(view: np.ndarray, offsets: np.ndarray, dtype: str) -> np.ndarray:
    """Unaligned little-endian integers at byte offsets, via a stride-1 window view (no copy of the file)."""
    import numpy as np

    width = np.dtype(dtype).itemsize
    if len(view) < width or not len(offsets):
        return np.zeros(len(offsets), dtype=dtype)
    windows = np.ndarray(shape=(len(view) - width + 1,), dtype=dtype, buffer=view, strides=(1,))
    return windows[np.minimum(offsets, len(windows) - 1)]  # past the end only where the bytes are masked off


def _stop(path: Path, index: int, byte: int, why: str) -> ReadWarning:
    """Where reading stopped: record number (1-based) and byte offset, and why."""
    return ReadWarning(str(path), index + 1, f"record {index + 1} at byte {byte}: {why}: "
                       f"read the {index} whole records before it, stopped there")


def _tail_warning(path: Path, data: bytes, offset: int, whole: int,
                  crc_value: Callable[[bytes], int]) -> ReadWarning:
    """The bytes after the last whole record: a writer cut off mid-record, or a corrupt length."""
    size = len(data)
    if offset + _HEADER <= size:
        length, length_crc = struct.unpack_from("<QI", data, offset)
        if masked(crc_value(data[offset:offset + 8])) != length_crc:
            return _stop(path, whole, offset, "its length's CRC does not match (corrupt framing)")
        what = f"cut off mid-record ({size - offset} of {length + _HEADER + _FOOTER} bytes)"
    else:
        what = f"cut off mid-record ({size - offset} bytes of a record header)"
    return _stop(path, whole, offset, what)


def _bad_data_warnings(path: Path, bad: np.ndarray, begin: np.ndarray) -> list[ReadWarning]:
    """One warning per record skipped for a data CRC mismatch, capped, then a count."""
    out = [ReadWarning(str(path), int(i) + 1, f"record {int(i) + 1} at byte {int(begin[i]) - _HEADER}: "
                       "data CRC does not match (corrupt record): skipped")
           for i in bad[:MAX_LINE_WARNINGS]]
    if len(bad) > MAX_LINE_WARNINGS:
        out.append(ReadWarning(str(path), None, f"{len(bad) - MAX_LINE_WARNINGS} more records skipped "
                               "(data CRC does not match)"))
    return out


def _fast_scalars(data: bytes, records: _Records, scalars: _Scalars) -> np.ndarray:
    """Decode, with numpy over all records at once, the events of the common shape; True where done.

    The shape is exactly what protobuf writes for `Event(wall_time, step, summary=Summary(value=[
    Value(tag, simple_value)]))`: `09 <8-byte wall_time> [10 <varint step>] 2a L1 0a L2 0a TL <tag>
    15 <float32>` with L2 = TL + 7, L1 = L2 + 2 and nothing after. Any other record (a step of more
    than 5 varint bytes, a long tag, metadata, tensors, several values) goes to the protobuf path.
    Each record's first bytes are gathered once into a small matrix, so the checks are column
    operations rather than scattered reads of the whole file.
    """
    import numpy as np

    count = len(records.starts)
    done = np.zeros(count, dtype=bool)
    view = np.frombuffer(data, dtype=np.uint8)
    # 24 bytes hold everything up to the tag; a record that short cannot be a scalar event anyway.
    rows = np.flatnonzero(records.lengths >= _PREFIX)
    if not len(rows) or len(view) < _PREFIX:
        return done
    start, length = records.starts[rows], records.lengths[rows]
    head = _windows(view, _PREFIX)[start]  # (records, 24) bytes; in bounds: data + footer follow
    shape = head[:, 0] == 0x09
    has_step = head[:, 9] == 0x10
    step = np.zeros(len(rows), dtype=np.int64)
    width = np.zeros(len(rows), dtype=np.int64)  # varint bytes of the step
    going = has_step.copy()
    for index in range(5):
        part = head[:, 10 + index].astype(np.int64)
        step |= np.where(going, (part & 0x7F) << (7 * index), 0)
        width += going
        going &= (part & 0x80) != 0
    shape &= ~going  # a step longer than 5 varint bytes (or negative): protobuf path
    at = 9 + np.where(has_step, 1 + width, 0)  # the summary field, relative to the record
    fields = np.empty((len(rows), 6), dtype=np.int64)
    for offset in np.unique(at).tolist():  # six offsets at most: slices beat a per-row gather
        same = at == offset
        fields[same] = head[same, offset:offset + 6]
    tag_length = fields[:, 5]
    shape &= (fields[:, 0] == 0x2A) & (fields[:, 2] == 0x0A) & (fields[:, 4] == 0x0A) & (tag_length < 0x78)
    shape &= (fields[:, 3] == tag_length + 7) & (fields[:, 1] == tag_length + 9)
    shape &= at + 6 + tag_length + 5 == length  # the float ends the record
    tag_at = start + at + 6
    words = 8 * ((int(tag_length[shape].max(initial=0)) + 7) // 8)
    shape &= tag_at + max(words, 8) <= len(view)  # the last records, where a word would pass the end
    keep = np.flatnonzero(shape)
    if not len(keep):
        return done
    tag_at, tag_length = tag_at[keep], tag_length[keep]
    value_at = tag_at + tag_length
    ok = view[value_at] == 0x15
    if not ok.all():
        keep, tag_at, tag_length, value_at = keep[ok], tag_at[ok], tag_length[ok], value_at[ok]
    codes = _tag_codes(data, _windows(view, max(words, 8))[tag_at], tag_at, tag_length, scalars)
    values = _windows(view, 4)[value_at + 1].view("<f4").reshape(-1).astype(np.float64)
    scalars.record.append(rows[keep])
    scalars.step.append(step[keep])
    scalars.tag.append(codes)
    scalars.value.append(values)
    done[rows[keep]] = True
    return done


def _windows(view: np.ndarray, width: int) -> np.ndarray:
    """Every `width`-byte window of the file as a row (a stride-1 view, no copy): gather rows by offset."""
    import numpy as np

    return np.ndarray(shape=(len(view) - width + 1, width), dtype=np.uint8, buffer=view, strides=(1, 1))


def _tag_codes(data: bytes, block: np.ndarray, at: np.ndarray, length: np.ndarray,
               scalars: _Scalars) -> np.ndarray:
    """The tag number of each record, exactly, from its tag bytes (`block` rows, read as 8-byte words).

    A cheap hash of the words groups the records; every group is then checked word by word
    against its first record, so a hash collision can only cost time (exact grouping), never mix
    two tags.
    """
    import numpy as np
    import pandas as pd

    masks = np.asarray([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)  # keep n low bytes
    grid = np.ascontiguousarray(block).view("<u8")  # (records, words)
    words = [grid[:, index] & masks[np.clip(length - 8 * index, 0, 8)] for index in range(grid.shape[1])]
    mix = length.astype(np.uint64)
    with np.errstate(over="ignore"):
        for word in words:
            mix = (mix * np.uint64(0x9E3779B97F4A7C15)) ^ word ^ (word >> np.uint64(29))
    groups, _ = pd.factorize(mix)
    firsts = _firsts(groups)
    exact = bool((length == length[firsts][groups]).all())
    for word in words:
        exact = exact and bool((word == word[firsts][groups]).all())
    if not exact:  # a collision: group on all the words themselves
        groups = pd.factorize(length)[0].astype(np.int64)
        for word in words:
            groups = pd.factorize(groups * (len(groups) + 1) + pd.factorize(word)[0])[0].astype(np.int64)
        firsts = _firsts(groups)
    numbers = np.empty(len(firsts), dtype=np.int64)
    for group, first in enumerate(firsts.tolist()):
        begin = int(at[first])
        tag = data[begin:begin + int(length[first])].decode("utf-8", errors="replace")
        numbers[group] = scalars.code(tag)
    return numbers[groups]


def _firsts(codes: np.ndarray) -> np.ndarray:
    """The position of each code's first occurrence, by code (pandas codes number first appearances)."""
    import numpy as np
    import pandas as pd

    return np.flatnonzero(~pd.Series(codes).duplicated().to_numpy())


def _slow_scalars(path: Path, data: bytes, records: _Records, todo: np.ndarray, event_class: Any,
                  scalars: _Scalars) -> str | None:
    """Parse the other records with TensorBoard's `Event` class; return MMEngine's config text if seen."""
    import numpy as np

    rows: list[int] = []
    steps: list[int] = []
    codes: list[int] = []
    values: list[float] = []
    config: str | None = None
    bad: list[int] = []
    for row in np.flatnonzero(todo).tolist():
        begin = int(records.starts[row])
        try:
            event = event_class.FromString(data[begin:begin + int(records.lengths[row])])
        except Exception:  # protobuf's DecodeError: a record that is not an Event
            bad.append(row)
            continue
        if not event.HasField("summary"):
            continue
        for value in event.summary.value:
            number = _scalar_value(value)
            if number is not None:
                rows.append(row)
                steps.append(event.step)
                codes.append(scalars.code(value.tag))
                values.append(number)
            elif value.tag == CONFIG_TAG and value.tensor.string_val:
                config = value.tensor.string_val[0].decode("utf-8", errors="replace")
    for row in bad[:MAX_LINE_WARNINGS]:
        records.warnings.append(ReadWarning(str(path), row + 1, f"record {row + 1}: not a TensorBoard event "
                                            "(protobuf does not parse): skipped"))
    if rows:
        scalars.record.append(np.asarray(rows, dtype=np.int64))
        scalars.step.append(np.asarray(steps, dtype=np.int64))
        scalars.tag.append(np.asarray(codes, dtype=np.int64))
        scalars.value.append(np.asarray(values, dtype=np.float64))
    return config


# TensorFlow DataType numbers (tensorboard/compat/proto/types.proto) of scalar kinds, with the
# TensorProto field holding them and the numpy type of `tensor_content`.
_DTYPES = {1: ("float_val", "<f4"), 2: ("double_val", "<f8"), 19: ("half_val", "<f2"),
           3: ("int_val", "<i4"), 9: ("int64_val", "<i8")}


def _scalar_value(value: Any) -> float | None:
    """A summary value's number when it is a scalar: `simple_value`, or a one-element numeric tensor."""
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return float(value.simple_value)
    if kind != "tensor" or value.metadata.plugin_data.plugin_name not in _SCALAR_PLUGINS:
        return None
    tensor = value.tensor
    spec = _DTYPES.get(tensor.dtype)
    if spec is None or any(dim.size != 1 for dim in tensor.tensor_shape.dim):
        return None
    import numpy as np

    if tensor.tensor_content:
        found = np.frombuffer(tensor.tensor_content, dtype=spec[1])
        return float(found[0]) if len(found) == 1 else None
    listed = getattr(tensor, spec[0])
    if len(listed) != 1:
        return None
    if tensor.dtype == 19:  # half_val holds the float16 bits in an int32
        return float(np.uint16(listed[0]).view(np.float16))
    return float(listed[0])


def _to_file_read(path: Path, scalars: _Scalars, np: Any) -> FileRead:
    """One row per step, sorted; per (step, tag) the value of the last record that wrote it."""
    import pandas as pd

    record = np.concatenate(scalars.record)
    step = np.concatenate(scalars.step)
    tag = np.concatenate(scalars.tag)
    value = np.concatenate(scalars.value)
    if len(scalars.record) > 1:  # fast and protobuf rows interleave: back to file order
        order = np.argsort(record, kind="stable")
        record, step, tag, value = record[order], step[order], tag[order], value[order]
    step_row, unique_steps = pd.factorize(step, sort=True)  # a hash, not a sort of every record
    first_index = np.empty(len(unique_steps), dtype=np.int64)
    appear = _firsts(step_row)  # sorted codes are not in order of appearance: place each first by code
    first_index[step_row[appear]] = appear
    ntags = len(scalars.tags)
    cell = step_row.astype(np.int64) * ntags + tag
    last = ~pd.Series(cell).duplicated(keep="last").to_numpy()
    grid = np.full((len(unique_steps), ntags), np.nan)
    grid[step_row[last], tag[last]] = value[last]
    literal = np.zeros_like(grid, dtype=bool)
    literal[step_row[last], tag[last]] = np.isnan(value[last])
    first_record = record[first_index]  # records are in file order: the first of each step
    names = list(scalars.tags)
    columns: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    for index, name in enumerate(names):
        column = grid[:, index]
        if name in STEP_ECHO_TAGS and _echoes(column, unique_steps, np):
            continue
        columns[name] = column
        if literal[:, index].any():
            nan[name] = literal[:, index]
    rows = pd.DataFrame(columns, copy=False)
    return FileRead(file=str(path), rows=rows, steps=unique_steps.astype(np.int64),
                    lines=Lines.known(first_record + 1), nan=nan)


def _echoes(column: np.ndarray, steps: np.ndarray, np: Any) -> bool:
    """True when a bookkeeping tag (`iter`) only repeats the step wherever it was written."""
    written = ~np.isnan(column)
    return bool(written.any()) and bool((column[written] == steps[written]).all())


def _attach_config(path: Path, read_: FileRead, text: str | None) -> None:
    """The config: `config.py` beside the file, else the one MMEngine wrote into it, else the text log's."""
    from lossdoctor.readers.mmengine_scalars import find_config
    from lossdoctor.readers.trainconfig import parse_config_text

    if text is not None and not (path.parent / "config.py").is_file():
        record = f"{path} ({CONFIG_TAG} record)"
        try:
            read_.config, read_.config_source = parse_config_text(text, record), record
        except InputError as exc:
            read_.warnings.append(ReadWarning(str(path), None, f"config not read: {exc.message}"))
        return
    config, source, warnings = find_config(path)
    read_.config, read_.config_source = config, source
    read_.warnings.extend(warnings)
