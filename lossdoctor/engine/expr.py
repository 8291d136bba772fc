"""Rule conditions: a tiny, whitelisted expression language parsed with `ast`.

Rule files are data written by users, so a condition is parsed, checked against
a whitelist of node types, names and functions, and then interpreted by walking
the tree. Nothing is ever passed to `eval`; attribute access, subscripts,
lambdas, comprehensions and unknown names are errors at load time.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossdoctor import pyast

MAX_SOURCE = 2000
MAX_DEPTH = 40

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


class ExprError(ValueError):
    """A condition that does not parse or uses something not on the whitelist."""


@dataclass(frozen=True)
class Expr:
    """A checked condition: its source, its tree, and the names and calls it uses."""

    source: str
    tree: ast.expr
    names: frozenset[str]
    calls: frozenset[str]

    def evaluate(self, env: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> Any:
        """Interpret the tree; `env` maps names to scalars or aligned arrays."""
        return _Interpreter(env, functions).visit(self.tree)


def parse(source: str, allowed_names: set[str] | None, allowed_calls: set[str]) -> Expr:
    """Parse and check `source`; `allowed_names=None` accepts any bare name."""
    if not isinstance(source, str) or not source.strip():
        raise ExprError("expected an expression such as `var < low or var > high`")
    if len(source) > MAX_SOURCE:
        raise ExprError(f"expression longer than {MAX_SOURCE} characters")
    try:
        tree = pyast.parse_expression(source.strip()).body
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        raise ExprError(f"not a valid expression: {source!r}") from exc
    names: set[str] = set()
    calls: set[str] = set()
    _check(tree, names, calls, allowed_calls, depth=0)
    if allowed_names is not None:
        unknown = sorted(names - allowed_names)
        if unknown:
            raise ExprError(
                f"unknown name(s) {', '.join(unknown)}; known here: {', '.join(sorted(allowed_names))}"
            )
    return Expr(source, tree, frozenset(names), frozenset(calls))


def _check(node: ast.AST, names: set[str], calls: set[str], allowed_calls: set[str], depth: int) -> None:
    """Walk the tree once, refusing every node type that is not plain arithmetic/logic."""
    if depth > MAX_DEPTH:
        raise ExprError("expression nested too deeply")
    if isinstance(node, ast.Constant):
        value = node.value
        if not isinstance(value, int | float):  # bool is an int
            raise ExprError(f"constant {value!r} is not a number")
        if not math.isfinite(value) or abs(value) > 1e15:
            raise ExprError(f"number {value} is out of range")
        return
    if isinstance(node, ast.Name):
        names.add(node.id)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise ExprError("only calls of known functions with positional arguments are allowed")
        if node.func.id not in allowed_calls:
            raise ExprError(f"unknown function {node.func.id}(); known: {', '.join(sorted(allowed_calls))}")
        calls.add(node.func.id)
        from lossdoctor.engine.functions import ARITY

        low, high = ARITY.get(node.func.id, (0, 99))
        if not low <= len(node.args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise ExprError(f"{node.func.id}() takes {expected} argument(s), got {len(node.args)}")
        children: list[ast.AST] = list(node.args)
    elif isinstance(node, ast.BoolOp | ast.Compare | ast.UnaryOp | ast.BinOp):
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINOPS:
            raise ExprError(f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.Compare) and any(type(op) not in _CMPOPS for op in node.ops):
            raise ExprError("only < <= > >= == != comparisons are allowed")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
            raise ExprError("only `not` and unary minus are allowed")
        children = list(ast.iter_child_nodes(node))
        children = [
            c for c in children if not isinstance(c, ast.boolop | ast.operator | ast.cmpop | ast.unaryop)
        ]
    else:
        raise ExprError(f"{type(node).__name__} is not allowed in a rule expression")
    for child in children:
        _check(child, names, calls, allowed_calls, depth + 1)


class _Interpreter:
    """Evaluates a checked tree; `and`/`or`/`not` work element-wise on arrays."""

    def __init__(self, env: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> None:
        self.env = env
        self.functions = functions

    def visit(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.env[node.id]
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            return self.functions[node.func.id](*(self.visit(a) for a in node.args))
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.UnaryOp):
            value = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return ~value if hasattr(value, "__invert__") and not isinstance(value, bool) else not value
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BoolOp):
            return self._bool_op(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        raise ExprError(f"{type(node).__name__} is not allowed")  # unreachable after _check

    def _bool_op(self, node: ast.BoolOp) -> Any:
        """Element-wise and/or that stops once the answer is settled everywhere.

        A guard that holds nowhere (`grad < 1e-2` on a healthy run) then spares the
        costly trend on its right, which is most of the work on a long log.
        """
        is_and = isinstance(node.op, ast.And)
        result = self.visit(node.values[0])
        for operand in node.values[1:]:
            settled = not np.any(result) if is_and else bool(np.all(result))
            if settled:
                return result
            value = self.visit(operand)
            result = (result & value) if is_and else (result | value)
        return result

    def _compare(self, node: ast.Compare) -> Any:
        left = self.visit(node.left)
        result: Any = None
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            part = _CMPOPS[type(op)](left, right)
            result = part if result is None else (result & part)
            left = right
        return result
