"""How fast `lossdoctor watch --follow` raises an alert, what it costs idle, and that an update does not grow.

Three measurements on the benchmark's realistic MMEngine `scalars.json` (see make_big_scalars.py):

1. **Latency**: a `watch -f --format jsonl` process tails a copy of the log; a line with a NaN
   `loss` is appended at a random moment of the poll cycle, and the time until the process prints
   its `firing` line is measured (then a finite line resolves it, and the next trial starts).
   Target: under one poll interval (`--interval`, default 1 s) on average.
2. **Idle CPU**: the same process's CPU time (user + system, from /proc) over a few seconds
   during which nothing is appended. It only `stat`s the file once per interval.
3. **Update cost**: in-process, one appended line → one `Watcher.poll()` (read, parse, judge,
   diff), median over many updates, on a 2k-line and on a 200k-line log. Target: ratio under 2
   (the judged frame is bounded: a full-resolution tail plus a thinned history).

Run: `.venv/bin/python benchmarks/bench_watch.py` (add `--quick` for a short smoke run).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_big_scalars import ensure_file  # noqa: E402


def last_train_line(path: Path) -> dict[str, object]:
    """The last training line of a scalars.json (val lines have no `iter`)."""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 65536))
        lines = handle.read().decode().splitlines()
    for line in reversed(lines):
        obj = json.loads(line)
        if "iter" in obj:
            return obj
    raise SystemExit(f"{path}: no training line at its end")


class Appender:
    """Continues a run: each call appends the next training line (optionally with a NaN loss)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.template = last_train_line(path)
        self.step = int(self.template["step"])  # type: ignore[call-overload]

    def append(self, nan: bool = False) -> None:
        self.step += 1
        obj = dict(self.template, step=self.step, iter=self.step)
        if nan:
            obj["loss"] = float("nan")
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(obj) + "\n")


def copy_log(lines: int, folder: Path) -> Path:
    source = ensure_file(lines)
    target = folder / f"scalars_{lines}" / "scalars.json"
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    return target


def update_cost(path: Path, updates: int) -> tuple[float, float, int]:
    """(catch-up seconds, median seconds per one-line update, rows judged) for an in-process watcher."""
    from lossdoctor.engine.rulefiles.packs import load_rules
    from lossdoctor.live.watcher import Watcher, WatchOptions
    from lossdoctor.reporters.watch_lines import PlainSink

    watcher = Watcher(path, load_rules([]), WatchOptions(follow=True), PlainSink(io.StringIO()))
    started = time.perf_counter()
    watcher.poll()
    catch_up = time.perf_counter() - started
    appender = Appender(path)
    samples = []
    for _ in range(updates):
        appender.append()
        started = time.perf_counter()
        watcher.poll()
        samples.append(time.perf_counter() - started)
    rows = len(watcher.steps) if watcher.steps is not None else 0
    return catch_up, statistics.median(samples), rows


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(stream: IO[str], event: str, timeout: float, rule: str = "non-finite-loss") -> float:
    """Read JSON lines until `event` of `rule`; the monotonic time it arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            raise SystemExit("the watch process ended early")
        obj = json.loads(line)
        if obj.get("event") == event and obj.get("rule") == rule:
            return time.monotonic()
    raise SystemExit(f"no {event} line within {timeout} s")


def latency_and_idle(
    path: Path, interval: float, trials: int, settle: float, idle: float
) -> tuple[list[float], tuple[float, float]]:
    """Latencies (s) from a NaN line appended to its `firing` line, and idle CPU (share of one core)
    in the `settle` seconds after the last append, then in the `idle` seconds after those."""
    command = [
        sys.executable,
        "-m",
        "lossdoctor",
        "watch",
        str(path),
        "-f",
        "--format",
        "jsonl",
        "--interval",
        str(interval),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, bufsize=1)
    assert proc.stdout is not None
    appender = Appender(path)
    try:
        appender.append(nan=True)  # caught up once this fires
        wait_for(proc.stdout, "firing", 300)
        appender.append()
        wait_for(proc.stdout, "resolved", 60)
        latencies = []
        for _ in range(trials):
            time.sleep(random.uniform(0.2, 0.2 + interval))  # a random moment of the poll cycle
            appender.append(nan=True)
            appended = time.monotonic()
            latencies.append(wait_for(proc.stdout, "firing", 60) - appended)
            appender.append()
            wait_for(proc.stdout, "resolved", 60)
        start = cpu_seconds(proc.pid)
        time.sleep(settle)  # the one exact confirmation after growth stops falls in here (bounded view only)
        middle = cpu_seconds(proc.pid)
        time.sleep(idle)
        used = ((middle - start) / settle, (cpu_seconds(proc.pid) - middle) / idle)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return latencies, used


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--interval", type=float, default=1.0, help="--interval of the watch process")
    parser.add_argument("--trials", type=int, default=10, help="latency trials per log size")
    parser.add_argument("--updates", type=int, default=40, help="one-line updates timed per log size")
    parser.add_argument(
        "--settle", type=float, default=8.0, help="seconds measured right after the last line"
    )
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of steady idle measured after those")
    parser.add_argument("--quick", action="store_true", help="short smoke run (2k and 20k lines, few trials)")
    args = parser.parse_args(argv)
    sizes = (2_000, 20_000) if args.quick else (2_000, 200_000)
    trials, updates, idle = (3, 10, 2.0) if args.quick else (args.trials, args.updates, args.idle)
    settle = 3.0 if args.quick else args.settle
    random.seed(1)
    with tempfile.TemporaryDirectory() as tmp:
        costs = {}
        for lines in sizes:
            path = copy_log(lines, Path(tmp))
            catch_up, cost, rows = update_cost(path, updates)
            costs[lines] = cost
            print(
                f"update cost   {lines:>7} lines: {cost * 1000:6.1f} ms per one-line update "
                f"(median of {updates}), {rows} rows judged; first read {catch_up:.2f} s"
            )
        small, large = sizes
        ratio = costs[large] / costs[small]
        verdict = "ok" if ratio < 2 else "FAIL"
        print(f"update ratio  {large} / {small} lines: {ratio:.2f}  (target < 2: {verdict})")
        for lines in sizes:
            path = copy_log(lines, Path(tmp) / "live")
            latencies, (after, steady) = latency_and_idle(path, args.interval, trials, settle, idle)
            mean, median, worst = statistics.mean(latencies), statistics.median(latencies), max(latencies)
            verdict = "ok" if mean < args.interval else "FAIL"
            print(
                f"latency       {lines:>7} lines: mean {mean * 1000:.0f} ms, median {median * 1000:.0f} ms, "
                f"max {worst * 1000:.0f} ms over {trials} trials at --interval {args.interval:g} "
                f"(target: mean under one interval: {verdict})"
            )
            print(
                f"idle CPU      {lines:>7} lines: {after * 100:.2f} % of one core in the {settle:g} s after "
                f"the last line, {steady * 100:.2f} % in the {idle:g} s after those"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
