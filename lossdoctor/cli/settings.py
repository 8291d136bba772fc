"""From flags and the project config to what the engine and the gate need, flags winning.

`--param NAME=VALUE` / `RULE.PARAM=VALUE`, `--severity RULE=LEVEL`, `--select/--ignore`
and the config file's `params`, `thresholds`, `severity`, `select`, `ignore` are all
checked against the loaded rules here, with an error that names where the bad value was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossdoctor.errors import UsageError

if TYPE_CHECKING:
    from lossdoctor.engine.rulefiles.packs import RuleSet
    from lossdoctor.gate.config import ProjectConfig

@dataclass
class Settings:
    """Run parameters (values or sourced Params) and per-rule thresholds, merged."""

    run: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)


def merge(config: ProjectConfig, items: list[str], ruleset: RuleSet, *, ga: int | None = None,
          warmup_steps: int | None = None) -> Settings:
    """The config's params and thresholds, then the command line's on top (`--ga`, `--warmup-steps` last)."""
    from lossdoctor.model import Param

    settings = Settings()
    for name, value in config.params.items():
        settings.run[name] = Param(value, f"{config.source} params.{name}")
    for rule_name, values in config.thresholds.items():
        for param, raw in values.items():
            where = f"thresholds.{rule_name}.{param}"
            value = checked_threshold(ruleset, rule_name, param, raw, where, config.source)
            settings.thresholds.setdefault(rule_name, {})[param] = value
    run, thresholds = parse_params(items, ruleset)
    settings.run.update(run)
    for rule_name, values in thresholds.items():
        settings.thresholds.setdefault(rule_name, {}).update(values)
    for name, flag, value in (("ga", "--ga", ga), ("warmup_steps", "--warmup-steps", warmup_steps)):
        if value is not None:
            settings.run[name] = _checked(name, value, flag, f"{flag} {value}")
    return settings


def judging_rules(config: ProjectConfig, files: list[Path], select: list[str], ignore: list[str],
                  severity: list[str]) -> RuleSet:
    """The rule set runs are judged by: packs, then the team's choice of rules and severities."""
    from lossdoctor.engine.rulefiles.packs import load_rules
    from lossdoctor.gate import policy

    ruleset = load_rules([*config.rules, *files])
    source = "command line" if (select or ignore) else (config.source or "command line")
    ruleset = policy.choose_rules(ruleset, select or config.select, ignore or config.ignore, source)
    levels = severity_overrides(config, severity)
    return policy.override_severity(ruleset, levels, config.source or "--severity")


def locale_lang() -> str:
    """zh when the locale says Chinese, else en."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def checked_threshold(
    ruleset: RuleSet, rule_name: str, param: str, value: Any, where: str, source: str | None
) -> Any:
    rule = ruleset.check(rule_name)
    if rule is None:
        raise UsageError(f"unknown rule {rule_name!r}", file=source, field=where)
    spec = rule.params.get(param)
    if spec is None:
        known = ", ".join(rule.params) or "none"
        raise UsageError(
            f"rule {rule_name} has no parameter {param!r}; its parameters: {known}", file=source, field=where
        )
    from lossdoctor.engine.rulefiles.schema import param_problem, param_value

    if isinstance(value, str):
        value = typed(value, spec.type, where, source)
    problem = param_problem(spec.type, value)
    if problem is not None:
        raise UsageError(problem, file=source, field=where)
    return param_value(spec.type, value)


def parse_params(items: list[str], ruleset: RuleSet) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split `--param` values into run parameters and per-rule thresholds, typed and checked."""
    run: dict[str, Any] = {}
    rules: dict[str, dict[str, Any]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name or not raw:
            raise UsageError(f"--param {item!r}: expected NAME=VALUE or RULE.PARAM=VALUE", field="--param")
        if "." not in name:
            run[name] = _run_param(name, raw, item)
            continue
        rule_name, _, param = name.rpartition(".")
        value = checked_threshold(ruleset, rule_name, param, raw, "--param", None)
        rules.setdefault(rule_name, {})[param] = value
    return run, rules


def _run_param(name: str, raw: str, item: str) -> Any:
    """A run parameter from `--param`, typed and held to the schema's range (ga >= 1, warmup_steps >= 0)."""
    from lossdoctor.engine.lang.functions import RUN_PARAM_SPECS

    if name not in RUN_PARAM_SPECS:
        raise UsageError(
            f"--param {name}: unknown run parameter; known: {', '.join(RUN_PARAM_SPECS)} "
            "(thresholds are RULE.PARAM=VALUE)",
            field="--param",
        )
    where = f"--param {item}"
    return _checked(name, typed(raw, RUN_PARAM_SPECS[name][0], where, None), "--param", where)


def _checked(name: str, value: Any, flag: str, where: str) -> int | float:
    from lossdoctor.engine.rulefiles.schema import run_param

    try:
        return run_param(name, value)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}", field=flag) from None


def typed(raw: str, kind: str, where: str, source: str | None) -> Any:
    """A command-line string as the parameter's type; NaN and infinities are refused."""
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
        raise UsageError(
            f"{where}: expected {article} {kind}, got {raw!r}", file=source, field="--param"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise UsageError(f"{where}: expected a finite number", file=source, field="--param")
    return value


def severity_overrides(config: ProjectConfig, items: list[str]) -> dict[str, str]:
    """`--severity RULE=LEVEL` on top of the config's `severity:`."""
    levels = dict(config.severity)
    for item in items:
        name, sep, level = item.partition("=")
        if not sep or not name or level not in ("red", "warn", "info"):
            raise UsageError(f"--severity {item!r}: expected RULE=red|warn|info", field="--severity")
        levels[name] = level
    return levels
