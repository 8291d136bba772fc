"""Reporters: one `Report`, many renderings. Nothing here recomputes the analysis.

`REPORTERS` maps a `--format` value to a render function; the key matches the
module name (`json` lives in `json.py`). Every reporter has the same shape, so
the CLI renders any format with one call and an unknown name gets one error
listing the known ones. None of these modules imports pandas: the run's frame
is only touched at render time, through its own methods.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Protocol

from lossdoctor.errors import UsageError

if TYPE_CHECKING:  # the report's dataclasses are imported by whoever makes a report, not to list rules
    from lossdoctor.model import Report


class Renderer(Protocol):
    """A reporter's entry point: the whole report as one string."""

    def __call__(self, report: Report, *, width: int | None = None, color: bool | None = None) -> str: ...


def _lazy(module: str) -> Renderer:
    """A reporter imported when it renders: one format pays for no other (junit's XML, html's charts)."""

    def render(report: Report, *, width: int | None = None, color: bool | None = None) -> str:
        reporter: Renderer = import_module(f"lossdoctor.reporters.{module}").render
        return reporter(report, width=width, color=color)

    return render


REPORTERS: dict[str, Renderer] = {
    name: _lazy(name) for name in ("terminal", "json", "junit", "github", "markdown", "html")
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
