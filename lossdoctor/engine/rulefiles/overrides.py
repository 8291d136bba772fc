"""User packs on top of the default one: `extends`, `overrides`, `disable` (and new rules).

A team tunes a threshold or a text by rule name, switches a rule off, or adds its own;
every change is validated like a rule file (file, line, rule, field), and a rule a user
file touched names both packs (`default+team`), so the report says where it came from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lossdoctor.engine.lang import expr as exprs
from lossdoctor.engine.lang.functions import WINDOW_FUNCTIONS
from lossdoctor.engine.rulefiles.schema import (
    LANGS,
    SEVERITIES,
    TEXT_FIELDS,
    CheckRule,
    Problems,
    Text,
    one_number,
    param_problem,
    param_value,
    rule_kinds,
)
from lossdoctor.engine.rulefiles.yamlfile import LineDict

OVERRIDE_FIELDS = {"params", "severity", "tolerance", "for", "text", "summary"}


def apply_overrides(checks: list[CheckRule], raw: Any, file: str, pack: str) -> list[CheckRule]:
    """The checks with a user file's `overrides:` applied; every problem is reported at once."""
    problems = Problems(file)
    if not isinstance(raw, Mapping):
        problems.add(_line(raw, 1), "expected `overrides:` to map rule names to changes")
        problems.raise_if_any()
    by_id = {c.id: c for c in checks}
    changed = dict(by_id)
    for rid, change in raw.items():
        line = _line(raw, 1, rid)
        if rid not in by_id:
            problems.add(line, f"no rule of this name to override; known: {', '.join(sorted(by_id))}", rid)
            continue
        if not isinstance(change, Mapping):
            problems.add(line, "expected a mapping of fields to change", rid)
            continue
        updated = _override(by_id[rid], change, problems, line, pack)
        if updated is not None:
            changed[rid] = updated
    problems.raise_if_any()
    return [changed[c.id] for c in checks]


def _override(
    rule: CheckRule, change: Mapping[str, Any], problems: Problems, line: int, pack: str
) -> CheckRule | None:
    count = len(problems.items)
    for key in sorted(set(change) - OVERRIDE_FIELDS):
        problems.add(
            _line(change, line, key),
            f"cannot be overridden; known: {', '.join(sorted(OVERRIDE_FIELDS))}",
            rule.id,
            key,
        )
    fields: dict[str, Any] = {"pack": rule.pack if pack in rule.pack.split("+") else f"{rule.pack}+{pack}"}
    if "params" in change:
        fields["params"] = _params(rule, change["params"], problems, _line(change, line, "params"))
    if "severity" in change:
        if change["severity"] not in SEVERITIES:
            problems.add(
                _line(change, line, "severity"),
                f"expected one of {', '.join(SEVERITIES)}",
                rule.id,
                "severity",
            )
        fields["severity"] = change["severity"]
    if "tolerance" in change:
        value = change["tolerance"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 0.5:
            problems.add(
                _line(change, line, "tolerance"),
                f"expected a share from 0 to 0.5, got {value!r}",
                rule.id,
                "tolerance",
            )
        fields["tolerance"] = value
    if "for" in change:
        fields["for_steps"] = _window(rule, change["for"], problems, _line(change, line, "for"))
    if "summary" in change:
        fields["summary"] = str(change["summary"])
    if "text" in change:
        fields["text"] = _text(rule, change["text"], problems, _line(change, line, "text"))
    if len(problems.items) > count:
        return None
    return dataclasses.replace(rule, **fields)


def _params(rule: CheckRule, raw: Any, problems: Problems, line: int) -> dict[str, Any]:
    params = dict(rule.params)
    if not isinstance(raw, Mapping):
        problems.add(line, "expected {param: value}", rule.id, "params")
        return params
    for name, value in raw.items():
        spec = rule.params.get(name)
        if spec is None:
            problems.add(
                line,
                f"no parameter {name!r}; its parameters: {', '.join(rule.params) or 'none'}",
                rule.id,
                f"params.{name}",
            )
            continue
        problem = param_problem(spec.type, value)
        if problem is not None:
            problems.add(line, problem, rule.id, f"params.{name}")
            continue
        params[name] = dataclasses.replace(spec, default=param_value(spec.type, value))
    return params


def _window(rule: CheckRule, raw: Any, problems: Problems, line: int) -> exprs.Expr:
    if (
        isinstance(raw, bool)
        or not isinstance(raw, int | float | str)
        or (isinstance(raw, int | float) and raw < 0)
    ):
        problems.add(line, f"expected a step count such as 200, got {raw!r}", rule.id, "for")
        return rule.for_steps
    try:
        parsed = exprs.parse(str(raw), rule_kinds(rule.params, rule.metrics), set(WINDOW_FUNCTIONS))
        one_number(parsed, "a window in steps")
        return parsed
    except exprs.ExprError as exc:
        problems.add(line, f"expected a step count such as 200 ({exc})", rule.id, "for")
        return rule.for_steps


def _text(rule: CheckRule, raw: Any, problems: Problems, line: int) -> dict[str, Text]:
    texts = dict(rule.text)
    if not isinstance(raw, Mapping):
        problems.add(line, "expected {en: {title|cause|remedy: …}, zh: {…}}", rule.id, "text")
        return texts
    for lang, entry in raw.items():
        if lang not in LANGS or not isinstance(entry, Mapping) or set(entry) - set(TEXT_FIELDS):
            problems.add(
                line, f"expected en/zh with any of {', '.join(TEXT_FIELDS)}", rule.id, f"text.{lang}"
            )
            continue
        texts[lang] = dataclasses.replace(texts[lang], **{k: str(v).strip() for k, v in entry.items()})
    return texts


def disabled(raw: Any, known: set[str], file: str) -> set[str]:
    """The rule names a user file switches off (an unknown name is an error, not a silent no-op)."""
    problems = Problems(file)
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        problems.add(_line(raw, 1), "expected `disable:` to be a list of rule names")
        problems.raise_if_any()
    for name in raw:
        if name not in known:
            problems.add(
                1, f"no rule of this name to disable; known: {', '.join(sorted(known))}", name, "disable"
            )
    problems.raise_if_any()
    return set(raw)


def _line(node: Any, default: int, key: str | None = None) -> int:
    if isinstance(node, LineDict):
        return node.line_of(key) if key else node.line
    return default
