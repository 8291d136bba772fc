"""What hostile inputs cost (issue 15): each case timed in its own `python -m lossdoctor analyze` process.

    .venv/bin/python benchmarks/bench_hostile.py

Cases: many metric columns (2,500 and 10,000: the ratio of their times says whether naming
columns is linear, ~4x, or quadratic, ~16x), a config.py of nine nested names (10^9 values
spelled out), a gzip bomb (1 GiB of newlines in 1 MB) and a log with one 20 MB line. Each
prints seconds and peak RSS (MiB) next to the healthy sample's run as the baseline. Files go
to a temporary folder. Exit 1 when a case exits 3 or prints a traceback.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEALTHY = ROOT / "sample_logs" / "healthy"


def measure(args: list[str]) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak RSS MiB, stderr) of one lossdoctor process, under GNU time for the RSS."""
    timer = ["/usr/bin/time", "-f", "RSS %M"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    done = subprocess.run([*timer, sys.executable, "-m", "lossdoctor", *args], capture_output=True, text=True,
                          cwd=ROOT)
    seconds = time.perf_counter() - start
    rss = [line for line in done.stderr.splitlines() if line.startswith("RSS ")]
    peak = int(rss[-1].split()[1]) / 1024 if rss else float("nan")
    return done.returncode, seconds, peak, done.stderr


def columns_log(folder: Path, count: int) -> Path:
    path = folder / f"cols_{count}.jsonl"
    with path.open("w") as out:
        for step in range(10, 510, 10):
            record = {"step": step, "loss": 2.0 - step / 1000}
            record.update({f"m{i}": float(i) for i in range(count - 1)})
            out.write(json.dumps(record) + "\n")
    return path


def exponential_config(folder: Path) -> Path:
    run = folder / "exp_config"
    shutil.copytree(HEALTHY, run)
    lines = ["a0 = 1"] + [f"a{n} = [" + ", ".join([f"a{n - 1}"] * 10) + "]" for n in range(1, 10)]
    next(run.rglob("config.py")).write_text("\n".join(lines) + "\n")
    return run


def gzip_bomb(folder: Path) -> Path:
    path = folder / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(b'{"step": 1, "loss": 1.0}\n')
        for _ in range(64):
            out.write(b"\n" * (1 << 24))
    return path


def long_line(folder: Path) -> Path:
    path = folder / "long_line.jsonl"
    rows = [f'{{"step": {s}, "loss": {2.0 - s / 1000}}}' for s in range(10, 1010, 10)]
    rows.insert(50, '{"step": 505, "blob": [' + ", ".join(["1.0"] * 5_000_000) + "]}")
    path.write_text("\n".join(rows) + "\n")
    return path


def main() -> int:
    failed = False
    with tempfile.TemporaryDirectory(prefix="lossdoctor-hostile-") as name:
        folder = Path(name)
        cases = {
            "healthy sample (baseline)": [str(HEALTHY)],
            "2,500 metrics": [str(columns_log(folder, 2500))],
            "10,000 metrics": [str(columns_log(folder, 10000))],
            "config.py of 10^9 values": [str(exponential_config(folder))],
            "gzip bomb, 1 GiB in 1 MB": [str(gzip_bomb(folder))],
            "one 20 MB JSON line": [str(long_line(folder))],
        }
        timings: dict[str, float] = {}
        base = None
        for label, paths in cases.items():
            code, seconds, peak, err = measure(["analyze", *paths, "--format", "json", "--output",
                                                str(folder / "report.json")])
            timings[label] = seconds
            base = base or seconds
            print(f"{label:28s} exit {code}  {seconds:6.2f} s ({seconds / base:4.1f}x)  peak {peak:7.0f} MiB")
            if code not in (0, 1, 2) or "Traceback" in err:
                failed = True
                print("  FAIL:", err[-800:])
        ratio = timings["10,000 metrics"] / timings["2,500 metrics"]
        print(f"10,000 / 2,500 metrics time ratio: {ratio:.1f} (linear ~4, quadratic ~16; includes startup)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
