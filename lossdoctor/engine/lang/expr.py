"""Rule conditions: a tiny, whitelisted expression language parsed with `ast`.

Rule files are data written by users, so a condition is parsed, checked against
a whitelist of node types, names and functions, and then interpreted by walking
the tree. Nothing is ever passed to `eval`; attribute access, subscripts,
lambdas, comprehensions and unknown names are errors at load time.

Semantics are numpy's on float64, so no value in a log can raise: `x / 0` is inf
or NaN, `and`/`or`/`not` are logical and element-wise, a comparison with NaN is
false. Each expression's kind (array or one number) is inferred at load time from
the names' kinds and the function registry. Scope is bound explicitly: a
scope-bound function (`start`, `early`) evaluates its argument over the rule's
scope, so `start(x * 1)` is `start(x)`.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lossdoctor import pyast
from lossdoctor.engine.lang import functions

MAX_SOURCE = 2000
MAX_DEPTH = 40
ARRAY, SCALAR = functions.ARRAY, functions.SCALAR

# Arithmetic is numpy's on float64: x / 0 is inf or NaN, never an exception; True counts as 1.
# The ufuncs are named, not imported: checking a rule file (`lossdoctor rules list`) needs no numpy.
_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "add",
    ast.Sub: "subtract",
    ast.Mult: "multiply",
    ast.Div: "true_divide",
}
_CMPOPS: dict[type[ast.cmpop], str] = {
    ast.Lt: "less",
    ast.LtE: "less_equal",
    ast.Gt: "greater",
    ast.GtE: "greater_equal",
    ast.Eq: "equal",
    ast.NotEq: "not_equal",
}


class ExprError(ValueError):
    """A condition that does not parse, uses something not on the whitelist, or is ill-typed."""


@dataclass(frozen=True)
class Expr:
    """A checked condition: its source, its tree, the names and calls it uses, and its kind.

    `kind` is "array" (one value per logged point), "scalar", or None when the parser was
    not told the kinds of the names.
    """

    source: str
    tree: ast.expr
    names: frozenset[str]
    calls: frozenset[str]
    kind: str | None = None

    def evaluate(
        self,
        env: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]],
        scope: Mapping[str, Any] | None = None,
    ) -> Any:
        """Interpret the tree; `env` maps names to scalars or aligned arrays.

        `scope` binds the names for scope-bound functions (`start`, `early`): the rule's
        whole scope where `env` holds one stretch of it; without it they see `env`.
        """
        import numpy as np

        with np.errstate(all="ignore"):
            return _Interpreter(env, functions, env if scope is None else scope).visit(self.tree)


def parse(
    source: str, allowed_names: Mapping[str, str] | set[str] | None, allowed_calls: set[str]
) -> Expr:
    """Parse and check `source`.

    `allowed_names` maps each name to its kind (array/scalar) to have the expression
    type-checked; a plain set only checks the names; None accepts any bare name.
    """
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
        unknown = sorted(names - set(allowed_names))
        if unknown:
            raise ExprError(
                f"unknown name(s) {', '.join(unknown)}; known here: {', '.join(sorted(allowed_names))}"
            )
    kind = infer(tree, allowed_names) if isinstance(allowed_names, Mapping) else None
    return Expr(source, tree, frozenset(names), frozenset(calls), kind)


def infer(node: ast.AST, kinds: Mapping[str, str]) -> str:
    """The kind of a checked tree: array if any operand is one; a call's by the registry.

    A call whose argument has the wrong kind (an array for a window, a number where a
    series is due) is an ExprError naming the call and the argument.
    """
    if isinstance(node, ast.Constant):
        return SCALAR
    if isinstance(node, ast.Name):
        return kinds[node.id]
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        fn = functions.REGISTRY[node.func.id]
        got = [infer(arg, kinds) for arg in node.args]
        for index, (arg, kind) in enumerate(zip(node.args, got, strict=True)):
            name, expected = fn.argument(index)
            if expected != functions.ANY and kind != expected:
                raise ExprError(
                    f"{fn.name}() takes {name} as {_KIND_TEXT[expected]}, but `{ast.unparse(arg)}` is "
                    f"{_KIND_TEXT[kind]}; signature: {fn.signature()}"
                )
        return fn.result(got)
    children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
    return ARRAY if any(infer(c, kinds) == ARRAY for c in children) else SCALAR


_KIND_TEXT = {ARRAY: "an array (one value per logged point)", SCALAR: "one number"}


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
        fn = functions.REGISTRY.get(node.func.id)
        if fn is None or node.func.id not in allowed_calls:
            raise ExprError(f"unknown function {node.func.id}(); known: {', '.join(sorted(allowed_calls))}")
        calls.add(node.func.id)
        low, high = fn.arity
        if not low <= len(node.args) <= high or any(isinstance(a, ast.Starred) for a in node.args):
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
        children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
    else:
        raise ExprError(f"{type(node).__name__} is not allowed in a rule expression")
    for child in children:
        _check(child, names, calls, allowed_calls, depth + 1)


def _floats(value: Any) -> Any:
    import numpy as np

    return np.asarray(value, dtype=float)


class _Interpreter:
    """Evaluates a checked tree with numpy's semantics; `and`/`or`/`not` are logical, element-wise."""

    def __init__(
        self,
        env: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]],
        scope: Mapping[str, Any],
    ) -> None:
        self.env = env
        self.functions = functions
        self.scope = scope

    def visit(self, node: ast.expr) -> Any:
        import numpy as np

        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.env[node.id]
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.BinOp):
            operator = getattr(np, _BINOPS[type(node.op)])
            return operator(_floats(self.visit(node.left)), _floats(self.visit(node.right)))
        if isinstance(node, ast.UnaryOp):
            value = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return np.logical_not(value)
            return np.negative(_floats(value)) if isinstance(node.op, ast.USub) else _floats(value)
        if isinstance(node, ast.BoolOp):
            return self._bool_op(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        raise ExprError(f"{type(node).__name__} is not allowed")  # unreachable after _check

    def _call(self, node: ast.Call) -> Any:
        """A scope-bound function reads its first argument over the scope (explicitly bound)."""
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        spec = functions.REGISTRY.get(name)
        args = [self.visit(a) for a in node.args]
        if spec is not None and spec.scope_bound and self.scope is not self.env:
            args[0] = _Interpreter(self.scope, self.functions, self.scope).visit(node.args[0])
        return self.functions[name](*args)

    def _bool_op(self, node: ast.BoolOp) -> Any:
        """Element-wise and/or that stops once the answer is settled everywhere.

        A guard that holds nowhere (`grad < 1e-2` on a healthy run) then spares the
        costly trend on its right, which is most of the work on a long log.
        """
        import numpy as np

        is_and = isinstance(node.op, ast.And)
        combine = np.logical_and if is_and else np.logical_or
        result = np.asarray(self.visit(node.values[0])).astype(bool, copy=False)
        for operand in node.values[1:]:
            settled = not result.any() if is_and else bool(result.all())
            if settled:
                return result
            result = combine(result, np.asarray(self.visit(operand)).astype(bool, copy=False))
        return result

    def _compare(self, node: ast.Compare) -> Any:
        import numpy as np

        left = self.visit(node.left)
        result: Any = None
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            part = getattr(np, _CMPOPS[type(op)])(_floats(left), _floats(right))
            result = part if result is None else np.logical_and(result, part)
            left = right
        return result
