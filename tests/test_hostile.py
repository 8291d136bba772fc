"""Hostile and broken inputs (issue 15): bounded cost, no lost file, no missed red flag.

Every test reproduces a gap a review found with a real command: an exponential config,
a gzip bomb, a log written onto itself, a log truncated under the reader, a line that
recurses, a NaN spelled the way orjson or a C logger spells it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor import trainconfig
from lossdoctor.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
HEALTHY = ROOT / "sample_logs" / "healthy"

Cli = Callable[..., Result]


def _exponential_config(levels: int = 9, fan: int = 10) -> str:
    """`a1 = [a0, a0, ...]`, each level `fan` times the last: 10^9 values in a few hundred bytes."""
    lines = ["a0 = 1"]
    for level in range(1, levels + 1):
        lines.append(f"a{level} = [" + ", ".join([f"a{level - 1}"] * fan) + "]")
    return "\n".join(lines) + "\n"


def test_an_exponential_config_is_given_up_not_expanded() -> None:
    with pytest.raises(InputError, match="config too large"):
        trainconfig.parse_config_text(_exponential_config(), "config.py")


def test_a_shared_name_is_read_once_and_shared() -> None:
    config = trainconfig.parse_config_text(_exponential_config(levels=3), "config.py")
    assert len(config["a3"]) == 10 and config["a3"][0][0] == [1] * 10


def test_an_exponential_config_beside_the_log_is_a_warning_and_the_run_is_analysed(
    cli: Cli, tmp_path: Path
) -> None:
    import shutil

    work = tmp_path / "run"
    shutil.copytree(HEALTHY, work)
    for scalars in work.rglob("scalars.json"):
        (scalars.parent / "config.py").write_text(_exponential_config())
    result = cli("analyze", work, "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert "config too large" in json.dumps(report)
