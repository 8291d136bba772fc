"""The options `analyze`, `watch` and `compare` share, declared once so they mean one thing everywhere.

Each is a typer `Option` used as a parameter default (`params: list[str] = options.PARAMS`);
typer copies it per command, so one declaration serves all three. Options whose help differs
by command (`--fail-on`, `--lang`, `--width`, `--format`) share their choices (`FailOn`, `Lang`)
but keep their own text.
"""

from __future__ import annotations

from enum import Enum

import typer


class FailOn(str, Enum):
    red = "red"
    warn = "warn"
    never = "never"


class Lang(str, Enum):
    en = "en"
    zh = "zh"


PARAMS = typer.Option(
    [], "--param", "-p", help="NAME=VALUE (ga, warmup_steps) or RULE.PARAM=VALUE. Repeatable."
)
GA = typer.Option(None, "--ga", help="Gradient-accumulation steps (= --param ga=N).")
WARMUP_STEPS = typer.Option(
    None, "--warmup-steps", help="DINO alpha warmup, in steps (= --param warmup_steps=N)."
)
INPUT_FORMAT = typer.Option(
    None, "--input-format", help="Force the input format (see `lossdoctor metrics --help`)."
)
RULE_FILES = typer.Option([], "--rules", "-r", help="A rule file layered on the default pack. Repeatable.")
CONFIG = typer.Option(
    None, "--config", help="A lossdoctor.yaml or pyproject.toml (default: found upwards from here)."
)
SELECT = typer.Option([], "--select", help="Run only these rules or branches. Repeatable.")
IGNORE = typer.Option([], "--ignore", help="Skip these rules or branches. Repeatable.")
SEVERITY = typer.Option([], "--severity", help="RULE=red|warn|info. Repeatable.")
DEBUG = typer.Option(False, "--debug", help="Print a traceback on internal errors.")
