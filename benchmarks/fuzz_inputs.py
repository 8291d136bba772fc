"""Fuzz `lossdoctor analyze` longer than the suite does: many mutated real logs and configs, each
in its own process under a memory limit and a timeout.

    .venv/bin/python benchmarks/fuzz_inputs.py --examples 200
    .venv/bin/python benchmarks/fuzz_inputs.py --examples 50 --huge 20000000   # 20 MB lines

Mutations and seeds are those of the suite's fuzz test (tests/helpers/fuzz.py), with larger
seeds and a larger "huge" line. Each example runs `python -m lossdoctor analyze` with
RLIMIT_AS = --memory MiB and a --timeout; it prints the exit codes seen, the slowest
examples (seconds, and the ratio to one unmutated seed's run) and the largest peak RSS of
any example (MiB). Exit 1 when any example exited 3, printed
a traceback, was killed by the limit or the timeout; else 0.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers.fuzz import Mutation, Seed, mutations, prepare, seeds  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _limit(megabytes: int) -> None:
    cap = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run_one(args: list[str], memory: int, timeout: float) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak RSS MiB, stderr) of one `python -m lossdoctor` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "lossdoctor", *args], capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT, preexec_fn=lambda: _limit(memory))
        code, err = done.returncode, done.stderr + done.stdout[-2000:]
    except subprocess.TimeoutExpired:
        code, err = -999, "timeout"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return code, seconds, max(peak, before) / 1024, err


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--huge", type=int, default=2_000_000, help="bytes of the one long line")
    parser.add_argument("--max-seed-bytes", type=int, default=400_000)
    parser.add_argument("--memory", type=int, default=3072, help="RLIMIT_AS per example, MiB")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per example")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed")
    options = parser.parse_args()

    pool = seeds(options.max_seed_bytes)
    results: list[tuple[int, float, str]] = []
    bad: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lossdoctor-fuzz-") as folder:
        work = Path(folder)
        base_code, base_seconds, _, _ = run_one(prepare(pool[0], lambda d: d, work, project_config=False),
                                                options.memory, options.timeout)
        print(f"baseline (unmutated {pool[0].target}): exit {base_code}, {base_seconds:.2f} s")

        @settings(max_examples=options.examples, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))
        @given(seed=st.sampled_from(pool), mutation=mutations(options.huge), project_config=st.booleans())
        def example(seed: Seed, mutation: Mutation, project_config: bool) -> None:
            args = prepare(seed, mutation, work, project_config=project_config)
            code, seconds, _, err = run_one(args, options.memory, options.timeout)
            label = f"{seed.target}{' (project config)' if project_config else ''}"
            results.append((code, seconds, label))
            if code not in (0, 1, 2) or "Traceback" in err:
                bad.append(f"exit {code} on {label}: {err[-600:]}")
                print("FAIL:", bad[-1], flush=True)
            if len(results) % 10 == 0:
                print(f"... {len(results)} examples", flush=True)

        from hypothesis import seed as hypothesis_seed

        hypothesis_seed(options.seed)(example)()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    times = sorted(seconds for _, seconds, _ in results)
    median = statistics.median(times)
    print(f"examples: {len(results)}; exit codes: {dict(Counter(code for code, _, _ in results))}")
    print(f"seconds: median {median:.2f}, max {times[-1]:.2f} ({times[-1] / base_seconds:.1f}x the baseline)")
    for code, seconds, label in sorted(results, key=lambda r: -r[1])[:5]:
        print(f"  {seconds:6.2f} s  exit {code}  {label}")
    print(f"largest peak RSS of one example: {peak:.0f} MiB (limit {options.memory} MiB)")
    print(f"failures: {len(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
