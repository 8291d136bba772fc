"""Exit 3's bug-report message names a flag every command really has (`rules test` had no `--debug`)."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from helpers.cli import Result

from lossdoctor.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every leaf command of the CLI (typer's groups have `commands`)."""
    children = getattr(group, "commands", None)
    if children:
        for name, command in children.items():
            yield from _commands(command, (*path, name))
    else:
        yield path


COMMANDS = sorted(_commands(typer.main.get_command(app)))


def test_every_command_is_listed() -> None:
    assert {("analyze",), ("compare",), ("watch",), ("rules", "test"), ("rules", "check")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_accepts_the_debug_flag_the_bug_report_names(
    cli: Callable[..., Result], command: tuple[str, ...]
) -> None:
    result = cli("--debug", *command, "--help")
    assert result.code == 0 and "No such option" not in result.err, result.err


def _rerun_line(err: str) -> list[str]:
    line = next(line for line in err.splitlines() if "this prints:" in line)
    words = shlex.split(line.split("this prints:", 1)[1])
    assert words[0] == "lossdoctor"
    return words[1:]


@pytest.mark.parametrize("debug_given", [False, True])
def test_the_rerun_line_of_a_crash_in_rules_test_prints_the_traceback(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, debug_given: bool
) -> None:
    def crash(*args: object) -> None:
        raise RuntimeError("boom inside a rule test")

    monkeypatch.setattr("lossdoctor.engine.devtools.ruletests.run_case", crash)
    tests = ROOT / "rules" / "tests" / "default.yaml"
    first = cli(*(["--debug"] if debug_given else []), "rules", "test", tests)
    assert first.code == 3 and "RuntimeError: boom inside a rule test" in first.err
    rerun = cli(*_rerun_line(first.err))
    assert rerun.code == 3, rerun.err
    assert "Traceback" in rerun.err and "No such option" not in rerun.err
