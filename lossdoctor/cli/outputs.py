"""Where each report format goes: `--format` (repeatable) with `--output FORMAT=PATH`.

One format may go to stdout; the others need a file. With the `github` format and
`$GITHUB_STEP_SUMMARY` set, a markdown summary is appended to that file too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lossdoctor.errors import UsageError

if TYPE_CHECKING:
    from lossdoctor.model import Report

STDOUT = None


def plan(formats: list[str], outputs: list[str], known: list[str]) -> dict[str, Path | None]:
    """format → file (None for stdout), checked: unknown formats and ambiguous outputs are errors."""
    chosen = list(dict.fromkeys(formats or ["terminal"]))
    targets: dict[str, Path | None] = {}
    plain: list[Path] = []
    for entry in outputs:
        name, sep, path = entry.partition("=")
        if sep and name in known:
            targets[name] = Path(path)
            if name not in chosen:
                chosen.append(name)
        else:
            plain.append(Path(entry))
    for name in chosen:
        if name not in known:
            raise UsageError(
                f'unknown report format "{name}"; known formats: {", ".join(known)}', field="--format"
            )
    unplaced = [name for name in chosen if name not in targets]
    if plain:
        if len(plain) > 1 or len(unplaced) != 1:
            raise UsageError("with several formats, name each file as --output FORMAT=PATH", field="--output")
        targets[unplaced[0]] = plain[0]
        unplaced = []
    if len(unplaced) > 1:
        raise UsageError(
            f"only one format can go to stdout; give the others a file (--output FORMAT=PATH): "
            f"{', '.join(unplaced)}",
            field="--output",
        )
    for name in unplaced:
        targets[name] = STDOUT
    return {name: targets[name] for name in chosen}


def deliver(report: Report, targets: dict[str, Path | None], width: int | None) -> None:
    """Render every format once and write it where it goes."""
    from lossdoctor.reporters import render

    for name, path in targets.items():
        to_file = path is not None
        text = render(
            report, name, width=width or (100 if to_file else None), color=False if to_file else None
        )
        text = text if text.endswith("\n") else text + "\n"
        if path is None:
            sys.stdout.write(text)
        else:
            write(path, text, "report")
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if "github" in targets and summary_file:
        from lossdoctor.reporters.markdown import step_summary

        write(Path(summary_file), step_summary(report) + "\n", "step summary", append=True)


def write(path: Path, text: str, what: str, *, append: bool = False) -> None:
    """Write a file the user named; a path they cannot write to is theirs to fix (exit 2)."""
    try:
        with path.open("a" if append else "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write the {what}: {exc.strerror or exc}", file=str(path)) from None
