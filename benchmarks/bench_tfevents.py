"""Speed benchmark of the ``tfevents`` reader against tbparse, on a 26 tags x 200k steps event file.

Why tbparse: it is what people use to load TensorBoard scalars without TensorFlow, and the issue's
target is relative to it (our reader at least 3x faster), so the verdict holds on any machine.
Like ``bench_analyze.py``, every side is a fresh whole process (imports included) run through a
wrapper that reports its wall time and peak RSS, sides are interleaved, and the file is read once
beforehand so all see a warm page cache. Two lossdoctor sides: the reader alone
(``lossdoctor.readers.read_paths``, the like-for-like comparison with ``SummaryReader.scalars``)
and the whole ``lossdoctor analyze`` a user waits for.

Needs the ``bench`` and ``tensorboard`` extras: ``pip install -e '.[tensorboard,bench]'``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analyze import Side, dump_samples, measure_rounds, warm_cache
from make_big_tfevents import DEFAULT_STEPS, ensure_file

TARGET = 3.0  # tbparse wall time / ours, at least
READ_SIDE = "lossdoctor read_paths"
ANALYZE_SIDE = "lossdoctor analyze"
TBPARSE_SIDE = "tbparse SummaryReader.scalars"


def build_sides(path: Path) -> list[Side]:
    """The sides, in run order; each touches its result so no lazy path can skip the work."""
    py = sys.executable
    ours = ("from lossdoctor.readers import read_paths\n"
            f"run = read_paths([{str(path)!r}])\n"
            "assert run.frame.shape[0] > 0\n")
    theirs = ("from tbparse import SummaryReader\n"
              f"df = SummaryReader({str(path)!r}).scalars\n"
              "assert len(df) > 0\n")
    return [
        Side(READ_SIDE, [py, "-c", ours], is_lossdoctor=True),
        Side(ANALYZE_SIDE, [py, "-m", "lossdoctor", "analyze", str(path), "--format", "json",
                            "--output", os.devnull, "--fail-on", "never"], is_lossdoctor=True),
        Side(TBPARSE_SIDE, [py, "-c", theirs]),
    ]  # fmt: skip


def report(sides: list[Side], path: Path, repeat: int) -> list[str]:
    """Print the table with each lossdoctor side's speed-up over tbparse and its PASS/FAIL."""
    base = next(s for s in sides if s.name == TBPARSE_SIDE)
    lines = [
        f"file: {path} ({path.stat().st_size / 1e6:.1f} MB), {repeat} run(s) per side, median wall, max RSS",
        f"python: {sys.executable} ({sys.version.split()[0]})",
        "",
        f"{'side':<30} {'wall (s)':>9} {'RSS (MiB)':>10} {'tbparse/ours':>13}  verdict",
        "-" * 80,
    ]
    for side in sides:
        if not side.ok:
            first = (side.failure or "no samples").splitlines()[0].rstrip(":")
            lines.append(f"{side.name:<30} {'FAILED':>9}  ({first}; stderr below)")
            continue
        ratio, note = "-", "baseline" if side is base else ""
        if side is not base and base.ok:
            speedup = base.wall / side.wall
            ratio = f"{speedup:.1f}x"
            note = f"{'PASS' if speedup >= TARGET else 'FAIL'} (>= {TARGET:.0f}x faster than tbparse)"
        lines.append(f"{side.name:<30} {side.wall:>9.2f} {side.peak / 2**20:>10.1f} {ratio:>13}  {note}")
    print("\n".join(lines))
    for side in sides:
        if side.failure:
            print(f"\n--- {side.name} failed: {side.failure}", file=sys.stderr)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Exit 0 (a missed target is FAIL in the table: timings depend on the machine); 1 when ours crashed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                        help="logged steps of the generated file, 26 tags each (default 200000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (default 3)")
    parser.add_argument("--regen", action="store_true", help="regenerate the file even if it exists")
    parser.add_argument("--file", type=Path, default=None, help="benchmark this existing event file instead")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw samples here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    path = args.file.resolve() if args.file else ensure_file(args.steps, args.regen)
    warm_cache(path)
    sides = build_sides(path)
    measure_rounds(sides, args.repeat)
    report(sides, path, args.repeat)
    if args.json:
        dump_samples(args.json, path, sides)
    return 1 if any(s.is_lossdoctor and s.failure for s in sides) else 0


if __name__ == "__main__":
    raise SystemExit(main())
