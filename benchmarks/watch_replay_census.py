"""Every followable real log replayed into a live watch in chunks: does it raise an alert `analyze` withdraws?

Issue 14's promise: a `watch --follow` says only what `analyze` of the finished file confirms. Each
real log in `tests/data/real` (and `../shared/real_logs` when present) of a format the watch follows
is written into an empty file in about 40 chunks, polled after each, and every `firing` alert's
(rule, first step) must lie inside a finding of the same rule in `analyze` of the whole file.

    .venv/bin/python benchmarks/watch_replay_census.py        # ~1 min; prints one line per log
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOTS = (ROOT / "tests" / "data" / "real", ROOT.parent / "shared" / "real_logs")
FOLLOWABLE = {"mmengine-scalars", "jsonl", "mmengine-text", "mmcv-text", "mmcv-json", "csv"}


def logs() -> list[tuple[Path, str]]:
    from lossdoctor.readers.registry import detect

    out = []
    for root in ROOTS:
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            small = path.is_file() and path.stat().st_size < 5e6
            if small and path.suffix in (".json", ".log", ".csv", ".jsonl"):
                try:
                    fmt = detect(path)
                except Exception:  # not a log of a known format: not this census's business
                    continue
                if fmt in FOLLOWABLE:
                    out.append((path, fmt))
    return out


def replay(real: Path, fmt: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(alerts fired live, those `analyze` of the whole file does not report)."""
    from lossdoctor.engine import analyze
    from lossdoctor.engine.rulefiles.packs import load_rules
    from lossdoctor.live.watcher import Watcher, WatchOptions
    from lossdoctor.readers import read_paths
    from lossdoctor.reporters.watch_lines import PlainSink

    lines = real.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / real.name
        log.write_text("")
        options = WatchOptions(follow=True, input_format=fmt)
        watcher = Watcher(log, load_rules([]), options, PlainSink(io.StringIO()))
        fired: list[tuple[str, int]] = []
        per = max(20, len(lines) // 40)
        for start in range(0, len(lines), per):
            with open(log, "a", encoding="utf-8") as handle:
                handle.write("".join(lines[start : start + per]))
            fired += [(e.rule, e.first_step) for e in watcher.poll() if e.event == "firing" and e.rule]
        found = analyze(read_paths([log], input_format=fmt), load_rules([])).findings
    withdrawn = [(rule, first) for rule, first in fired
                 if not any(f.rule == rule and f.first_step <= first <= f.last_step for f in found)]
    return fired, withdrawn


def main() -> int:
    from lossdoctor.errors import LossdoctorError

    replayed = fired_total = 0
    bad: list[tuple[Path, list[tuple[str, int]]]] = []
    for path, fmt in logs():
        try:
            fired, withdrawn = replay(path, fmt)
        except LossdoctorError as exc:
            print(f"skipped {path}: {exc}")
            continue
        replayed += 1
        fired_total += len(fired)
        if withdrawn:
            bad.append((path, withdrawn))
        print(f"{path.relative_to(ROOT.parent) if ROOT.parent in path.parents else path}  {fmt}  "
              f"fired {fired or '-'}  {'WITHDRAWN ' + str(withdrawn) if withdrawn else 'ok'}")
    print(f"{replayed} logs replayed, {fired_total} alerts fired live, "
          f"{len(bad)} logs with an alert analyze withdraws")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
