"""The sweep mode of `lossdoctor analyze`: several runs in, one table out, an exit code for all.

`analyze` hands over here when its paths hold more than one run. The rule set, parameters and
gate are settled once, exactly as for one run, then every run is judged in a process pool
(lossdoctor/runs/sweep.py) with a progress bar when stderr is a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossdoctor.errors import UsageError

if TYPE_CHECKING:
    from lossdoctor.runs.saved import SavedReport
    from lossdoctor.runs.sweep import Judging, SweepRun


@dataclass(kw_only=True)
class SweepOptions:
    """The `analyze` options that matter to a sweep, as the command parsed them (by name: 21 fields)."""

    formats: list[str]
    outputs: list[str]
    fail_on: str | None
    lang: str | None
    params: list[str]
    ga: int | None
    warmup_steps: int | None
    input_format: str | None
    tag: str | None
    rule_files: list[Path]
    config_path: Path | None
    select: list[str]
    ignore: list[str]
    severity: list[str]
    baseline: Path | None
    width: int | None
    detail: bool
    jobs: int | None
    require: list[str]
    saved: list[SavedReport] = field(default_factory=list)  # runs judged elsewhere (lossdoctor.runs.saved)
    relabel: Callable[[Any], Any] | None = None  # names staged remote inputs by URL (readers.remote)


def run_sweep(runs: list[list[Path]], options: SweepOptions) -> int:
    """Judge every run, write every format, return the sweep's exit code."""
    from lossdoctor.cli import outputs as out
    from lossdoctor.cli.settings import judging_rules, locale_lang, merge
    from lossdoctor.gate import policy
    from lossdoctor.gate.config import load_config
    from lossdoctor.reporters.sweep_report import SWEEP_REPORTERS
    from lossdoctor.runs.sweep import Judging, Sweep, judge_all, sweep_exit

    config = load_config(options.config_path, Path.cwd())
    targets = out.plan(options.formats, options.outputs, list(SWEEP_REPORTERS))
    out.check(targets.values(), [p for run in runs for p in _readable(run, options, config.source)])
    ruleset = judging_rules(config, options.rule_files, options.select, options.ignore, options.severity)
    settings = merge(config, options.params, ruleset, ga=options.ga, warmup_steps=options.warmup_steps)
    demanded = policy.required_checks(
        ruleset, options.require or config.require,
        "command line" if options.require else (config.source or "command line"),
    )
    baseline_file = options.baseline or config.baseline
    known = policy.read_baseline(baseline_file) if baseline_file is not None else set()
    lang = options.lang or locale_lang()
    judging = Judging(
        ruleset=ruleset,
        run_params=dict(settings.run),
        rule_params={k: dict(v) for k, v in settings.thresholds.items()},
        lang=lang,
        fail_on=options.fail_on or config.fail_on or "red",
        baseline=frozenset(known),
        input_format=options.input_format,
        aliases=dict(config.aliases),
        tag=options.tag,
        config_source=config.source,
        required=demanded,
        keep_frames=options.detail and "html" in targets,  # only the HTML detail draws the curves
    )
    if options.saved:
        from lossdoctor.runs.saved import refuse_series_outputs

        refuse_series_outputs(list(targets), options.detail)
    results: list[SweepRun] = []
    if runs:
        with _progress(len(runs)) as tick:
            results = judge_all(runs, judging, options.jobs, tick)
    results += [_saved_run(saved, judging) for saved in options.saved]
    if options.relabel is not None:
        results = [options.relabel(run) for run in results]
    sweep = Sweep(results, lang, options.detail)
    for name, path in targets.items():
        to_file = path is not None
        text = SWEEP_REPORTERS[name](
            sweep,
            width=options.width or (100 if to_file else None),
            color=False if to_file else sys.stdout.isatty(),
        )
        if path is None:
            sys.stdout.write(text)
        else:
            out.write(path, text, "report")
    for run in results:
        if run.unmet:
            sys.stderr.write(f"lossdoctor: error: {run.path}: required {'; '.join(run.unmet)}\n")
    return sweep_exit(results)


def _readable(run: list[Path], options: SweepOptions, config_source: str | None) -> list[Path]:
    """The files one run reads; a run that cannot be listed is judged (and named) later, not here."""
    from lossdoctor.cli import outputs as out
    from lossdoctor.errors import LossdoctorError

    try:
        return out.inputs(run, options.rule_files, config_source)
    except (LossdoctorError, OSError):
        return list(run)


def _saved_run(saved: SavedReport, judging: Judging) -> SweepRun:
    """A saved report's row: its document as is, gated by this call's --fail-on, baseline and --require."""
    from lossdoctor.runs.saved import exit_code, unmet
    from lossdoctor.runs.sweep import SweepRun

    code = exit_code(saved.document, judging.fail_on, set(judging.baseline))
    return SweepRun(saved.path, code, None, unmet=unmet(saved.document, judging.required),
                    document=saved.document)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr while runs are judged, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("judging runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    ) as bar:
        task = bar.add_task("runs", total=total)
        yield lambda done, _total: bar.update(task, completed=done)


def refuse_baseline_writing(write_baseline: Path | None) -> None:
    """A baseline records one run's findings: writing one for a sweep would mix runs."""
    if write_baseline is not None:
        raise UsageError(
            "--write-baseline records one run; give it a single run, not a sweep", field="--write-baseline"
        )
