"""Fixtures every CLI test shares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor.cli import run


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs see an English locale unless a test says otherwise (the report follows it)."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """`cli("analyze", path, ...)`: run the CLI in-process, return the exit code and what it printed."""

    def invoke(*args: str | Path) -> Result:
        capsys.readouterr()  # drop anything printed before
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke
