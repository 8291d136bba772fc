"""The fast path of the MMEngine text reader: pyarrow tokenises the progress lines, Python touches each once.

A 200k-line log holds ~6M `key: value` pairs; splitting and converting each in
Python costs seconds (a regex loop over the lines takes ~3.5 s). Here Python only
picks the train lines (one substring test each) and counts their spaces; pyarrow's
CSV parser, with a space as the delimiter, cuts each line into tokens in C++ threads:
`... Iter(train) [ 20/800]  lr: 1e-4  eta: 0:01:02  loss: 2.9` is `..., [, 20/800], "",
lr:, 1e-4, "", eta:, 0:01:02, "", loss:, 2.9`. Lines with the same number of spaces
share a layout (the padding of `[ 20/800]` and a key that appears late change it);
each group's key tokens are checked to be the same on every row, so a wrong guess
is never silent. A layout this cannot take (a key with a space, a non-number) returns
None and the careful line-by-line reader runs instead.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# More distinct layouts than this (paddings x key sets) is not worth grouping.
MAX_LAYOUTS = 64
_HEAD = re.compile(
    rb"(?:\d{4}/)?\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:,\d+)? - \S+ - [A-Z]+ - (?:Iter|Epoch)\(train\)"
)
_STEP = r"^\[\s*(?P<a>\d+)(?:/\s*(?P<a_of>\d+))?\](?:\s*\[\s*(?P<i>\d+)/\s*(?P<n>\d+)\])?$"


@dataclass
class Fast:
    """Train rows parsed in bulk: float columns by key, literal-NaN masks, decimals, steps, line numbers."""

    values: dict[str, np.ndarray]
    nan: dict[str, np.ndarray]
    decimals: dict[str, int]
    steps: np.ndarray
    lines: np.ndarray
    other_phases: int = 0  # val/test progress lines, set aside


@dataclass
class _Part:
    """One layout group: its rows' steps and columns (values, literal NaN, fewest decimals shown)."""

    steps: np.ndarray
    columns: dict[str, tuple[np.ndarray, np.ndarray, int | None]] = field(default_factory=dict)


def parse(data: bytes, is_progress: Callable[[str], object]) -> Fast | None:
    """Parse every `Iter(train)`/`Epoch(train)` line, or None to use the slow reader."""
    import numpy as np

    if b"\r" in data or b"\t" in data:
        return None
    lines = data.split(b"\n")
    index = [i for i, line in enumerate(lines) if b"(train)" in line and _HEAD.match(line)]
    if not index:
        return None
    other = sum(1 for line in lines if (b"Iter(" in line or b"Epoch(" in line) and b"(train)" not in line
                and is_progress(line.decode("utf-8", "replace")))
    train = [lines[i] for i in index]
    del lines
    if any(b" day" in line for line in train[:1]) or b" day" in b"".join(train[-1:]):
        train = [line.replace(b" days, ", b"d").replace(b" day, ", b"d") for line in train]
    # spaces alone would confuse `[   5/9]` + one key fewer with `[5/9]` + one key more: count pairs too
    counts = np.fromiter((line.count(b" ") * 4096 + line.count(b": ") for line in train), dtype=np.int64,
                         count=len(train))
    layouts = np.unique(counts)
    if len(layouts) > MAX_LAYOUTS:
        return None
    parts = []
    for layout in layouts.tolist():
        rows = np.flatnonzero(counts == layout) if len(layouts) > 1 else np.arange(len(train))
        part = _parse_group(train if len(layouts) == 1 else [train[r] for r in rows.tolist()])
        if part is None:
            return None
        parts.append((rows, part))
    fast = _assemble(parts, len(train), np.asarray(index, dtype=np.int64) + 1)
    fast.other_phases = other
    return fast


def _layout(first: bytes) -> tuple[int, int, list[str]] | None:
    """(first and last token of the `[..]` part, keys) from a group's first line; None if not `k: v` pairs."""
    tokens = first.split(b" ")
    start = next((i for i, t in enumerate(tokens) if t.endswith(b"(train)")), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(tokens)) if tokens[i].endswith(b"]")), None)
    if end is None:
        return None
    pairs = tokens[end + 1 :]
    starts = range(0, len(pairs), 3)
    if len(pairs) % 3 or any(pairs[k] != b"" or not pairs[k + 1].endswith(b":") for k in starts):
        return None
    keys = [pairs[k + 1][:-1].decode("utf-8", "replace") for k in range(0, len(pairs), 3)]
    if len(set(keys)) != len(keys):
        return None
    return start + 1, end, keys


def _parse_group(lines: list[bytes]) -> _Part | None:
    """Lines sharing one layout as columns; every row's key tokens must match the first row's."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    layout = _layout(lines[0])
    if layout is None:
        return None
    first, last, keys = layout
    width = lines[0].count(b" ") + 1
    names = [f"c{i}" for i in range(width)]
    head = names[first : last + 1]
    key_cols = names[last + 2 :: 3]
    value_cols = names[last + 3 :: 3]
    try:
        table = pcsv.read_csv(
            io.BytesIO(b"\n".join(lines)),
            read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pcsv.ParseOptions(delimiter=" ", quote_char=False),
            convert_options=pcsv.ConvertOptions(include_columns=head + key_cols + value_cols,
                                                column_types=dict.fromkeys(names, pa.string()),
                                                null_values=[], strings_can_be_null=False),
        )
    except Exception:  # a row pyarrow cannot split like the first: let the careful reader decide
        return None
    if table.num_rows != len(lines):
        return None
    for key, column in zip(keys, key_cols, strict=True):
        if not pc.all(pc.equal(table.column(column), key + ":")).as_py():
            return None  # same number of spaces, other keys: not one layout after all
    steps = _steps(table, head)
    if steps is None:
        return None
    part = _Part(steps)
    for key, column in zip(keys, value_cols, strict=True):
        if key == "eta":
            continue
        try:
            part.columns[key] = _numeric(table.column(column))
        except Exception:  # a value that is not a number (`N/A`): the careful reader skips just that value
            return None
    return part


def _steps(table: Any, head: list[str]) -> np.ndarray | None:
    """Global steps from `[i/N]` (step i) or `[e][i/n]` (step (e-1)*n + i)."""
    import numpy as np
    import pyarrow.compute as pc

    text = table.column(head[0])
    for name in head[1:]:
        text = pc.binary_join_element_wise(text, table.column(name), " ")
    parts = pc.extract_regex(text, _STEP)
    if parts.null_count:
        return None
    a = pc.struct_field(parts, "a").to_numpy(zero_copy_only=False)
    i = pc.struct_field(parts, "i").to_numpy(zero_copy_only=False)
    n = pc.struct_field(parts, "n").to_numpy(zero_copy_only=False)
    if (i == "").all():
        return a.astype(np.int64)
    if (i == "").any():
        return None
    return (a.astype(np.int64) - 1) * n.astype(np.int64) + i.astype(np.int64)


def _numeric(strings: Any) -> tuple[np.ndarray, np.ndarray, int | None]:
    """A string column as floats, its literal NaNs, and the fewest decimals a fixed-point value shows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.cast(strings, pa.float64())
    array = values.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    literal = np.isnan(array)
    fixed = pc.invert(pc.match_substring_regex(strings, "[eEnNiI]"))
    dots = pc.find_substring(strings, ".")
    shown = pc.if_else(pc.less(dots, 0), 0, pc.subtract(pc.subtract(pc.utf8_length(strings), dots), 1))
    least = pc.min(pc.filter(shown, fixed)).as_py()
    return array, literal, (int(least) if least is not None else None)


def _assemble(parts: list[tuple[np.ndarray, _Part]], rows: int, lines: np.ndarray) -> Fast:
    """Scatter each layout group's rows back to file order, a key missing from a group being NaN there."""
    import numpy as np

    single = len(parts) == 1
    steps = parts[0][1].steps if single else np.zeros(rows, dtype=np.int64)
    values: dict[str, np.ndarray] = {}
    nan: dict[str, np.ndarray] = {}
    decimals: dict[str, int] = {}
    for at, part in parts:
        if not single:
            steps[at] = part.steps
        for key, (array, literal, shown) in part.columns.items():
            if key not in values:
                values[key] = array if single else np.full(rows, np.nan)
                nan[key] = literal if single else np.zeros(rows, dtype=bool)
            if not single:
                values[key][at] = array
                nan[key][at] = literal
            if shown is not None:
                decimals[key] = min(decimals.get(key, shown), shown)
    literal_nan = {k: m for k, m in nan.items() if m.any()}
    return Fast(values, literal_nan, decimals, steps, lines)
