"""The real-log corpus and its manifest agree, so no file arrives without its source and license."""

from __future__ import annotations

import re
from pathlib import Path

REAL = Path(__file__).parent / "data" / "real"
MANIFEST = REAL / "SOURCES.md"
# A per-file row: | `local/path` | owner/repo | 40-hex commit | `path in repo` | license | trimmed |
ROW = re.compile(r"^\| `([^`]+)` \| ([^|\s]+/[^|\s]+) \| ([0-9a-f]{40}) \| `([^`]+)` \| ([^|]+) \|")


def _listed() -> dict[str, re.Match[str]]:
    rows = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            assert match.group(1) not in rows, f"listed twice in SOURCES.md: {match.group(1)}"
            rows[match.group(1)] = match
    return rows


def _on_disk() -> set[str]:
    return {
        path.relative_to(REAL).as_posix()
        for path in REAL.rglob("*")
        if path.is_file() and path != MANIFEST
    }


def test_every_listed_file_exists() -> None:
    missing = sorted(set(_listed()) - _on_disk())
    assert not missing, f"listed in SOURCES.md but not in tests/data/real: {missing}"


def test_every_file_is_listed_with_a_license() -> None:
    listed = _listed()
    unlisted = sorted(_on_disk() - set(listed))
    assert not unlisted, f"in tests/data/real but not listed in SOURCES.md: {unlisted}"
    unlicensed = sorted(path for path, row in listed.items() if not row.group(5).strip())
    assert not unlicensed, f"no license given in SOURCES.md for: {unlicensed}"
