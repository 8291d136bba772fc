"""How long a run was planned to be, from its training config: what a live watch judges against.

Some rules' windows are a share of the run's length (`loss-plateau`: 20 % of the run). Early in a
live run that share is short, so a watch judging the run so far would raise a plateau that
`analyze` of the finished log, with its longer window, does not report. With the planned length
(`train_cfg.max_iters`, MMCV's `runner.max_iters`, or `max_epochs` times the iterations per
epoch the log shows) the watch judges the window the finished run will have; without it, such
rules stay pending until the watch ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lossdoctor.engine.evaluation.params import dig
from lossdoctor.model import Param
from lossdoctor.numeric import is_number

ITER_KEYS = (("train_cfg", "max_iters"), ("runner", "max_iters"), ("total_iters",), ("max_iters",))
EPOCH_KEYS = (("train_cfg", "max_epochs"), ("runner", "max_epochs"), ("total_epochs",), ("max_epochs",))


def planned_steps(config: Mapping[str, Any], source: str | None, per_epoch: int | None) -> Param | None:
    """The planned number of training steps and where it was read, or None when the config does not say."""
    where = source or "training config"
    for path in ITER_KEYS:
        value = dig(config, path)
        if _count(value):
            return Param(int(value), f"{where} {'.'.join(path)}")
    for path in EPOCH_KEYS:
        value = dig(config, path)
        if _count(value) and per_epoch:
            said = f"{where} {'.'.join(path)} × {per_epoch} iterations per epoch"
            return Param(int(value) * per_epoch, said)
    return None


def _count(value: Any) -> bool:
    return is_number(value) and value >= 1
