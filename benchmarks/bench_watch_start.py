"""How long `watch -f` on an existing long log takes before it is following, against `analyze` of it.

Two whole processes on the same realistic MMEngine `scalars.json` (make_big_scalars.py), interleaved
so both see the same load, repeated, medians:

1. `lossdoctor analyze FILE --format json --output /dev/null --fail-on never` (the baseline), and
2. `lossdoctor watch FILE -f --format jsonl`, timed from its start to its `following` line (the history
   judged and its alerts announced; the live loop starts), then stopped.

Target: ratio (watch / analyze) at most 1.5. Then, in-process (as `bench_watch.py` measures it), the
cost of one appended line on a 200k-line and on a 2k-line log: ratio at most 1.5.

Run: `.venv/bin/python benchmarks/bench_watch_start.py [--lines 200000] [--repeat 5] [--updates 40]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_watch import copy_log, update_cost  # noqa: E402
from make_big_scalars import ensure_file  # noqa: E402

LOSSDOCTOR = [sys.executable, "-m", "lossdoctor"]


def analyze_seconds(path: Path) -> float:
    command = [*LOSSDOCTOR, "analyze", str(path), "--format", "json", "--output", os.devnull,
               "--fail-on", "never"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"analyze exited {done.returncode}:\n{done.stderr}")
    return elapsed


def following_seconds(path: Path) -> tuple[float, list[str]]:
    """Seconds from the watch process's start to its `following` line, and the events before it."""
    command = [*LOSSDOCTOR, "watch", str(path), "-f", "--format", "jsonl", "--interval", "0.5"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert proc.stdout is not None
    said: list[str] = []
    try:
        for line in proc.stdout:
            obj = json.loads(line)
            if obj.get("event") == "following":
                return time.perf_counter() - started, said
            said.append(f"{obj.get('event')} {obj.get('rule')} {obj.get('step')}")
        raise SystemExit(f"the watch ended without a `following` line (exit {proc.wait()})")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def runs(samples: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in samples)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=2_000, help="the short log of the update-cost ratio")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--updates", type=int, default=40)
    args = parser.parse_args(argv)
    source = ensure_file(args.lines)
    print(f"before: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scalars.json"
        shutil.copy(source, path)  # the watch never writes, but the benchmark's file stays pristine anyway
        path.read_bytes()  # warm page cache for both sides
        analyze, watch = [], []
        said: list[str] = []
        for _ in range(args.repeat):
            analyze.append(analyze_seconds(path))
            seconds, said = following_seconds(path)
            watch.append(seconds)
        ratios = [w / a for w, a in zip(watch, analyze, strict=True)]
        a_med, w_med, r_med = statistics.median(analyze), statistics.median(watch), statistics.median(ratios)
        print(f"{args.lines} lines, whole processes, {args.repeat} interleaved runs, medians:")
        print(f"  analyze                        {a_med:6.2f} s  (runs: {runs(analyze)})")
        print(f"  watch -f until `following`     {w_med:6.2f} s  (runs: {runs(watch)})")
        verdict = "ok" if r_med <= 1.5 else "FAIL"
        print(f"  ratio watch / analyze: median {r_med:.2f} of the paired runs (target <= 1.5: {verdict})")
        print(f"  announced from the history: {len(said)} events: {'; '.join(said[:8])}")
        costs = {}
        for lines in (args.small, args.lines):
            copied = copy_log(lines, Path(tmp) / "updates")
            _, costs[lines], rows = update_cost(copied, args.updates)
            print(f"  one appended line, {lines:>7} lines: {costs[lines] * 1000:6.1f} ms "
                  f"(median of {args.updates}), {rows} rows judged")
            shutil.rmtree(copied.parent)
        ratio = costs[args.lines] / costs[args.small]
        verdict = "ok" if ratio <= 1.5 else "FAIL"
        print(f"  update ratio {args.lines} / {args.small} lines: {ratio:.2f} (target <= 1.5: {verdict})")
    print(f"after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
