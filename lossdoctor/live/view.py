"""What a watch has judged so far, as its reporters receive it: values, never the `Watcher` itself.

The README's promise is that reporters render what was judged and never recompute; a reporter
holding the live watcher could read (or change) anything in it. The watcher hands out this
snapshot after each poll and at the end instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from lossdoctor.live.alerts import Alert
    from lossdoctor.model import Report


@dataclass(frozen=True)
class WatchView:
    """One moment of a watch: the latest report and the alerts fired up to it."""

    where: str  # the watched file's (or work dir's) name
    formats: str  # the formats read so far, joined with "+"; "" before any line was recognised
    report: Report | None  # the latest judgement, None before the first training step
    steps: np.ndarray | None  # the steps that judgement read
    exact: bool  # False while the buffer holds a bounded view of a long log
    update_seconds: float  # what the latest judgement cost
    fired: tuple[Alert, ...]  # the alerts that fired and were not withdrawn, in order
