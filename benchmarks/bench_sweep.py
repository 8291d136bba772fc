"""Sweep mode: 200 generated runs of 20k steps each, a process pool on all cores against `--jobs 1`.

The runs are MMEngine work dirs in the two formats MMEngine writes, mixed: `vis_data/scalars.json`
launches (three seeds of the benchmark's realistic FlowGen curves, see make_big_scalars.py, each with
a NaN `loss_kl` at 3/5 of the run), text-log launches (`<timestamp>/<timestamp>.log`, 4 decimals,
make_big_logs.py), and resumed runs of two launches. Distinct prototypes are generated once under
`benchmarks/data/` and the 200 work dirs hold hard links to them (no 3 GB of copies); every run is
still read and judged whole.

Each side is a whole `python -m lossdoctor analyze RUNS --format json` process, run inside a tiny
wrapper whose only child it is, so `getrusage(RUSAGE_CHILDREN).ru_maxrss` is the peak RSS of the
largest single process of that side (the main process, or one worker). Sides alternate, `--repeat`
times; medians. The two JSON documents must be identical: the pool may only change how fast.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 200] [--steps 20000] [--repeat 3]
    .venv/bin/python benchmarks/bench_sweep.py --root /path/to/other/checkout   # the same, another version
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from make_big_logs import write_text_log  # noqa: E402
from make_big_scalars import DATA_DIR, SEED, iter_lines  # noqa: E402

LAUNCH, LATER = "20261128_101500", "20261129_080000"


def prototypes(steps: int) -> list[tuple[str, list[tuple[str, Path]]]]:
    """(kind, [(path inside the work dir, prototype file)]) of each distinct run, generated once."""
    folder = DATA_DIR / f"sweep_{steps}"
    folder.mkdir(parents=True, exist_ok=True)
    made: list[tuple[str, list[tuple[str, Path]]]] = []
    for index in range(3):
        path = folder / f"scalars_seed{index}.json"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            with tmp.open("w", encoding="utf-8") as handle:
                handle.writelines(iter_lines(steps, "bench", SEED + index))
            tmp.replace(path)
        made.append((f"scalars seed {index}", [(f"{LAUNCH}/vis_data/scalars.json", path)]))
    text = folder / "text.log"
    if not text.exists():
        tmp = text.with_suffix(".tmp")
        write_text_log(tmp, steps)
        tmp.replace(text)
    made.append(("text log", [(f"{LAUNCH}/{LAUNCH}.log", text)]))
    first, second = folder / "resumed_first.json", folder / "resumed_second.json"
    if not second.exists():
        lines = (folder / "scalars_seed0.json").read_text(encoding="utf-8").splitlines(keepends=True)
        half = len(lines) // 2
        first.write_text("".join(lines[:half]), encoding="utf-8")
        second.write_text("".join(lines[half - 200 :]), encoding="utf-8")  # resumed from a checkpoint
    made.append(("resumed, 2 launches", [(f"{LAUNCH}/vis_data/scalars.json", first),
                                         (f"{LATER}/vis_data/scalars.json", second)]))
    return made


def make_runs(folder: Path, count: int, steps: int) -> dict[str, int]:
    """`count` work dirs of hard links to the prototypes, in turn; how many of each kind."""
    kinds: dict[str, int] = {}
    protos = prototypes(steps)
    for index in range(count):
        kind, files = protos[index % len(protos)]
        kinds[kind] = kinds.get(kind, 0) + 1
        for inside, source in files:
            target = folder / f"run_{index:03d}" / inside
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:  # another file system: a copy
                target.write_bytes(source.read_bytes())
    return kinds


MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "wb"), stderr=subprocess.PIPE)
elapsed = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.buffer.write(done.stderr)
print(done.returncode, elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def timed(root: Path, args: list[str], output: Path) -> tuple[float, float, float]:
    """(seconds, peak RSS in MB of the largest process, CPU seconds of all its processes) of one run."""
    command = [sys.executable, "-c", MEASURE, str(output), sys.executable, "-m", "lossdoctor", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)
    code, elapsed, peak, cpu = done.stdout.split()
    if int(code) not in (0, 1):
        sys.stderr.write(done.stderr)
        raise SystemExit(f"lossdoctor exited {code}")
    return float(elapsed), int(peak) / 1024, float(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose lossdoctor is measured")
    options = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"before: load average {os.getloadavg()[0]:.1f} on {cores} cores")
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        kinds = make_runs(runs, options.runs, options.steps)
        base = ["analyze", str(runs), "--format", "json"]
        one: list[tuple[float, float, float]] = []
        pool: list[tuple[float, float, float]] = []
        single, parallel = Path(tmp) / "one.json", Path(tmp) / "pool.json"
        for _ in range(options.repeat):
            one.append(timed(options.root, [*base, "--jobs", "1"], single))
            pool.append(timed(options.root, base, parallel))
            if single.read_bytes() != parallel.read_bytes():
                raise SystemExit("the pool's sweep differs from the single process's")
        size = single.stat().st_size / 1e6
    mix = ", ".join(f"{n} {k}" for k, n in kinds.items())
    print(f"sweep of {options.runs} runs x {options.steps} steps ({mix}),")
    print(f"whole processes, {options.repeat} alternating runs per side, medians ({cores} cores):")
    t1, tp = statistics.median(t for t, _, _ in one), statistics.median(t for t, _, _ in pool)
    m1, mp = max(m for _, m, _ in one), max(m for _, m, _ in pool)
    c1, cp = statistics.median(c for _, _, c in one), statistics.median(c for _, _, c in pool)
    print(f"  one process (--jobs 1):        {t1:7.2f} s   peak RSS {m1:6.0f} MB   CPU {c1:6.1f} s "
          f"({c1 / t1:.2f} cores busy)")
    print(f"  process pool ({cores} workers):     {tp:7.2f} s   peak RSS {mp:6.0f} MB   CPU {cp:6.1f} s "
          f"({cp / tp:.2f} cores busy; RSS of the largest single process)")
    pairs = [a[0] / b[0] for a, b in zip(one, pool, strict=True)]
    print("  rounds (one process / pool): "
          + ", ".join(f"{a[0]:.1f}/{b[0]:.1f} s" for a, b in zip(one, pool, strict=True)))
    speedup = statistics.median(pairs)
    verdict = "ok" if speedup >= 1.7 else "FAIL"
    print(f"  speed-up: {speedup:.2f}x median of the pairs (target >= 1.7: {verdict}); identical JSON: yes "
          f"({size:.1f} MB)")
    print(f"after: load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
