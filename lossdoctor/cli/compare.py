"""`lossdoctor compare BASE OTHER…`: a controlled experiment, metric by metric, branch by branch.

Each run is read and judged as `analyze` judges it (its status, and the exit code covering all runs
as in product.md's table), then every OTHER is compared with BASE on their shared steps
(lossdoctor/runs/comparison.py). Options in, core calls, reporters out; heavy imports inside the command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from lossdoctor.cli import options
from lossdoctor.cli.app import app
from lossdoctor.cli.options import FailOn, Lang


@app.command()
def compare(
    base: Path = typer.Argument(
        ..., help="The reference run (a work dir or a log file).", show_default=False
    ),
    others: list[Path] = typer.Argument(..., help="The runs to compare with it.", show_default=False),
    formats: list[str] = typer.Option([], "--format", "-f", help="terminal (default), json, markdown, html."),
    outputs: list[str] = typer.Option([], "--output", "-o", help="PATH for a single format, or FORMAT=PATH."),
    fail_on: FailOn | None = typer.Option(
        None, "--fail-on", help="Exit 1 when a finding at or above this fired in any run: red, warn, never."
    ),
    lang: Lang | None = typer.Option(None, "--lang", help="Report language (en, zh)."),
    input_format: str | None = options.INPUT_FORMAT,
    rule_files: list[Path] = options.RULE_FILES,
    config_path: Path | None = options.CONFIG,
    width: int | None = typer.Option(None, "--width", help="Terminal report width."),
    debug: bool = options.DEBUG,
) -> int:
    """Compare runs: is OTHER better, worse or within the noise of BASE, per metric and per branch."""
    from lossdoctor import engine
    from lossdoctor.cli import outputs as out
    from lossdoctor.cli.settings import judging_rules, locale_lang, merge
    from lossdoctor.gate import policy
    from lossdoctor.gate.config import load_config
    from lossdoctor.readers import read_paths
    from lossdoctor.reporters.comparison_report import COMPARE_REPORTERS, CompareResult, RunStatus
    from lossdoctor.runs.comparison import compare_runs, ranges_of
    from lossdoctor.runs.sweep import row_of

    config = load_config(config_path, Path.cwd())
    targets = out.plan(formats, outputs, list(COMPARE_REPORTERS))
    read = [f for run in [base, *others] for f in out.inputs([run], rule_files, config.source)]
    out.check(targets.values(), read)  # no report onto a log it compares
    ruleset = judging_rules(config, rule_files, [], [], [])
    settings = merge(config, [], ruleset)
    language = (lang.value if lang else None) or locale_lang()
    bar = (fail_on.value if fail_on else None) or config.fail_on or "red"
    statuses, runs, reports = [], [], []
    for path in [base, *others]:
        run = read_paths([path], input_format=input_format, aliases=config.aliases)
        report = engine.analyze(
            run, ruleset, run_params=settings.run, rule_params=settings.thresholds, lang=language
        )
        from lossdoctor.document import report_document

        code = policy.exit_code(report, bar)
        statuses.append(RunStatus(str(path), row_of(str(path), report_document(report), code).status, code))
        runs.append(run)
        reports.append(report)
    ranges = ranges_of(reports[0].metrics)
    comparisons = [
        compare_runs(runs[0], run, _name(base), _name(path), ranges)
        for run, path in zip(runs[1:], others, strict=True)
    ]
    result = CompareResult(statuses[0], statuses[1:], comparisons, language)
    for name, target in targets.items():
        text = COMPARE_REPORTERS[name](
            result, width=width or (100 if target else None), color=False if target else sys.stdout.isatty()
        )
        if target is None:
            sys.stdout.write(text)
        else:
            out.write(target, text, "report")
    return 1 if any(s.exit == 1 for s in statuses) else 0


def _name(path: Path) -> str:
    """A run's short name in sentences: its folder's name (or the file's, for a single log)."""
    return path.name or str(path)
