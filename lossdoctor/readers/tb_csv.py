"""TensorBoard's CSV export of one tag: `Wall time,Step,Value`, CRLF, `nan`/`inf` for non-finite values.

The file holds one tag, named only in the file name (`run-<run>-tag-<tag>.csv`);
`tb_export` joins a folder of them into one run.
"""

from __future__ import annotations

from pathlib import Path

from lossdoctor.errors import InputError
from lossdoctor.model import ReadWarning
from lossdoctor.readers import tb_export
from lossdoctor.readers.base import FileRead, Lines, set_aside_note
from lossdoctor.readers.wide_csv import header_of, read_table

NAME = "tb-csv"
HEADER = ("Wall time", "Step", "Value")


def sniff(head: bytes) -> bool:
    """The header TensorBoard writes, exactly."""
    return tuple(header_of(head) or ()) == HEADER


def read(path: Path) -> FileRead:
    """One exported tag as a run; a folder of them goes through `tb_export.read_exports`."""
    return tb_export.read_single(path, read_points)


def read_points(path: Path, label: str) -> tb_export.Points:
    """The (wall, step, value) rows; a row without a step is set aside, a missing column is an error."""
    import numpy as np

    table = read_table(path)
    for column in HEADER:
        if column not in table.values:
            what = "holds no numbers" if column in table.header else "is missing"
            raise InputError(f'column "{column}" {what}: a TensorBoard CSV export has the header '
                             f"{','.join(HEADER)}", file=label)
    steps = table.values["Step"]
    keep = ~np.isnan(steps)
    notes = set_aside_note(label, int(table.rows - keep.sum()), "CSV (no Step)")
    if not keep.any():
        raise InputError("no rows with a Step", file=label)
    lines = table.lines

    def kept_lines() -> np.ndarray:
        every = lines.get()
        return every if keep.all() else every[keep]

    run, tag = tb_export.name_parts(Path(label).name)
    nan = table.nan.get("Value", np.zeros(table.rows, dtype=bool))
    warnings = [ReadWarning(label, w.line, w.message) for w in table.warnings] + notes
    return tb_export.Points(file=label, run=run, tag=tag, wall=table.values["Wall time"][keep],
                            steps=steps[keep].astype(np.int64), values=table.values["Value"][keep],
                            nan=nan[keep], lines=Lines(kept_lines), warnings=warnings)
