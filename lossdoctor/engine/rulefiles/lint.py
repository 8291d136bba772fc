"""Checks a schema cannot make: windows that make no sense, with the rule's default parameters.

`for:` and the window arguments of trend/spike/count functions are evaluated with
the defaults (run-dependent names such as `run_steps` make them unknowable here, and
such windows are left alone); a negative or zero window, or a `for:` shorter than the
trend window it follows, is reported with file, line, rule and field.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from lossdoctor.engine.lang.expr import Expr, ExprError, parse
from lossdoctor.engine.lang.functions import (
    REGISTRY,
    RUN_NAMES,
    RUN_PARAMS,
    WINDOW_FUNCTIONS,
    shared_functions,
)
from lossdoctor.engine.rulefiles.schema import CheckRule, rule_kinds

# The argument of each function that is a window in steps, from the registry.
WINDOW_ARG = {
    fn.name: index
    for fn in REGISTRY.values()
    for index, (arg, _) in enumerate(fn.args + fn.optional)
    if arg == "window"
}


def window_problems(rule: CheckRule) -> list[str]:
    """Human-readable problems of one rule's windows (empty when they make sense)."""
    defaults = {name: spec.default for name, spec in rule.params.items()}
    where = f"{rule.file}:{rule.line}: rule \"{rule.id}\""
    out = []
    span = _value(rule.for_steps, defaults)
    if span is not None and span < 0:
        out.append(f'{where}, field "for": a window of {span:g} steps is negative')
    for source, window in _call_windows(rule, defaults):
        if window is not None and window <= 0:
            out.append(f'{where}, field "condition": {source} has a window of {window:g} steps; expected > 0')
        elif window is not None and span is not None and 0 < span < window and "rising" in source:
            out.append(f'{where}, field "for": {span:g} steps is shorter than the trend window {window:g} '
                       f"of {source}; the stretch can never be that short")
    return out


def _value(expression: Expr, defaults: dict[str, Any]) -> float | None:
    if expression.names & (RUN_NAMES | RUN_PARAMS):
        return None
    try:
        value = float(expression.evaluate(defaults, shared_functions()))
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _call_windows(rule: CheckRule, defaults: dict[str, Any]) -> list[tuple[str, float | None]]:
    found: list[tuple[str, float | None]] = []
    for expression in (rule.condition, rule.scope):
        if expression is None:
            continue
        for node in ast.walk(expression.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in WINDOW_ARG:
                index = WINDOW_ARG[node.func.id]
                if len(node.args) <= index:
                    continue  # the schema reports a wrong argument count
                source = ast.unparse(node.args[index])
                try:
                    window = parse(source, rule_kinds(rule.params, rule.metrics), set(WINDOW_FUNCTIONS))
                except ExprError:  # a window computed from other functions is left to the run
                    found.append((ast.unparse(node), None))
                    continue
                found.append((ast.unparse(node), _value(window, defaults)))
    return found
