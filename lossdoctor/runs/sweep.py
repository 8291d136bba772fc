"""Sweep mode: many runs judged at once, in parallel, summarised as one table, worst first.

A hyper-parameter sweep leaves dozens of work dirs and the first question is which deserve a look.
Each run is read and judged exactly as `lossdoctor analyze RUN` would (same rules, parameters,
gate), in a process pool over all cores: reading and judging are CPU-bound Python and numpy, so
threads would share one core. The pool is forked where the platform allows, so workers inherit the
imported engine and the loaded rule set instead of paying for them again.

A run that cannot be read is a row saying why, never the end of the sweep; the sweep's exit code is
2 only when no run was readable, else 1 when any run fired at or above `--fail-on`, else 0.
Rows are built from each run's `lossdoctor.report/v1` document, so a sweep's table is by
construction the rows of separate `analyze --format json` calls.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossdoctor.errors import BAD_INPUT, FIRED, INTERNAL, OK, LossdoctorError

if TYPE_CHECKING:
    from lossdoctor.engine.rulefiles.packs import RuleSet
    from lossdoctor.model import Report

SWEEP_SCHEMA = "lossdoctor.sweep/v1"
STATUS_ORDER = {"red": 0, "error": 1, "warn": 2, "ok": 3}  # worst first: an unreadable run hides anything


@dataclass(frozen=True, kw_only=True)
class Judging:
    """Everything a worker needs to judge a run as `analyze` would; sent once per worker."""

    ruleset: RuleSet
    run_params: dict[str, Any]
    rule_params: dict[str, dict[str, Any]]
    lang: str
    fail_on: str
    baseline: frozenset[tuple[str, str | None]] = frozenset()
    input_format: str | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    tag: str | None = None
    config_source: str | None = None
    required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # --require, as gate resolved it
    keep_frames: bool = True  # False: a run's metric columns are dropped once judged (no output draws them)


@dataclass
class SweepRun:
    """One run of the sweep: its report, or why there is none."""

    path: str
    exit: int
    report: Report | None
    error: str | None = None
    unmet: list[str] = field(default_factory=list)  # required checks that did not run, with why
    document: dict[str, Any] | None = None  # a saved report/v1 document (lossdoctor.runs.saved): shown as is

    def report_document(self) -> dict[str, Any] | None:
        """The run's report document: the saved one, else the judged report's, else None (unreadable)."""
        if self.document is not None:
            return self.document
        if self.report is None:
            return None
        from lossdoctor.document import report_document

        return report_document(self.report)


@dataclass
class Sweep:
    """The runs of a sweep, as judged, for the reporters; `detail` asks for each run's full report."""

    runs: list[SweepRun]
    lang: str = "en"
    detail: bool = False

    def rows(self) -> list[Row]:
        """The summary table, worst first."""
        return rows_worst_first([row_of(r.path, r.report_document(), r.exit, r.error) for r in self.runs])

    def detail_possible(self) -> bool:
        """--detail needs every run's series: a saved report holds only its results."""
        return all(run.document is None for run in self.runs)

    def by_path(self) -> dict[str, SweepRun]:
        return {run.path: run for run in self.runs}


@dataclass(frozen=True)
class Row:
    """A summary-table row, built from a report document (the JSON contract), so any reader agrees."""

    path: str
    status: str  # red | warn | ok | error
    exit: int
    red: int
    warn: int
    first_red: int | None
    diagnosis: str | None  # the leading diagnosis: title (rule)
    verdicts: dict[str, str]
    error: str | None = None


def row_of(path: str, document: Mapping[str, Any] | None, exit_code: int, error: str | None = None) -> Row:
    """The row of one run from its `lossdoctor.report/v1` document (None when it could not be read)."""
    if document is None:
        return Row(path, "error", exit_code, 0, 0, None, None, {}, error)
    findings = document["findings"]
    diagnoses = document["diagnoses"]
    severities = [f["severity"] for f in findings] + [d["severity"] for d in diagnoses]
    status = "red" if "red" in severities else "warn" if "warn" in severities else "ok"
    reds = [f["first_step"] for f in findings if f["severity"] == "red"]
    order = {"red": 0, "warn": 1, "info": 2}
    leading = sorted(diagnoses, key=lambda d: order.get(d["severity"], 3))
    worst = sorted(findings, key=lambda f: (order.get(f["severity"], 3), f["first_step"]))
    leading = leading or [f for f in worst if f["severity"] != "info"]  # no diagnosis: the worst check
    diagnosis = f"{leading[0]['title']} ({leading[0]['rule']})" if leading else None
    return Row(
        path,
        status,
        exit_code,
        sum(f["severity"] == "red" for f in findings),
        sum(f["severity"] == "warn" for f in findings),
        min(reds) if reds else None,
        diagnosis,
        {v["branch"]: v["verdict"] for v in document["verdicts"]},
        error,
    )


def rows_worst_first(rows: Sequence[Row]) -> list[Row]:
    """Red runs first (most red, earliest red first), then unreadable, warn, ok; ties by path."""
    return sorted(
        rows,
        key=lambda r: (
            STATUS_ORDER[r.status],
            -r.red,
            -r.warn,
            r.first_red if r.first_red is not None else 1 << 62,
            r.path,
        ),
    )


def sweep_exit(runs: Sequence[SweepRun]) -> int:
    """2 when no run was readable or a run lacks a required check, 3 on a bug, else 1 if any fired, else 0."""
    if not any(run.report is not None or run.document is not None for run in runs):
        return BAD_INPUT
    if any(run.exit == INTERNAL for run in runs):
        return INTERNAL
    if any(run.unmet for run in runs):
        return BAD_INPUT
    return FIRED if any(run.exit == FIRED for run in runs) else OK


# --- judging, in a pool ----------------------------------------------------------------------------

_STATE: Judging | None = None


def _init_worker(state: Judging) -> None:
    global _STATE
    _STATE = state
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:  # one worker per core already: pyarrow's own threads would only contend
        pyarrow.set_cpu_count(1)


def judge_run(paths: Sequence[Path], judging: Judging | None = None) -> SweepRun:
    """Read and judge one run as `analyze` does; an unreadable run becomes its error, never an exception."""
    state = judging or _STATE
    assert state is not None, "judge_run needs a Judging (passed, or set by the pool's initializer)"
    name = run_name(paths)
    try:
        from lossdoctor.engine import analyze
        from lossdoctor.gate import policy
        from lossdoctor.readers import read_paths

        run = read_paths(paths, input_format=state.input_format, aliases=state.aliases, tag=state.tag)
        report = analyze(
            run, state.ruleset, run_params=state.run_params, rule_params=state.rule_params, lang=state.lang
        )
        report.config_source = state.config_source
        report.baselined = set(state.baseline) & policy.identities(report)
        unmet = policy.unmet_requirements(report, state.required)
        if not state.keep_frames:
            compact(report)
        return SweepRun(name, policy.exit_code(report, state.fail_on), report, unmet=unmet)
    except LossdoctorError as exc:
        return SweepRun(name, BAD_INPUT, None, exc.one_line())
    except Exception as exc:  # a bug while judging one run: say so in its row, keep the others
        return SweepRun(
            name, INTERNAL, None, f"unexpected error (a lossdoctor bug): {type(exc).__name__}: {exc}"
        )


def compact(report: Report) -> None:
    """Keep a judged run's steps, drop its metric columns: only HTML charts read them, and a sweep of
    hundreds of long runs would otherwise hold (and send back from each worker) every run's frame.
    The reports still say how many points, which steps and what interval, from the steps kept."""
    report.run.frame = report.run.frame.iloc[:, :0]


def run_name(paths: Sequence[Path]) -> str:
    """How a run is named in its row: the folder (or the first file) as the user gave it."""
    return str(paths[0])


def judge_all(
    runs: Sequence[Sequence[Path]],
    judging: Judging,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[SweepRun]:
    """Judge every run, `jobs` at a time (default: all cores); results in the order of `runs`.

    The first run is judged here, before the pool forks: readers and engine import and cache
    things on first use (pyarrow's JSON reader, compiled rules), and forked workers then
    inherit them warm instead of each paying for them again (measured: the difference
    between a 0.9x slow-down and a 2x speed-up on 50 small runs with 2 cores).
    """
    workers = max(1, min(jobs or os.cpu_count() or 1, len(runs)))
    results: list[SweepRun] = []

    def judged(result: SweepRun) -> None:
        results.append(result)
        if progress:
            progress(len(results), len(runs))

    judged(judge_run(runs[0], judging))
    if workers == 1 or len(runs) == 1:
        for paths in runs[1:]:
            judged(judge_run(paths, judging))
        return results
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(judging,)
    ) as pool:
        futures: list[Future[SweepRun]] = [pool.submit(judge_run, list(paths)) for paths in runs[1:]]
        for future in as_completed(futures):
            judged(future.result())
        return results[:1] + [future.result() for future in futures]
