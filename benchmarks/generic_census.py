"""Every generic finding on every real log, with the numbers to check it by (issue 14).

    .venv/bin/python benchmarks/generic_census.py [FOLDER…]  # tests/data/real, ../shared/real_logs
    .venv/bin/python benchmarks/generic_census.py --brief      # the finding lines and totals only
    .venv/bin/python benchmarks/generic_census.py --long-windows 20  # plateaus per long_window

`lossdoctor analyze --format json` judges every run below the folders (the latest launch of each, as a
user gets it), then every earlier launch a report names (`--launch K`). One line per generic finding:
file, launch, rule, severity, steps and its evidence; below it the series it judged, so the finding can
be confirmed or refuted by eye. Each finding is then looked up in benchmarks/generic_census.md, the
committed classification (true / false, with a one-line reason): the totals say how many are true,
false, or not classified yet, and which classified findings no longer fire. Nothing is timed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CLASSIFICATION = ROOT / "benchmarks" / "generic_census.md"
GENERIC = ("loss-plateau", "loss-spike", "non-finite-loss", "val-loss-diverging", "accuracy-not-improving",
           "loss-magnitude-absurd")
LAUNCH = re.compile(r"^launch (\d+) of (\d+)\b.*not part of the run judged here")
# a classification row: | `path` | launch | rule | first–last | true/false | reason |
ROW = re.compile(r"^\| `([^`]+)` \| (\d+|latest) \| ([a-z-]+) \| (-?\d+)–(-?\d+) \| (true|false) \| (.+) \|$")


def analyze(paths: list[str], launch: int | None = None, extra: tuple[str, ...] = ()) -> dict:
    """The JSON report(s) of `lossdoctor analyze`, as a user runs it."""
    cmd = [sys.executable, "-m", "lossdoctor", "analyze", "--format", "json", "--fail-on", "never", *paths,
           *extra]
    if launch is not None:
        cmd += ["--launch", str(launch)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"analyze {' '.join(paths)} exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout)


def reports(folders: list[str], extra: tuple[str, ...] = ()) -> list[tuple[str, str, dict]]:
    """(path, launch, report) for each run's latest launch and every earlier launch it names."""
    out: list[tuple[str, str, dict]] = []
    sweep = analyze(folders, extra=extra)
    for run in sweep.get("runs", [{"path": folders[0], "report": sweep}]):
        report = run.get("report")
        if not report:
            continue
        out.append((run["path"], "latest", report))
        for warning in report["run"]["warnings"]:
            match = LAUNCH.match(warning["message"])
            if match:
                launch = int(match.group(1))
                out.append((run["path"], match.group(1), analyze([run["path"]], launch, extra)))
    return out


def long_windows(folders: list[str], seeds: int) -> None:
    """Why `loss-plateau.long_window` is 1.25: the planted plateau's recall and the real plateaus, per value.

    The planted plateau is rule_robustness.py's `loss_plateau` scenario with `seeds` fresh seeds; the real
    plateaus are those of this census, split by their classification (unclassified: a stretch that no
    committed row names, to be looked at).
    """
    import tempfile

    sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "sample_logs")]
    import make_samples
    import rule_robustness

    from lossdoctor import engine
    from lossdoctor.engine import load_default
    from lossdoctor.readers import read_paths

    scenario = next(s for s in make_samples.SCENARIOS if s.name == "loss_plateau")
    planted = []
    for variant in rule_robustness.variants(scenario, seeds, 1.0):
        with tempfile.TemporaryDirectory() as tmp:
            for launch in variant.all_launches():
                make_samples.write_launch(variant, launch, Path(tmp))
            planted.append(read_paths([Path(tmp) / variant.name]))
    rules, known = load_default(), classified()
    print(f"{'long_window':>11}  planted plateau found  real plateaus: true  false  unclassified")
    for value in (1.0, 1.25, 1.5, 2.0):
        override = {"loss-plateau": {"long_window": value}}
        found = sum(
            any(f.rule == "loss-plateau" for f in engine.analyze(run, rules, rule_params=override).findings)
            for run in planted
        )
        verdicts: Counter[str] = Counter()
        for path, launch, report in reports(folders, ("--param", f"loss-plateau.long_window={value}")):
            for f in report["findings"]:
                if f["rule"] == "loss-plateau":
                    key = (path, launch, f["rule"], f["first_step"], f["last_step"])
                    verdicts[known.get(key, ("unclassified", ""))[0]] += 1
        print(f"{value:11g}  {found:>8}/{len(planted):<13} {verdicts['true']:>17} {verdicts['false']:>6} "
              f"{verdicts['unclassified']:>13}")


def series(path: str, launch: str, finding: dict) -> pd.DataFrame:
    """The columns the finding judged, read as the engine reads them."""
    from lossdoctor.readers import read_paths

    run = read_paths([ROOT / path], launch=None if launch == "latest" else int(launch))
    evidence = finding["evidence"]
    if finding["rule"] == "non-finite-loss":
        names = [k for k, v in evidence.items() if v in ("NaN", "Infinity", "-Infinity")]
    elif finding["rule"] == "val-loss-diverging":
        names = [str(evidence.get("val_judged", "val_loss")), "loss"]
    elif finding["rule"] == "accuracy-not-improving":
        names = [str(evidence.get("acc_judged", "accuracy"))]
    else:
        names = ["loss"]
    return run.frame[[n for n in names if n in run.frame.columns]]


def look(frame: pd.DataFrame, finding: dict) -> list[str]:
    """What the numbers say around the finding: bin medians of the stretch, the levels before and after."""
    lines = []
    first, last = finding["first_step"], finding["last_step"]
    for name in frame.columns:
        s = frame[name].dropna() if finding["rule"] != "non-finite-loss" else frame[name]
        if s.empty:
            continue
        start = float(np.nanmedian(s.iloc[:3])) if np.isfinite(s.iloc[:3]).any() else float("nan")
        inside = s[(s.index >= first) & (s.index <= last)]
        before = s[s.index < first].iloc[-10:]
        after = s[s.index > last].iloc[:10]
        end = float(np.nanmedian(s.iloc[-3:])) if np.isfinite(s.iloc[-3:]).any() else float("nan")
        lines.append(f"    {name}: run {s.index[0]}–{s.index[-1]} ({len(s)} points), starts at {start:.4g}, "
                     f"ends at {end:.4g}")
        if finding["rule"] == "loss-spike":
            for step, value in inside.items():
                prior = s[s.index < step].iloc[-10:]
                level = float(np.median(prior)) if len(prior) else float("nan")
                jump = (value - level) / start
                lines.append(f"      step {step}: {value:.4g} vs median {level:.4g} of the 10 points "
                             f"before ({value / level:.1f}×; jump {jump:.2%} of the start)")
            continue
        if finding["rule"] == "non-finite-loss":
            bad = s[~np.isfinite(s)]
            finite_before = s[s.index < first].dropna().iloc[-3:].round(4).tolist()
            first_bad = bad.index[0] if len(bad) else "-"
            lines.append(f"      {len(bad)} non-finite of {len(s)}; first at {first_bad}; "
                         f"last finite before it {finite_before}")
            continue
        bins = np.array_split(inside.to_numpy(), min(12, len(inside))) if len(inside) else []
        medians = [float(f"{np.median(b):.4g}") for b in bins]
        lines.append(f"      stretch {first}–{last}: bin medians {medians}")
        ahead = np.median(before) if len(before) else float("nan")
        behind = np.median(after) if len(after) else float("nan")
        lines.append(f"      10 points before: median {ahead:.4g}; 10 after: median {behind:.4g}")
    return lines


def classified() -> dict[tuple[str, str, str, int, int], tuple[str, str]]:
    if not CLASSIFICATION.exists():
        return {}
    rows = {}
    for line in CLASSIFICATION.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            path, launch, rule, a, b, verdict, reason = match.groups()
            rows[(path, launch, rule, int(a), int(b))] = (verdict, reason)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*")
    parser.add_argument("--brief", action="store_true", help="finding lines and totals only")
    parser.add_argument("--long-windows", type=int, metavar="SEEDS",
                        help="instead: planted and real plateaus per loss-plateau.long_window value")
    args = parser.parse_args()
    folders = args.folders or [p for p in ("tests/data/real", "../shared/real_logs") if (ROOT / p).exists()]
    if args.long_windows:
        long_windows(folders, args.long_windows)
        return
    known = classified()
    seen: set[tuple[str, str, str, int, int]] = set()
    counts: Counter[tuple[str, str]] = Counter()
    runs = reports(folders)
    for path, launch, report in runs:
        for finding in report["findings"]:
            if finding["rule"] not in GENERIC:
                continue
            key = (path, launch, finding["rule"], finding["first_step"], finding["last_step"])
            seen.add(key)
            verdict, reason = known.get(key, ("UNCLASSIFIED", ""))
            counts[(finding["rule"], verdict)] += 1
            evidence = json.dumps(finding["evidence"], ensure_ascii=False)
            stretch = f"{finding['first_step']}–{finding['last_step']}"
            print(f"{verdict:12} {finding['rule']:22} {finding['severity']:4} {path} [launch {launch}] "
                  f"{stretch} {evidence}")
            if reason:
                print(f"    judged: {reason}")
            if not args.brief:
                print("\n".join(look(series(path, launch, finding), finding)))
    gone = sorted(set(known) - seen)
    total = sum(counts.values())
    print(f"\n{len(runs)} reports (latest launches and earlier ones), {total} generic findings")
    for rule in GENERIC:
        row = {v: counts[(rule, v)] for v in ("true", "false", "UNCLASSIFIED")}
        if any(row.values()):
            print(f"  {rule:22} true {row['true']:3}  false {row['false']:3}  "
              f"unclassified {row['UNCLASSIFIED']:3}")
    print(f"classified in {CLASSIFICATION.name} but no longer found: {len(gone)}")
    for path, launch, rule, a, b in gone:
        verdict, reason = known[(path, launch, rule, a, b)]
        print(f"  was {verdict:5} {rule:22} {path} [launch {launch}] {a}–{b}: {reason}")


if __name__ == "__main__":
    main()
