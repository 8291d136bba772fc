"""What a rule looked at: the columns it read and the limits its condition puts on them.

The HTML report draws a chart for every metric a rule read, with the rule's limit as a
line; it must not re-parse rules to find them (a reporter never recomputes), so the
engine records them on each `Evaluated` entry, from the columns it resolved and the
checked condition tree (never a second parse of the text). A limit is taken only in its
plain forms, `metric < param` and `abs(metric) > param` (`var < low or var > high`,
`abs(mean) > limit`); a comparison against an expression (`dino > ratio * flow`) is no
fixed line on the metric's chart and is left out rather than drawn wrongly.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from lossdoctor.engine.rulefiles.schema import CheckRule
from lossdoctor.model import Threshold
from lossdoctor.numeric import is_number

_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def looked_at(
    rule: CheckRule, metrics: Mapping[str, str | None], values: Mapping[str, Any]
) -> tuple[tuple[str, ...], tuple[Threshold, ...]]:
    """(columns the rule read, its fixed limits on them), from the columns the engine resolved."""
    columns = {local: column for local, column in metrics.items() if column is not None}
    limits: list[Threshold] = []
    if rule.condition is not None:
        for node in ast.walk(rule.condition.tree):
            limit = _limit(node, columns, values)
            if limit is not None:
                limits.append(limit)
    return tuple(dict.fromkeys(columns.values())), tuple(limits)


def _limit(node: ast.AST, columns: Mapping[str, str], values: Mapping[str, Any]) -> Threshold | None:
    """`metric < param` or `abs(metric) > param` in the checked condition tree, else None."""
    if not isinstance(node, ast.Compare) or len(node.ops) != 1 or type(node.ops[0]) not in _OPS:
        return None
    right, left = node.comparators[0], node.left
    absolute = isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "abs"
    if absolute:
        assert isinstance(left, ast.Call)
        left = left.args[0] if len(left.args) == 1 else left
    if not isinstance(left, ast.Name) or not isinstance(right, ast.Name) or left.id not in columns:
        return None
    value = values.get(right.id)
    if not is_number(value):
        return None
    return Threshold(columns[left.id], _OPS[type(node.ops[0])], float(value), absolute=absolute)
