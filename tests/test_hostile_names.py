"""Names from outside — metric names in a log, folder names of runs — printed by every command.

Whoever opens a pull request controls them, and lossdoctor prints them into CI logs and terminals. Each test
runs a real command on a log or work dir with hostile names and checks what a user (or GitHub Actions)
would see: no line that begins with `::` (a workflow command: `::set-env`, `::error`), no raw escape
sequence, no markup read as markup (`[link=…]`, or `[/oops]`, which crashed `metrics` and `compare`), and
a newline in a name shown as `\\n`, not obeyed.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
COMMAND = "::set-env name=PATH::/evil"
HOSTILE = [
    COMMAND,
    "[link=https://evil.example]click[/link]",
    "[/oops]",
    "title\x1b]0;PWNED\x07",
    "nl\n::error::injected",
    ":warning:",
]
ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")


def hostile_log(folder: Path) -> Path:
    """A scalars.json whose metrics carry the hostile names (also as a tap's tag), next to a real loss."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "scalars.json"
    with open(log, "w", encoding="utf-8") as handle:
        for step in range(10, 600, 10):
            row: dict[str, float] = {"lr": 1e-4, "loss": 2.0 - step / 1000}
            row.update({name: 1.0 + step / 1000 for name in HOSTILE})
            row.update({f"dbg/grad_{name}": 0.1 for name in HOSTILE})
            handle.write(json.dumps({**row, "iter": step, "step": step}) + "\n")
    return log


def assert_inert(output: str) -> None:
    """What a CI log or a terminal may safely receive."""
    for line in output.splitlines():
        assert not ANSI_STYLE.sub("", line).lstrip().startswith("::"), line
    assert "\x1b" not in output and "\x07" not in output


@pytest.mark.parametrize("fmt", ["terminal", "json"])
def test_metrics_prints_hostile_names_as_text(cli: Callable[..., Result], tmp_path: Path, fmt: str) -> None:
    result = cli("metrics", hostile_log(tmp_path / "run"), "--format", fmt)
    assert result.code == 0, result.err
    assert_inert(result.out)
    if fmt == "terminal":
        assert "[/oops]" in result.out and "[link=https://evil" in result.out and ":warning:" in result.out
        assert "title\\x1b" in result.out and "nl\\n" in result.out  # (the table may cut long names)


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "json", "html"])
def test_compare_prints_hostile_names_as_text(cli: Callable[..., Result], tmp_path: Path, fmt: str) -> None:
    base, other = hostile_log(tmp_path / "base"), hostile_log(tmp_path / "other")
    result = cli("compare", base, other, "--format", fmt)
    assert result.code == 0, result.err
    assert_inert(result.out)
    if fmt == "terminal":
        assert "[/oops]" in result.out and "\\::set-env name=PATH::/evil" in result.out


def hostile_run_dir(root: Path, name: str) -> Path:
    """An MMEngine work dir of a real sample, under a folder whose name is hostile."""
    run = root / name
    shutil.copytree(SAMPLES / "flow_stalled", run)
    return run


@pytest.mark.parametrize("fmt", ["terminal", "markdown"])
@pytest.mark.parametrize("name", ["nl\n::error::injected", "[/oops]\x1b]0;PWNED\x07"])
def test_analyze_prints_a_hostile_folder_name_as_text(
    cli: Callable[..., Result], tmp_path: Path, fmt: str, name: str
) -> None:
    run = hostile_run_dir(tmp_path, name)
    result = cli("analyze", run, "--format", fmt)
    assert result.code == 1, result.err  # flow_stalled fires red
    assert_inert(result.out)
    assert "flow-stalled" in result.out
    if name.startswith("nl"):  # the newline is shown escaped (markdown escapes the backslash once more)
        assert ("nl\\n" if fmt == "terminal" else "nl\\\\n") in result.out


def test_analyze_of_hostile_metric_names_is_inert(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("analyze", hostile_log(tmp_path / "run"))
    assert result.code in (0, 1), result.err
    assert_inert(result.out)


@pytest.mark.parametrize("fmt", ["terminal", "markdown"])
def test_a_sweep_prints_hostile_run_names_as_text(
    cli: Callable[..., Result], tmp_path: Path, fmt: str
) -> None:
    runs = [hostile_run_dir(tmp_path, "nl\n::error::injected"), hostile_run_dir(tmp_path, "[/oops]")]
    result = cli("analyze", *runs, "--format", fmt)
    assert result.code == 1, result.err
    assert_inert(result.out)
    assert ("[/oops]" if fmt == "terminal" else "\\[/oops\\]") in result.out


def test_watch_lines_of_a_hostile_folder_are_inert(cli: Callable[..., Result], tmp_path: Path) -> None:
    run = hostile_run_dir(tmp_path, "nl\n::error::injected")
    result = cli("watch", run, "--format", "text")
    assert result.code == 1, result.err
    assert_inert(result.out)
    assert "flow-stalled" in result.out


XSS = '<img src=x onerror="alert(1)">'


@pytest.mark.parametrize("command", ["analyze", "compare", "sweep"])
def test_html_escapes_a_hostile_folder_name_once(
    cli: Callable[..., Result], tmp_path: Path, command: str
) -> None:
    run = hostile_run_dir(tmp_path, XSS)
    if command == "analyze":
        result = cli("analyze", run, "--format", "html")
    elif command == "compare":
        result = cli("compare", run, hostile_run_dir(tmp_path / "b", "q&a\n::error::x"), "--format", "html")
    else:
        result = cli("analyze", run, hostile_run_dir(tmp_path / "b", "q&a\n::error::x"), "--format", "html")
    assert result.code in (0, 1), result.err
    page = result.out
    assert "<img" not in page and "onerror=&quot;alert(1)&quot;" in page  # shown as text, escaped once
    assert "&amp;quot;" not in page and "&amp;lt;" not in page
    assert_inert(page)


def test_the_report_page_allows_only_its_own_script(cli: Callable[..., Result], tmp_path: Path) -> None:
    """The policy forbids inline handlers: a smuggled `onerror=` would not run even if it were markup."""
    import base64
    import hashlib

    page = cli("analyze", hostile_run_dir(tmp_path, XSS), "--format", "html").out
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    script_src = next(d for d in policy.group(1).split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-hashes" not in script_src
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in script_src
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", page)  # no inline handler anywhere in the page


def test_an_error_about_a_hostile_path_is_one_inert_line(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("analyze", tmp_path / "nl\n::error::injected\x1b]0;PWNED\x07")
    assert result.code == 2
    assert len(result.err.splitlines()) == 1 and result.err.startswith("lossdoctor: error: ")
    assert_inert(result.err)
