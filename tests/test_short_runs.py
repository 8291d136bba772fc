"""On runs of 4, 10 and 100 points every rule is either judged on some point or says why not."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from lossdoctor.engine import analyze, load_default
from lossdoctor.model import Report, RunData
from lossdoctor.readers import read_paths

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
# samples that between them log every metric a default rule reads
SOURCES = ("healthy", "loss_spike", "flow_unstable", "kl_rising", "non_finite_loss", "grad_coverage_mismatch")


@cache
def _full(name: str) -> RunData:
    return read_paths([SAMPLES / name])


def shortened(name: str, points: int, interval: int) -> RunData:
    """The sample cut to `points` evenly spread rows, re-indexed every `interval` steps (1 = epochs)."""
    run = _full(name)
    rows = np.unique(np.linspace(0, len(run.frame) - 1, points).round().astype(int))
    frame = run.frame.iloc[rows].copy()
    frame.index = (np.arange(len(frame)) * interval).astype(np.int64)
    frame.index.name = "step"
    nan = {k: frame.index[np.isnan(frame[k].to_numpy())].to_numpy() for k in run.nan_steps if k in frame}
    return replace(run, frame=frame, nan_steps={k: v for k, v in nan.items() if len(v)}, segments=[])


def judged(run: RunData) -> Report:
    return analyze(run, load_default(), run_params={"ga": 2, "warmup_steps": 0})


@pytest.mark.parametrize("points", [1, 2, 4, 10, 100])
@pytest.mark.parametrize("interval", [1, 10])
@pytest.mark.parametrize("name", SOURCES)
def test_evaluated_means_some_point_was_judged(name: str, points: int, interval: int) -> None:
    report = judged(shortened(name, points, interval))
    every = {c.id for c in load_default().checks}
    evaluated = {e.rule for e in report.evaluated}
    skipped = {n.rule for n in report.not_evaluated}
    assert every <= evaluated | skipped  # no rule passes silently
    for entry in report.evaluated:
        assert entry.judged > 0, f"{entry.rule} ({entry.tag}) evaluated on {points} points but judged none"
    for entry in report.not_evaluated:
        assert entry.reason.strip(), entry.rule


@pytest.mark.parametrize("points", [10, 100])
def test_the_generic_rules_are_judged_on_short_epoch_runs(points: int) -> None:
    report = judged(shortened("healthy", points, 1))
    evaluated = {e.rule for e in report.evaluated}
    assert {"loss-plateau", "loss-spike", "non-finite-loss"} <= evaluated
