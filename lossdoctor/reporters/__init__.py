"""Reporters: one `Report`, many renderings. Nothing here recomputes the analysis.

`REPORTERS` maps a `--format` value to a render function; the key matches the
module name (`json` lives in `json.py`). Every reporter has the same shape, so
the CLI renders any format with one call and an unknown name gets one error
listing the known ones. None of these modules imports pandas: the run's frame
is only touched at render time, through its own methods.
"""

from __future__ import annotations

from typing import Protocol

from lossdoctor.errors import UsageError
from lossdoctor.model import Report
from lossdoctor.reporters import github, json, junit, markdown, terminal


class Renderer(Protocol):
    """A reporter's entry point: the whole report as one string."""

    def __call__(self, report: Report, *, width: int | None = None, color: bool | None = None) -> str: ...


def _html(report: Report, *, width: int | None = None, color: bool | None = None) -> str:
    """The HTML report, imported only when asked for: its charts code is paid for by no other format."""
    from lossdoctor.reporters import html

    return html.render(report, width=width, color=color)


REPORTERS: dict[str, Renderer] = {
    "terminal": terminal.render,
    "json": json.render,
    "junit": junit.render,
    "github": github.render,
    "markdown": markdown.render,
    "html": _html,
}


def render(report: Report, fmt: str, *, width: int | None = None, color: bool | None = None) -> str:
    """Render `report` as `fmt`; `width`/`color` are for the terminal and ignored by machine formats."""
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        known = ", ".join(sorted(REPORTERS))
        raise UsageError(f'unknown report format "{fmt}"; known formats: {known}', field="--format") from None
    return reporter(report, width=width, color=color)


__all__ = ["REPORTERS", "Renderer", "render"]
