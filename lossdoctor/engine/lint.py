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

from lossdoctor.engine.expr import Expr, parse
from lossdoctor.engine.functions import RUN_NAMES, RUN_PARAMS
from lossdoctor.engine.schema import CheckRule

WINDOW_ARG = {"rising": 1, "decreasing": 1, "not_decreasing": 1, "spike": 2, "count": 1}


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
        value = float(expression.evaluate(defaults, {"min": min, "max": max}))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
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
                names = set(defaults) | RUN_NAMES | RUN_PARAMS
                window = _value(parse(source, names, {"min", "max", "fit_window"}), defaults)
                found.append((ast.unparse(node), window))
    return found
