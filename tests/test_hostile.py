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


# --- never lose or corrupt a file ------------------------------------------------------------------


def _scalars_copy(tmp_path: Path) -> Path:
    import shutil

    work = tmp_path / "run"
    shutil.copytree(HEALTHY, work)
    return next(work.rglob("scalars.json"))


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
@pytest.mark.parametrize("option", ["--output", "--write-baseline"])
def test_a_report_is_never_written_onto_the_log_it_read(cli: Cli, tmp_path: Path, how: str, option: str) -> None:
    import os

    log = _scalars_copy(tmp_path)
    before = log.read_bytes()
    target = log
    if how == "symlink":
        target = tmp_path / "link.json"
        target.symlink_to(log)
    elif how == "hardlink":
        target = tmp_path / "hard.json"
        os.link(log, target)
    args = ["--format", "json", "--output", target] if option == "--output" else ["--write-baseline", target]
    result = cli("analyze", log, *args)
    assert result.code == 2, result.err
    assert "input file" in result.err and "Traceback" not in result.err
    assert log.read_bytes() == before


def test_every_output_is_checked_before_any_is_written(cli: Cli, tmp_path: Path) -> None:
    log = _scalars_copy(tmp_path)
    json_out = tmp_path / "report.json"
    result = cli("analyze", log, "--output", f"json={json_out}", "--output", f"junit={tmp_path / 'no' / 'r.xml'}")
    assert result.code == 2 and "no such directory" in result.err
    assert not json_out.exists()


def test_a_report_that_cannot_be_written_whole_leaves_the_old_one(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    log = _scalars_copy(tmp_path)
    html = tmp_path / "report.html"
    html.write_text("the old report")

    class FullDisk(io.StringIO):
        def write(self, text: str) -> int:
            super().write(text[:10])
            raise OSError(28, "No space left on device")

    import os

    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: (real_fdopen(fd, *a, **k).close(), FullDisk())[1])
    result = cli("analyze", log, "--format", "html", "--output", html)
    assert result.code == 2 and "No space left" in result.err
    assert html.read_text() == "the old report"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
