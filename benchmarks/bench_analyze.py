"""Speed/memory benchmark: ``lossdoctor analyze`` against a bare pandas read of the same file.

Why whole processes: what the user feels is ``lossdoctor analyze run/scalars.json`` from Enter to
prompt, imports included (pandas + pyarrow alone are ~0.5 s), so every side is measured as a fresh
``python -c ...`` process: start, imports, work. The reference is the cheapest honest way to get
the same data into memory, ``pandas.read_json(lines=True, engine="pyarrow")``; the issue's targets
are relative to it, so they hold on any machine:

* ``lossdoctor analyze FILE --format json`` within 1.3x its wall time and 1.5x its peak RSS;
* ``lossdoctor --help`` in about 0.15 s (soft target; shown next to a bare ``python -c pass``,
  which is the floor no CLI can beat).

Why a wrapper child per measurement: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the maximum over
*all* children a process has waited for, so asking it here after several runs would give the
biggest side for everything. Each measurement therefore runs inside its own tiny wrapper process,
whose only child is the measured one; the wrapper reports that child's wall time and peak RSS.
Runs are interleaved (side A, B, C, A, B, C, ...) so a machine slowing down mid-benchmark hurts
every side alike, and the file is read once beforehand so every side sees a warm page cache.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_big_scalars import DEFAULT_LINES, ensure_file

REPO_ROOT = Path(__file__).resolve().parent.parent
TIME_TARGET = 1.3
MEM_TARGET = 1.5
HELP_TARGET_S = 0.15

# The wrapper: runs argv[1:], times it, and reports its peak RSS. Output is one JSON line on stdout;
# the measured process's stdout is discarded (it can be large) and its stderr is kept for errors.
# ru_maxrss is KiB on Linux, bytes on macOS: normalised to bytes here.
WRAPPER = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
rss *= 1 if sys.platform == "darwin" else 1024
print(json.dumps({"rc": p.returncode, "wall": wall, "rss": rss,
                  "stderr": p.stderr.decode("utf-8", "replace")[-4000:]}))
"""


@dataclass
class Side:
    """One thing being measured, with the samples collected so far."""

    name: str
    argv: list[str]
    is_lossdoctor: bool = False
    walls: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    failure: str | None = None  # "exit N" plus stderr of the first failing run

    @property
    def ok(self) -> bool:
        return self.failure is None and bool(self.walls)

    @property
    def wall(self) -> float:
        """Median: robust to one run hit by a noisy neighbour."""
        return statistics.median(self.walls)

    @property
    def peak(self) -> int:
        """Max, not median: peak memory is what decides whether a run gets OOM-killed."""
        return max(self.rss)


def pandas_code(path: Path, engine: str | None) -> str:
    """Code for a pandas side: read, then touch the result so no lazy path can skip the work."""
    engine_arg = f", engine={engine!r}" if engine else ""
    return (
        "import pandas as pd\n"
        f"df = pd.read_json({str(path)!r}, lines=True{engine_arg})\n"
        "assert len(df) > 0 and df.shape[1] > 0\n"
    )


def build_sides(path: Path) -> list[Side]:
    """The sides, in run order. ``-m lossdoctor`` is run from the repo root (as every side is)."""
    py = sys.executable
    return [
        Side("python -c pass", [py, "-c", "pass"]),
        Side("lossdoctor --help", [py, "-m", "lossdoctor", "--help"], is_lossdoctor=True),
        Side("pandas read_json", [py, "-c", pandas_code(path, None)]),
        Side("pandas read_json pyarrow", [py, "-c", pandas_code(path, "pyarrow")]),
        Side(
            "lossdoctor analyze",
            [py, "-m", "lossdoctor", "analyze", str(path), "--format", "json",
             "--output", os.devnull, "--fail-on", "never"],
            is_lossdoctor=True,
        ),
    ]  # fmt: skip


def measure(side: Side) -> None:
    """Run one measurement of ``side`` through its own wrapper process and record it.

    Exit code 1 counts as success for ``analyze`` (it means "a red flag fired", which a realistic
    file may legitimately do if ``--fail-on never`` is not wired yet), unless stderr holds a Python
    traceback: an uncaught exception also exits 1. ``--help`` must exit 0.
    """
    if side.failure is not None:
        return  # a side that failed once is not re-run: its numbers would be meaningless
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *side.argv],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        side.failure = f"wrapper failed (exit {proc.returncode}):\n{proc.stderr}"
        return
    # Python's own exit code for an uncaught exception is also 1: a traceback is a crash, not a finding.
    allowed = (0, 1) if side.is_lossdoctor and "--help" not in side.argv else (0,)
    if result["rc"] not in allowed or "Traceback (most recent call last)" in result["stderr"]:
        side.failure = f"exit {result['rc']}:\n{result['stderr'].rstrip()}"
        return
    side.walls.append(result["wall"])
    side.rss.append(result["rss"])


def warm_cache(path: Path) -> None:
    """Read the file once so the first measured side does not pay the disk for the others."""
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "FAIL"


def report(sides: list[Side], path: Path, repeat: int) -> list[str]:
    """Print the table; return the lines so ``--json`` and tests can reuse the numbers."""
    by_name = {s.name: s for s in sides}
    base = by_name["pandas read_json pyarrow"]
    bare = by_name["python -c pass"]
    size_mb = path.stat().st_size / 1e6
    lines = [
        f"file: {path} ({size_mb:.1f} MB), {repeat} run(s) per side, median wall, max peak RSS",
        f"python: {sys.executable} ({sys.version.split()[0]})",
        "",
        f"{'side':<26} {'wall (s)':>9} {'RSS (MiB)':>10} {'time x':>7} {'mem x':>6}  verdict",
        "-" * 76,
    ]
    for s in sides:
        if not s.ok:
            first = (s.failure or "no samples").splitlines()[0].rstrip(":")
            lines.append(f"{s.name:<26} {'FAILED':>9}  ({first}; stderr below)")
            continue
        wall, rss_mib = s.wall, s.peak / 2**20
        tx = mx = "-"
        note = ""
        if base.ok and s.name.startswith(("pandas", "lossdoctor analyze")):
            t_ratio, m_ratio = wall / base.wall, s.peak / base.peak
            tx, mx = f"{t_ratio:.2f}", f"{m_ratio:.2f}"
            if s.name == "lossdoctor analyze":
                note = (
                    f"time {verdict(t_ratio, TIME_TARGET)} (<= {TIME_TARGET}x), "
                    f"mem {verdict(m_ratio, MEM_TARGET)} (<= {MEM_TARGET}x)"
                )
            elif s is base:
                note = "baseline"
        elif s is bare:
            note = "start-up floor"
        elif s.name == "lossdoctor --help":
            soft = "ok" if wall <= HELP_TARGET_S else "SLOW"
            start = f", {wall / bare.wall:.1f}x bare python start" if bare.ok else ""
            note = f"soft target {HELP_TARGET_S} s: {soft}{start}"
        lines.append(f"{s.name:<26} {wall:>9.3f} {rss_mib:>10.1f} {tx:>7} {mx:>6}  {note}")
    if not base.ok:
        lines.append("(no ratios: the pyarrow baseline failed)")
    print("\n".join(lines))
    for s in sides:
        if s.failure:
            print(f"\n--- {s.name} failed: {s.failure}", file=sys.stderr)
    return lines


def measure_rounds(sides: list[Side], repeat: int) -> None:
    """`repeat` rounds, each side once per round, so machine noise spreads over every side alike."""
    for index in range(repeat):
        for side in sides:
            measure(side)
        print(f"run {index + 1}/{repeat} done", file=sys.stderr)


def dump_samples(target: Path, path: Path | None, sides: list[Side]) -> None:
    """The raw samples of every side as JSON, for anyone who wants more than the table."""
    document: dict[str, object] = {"python": sys.version}
    if path is not None:
        document.update(file=str(path), bytes=path.stat().st_size)
    document["sides"] = [{"name": s.name, "argv": s.argv, "walls_s": s.walls, "peak_rss_bytes": s.rss,
                          "failure": s.failure} for s in sides]
    target.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Exit 0, unless a lossdoctor process crashed (exit not 0/1): then 1, with its stderr printed.

    A slow or fat lossdoctor is reported as FAIL in the table but does not change the exit code:
    timings depend on the machine, and CI should not go red on a noisy runner.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--lines",
        type=int,
        default=DEFAULT_LINES,
        help="training lines of the generated file (default 200000; e.g. 5000 for a quick run)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (default 3)")
    parser.add_argument(
        "--keyset",
        choices=("bench", "full"),
        default="bench",
        help="generated key set (see make_big_scalars.py)",
    )
    parser.add_argument("--regen", action="store_true", help="regenerate the file even if it exists")
    parser.add_argument("--file", type=Path, default=None, help="benchmark this existing file instead")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw samples here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    path = args.file.resolve() if args.file else ensure_file(args.lines, args.keyset, args.regen)
    warm_cache(path)
    sides = build_sides(path)
    measure_rounds(sides, args.repeat)
    report(sides, path, args.repeat)
    if args.json:
        dump_samples(args.json, path, sides)

    crashed = [s for s in sides if s.is_lossdoctor and s.failure]
    return 1 if crashed else 0


if __name__ == "__main__":
    raise SystemExit(main())
