"""Speed of the text-log and TensorBoard-CSV readers against what a user would otherwise write.

Two inputs from ``make_big_logs.py`` (200k steps): an MMEngine text log, and a folder of TensorBoard
CSV exports (26 tags x 200k steps). The baselines are the code a user writes without lossdoctor:

* text log: a line-by-line regex loop (``Iter(train) [i/N]`` then ``key: value`` pairs), rows into
  ``pandas.DataFrame``; target: lossdoctor at least 2x faster;
* CSV folder: ``pandas.read_csv`` per tag, then an outer join on the step; target: lossdoctor at
  least as fast.

Like ``bench_analyze.py`` every side is a fresh whole process (imports included) measured through a
wrapper (wall time, peak RSS), sides are interleaved and the inputs read once beforehand. Two
lossdoctor sides per input: ``read_paths`` alone (the like-for-like comparison: both end with one
step-indexed frame) and the whole ``lossdoctor analyze`` a user waits for (reading plus every rule).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analyze import Side, dump_samples, measure_rounds, warm_cache
from make_big_logs import DEFAULT_STEPS, ensure

REGEX_LOOP = r"""
import re, sys
import pandas as pd
progress = re.compile(r"Iter\(train\)\s*\[\s*(\d+)/\d+\]\s*(.*)")
pair = re.compile(r"([^\s:]+): (\S+)")
rows = []
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        m = progress.search(line)
        if m is None:
            continue
        row = {"step": int(m.group(1))}
        for key, value in pair.findall(m.group(2)):
            try:
                row[key] = float(value)
            except ValueError:
                pass
        rows.append(row)
frame = pd.DataFrame(rows).set_index("step")
assert len(frame) > 0
"""
READ_CSV_JOIN = r"""
import glob, os, sys
import pandas as pd
frames = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.csv"))):
    tag = os.path.basename(path).split("-tag-", 1)[1][: -len(".csv")]
    frame = pd.read_csv(path, usecols=["Step", "Value"], index_col="Step")
    frames.append(frame.rename(columns={"Value": tag}))
frame = frames[0].join(frames[1:], how="outer")
assert len(frame) > 0
"""
READ_PATHS = ("import sys\nfrom lossdoctor.readers import read_paths\n"
              "assert len(read_paths([sys.argv[1]]).frame) > 0\n")
TARGETS = {"text log": 2.0, "TB CSV folder": 1.0}  # baseline wall / lossdoctor wall, at least


def build_sides(label: str, path: Path, baseline: tuple[str, str]) -> list[Side]:
    py = sys.executable
    return [
        Side(f"{label}: {baseline[0]}", [py, "-c", baseline[1], str(path)]),
        Side(f"{label}: lossdoctor read_paths", [py, "-c", READ_PATHS, str(path)], is_lossdoctor=True),
        Side(f"{label}: lossdoctor analyze", [py, "-m", "lossdoctor", "analyze", str(path), "--format",
                                              "json", "--output", os.devnull, "--fail-on", "never"],
             is_lossdoctor=True),
    ]  # fmt: skip


def report(groups: dict[str, list[Side]], repeat: int) -> list[str]:
    """The table: each lossdoctor side's speed-up over its baseline, and PASS/FAIL against the target."""
    lines = [f"{repeat} run(s) per side, median wall, max peak RSS; python {sys.version.split()[0]}", "",
             f"{'side':<44} {'wall (s)':>9} {'RSS (MiB)':>10} {'base/ours':>10}  verdict", "-" * 92]
    for label, sides in groups.items():
        base = sides[0]
        for side in sides:
            if not side.ok:
                first = (side.failure or "no samples").splitlines()[0]
                lines.append(f"{side.name:<44} {'FAILED':>9}  ({first})")
                continue
            ratio, note = "-", "baseline"
            if side is not base and base.ok:
                speedup = base.wall / side.wall
                ratio = f"{speedup:.2f}x"
                target = TARGETS[label]
                note = f"{'PASS' if speedup >= target else 'FAIL'} (>= {target:g}x)"
            lines.append(f"{side.name:<44} {side.wall:>9.2f} {side.peak / 2**20:>10.1f} {ratio:>10}  {note}")
    print("\n".join(lines))
    for sides in groups.values():
        for side in sides:
            if side.failure:
                print(f"\n--- {side.name} failed: {side.failure}", file=sys.stderr)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Exit 0 (a missed target is FAIL in the table); 1 when a lossdoctor side crashed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="logged steps (default 200000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (default 3)")
    parser.add_argument("--regen", action="store_true", help="regenerate the inputs")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw samples here")
    args = parser.parse_args(argv)
    log, folder = ensure(args.steps, args.regen)
    warm_cache(log)
    for csv in folder.glob("*.csv"):
        warm_cache(csv)
    groups = {
        "text log": build_sides("text log", log, ("regex loop", REGEX_LOOP)),
        "TB CSV folder": build_sides("TB CSV folder", folder, ("read_csv + outer join", READ_CSV_JOIN)),
    }
    measure_rounds([side for sides in groups.values() for side in sides], args.repeat)
    report(groups, args.repeat)
    if args.json:
        dump_samples(args.json, None, [side for sides in groups.values() for side in sides])
    return 1 if any(s.is_lossdoctor and s.failure for g in groups.values() for s in g) else 0


if __name__ == "__main__":
    raise SystemExit(main())
