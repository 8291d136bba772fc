"""What a user waits for on a small log: start-up and imports, against a bare interpreter and pandas.

Whole processes, interleaved (every side once per round, so all see the same load), repeated,
medians of each side and of the per-round differences and ratios:

* `python -c pass` — the floor; `lossdoctor --help` and `lossdoctor rules list`: target at most
  +100 ms over it;
* `python -c "import pandas"` — the baseline of `lossdoctor analyze sample_logs/healthy` (a
  1600-step work dir, the whole report on stdout): target at most 1.3x.

Run: `.venv/bin/python benchmarks/bench_startup.py [--repeat 15] [--log sample_logs/healthy]`
(`--root OTHER_CHECKOUT` measures another version's `lossdoctor` with the same interpreter).
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = [sys.executable]
LD = [sys.executable, "-m", "lossdoctor"]


def sides(log: str) -> dict[str, list[str]]:
    return {
        "python -c pass": [*PY, "-c", "pass"],
        "python -c 'import pandas'": [*PY, "-c", "import pandas"],
        "lossdoctor --help": [*LD, "--help"],
        "lossdoctor rules list": [*LD, "rules", "list"],
        f"lossdoctor analyze {Path(log).name}": [*LD, "analyze", log, "--fail-on", "never"],
    }


def seconds(command: list[str], root: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--log", default=str(ROOT / "sample_logs" / "healthy"))
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose lossdoctor is measured")
    args = parser.parse_args(argv)
    commands = sides(args.log)
    times: dict[str, list[float]] = {name: [] for name in commands}
    print(f"before: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    # An installed lossdoctor runs from bytecode (pip compiles a wheel's modules as it installs them).
    # A checkout under PYTHONDONTWRITEBYTECODE=1 would recompile ~60 modules in every process
    # (~80 ms): compile them once here, as an install does, so that is not what is measured.
    compileall.compile_dir(args.root / "lossdoctor", quiet=1)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: lossdoctor's modules were compiled once, as pip does")
    for command in commands.values():
        seconds(command, args.root)  # warm the page cache and the bytecode cache
    for _ in range(args.repeat):
        for name, command in commands.items():
            times[name].append(seconds(command, args.root))
    print(f"whole processes, {args.repeat} interleaved rounds, medians:")
    for name, samples in times.items():
        print(f"  {name:<40} {statistics.median(samples) * 1000:7.0f} ms")
    bare, pandas = times["python -c pass"], times["python -c 'import pandas'"]
    for name in ("lossdoctor --help", "lossdoctor rules list"):
        extra = statistics.median([t - b for t, b in zip(times[name], bare, strict=True)]) * 1000
        verdict = "ok" if extra <= 100 else "FAIL"
        print(f"  {name}: +{extra:.0f} ms over a bare interpreter "
              f"(median of the rounds; target <= +100: {verdict})")
    name = f"lossdoctor analyze {Path(args.log).name}"
    ratio = statistics.median([t / p for t, p in zip(times[name], pandas, strict=True)])
    verdict = "ok" if ratio <= 1.3 else "FAIL"
    print(f"  {name}: {ratio:.2f}x import pandas (median of the rounds; target <= 1.3: {verdict})")
    print(f"after: load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
