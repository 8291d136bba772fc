"""Windows are in training steps, never rows: an irregular log judges like the regular one it samples."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lossdoctor.engine import analyze, load_default
from lossdoctor.engine.lang import windows
from lossdoctor.model import RunData

SPIKE_RULES = {"loss-spike", "flow-unstable"}
SWITCH = 2000  # logged every 10 steps up to here, every 50 after (a resumed job with a new interval)


def _truth(step: np.ndarray) -> pd.DataFrame:
    """A noisy falling run with spike events at known steps (every 10 steps, deterministic)."""
    rng = np.random.default_rng(7)
    loss_flow = 2.0 - 0.3 * step / step[-1] + rng.normal(0, 0.03, len(step))
    grad = 0.3 + rng.normal(0, 0.02, len(step))
    for at in (800, 840, 3200, 3500):  # grad spikes: a pair 40 steps apart, and a pair 300 apart
        grad[step == at] = 5.0
    for at in (820, 3350):  # a loss_flow spike near each pair
        loss_flow[step == at] = 6.0
    return pd.DataFrame(
        {"loss": loss_flow + 0.5, "loss_flow": loss_flow, "dbg/grad_flow": grad},
        index=pd.Index(step, name="step"),
    )


def _findings(frame: pd.DataFrame) -> set[tuple[str, int, int]]:
    run = RunData(frame=frame, files=["synthetic.json"], format="json")
    report = analyze(run, load_default())
    return {(f.rule, f.first_step, f.last_step) for f in report.findings if f.rule in SPIKE_RULES}


def test_an_irregular_log_gives_the_findings_of_the_regular_logs_it_samples() -> None:
    truth = _truth(np.arange(10, 5001, 10))
    every10 = truth
    every50 = truth[truth.index % 50 == 0]
    irregular = pd.concat([truth.loc[:SWITCH], every50.loc[SWITCH + 1 :]])
    before = {f for f in _findings(every10) if f[2] <= SWITCH}
    after = {f for f in _findings(every50) if f[1] > SWITCH + 150}
    assert any(f[:2] == ("flow-unstable", 840) for f in before)  # the close pair is unstable
    assert not {f for f in after if f[0] == "flow-unstable"}  # the pair 300 steps apart is not
    assert _findings(irregular) == before | after


def test_trailing_windows_count_steps_not_rows() -> None:
    steps = np.array([10, 20, 30, 40, 50, 100, 150, 200, 250, 300], dtype=np.int64)
    mask = np.ones(len(steps), dtype=bool)
    # the last 100 steps, this point included: at step 300 that is 200, 250, 300
    assert windows.trailing_count(steps, mask, 100.0)[-1] == 3
    assert windows.trailing_count(steps, mask, 100.0)[4] == 5  # 10..50 at step 50
    values = np.array([1.0, 1, 1, 1, 1, 9, 9, 9, 9, 9])
    level = windows.trailing_median(steps, values, 100.0)
    assert np.isnan(level[steps < 110]).all()  # no full window of history before step 110
    assert level[-1] == 9.0  # 150..250 are the three points before 300 in its window


def test_a_for_window_needs_three_logged_points_also_where_the_log_thins_out() -> None:
    """Logged every 10 steps, then every 150: two zero gradients 150 steps apart are not 100 steps of ≈ 0."""
    dense = np.arange(10, 3001, 10)
    sparse = np.arange(3150, 3451, 150)  # 3150, 3300, 3450
    steps = np.concatenate([dense, sparse])
    grad = np.where(steps >= 3300, 0.0, 0.3)
    frame = pd.DataFrame({"dbg/grad_flow": grad}, index=pd.Index(steps, name="step"))
    report = analyze(RunData(frame=frame, files=["run.json"], format="json"), load_default())
    assert not [f for f in report.findings if f.rule == "grad-flow-dead"]
    sparse_only = frame.loc[3150:]  # the regular log at interval 150 cannot judge a 100-step window
    report = analyze(RunData(frame=sparse_only, files=["run.json"], format="json"), load_default())
    assert "grad-flow-dead" in {n.rule for n in report.not_evaluated}
    frame["dbg/grad_flow"] = np.where(steps >= 2960, 0.0, 0.3)  # 2960..3000 dense, then 150 apart
    report = analyze(RunData(frame=frame, files=["run.json"], format="json"), load_default())
    dead = [(f.first_step, f.last_step) for f in report.findings if f.rule == "grad-flow-dead"]
    assert dead == [(2960, 3450)]
