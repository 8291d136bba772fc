"""The project's lossdoctor config: `lossdoctor.yaml` or `[tool.lossdoctor]` in pyproject.toml.

Found from the current folder upwards (or named with `--config`), so a team configures
the gate once per repository. Command-line flags win over the file; the file wins over
what is guessed from the training config. Every key is checked: an unknown key or a
wrong type is an error naming the file, the key and what was expected.

A config is small, but YAML aliases can make 600 bytes stand for billions of values
("billion laughs"): a config holding more than MAX_VALUES values once aliases are
expanded is refused, and an error never prints more than a short excerpt of a value.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lossdoctor.errors import UsageError

MAX_VALUES = 10_000  # values in a config, aliases expanded (a real one holds a few dozen)
_EXCERPT = reprlib.Repr()
_EXCERPT.maxlevel, _EXCERPT.maxstring, _EXCERPT.maxother = 2, 60, 60
_EXCERPT.maxlist = _EXCERPT.maxtuple = _EXCERPT.maxdict = _EXCERPT.maxset = 4
CONFIG_NAMES = ("lossdoctor.yaml", ".lossdoctor.yaml")
SEVERITIES = ("red", "warn", "info")
FAIL_ON = ("red", "warn", "never")
KEYS = {
    "params": "a mapping of run parameters (ga, warmup_steps, kl_weight, num_classes) to numbers",
    "thresholds": "a mapping of rule names to {parameter: value}",
    "rules": "a list of rule-file paths (relative to the config file)",
    "aliases": "a mapping of metric names in your logs to canonical names",
    "select": "a list of rule names or branches (flow, dino, kl, all) to run",
    "ignore": "a list of rule names or branches to skip",
    "severity": "a mapping of rule names to red, warn or info",
    "fail_on": "one of red, warn, never",
    "baseline": "a path to a baseline file (relative to the config file)",
    "require": "a list of rule names or branches that must be evaluated (else exit 2)",
}


class ConfigError(UsageError):
    """A config file that does not validate (exit 2, naming file and key)."""


@dataclass
class ProjectConfig:
    """What a config file says, validated; empty when no file was found."""

    source: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: list[Path] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str | None = None
    baseline: Path | None = None
    require: list[str] = field(default_factory=list)


def find_config(start: Path) -> Path | None:
    """The nearest lossdoctor.yaml, or pyproject.toml with [tool.lossdoctor], from `start` upwards."""
    for folder in [start, *start.parents]:
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _tool_section(pyproject) is not None:
            return pyproject
    return None


def load_config(explicit: Path | None, start: Path) -> ProjectConfig:
    """The config named on the command line, else the one found upwards from `start`, else empty."""
    path = explicit if explicit is not None else find_config(start)
    if path is None:
        return ProjectConfig()
    if not path.is_file():
        raise ConfigError("no such config file", file=str(path))
    raw = _tool_section(path) if path.name == "pyproject.toml" else _yaml(path)
    return parse_config(raw or {}, path)


def _yaml(path: Path) -> Any:
    from lossdoctor.engine.rulefiles.yamlfile import read_yaml
    from lossdoctor.errors import RuleFileError

    try:
        return read_yaml(path)
    except RuleFileError as exc:
        raise ConfigError(exc.message, file=str(path), line=exc.line) from None


def _tool_section(path: Path) -> dict[str, Any] | None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from None
    section = data.get("tool", {}).get("lossdoctor")
    return section if isinstance(section, dict) else None


def parse_config(raw: Any, path: Path) -> ProjectConfig:
    """Check every key and type; the first problem is an error naming file and key."""
    where = str(path) + (" [tool.lossdoctor]" if path.name == "pyproject.toml" else "")
    if not isinstance(raw, Mapping):
        raise ConfigError("expected a mapping of settings", file=where)
    if _too_many_values(raw):
        raise ConfigError(f"more than {MAX_VALUES} values once YAML aliases are expanded: refused",
                          file=where)
    for key in raw:
        if key not in KEYS:
            raise ConfigError(f"unknown key; known: {', '.join(KEYS)}", file=where, field=_key(key))
    config = ProjectConfig(source=where)
    config.params = _params(raw.get("params", {}), where)
    config.thresholds = _mapping_of_mappings(raw.get("thresholds", {}), where, "thresholds")
    config.rules = [path.parent / p for p in _strings(raw.get("rules", []), where, "rules")]
    config.aliases = _string_map(raw.get("aliases", {}), where, "aliases")
    config.select = _strings(raw.get("select", []), where, "select")
    config.ignore = _strings(raw.get("ignore", []), where, "ignore")
    config.severity = _string_map(raw.get("severity", {}), where, "severity")
    for rule, level in config.severity.items():
        if level not in SEVERITIES:
            raise ConfigError(
                f"expected red, warn or info, got {_show(level)}", file=where, field=f"severity.{rule}"
            )
    fail_on = raw.get("fail_on")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ConfigError(f"expected {KEYS['fail_on']}, got {_show(fail_on)}", file=where, field="fail_on")
    config.fail_on = fail_on
    baseline = raw.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise ConfigError(f"expected {KEYS['baseline']}, got {_show(baseline)}", file=where, field="baseline")
    config.baseline = path.parent / baseline if baseline else None
    config.require = _strings(raw.get("require", []), where, "require")
    return config


def _too_many_values(raw: Any) -> bool:
    """True past MAX_VALUES values, counted as aliases expand; stops counting there, so it is cheap."""
    pending, seen = [raw], 0
    while pending:
        value = pending.pop()
        seen += 1
        if seen > MAX_VALUES:
            return True
        if isinstance(value, Mapping):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list | tuple | set):
            pending.extend(value)
    return False


def _key(key: Any) -> str:
    """A key as an error names it: text as written (cut at 80 characters), anything else as an excerpt."""
    return key[:80] if isinstance(key, str) else _show(key)


def _show(value: Any) -> str:
    """A value as it reads in an error: its repr, cut short."""
    return _EXCERPT.repr(value)


def _params(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"expected {KEYS['params']}", file=where, field="params")
    from lossdoctor.engine.rulefiles.schema import run_param

    out: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            out[name] = run_param(name, value)
        except ValueError as exc:
            raise ConfigError(str(exc), file=where, field=f"params.{name}") from None
    return out


def _mapping_of_mappings(raw: Any, where: str, key: str) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, Mapping) or not all(isinstance(v, Mapping) for v in raw.values()):
        raise ConfigError(f"expected {KEYS[key]}", file=where, field=key)
    return {str(k): dict(v) for k, v in raw.items()}


def _strings(raw: Any, where: str, key: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ConfigError(f"expected {KEYS[key]}, got {_show(raw)}", file=where, field=key)
    return list(raw)


def _string_map(raw: Any, where: str, key: str) -> dict[str, str]:
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        raise ConfigError(f"expected {KEYS[key]}", file=where, field=key)
    return {str(k): v for k, v in raw.items()}


TEMPLATE = """\
# lossdoctor configuration: found from the current folder upwards (or pass --config FILE).
# Command-line flags win over this file; this file wins over the training config found with the log.

# Run parameters, when the training config beside the log does not say them:
# params:
#   ga: 2                 # gradient-accumulation steps (optim_wrapper.accumulative_counts)
#   warmup_steps: 1200    # DINO alpha warmup length, in steps (not the LR warmup)

# Thresholds of any rule (see `lossdoctor rules show NAME` for its parameters):
# thresholds:
#   z-var-out-of-range: {high: 2.0}
#   flow-stalled: {grad_low: 0.005}

# Your own rule files, layered on the default pack (extends, overrides, disable, new rules):
# rules: [lossdoctor_rules.yaml]

# Metric names in your logs that mean a canonical one:
# aliases:
#   train/grad_norm_flow: dbg/grad_flow

# Which rules run: names or branches (flow, dino, kl, all).
# select: [flow, kl]
# ignore: [loss-spike]

# Per-rule severity (red fails the gate by default):
# severity:
#   loss-plateau: info

# When the gate fails: red (default), warn, or never.
fail_on: red

# Findings already known in a reference run do not fail the gate
# (record them with: lossdoctor analyze RUN --write-baseline FILE):
# baseline: lossdoctor-baseline.json

# Rules or branches that must have been evaluated: exit 2 when one could not run
# (a broken export with no known metric then fails the gate instead of passing green):
# require: [loss-plateau, non-finite-loss]
"""
