"""`lossdoctor metrics PATH…`: what was read, and which rules can run on it.

This is how a user finds out why a rule did not run: the files and format, the step
range and log interval, every metric under its canonical name with the spellings it
was found under, and for each catalogue rule "can run" or what it needs. Heavy
imports happen inside the command, so `lossdoctor --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lossdoctor.cli.app import app
from lossdoctor.errors import UsageError

if TYPE_CHECKING:
    from lossdoctor.model import RunData

SCHEMA = "lossdoctor.metrics/v1"
OUTPUTS = ("terminal", "json")


@app.command()
def metrics(
    paths: list[str] = typer.Argument(
        ..., help="Log files (launches of one run, in order), an MMEngine work dir or a folder of "
        "TensorBoard exports; s3://, gs://, az://, hf:// or https:// URLs (the remote extra).",
        show_default=False,
    ),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
    input_format: str | None = typer.Option(
        None, "--input-format", help="Force the input format: mmengine-scalars, mmengine-text, mmcv-json, "
        "mmcv-text, keras-text, tb-csv, tb-json, tfevents, hf-trainer-state, mlflow, csv, jsonl, json "
        "(gzip is read as is)."
    ),
    tag: str | None = typer.Option(
        None, "--tag", help="The metric of a TensorBoard export whose file name carries no tag."
    ),
    config_path: Path | None = typer.Option(
        None, "--config", help="A lossdoctor.yaml or pyproject.toml (its aliases name metrics)."
    ),
) -> int:
    """Show what was read from a log and which rules can run on it."""
    if fmt not in OUTPUTS:
        raise UsageError(f'unknown format "{fmt}": known formats are {", ".join(OUTPUTS)}', field="--format")
    from lossdoctor.gate.config import load_config
    from lossdoctor.readers import read_paths
    from lossdoctor.readers.remote import complete, staged
    from lossdoctor.reporters import metrics_summary
    from lossdoctor.runs.saved import refuse_saved

    config = load_config(config_path, Path.cwd())
    with staged(paths) as staging:  # URLs copied to a private folder; what is shown names the URLs
        complete(staging)
        refuse_saved(staging.paths)
        tree = runs_tree(staging.paths)
        if tree is not None and len(tree["runs"]) != 1:  # several runs (or none): the tree is the answer
            _emit(staging.relabel({"schema": SCHEMA, **tree}), fmt, metrics_summary.render_tree)
            return 0 if tree["runs"] else 2
        run = read_paths(staging.paths, input_format=input_format, aliases=config.aliases, tag=tag)
        summary = describe(run)
        if tree is not None:
            summary.update(tree)
        summary = staging.relabel(summary)
    _emit(summary, fmt, metrics_summary.render)
    return 0


def _emit(document: dict[str, Any], fmt: str, terminal: Any) -> None:
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        terminal(document)


def runs_tree(paths: list[Path]) -> dict[str, Any] | None:
    """For one folder: the runs found in it and what was skipped, as `discover` walked it."""
    if len(paths) != 1 or not paths[0].is_dir():
        return None
    from lossdoctor.readers.discover import discover

    root = paths[0]
    found = discover(root)

    def rel(path: Path) -> str:
        return "." if path == root else str(path.relative_to(root))

    return {
        "root": str(root),
        "runs": [{"path": rel(r.path), "kind": r.kind, "reads": [rel(p) for p in r.inputs]}
                 for r in found.runs],
        "skipped": [{"path": rel(s.path), "reason": s.reason} for s in found.skipped],
    }


def describe(run: RunData) -> dict[str, Any]:
    """What was read, as a plain, JSON-ready dict (the `--format json` document)."""
    import numpy as np

    from lossdoctor.engine.evaluation.readiness import rule_status

    frame = run.frame
    steps = frame.index.to_numpy()
    interval = int(np.median(np.diff(steps))) if len(steps) > 1 else None
    return {
        "schema": SCHEMA,
        "format": run.format,
        "files": list(run.files),
        "points": len(frame),
        "steps": {"first": int(steps[0]), "last": int(steps[-1])} if len(steps) else None,
        "interval": interval,
        "step_unit": run.step_unit,
        "launches": [{"file": s.file, "first": s.first, "last": s.last} for s in run.segments],
        "metrics": [_metric(run, str(name)) for name in frame.columns],
        "shadow_only": [{"metric": name, "shadow": run.shadows.get(name)}
                        for name in sorted(run.shadow_only)],
        "rules": rule_status(run),
        "warnings": [{"file": w.file, "line": w.line, "message": w.message} for w in run.warnings],
    }


def _metric(run: RunData, name: str) -> dict[str, Any]:
    """One metric: canonical name, spellings, how many points, its step span, NaNs and precision."""
    import numpy as np

    column = run.frame[name]
    present = column.notna().to_numpy() | np.isin(run.frame.index.to_numpy(), run.nan_steps.get(name, []))
    at = run.frame.index.to_numpy()[present]
    return {
        "name": name,
        "spellings": list(run.spellings.get(name, [name])),
        "points": int(present.sum()),
        "first_step": int(at[0]) if len(at) else None,
        "last_step": int(at[-1]) if len(at) else None,
        "nan_points": len(run.nan_steps.get(name, [])),
        "precision": run.precision.get(name),
    }
