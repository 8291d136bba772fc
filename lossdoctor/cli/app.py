"""The typer app every command registers on, and its root options (`--version`, `--debug`).

Kept apart from the package's `run`/`main` so each command module imports it one way
(`lossdoctor.cli` imports the commands; the commands import only this).
"""

from __future__ import annotations

import typer

from lossdoctor import __version__
from lossdoctor.errors import OK

app = typer.Typer(
    name="lossdoctor",
    help="An offline doctor for training runs: reads the scalar logs a job writes, finds the red flags "
    "of the loss-debugging guide, and says what to do.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lossdoctor {__version__}")
        raise typer.Exit(OK)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Print a traceback on internal errors (any command: lossdoctor --debug …)."
    ),
) -> None:
    """lossdoctor: find the red flags in a training log."""
