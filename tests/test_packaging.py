"""What a new user and CI rely on: the wheel carries the rules, the README's commands are the real ones."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_the_rules_and_loads_them(tmp_path: Path) -> None:
    # built from a copy of what the wheel is made of: an in-tree build reuses ROOT/build/lib, where a
    # module moved since the last build would still sit and ship
    source_tree = tmp_path / "src"
    for part in ("lossdoctor", "rules"):
        shutil.copytree(ROOT / part, source_tree / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source_tree / part)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source_tree),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("lossdoctor-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for rule_file in ("flow", "dino", "kl", "taps", "all", "common", "diagnoses", "messages"):
        assert f"lossdoctor/rules/{rule_file}.yaml" in names
    assert "lossdoctor/rules/tests/default.yaml" in names
    # exactly the modules of the source tree ship (pyproject lists the packages by hand), and the alias table
    source = ROOT / "lossdoctor"
    modules = {f"lossdoctor/{p.relative_to(source).as_posix()}" for p in source.rglob("*.py")}
    rules = ROOT / "rules"
    modules |= {f"lossdoctor/rules/{p.relative_to(rules).as_posix()}" for p in rules.rglob("*.py")}
    assert sorted(modules ^ {name for name in names if name.endswith(".py")}) == []
    assert "lossdoctor/readers/aliases.yaml" in names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = (
        "import lossdoctor, lossdoctor.engine as e, lossdoctor.readers.aliases as a; "
        "print(lossdoctor.__file__); print(len(e.load_default().checks)); print('loss' in a.table())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(unpacked), "PATH": ""},
        check=True,
    ).stdout.split()
    assert out[0].startswith(str(unpacked)) and out[1] == "18" and out[2] == "True"


def test_readme_quick_start_is_two_self_contained_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    for command in commands:
        assert command.startswith("python3 -m venv .venv && ") and "source" not in command
    assert "lossdoctor analyze sample_logs/" in commands[0]
    assert commands[1] in (ROOT / ".ci/run").read_text(encoding="utf-8")
