"""The persistence guard of the trend-only red rules, simulated: false alarms on flat noise, delay on a rise.

`kl-rising` and `dino-not-improving` ask their qualifying 200-step windows to cover `persist` × 200
steps (default 1.5) instead of the guide's single window. This script measures what that buys and
what it costs, with the real engine (`kl-rising` from the default pack, only `persist` changed):

* false-firing rate: the share of flat, noisy kl_raw runs (no trend at all) on which kl-rising fires;
* the same with the rising test's noise guard (change ≥ 2.5 standard errors) switched off;
* detection delay: on runs that are flat and then rise steadily, how many steps after the rise began
  the rule would fire in a live watch (the first qualifying stretch's first step + max(window, for)),
  and the share of rising runs it catches at all.

Deterministic (seeded); runs in a few seconds. Usage: python benchmarks/sim_persistence.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lossdoctor.engine import load_default
from lossdoctor.engine.evaluation.evaluate import evaluate_checks
from lossdoctor.engine.lang import windows
from lossdoctor.model import RunData

RULE = "kl-rising"
WINDOW = 200.0
LENGTH = 4000  # steps per simulated run
RISE_AT = 2000  # the rising runs are flat up to here
RISE_PER_WINDOW = 0.10  # then rise by 10 % of the level every 200 steps
NOISE = 0.03  # relative noise of kl_raw
CHECK = next(c for c in load_default().checks if c.id == RULE)


def simulate(interval: int, rising: bool, seed: int) -> RunData:
    steps = np.arange(interval, LENGTH + 1, interval)
    rng = np.random.default_rng(seed)
    level = np.full(len(steps), 0.05)
    if rising:
        level = level * (1 + RISE_PER_WINDOW * np.clip(steps - RISE_AT, 0, None) / WINDOW)
    values = level * (1 + rng.normal(0, NOISE, len(steps)))
    frame = pd.DataFrame({"kl_raw": values}, index=pd.Index(steps, name="step"))
    return RunData(frame=frame, files=[f"sim-{seed}"], format="json")


def fired_at(run: RunData, persist: float, after: float = -np.inf) -> float | None:
    """The step at which kl-rising would first fire live on a stretch starting after `after`, or None."""
    outcome = evaluate_checks(run, [CHECK], {}, {RULE: {"persist": persist}}, "en")
    firsts = [f.first_step for f in outcome.findings if f.rule == RULE and f.first_step >= after]
    if not firsts:
        return None
    return float(min(firsts)) + max(WINDOW, persist * WINDOW)


def measure(interval: int, persist: float, runs: int) -> dict[str, float]:
    false = sum(fired_at(simulate(interval, False, seed), persist) is not None for seed in range(runs))
    delays = []
    for seed in range(runs):
        # a stretch whose first window may already hold the rise; earlier ones are false alarms
        at = fired_at(simulate(interval, True, 10_000 + seed), persist, after=RISE_AT - WINDOW)
        if at is not None:
            delays.append(at - RISE_AT)
    return {
        "false_rate": false / runs,
        "caught": len(delays) / runs,
        "delay_median": float(np.median(delays)) if delays else float("nan"),
        "delay_p90": float(np.percentile(delays, 90)) if delays else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="simulated runs per case (default 200)")
    args = parser.parse_args()
    began = time.perf_counter()
    print(f"kl-rising, window {WINDOW:g} steps, noise {NOISE:.0%}, {args.runs} runs per case")
    print(f"rise: flat to step {RISE_AT}, then +{RISE_PER_WINDOW:.0%} of the level per window")
    print(
        "| interval | points/window | persist | noise test | false firing (flat) | rise caught "
        "| delay median | delay p90 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    default_z = windows.Z_RISING
    cases = [(1.0, True), (1.5, True), (2.0, True), (1.0, False), (1.5, False)]
    for interval in (50, 20):
        for persist, noise_test in cases:
            windows.Z_RISING = default_z if noise_test else -np.inf  # the rising test's 2.5 SE guard
            m = measure(interval, persist, args.runs)
            print(
                f"| {interval} | {int(WINDOW // interval) + 1} | {persist:g} "
                f"| {f'{default_z:g} SE' if noise_test else 'off'} | {m['false_rate']:.1%} "
                f"| {m['caught']:.0%} | {m['delay_median']:.0f} | {m['delay_p90']:.0f} |"
            )
    windows.Z_RISING = default_z
    print(f"({time.perf_counter() - began:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
