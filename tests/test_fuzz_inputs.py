"""Fuzz: mutations of real logs and configs never crash lossdoctor (issue 15).

Hypothesis cuts, duplicates, flips, nests, respells and inflates real files (the bundled
sample and the copies in ../shared/real_logs) and runs `analyze` in-process on each:
the exit code is 0, 1 or 2, never 3 (a bug), and nothing prints a traceback. Memory is
checked as the process's peak RSS against the documented bounds; time is left to
`benchmarks/fuzz_inputs.py`, which runs many more examples, larger ones, each under a
time and memory limit (unit tests never time things). Derandomized: the suite sees the
same examples on every run.
"""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from helpers.fuzz import Mutation, Seed, analyze_mutated, mutations, seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEEDS = seeds()
PEAK_RSS_BOUND = 2 * 1024 * 1024 * 1024  # bytes: far above a sane run, far below a bomb's gigabytes


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.sampled_from(SEEDS), mutation=mutations(huge=100_000), project_config=st.booleans())
def test_a_mutated_log_or_config_is_read_or_refused_never_a_crash(
    tmp_path: Path, seed: Seed, mutation: Mutation, project_config: bool
) -> None:
    outcome = analyze_mutated(seed, mutation, tmp_path, project_config=project_config)
    assert outcome.code in (0, 1, 2), outcome.err[-2000:]
    assert "Traceback" not in outcome.err and "Traceback" not in outcome.out
    if outcome.code == 2:  # bad input gets one clear line
        assert outcome.err.startswith("lossdoctor: error:"), outcome.err[:500]


def test_the_fuzz_run_stayed_within_the_memory_bound() -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    assert peak < PEAK_RSS_BOUND


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_the_seeds_themselves_are_read(tmp_path: Path, seed: Seed) -> None:
    outcome = analyze_mutated(seed, lambda data: data, tmp_path, project_config=False)
    assert outcome.code in (0, 1), outcome.err
