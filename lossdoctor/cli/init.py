"""`lossdoctor init`: write a commented starting config for the project."""

from __future__ import annotations

from pathlib import Path

import typer

from lossdoctor.cli.app import app
from lossdoctor.errors import OK, UsageError


@app.command()
def init(
    path: Path = typer.Argument(Path("lossdoctor.yaml"), help="Where to write the config."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> int:
    """Write a commented lossdoctor.yaml: parameters, thresholds, rule files, select/ignore, fail_on."""
    from lossdoctor.cli.outputs import write
    from lossdoctor.gate.config import TEMPLATE

    if path.exists() and not force:
        raise UsageError("exists already; pass --force to overwrite it", file=str(path))
    write(path, TEMPLATE, "config")
    typer.echo(f"wrote {path}: lossdoctor finds it from this folder and the ones below it")
    return OK
