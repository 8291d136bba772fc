"""`lossdoctor analyze PATH…`: options in, one core call, a reporter out.

Heavy imports (pandas through the readers, the engine) happen inside the
command, so `lossdoctor --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lossdoctor.cli import app
from lossdoctor.errors import FIRED, OK, UsageError
from lossdoctor.model import SEVERITY_ORDER

if TYPE_CHECKING:
    from lossdoctor.engine.packs import RuleSet
    from lossdoctor.model import Report


class FailOn(str, Enum):
    red = "red"
    warn = "warn"
    never = "never"


class Lang(str, Enum):
    en = "en"
    zh = "zh"


RUN_PARAMS = {"ga": int, "warmup_steps": int, "kl_weight": float}


@app.command()
def analyze(
    paths: list[Path] = typer.Argument(
        ..., help="Log files (launches of one run, in order) or an MMEngine work dir.", show_default=False
    ),
    fmt: str = typer.Option("terminal", "--format", "-f", help="Report format: terminal or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to this file."),
    fail_on: FailOn = typer.Option(
        FailOn.red,
        "--fail-on",
        help="Exit 1 when a finding at or above this severity fired (red, warn, never).",
    ),
    lang: Lang | None = typer.Option(
        None, "--lang", help="Language of the report (en, zh); default from the locale."
    ),
    params: list[str] = typer.Option(
        [],
        "--param",
        "-p",
        help="NAME=VALUE for a run parameter (ga, "
        "warmup_steps) or RULE.PARAM=VALUE for a threshold. Repeatable.",
    ),
    ga: int | None = typer.Option(None, "--ga", min=1, help="Gradient-accumulation steps (= --param ga=N)."),
    warmup_steps: int | None = typer.Option(
        None, "--warmup-steps", min=1, help="DINO alpha warmup length in steps."
    ),
    input_format: str | None = typer.Option(
        None, "--input-format", help="Force the input format (mmengine-scalars, mmengine-text, jsonl)."
    ),
    width: int | None = typer.Option(
        None, "--width", help="Terminal report width (default: the terminal's)."
    ),
    rule_files: list[Path] = typer.Option(
        [],
        "--rules",
        "-r",
        help="A user rule file layered on the default pack (extends, overrides, "
        "disable, new rules). Repeatable.",
    ),
    debug: bool = typer.Option(False, "--debug", help="Print a traceback on internal errors."),
) -> int:
    """Diagnose one training run: red flags, likely causes and what to do."""
    from concurrent.futures import ThreadPoolExecutor

    from lossdoctor.readers import read_paths

    # Parse the log while the engine (pandas) is imported: pyarrow parses without the GIL,
    # so a big log costs max(read, imports) instead of their sum.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lossdoctor-read")
    reading = reader.submit(read_paths, paths, input_format=input_format)
    reader.shutdown(wait=False)
    from lossdoctor.engine import analyze as judge
    from lossdoctor.engine.packs import load_rules
    from lossdoctor.reporters import REPORTERS, render

    if fmt not in REPORTERS:
        raise UsageError(
            f'unknown report format "{fmt}"; known formats: {", ".join(sorted(REPORTERS))}', field="--format"
        )
    ruleset = load_rules(rule_files)
    run_params, rule_params = parse_params(params, ruleset)
    if ga is not None:
        run_params["ga"] = ga
    if warmup_steps is not None:
        run_params["warmup_steps"] = warmup_steps
    run = reading.result()
    language = (lang.value if lang else None) or locale_lang()
    report = judge(run, ruleset, run_params=run_params, rule_params=rule_params, lang=language)
    code = exit_code(report, fail_on.value)
    to_file = output is not None
    text = render(report, fmt, width=width or (100 if to_file else None), color=False if to_file else None)
    if output is not None:
        write_output(output, text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return code


def write_output(path: Path, text: str) -> None:
    """Write the report; a path the user cannot write to is their input to fix (exit 2), not our bug."""
    try:
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the report: {exc.strerror or exc}", file=str(path)) from None


def exit_code(report: Report, fail_on: str) -> int:
    """1 when a finding or diagnosis at or above `fail_on` fired (info never counts)."""
    if fail_on == "never":
        return OK
    bar = SEVERITY_ORDER[fail_on]
    levels = [f.severity for f in report.findings] + [d.severity for d in report.diagnoses]
    return FIRED if any(level != "info" and SEVERITY_ORDER[level] >= bar for level in levels) else OK


def locale_lang() -> str:
    """zh when the locale says Chinese, else en."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def parse_params(items: list[str], ruleset: RuleSet) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split `--param` values into run parameters and per-rule thresholds, typed and checked."""
    run: dict[str, Any] = {}
    rules: dict[str, dict[str, Any]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name or not raw:
            raise UsageError(f"--param {item!r}: expected NAME=VALUE or RULE.PARAM=VALUE", field="--param")
        if "." not in name:
            if name not in RUN_PARAMS:
                raise UsageError(
                    f"--param {name}: unknown run parameter; known: {', '.join(RUN_PARAMS)} "
                    "(thresholds are RULE.PARAM=VALUE)",
                    field="--param",
                )
            run[name] = _typed(raw, RUN_PARAMS[name].__name__, item)
            continue
        rule_name, _, param = name.rpartition(".")
        rule = ruleset.check(rule_name)
        if rule is None:
            raise UsageError(f"--param {item}: unknown rule {rule_name!r}", field="--param")
        if param not in rule.params:
            known = ", ".join(rule.params) or "none"
            raise UsageError(
                f"--param {item}: rule {rule_name} has no parameter {param!r}; its parameters: {known}",
                field="--param",
            )
        rules.setdefault(rule_name, {})[param] = _typed(raw, rule.params[param].type, item)
    return run, rules


def _typed(raw: str, kind: str, item: str) -> Any:
    try:
        if kind == "int":
            return int(raw)
        if kind == "bool":
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValueError(raw)
            return raw.lower() in ("true", "1")
        value = float(raw)
    except ValueError:
        article = "an" if kind[0] in "aeiou" else "a"
        raise UsageError(f"--param {item}: expected {article} {kind}, got {raw!r}", field="--param") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise UsageError(f"--param {item}: expected a finite number", field="--param")
    return value
