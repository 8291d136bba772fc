"""Sweep mode on 50 sample runs: a process pool on all cores against one process.

Each side is a whole `python -m lossdoctor analyze RUNS --format json` process (start, imports,
reading, judging, writing), `--jobs 1` against the default (all cores), best of `--repeat`. The two
JSON documents must be identical: the pool may only change how fast, never what.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"


def make_runs(folder: Path, count: int) -> None:
    """`count` work dirs, the sample scenarios in turn (run_00_healthy, run_01_noisy_healthy, …)."""
    scenarios = sorted(p for p in SAMPLES.iterdir() if (p / "expect.yaml").is_file())
    for index in range(count):
        source = scenarios[index % len(scenarios)]
        shutil.copytree(source, folder / f"run_{index:02d}_{source.name}")


def timed(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lossdoctor", *args], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr)
        raise SystemExit(f"lossdoctor exited {done.returncode}")
    return elapsed, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        make_runs(runs, options.runs)
        base = ["analyze", str(runs), "--format", "json"]
        one, pool = [], []
        for _ in range(options.repeat):
            seconds, single = timed([*base, "--jobs", "1"])
            one.append(seconds)
            seconds, parallel = timed(base)
            pool.append(seconds)
            if single != parallel:
                raise SystemExit("the pool's sweep differs from the single process's")
    cores = os.cpu_count() or 1
    print(f"sweep of {options.runs} sample runs, whole processes, best of {options.repeat} ({cores} cores)")
    print(f"  one process (--jobs 1): {min(one):6.2f} s")
    print(f"  process pool ({cores} workers): {min(pool):6.2f} s")
    print(f"  speed-up: {min(one) / min(pool):.2f}x   (identical JSON: yes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
