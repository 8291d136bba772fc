"""`lossdoctor analyze PATH…`: options in, one core call, reporters out.

Heavy imports (pandas through the readers, the engine) happen inside the
command, so `lossdoctor --help` stays fast; the log is parsed on a thread while
they happen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lossdoctor.cli import options
from lossdoctor.cli.app import app
from lossdoctor.cli.options import FailOn, Lang

if TYPE_CHECKING:
    from lossdoctor.runs.saved import SavedReport


MAX_SKIPPED_SAID = 10


def _say_skipped(paths: list[Path], relabel: Callable[[Any], Any]) -> None:
    """What a sweep's folders held that is not a run, on stderr (`lossdoctor metrics DIR` lists it all)."""
    from lossdoctor.readers.discover import discover

    skipped = [item for path in paths if path.is_dir() for item in discover(path).skipped]
    for item in skipped[:MAX_SKIPPED_SAID]:
        line = relabel(f"lossdoctor: skipped {item.path}: {item.reason}")
        typer.echo("".join(ch if ch.isprintable() else "?" for ch in line), err=True)
    if len(skipped) > MAX_SKIPPED_SAID:
        typer.echo(f"lossdoctor: {len(skipped) - MAX_SKIPPED_SAID} more skipped (`lossdoctor metrics DIR` "
                   "lists them)", err=True)


@app.command()
def analyze(
    paths: list[str] = typer.Argument(
        ..., help="Log files (launches of one run, in order) or an MMEngine work dir; s3://, gs://, az://, "
        "hf:// or https:// URLs (the remote extra); saved `--format json` reports (rendered, not re-judged).",
        show_default=False,
    ),
    formats: list[str] = typer.Option(
        [], "--format", "-f", help="terminal (default), json, markdown, junit, github, html. Repeatable."
    ),
    outputs: list[str] = typer.Option(
        [], "--output", "-o", help="PATH for a single format, or FORMAT=PATH. Repeatable."
    ),
    fail_on: FailOn | None = typer.Option(
        None, "--fail-on", help="Exit 1 when a finding at or above this fired: red (default), warn, never."
    ),
    lang: Lang | None = typer.Option(
        None, "--lang", help="Report language (en, zh); default from the locale."
    ),
    params: list[str] = options.PARAMS,
    ga: int | None = options.GA,
    warmup_steps: int | None = options.WARMUP_STEPS,
    input_format: str | None = options.INPUT_FORMAT,
    tag: str | None = typer.Option(
        None, "--tag", help="The metric of a TensorBoard export whose file name carries no tag."
    ),
    launch: int | None = typer.Option(
        None, "--launch", min=1,
        help="Judge launch N of a log whose launches restart from the first step (default: the latest).",
    ),
    rule_files: list[Path] = options.RULE_FILES,
    config_path: Path | None = options.CONFIG,
    select: list[str] = options.SELECT,
    ignore: list[str] = options.IGNORE,
    severity: list[str] = options.SEVERITY,
    baseline: Path | None = typer.Option(
        None, "--baseline", help="Findings recorded in this file do not fail the gate."
    ),
    write_baseline: Path | None = typer.Option(
        None, "--write-baseline", help="Record this run's findings as the baseline, and exit 0."
    ),
    require: list[str] = typer.Option(
        [], "--require", help="A rule or branch that must be evaluated, else exit 2. Repeatable."
    ),
    width: int | None = typer.Option(
        None, "--width", help="Terminal report width (default: the terminal's)."
    ),
    debug: bool = options.DEBUG,
    detail: bool = typer.Option(
        False, "--detail", help="Several runs (a sweep): each run's full report after the summary table."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", min=1, help="Several runs: judge this many at once (default: all cores)."
    ),
) -> int:
    """Diagnose a training run: red flags, likely causes and what to do. Several runs: a summary table."""
    given = {name: value for name, value in locals().items() if name not in ("paths", "debug")}
    from lossdoctor.readers.remote import complete, staged
    from lossdoctor.runs.saved import partition

    with staged(paths) as staging:  # URLs copied to a private folder; errors and reports name the URLs
        complete(staging)
        saved, logs = partition(staging.paths)
        return _analyze(logs, saved, staging.relabel, **given)


def _analyze(
    paths: list[Path], saved: list[SavedReport], relabel: Callable[[Any], Any], *, formats: list[str],
    outputs: list[str], fail_on: FailOn | None, lang: Lang | None, params: list[str], ga: int | None,
    warmup_steps: int | None, input_format: str | None, tag: str | None, launch: int | None,
    rule_files: list[Path],
    config_path: Path | None, select: list[str], ignore: list[str], severity: list[str],
    baseline: Path | None, write_baseline: Path | None, require: list[str], width: int | None,
    detail: bool, jobs: int | None,
) -> int:
    """One run judged and reported, or the sweep mode (several runs, or saved reports)."""
    from concurrent.futures import ThreadPoolExecutor

    from lossdoctor.readers import split_runs

    runs = split_runs(paths) if paths else []
    if len(runs) > 1 or saved:  # the sweep mode: one row per run, worst first
        from lossdoctor.cli.analyze_sweep import SweepOptions, refuse_baseline_writing, run_sweep
        from lossdoctor.errors import UsageError
        from lossdoctor.readers import file_groups_reason

        if launch is not None:
            raise UsageError(f"--launch picks a launch of one run; {len(runs)} runs were given",
                             field="launch")
        reason = file_groups_reason(paths)
        if reason is not None:
            typer.echo(relabel(f"lossdoctor: {reason}"), err=True)
        _say_skipped(paths, relabel)

        refuse_baseline_writing(write_baseline)
        return run_sweep(runs, SweepOptions(
            formats=formats, outputs=outputs, fail_on=fail_on.value if fail_on else None,
            lang=lang.value if lang else None, params=params, ga=ga, warmup_steps=warmup_steps,
            input_format=input_format, tag=tag, rule_files=rule_files, config_path=config_path,
            select=select, ignore=ignore, severity=severity, baseline=baseline, width=width,
            detail=detail, jobs=jobs, require=require, saved=saved, relabel=relabel,
        ))

    from lossdoctor.gate.config import load_config
    from lossdoctor.readers import read_paths

    config = load_config(config_path, Path.cwd())
    # Parse the log while the engine (pandas) is imported: pyarrow parses without the GIL,
    # so a big log costs max(read, imports) instead of their sum.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lossdoctor-read")
    reading = reader.submit(read_paths, paths, input_format=input_format, aliases=config.aliases, tag=tag,
                           launch=launch)
    reader.shutdown(wait=False)
    from lossdoctor import engine
    from lossdoctor.cli import outputs as out
    from lossdoctor.cli.settings import judging_rules, locale_lang, merge
    from lossdoctor.gate import policy
    from lossdoctor.reporters import REPORTERS

    targets = out.plan(formats, outputs, list(REPORTERS))
    out.check([*targets.values(), write_baseline], out.inputs(paths, rule_files, config.source))
    ruleset = judging_rules(config, rule_files, select, ignore, severity)
    settings = merge(config, params, ruleset, ga=ga, warmup_steps=warmup_steps)
    demanded = policy.required_checks(ruleset, require or config.require,
                                    "command line" if require else (config.source or "command line"))
    baseline_file = baseline or config.baseline
    known = policy.read_baseline(baseline_file) if baseline_file is not None else set()
    run = reading.result()
    language = (lang.value if lang else None) or locale_lang()
    report = engine.analyze(
        run, ruleset, run_params=settings.run, rule_params=settings.thresholds, lang=language
    )
    report = relabel(report)
    report.config_source = config.source
    if write_baseline is not None:
        out.write(write_baseline, policy.baseline_text(report), "baseline")  # whole or not at all
    report.baselined = known & policy.identities(report)
    out.deliver(report, targets, width)
    if write_baseline is not None:
        return 0
    policy.check_required(report, demanded)  # after the report is written: it says why the rule did not run
    return policy.exit_code(report, (fail_on.value if fail_on else None) or config.fail_on or "red")
