"""Where each report format goes: `--format` (repeatable) with `--output FORMAT=PATH`.

One format may go to stdout; the others need a file. With the `github` format and
`$GITHUB_STEP_SUMMARY` set, a markdown summary is appended to that file too.

No input is ever overwritten: every output path is checked against the files read (the
same file, through a symlink or a hard link) and against what can be written at all
before anything is written, and each file is written whole (a temporary file in the
same folder, then a rename), so a full disk or a refused path leaves the old file as it was.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable
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


def check(outputs: Iterable[Path | None], inputs: Iterable[Path]) -> None:
    """Refuse (exit 2), before anything is written, an output that is an input or cannot be written."""
    read = {identity for identity in map(_identity, inputs) if identity is not None}
    summary = os.environ.get("GITHUB_STEP_SUMMARY")  # appended to with --format github: never an input
    if summary and _identity(Path(summary)) in read:
        raise UsageError("refusing to append the step summary to an input file", file=summary)
    for path in outputs:
        if path is None:
            continue
        identity = _identity(path)
        if identity is not None and identity in read:
            raise UsageError("refusing to write onto an input file: it would be lost", file=str(path))
        if path.is_dir():
            raise UsageError("cannot write the report: it is a directory", file=str(path))
        folder = path.resolve().parent
        if not folder.is_dir():
            raise UsageError("cannot write the report: no such directory", file=str(path))


def inputs(paths: Iterable[Path], rule_files: Iterable[Path], config_source: str | None) -> list[Path]:
    """Every file a run reads: its logs (a work dir's too), the training config and text log beside them,
    the rule files and the project config."""
    from lossdoctor.readers import expand_paths

    found: list[Path] = list(rule_files)
    if config_source is not None:
        found.append(Path(config_source))
    for log in expand_paths(list(paths)):
        launch = log.parent.parent if log.parent.name == "vis_data" else log.parent
        found += [log, log.parent / "config.py", *launch.glob("*.log")]
    return found


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of an existing file, followed through symlinks: a hard link is the same file too."""
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return None
    return (stat.st_dev, stat.st_ino)


def write(path: Path, text: str, what: str, *, append: bool = False) -> None:
    """Write a named file whole or not at all; a path that cannot be written is the user's to fix (exit 2)."""
    try:
        if append:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(text)
        else:
            _replace(path.resolve(), text)
    except OSError as exc:
        raise UsageError(f"cannot write the {what}: {exc.strerror or exc}", file=str(path)) from None


def _replace(path: Path, text: str) -> None:
    """A temporary file beside `path`, renamed over it once complete: readers see the old or the new file."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        with contextlib.suppress(OSError):
            os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask (mkstemp makes 0600 files; a report should get the usual permissions)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
