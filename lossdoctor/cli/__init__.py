"""The command line: a typer app, one error boundary, and the exit codes.

Only this module catches `LossdoctorError`: one line on stderr, exit 2. Anything
unexpected becomes exit 3 with what to put in a bug report, never Python's
default 1, which CI would read as "a red flag fired". Nothing imported here may
import pandas: `lossdoctor --help` must answer at once.
"""

from __future__ import annotations

import os
import shlex
import sys
import traceback
from collections.abc import Sequence

import typer

from lossdoctor import __version__
from lossdoctor.cli import (
    analyze,
    compare,
    init,
    instrument,
    metrics,
    rules,
    watch,
)
from lossdoctor.cli.app import app
from lossdoctor.errors import BAD_INPUT, INTERNAL, OK, LossdoctorError
from lossdoctor.reporters.outside import clean

# The command modules: importing each registers its command on `app`.
COMMANDS = (analyze, compare, init, instrument, metrics, rules, watch)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code instead of exiting (tests call this)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = app(args=args, standalone_mode=False, prog_name="lossdoctor")
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        typer.echo("lossdoctor: interrupted", err=True)
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, bad value
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"lossdoctor: error: {clean(exc)}", err=True)
        return BAD_INPUT
    except LossdoctorError as exc:
        typer.echo(f"lossdoctor: error: {clean(exc.one_line())}", err=True)
        return BAD_INPUT
    except KeyboardInterrupt:
        typer.echo("lossdoctor: interrupted", err=True)
        return 130
    except Exception:  # the boundary: anything else is our bug
        if debug:
            traceback.print_exc()
        _bug_report(args)
        return INTERNAL
    return int(result) if isinstance(result, int) else OK


def rerun_with_debug(args: Sequence[str]) -> str:
    """The command line again with the root `--debug` flag, which every command accepts."""
    return "lossdoctor --debug " + shlex.join(a for a in args if a != "--debug")


def _bug_report(args: Sequence[str]) -> None:
    kind, value, _ = sys.exc_info()
    typer.echo(
        "lossdoctor: unexpected error (this is a bug in lossdoctor, not in your run).\n"
        f"  error: {kind.__name__ if kind else '?'}: {clean(value)}\n"
        "  Please report it with: the command line, the lossdoctor version, and the traceback that\n"
        f"  this prints: {clean(rerun_with_debug(args))}\n"
        "  plus the log file if you can share it.\n"
        f"  command: lossdoctor {clean(shlex.join(args))}\n"
        f"  version: lossdoctor {__version__}, Python {_platform()}",
        err=True,
    )


def _platform() -> str:
    """Python's version and the OS: only a bug report needs them, so `platform` is imported here."""
    import platform

    return f"{platform.python_version()}, {platform.platform()}"


def main() -> None:
    """Console-script entry point.

    Exits without tearing down the interpreter (as mypy's `hard_exit` does): freeing a
    200k-row frame and pyarrow's buffers one object at a time costs a user up to a quarter
    of a second after the report is already written. Output streams are flushed first.
    """
    code = run()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)
