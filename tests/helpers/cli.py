"""What an in-process CLI run gives a test: the exit code and what it printed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str
