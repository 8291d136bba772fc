"""What the generic rules say on a folder of per-epoch histories: per rule, how many runs it fired on,
stayed quiet on, or could not judge (the issue-18 census of real Keras / Lightning / TensorBoard logs).

    python benchmarks/epoch_census.py FOLDER…    # every *.log, *.csv, *.json and Keras logdir below

Files that are not training logs are counted as unreadable; nothing is timed.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from lossdoctor.engine import analyze, load_default
from lossdoctor.errors import LossdoctorError
from lossdoctor.readers import keras_tb, read_paths

GENERIC = ("loss-plateau", "loss-spike", "non-finite-loss", "val-loss-diverging", "accuracy-not-improving",
           "loss-magnitude-absurd")


def candidates(folder: Path) -> list[Path]:
    """Log files and Keras logdirs below `folder` (a logdir's own event files are not listed twice)."""
    logdirs = sorted(p for p in [folder, *folder.rglob("*")] if p.is_dir() and keras_tb.is_logdir(p))
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".log", ".csv", ".json") and p.is_file())
    return logdirs + files


def main(folders: list[str]) -> None:
    rules = load_default()
    tally: dict[str, Counter[str]] = {rule: Counter() for rule in GENERIC}
    unreadable = 0
    for path in (p for folder in folders for p in candidates(Path(folder))):
        try:
            report = analyze(read_paths([path]), rules)
        except LossdoctorError:
            unreadable += 1
            continue
        fired = {f.rule for f in report.findings if f.severity != "info"}
        judged = {e.rule for e in report.evaluated}
        for rule in GENERIC:
            outcome = "fired" if rule in fired else "quiet" if rule in judged else "not evaluated"
            tally[rule][outcome] += 1
            if outcome == "fired":
                print(f"{rule:24} fired  {path}")
    print(f"\nunreadable: {unreadable}")
    for rule, counts in tally.items():
        fired, quiet, skipped = counts["fired"], counts["quiet"], counts["not evaluated"]
        print(f"{rule:24} fired {fired:3}  quiet {quiet:3}  not evaluated {skipped:3}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["."])
