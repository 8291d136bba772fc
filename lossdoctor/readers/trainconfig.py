"""Read an MMEngine training config (a Python file) as data, never as code.

A config can do anything when imported, and a log someone sent you is not a
program you meant to run. So the file is parsed with `ast` and only literal
values are taken: numbers (negative too), strings, True/False/None, lists,
tuples, dict literals, nested `dict(...)` calls and names bound earlier in the
same file. Anything else (a call, an expression, an import) becomes None.

A name bound earlier is shared, not copied, and every value counts its logical size
(a list holding a name counts what the name holds): nine lines of `aN = [aN-1] * 10`
spelled out would otherwise cost 10^9 copies. Past `MAX_VALUES` elements, or a text
longer than `MAX_TEXT`, the config is given up with an InputError, which the
readers turn into a warning: the run is still analysed, without its config.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from lossdoctor import pyast
from lossdoctor.errors import InputError
from lossdoctor.numeric import is_number

MAX_TEXT = 1024 * 1024  # characters of config text parsed at all (real configs: a few KB to ~100 KB)
MAX_VALUES = 200_000  # literal elements a config may hold, counting shared names at their full size


class _Budget:
    """The elements evaluated so far, and the logical size of each name bound at top level."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.used = 0
        self.sizes: dict[str, int] = {}

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > MAX_VALUES:
            raise InputError(f"config too large: more than {MAX_VALUES} values (nested names "
                             "multiply): given up", file=self.source)


def read_config(path: str | Path) -> dict[str, Any]:
    """The literal top-level assignments of a config file; InputError if it is not Python."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read config: {exc.strerror or exc}", file=str(path)) from exc
    return parse_config_text(text, str(path))


def parse_config_text(text: str, source: str, first_line: int = 1) -> dict[str, Any]:
    """The literal top-level assignments of config text; `first_line` maps errors to the enclosing file."""
    if len(text) > MAX_TEXT:
        raise InputError(f"config too large: {len(text)} characters, more than {MAX_TEXT}: given up",
                         file=source)
    try:
        tree = pyast.parse_module(text, filename=source)
    except SyntaxError as exc:
        line = None if exc.lineno is None else exc.lineno + first_line - 1
        raise InputError(f"config is not valid Python: {exc.msg}", file=source, line=line) from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise InputError(f"config cannot be parsed: {type(exc).__name__}", file=source) from exc
    found: dict[str, Any] = {}
    budget = _Budget(source)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                before = budget.used
                found[target.id] = _literal(value, found, budget)
                budget.sizes[target.id] = budget.used - before
    return found


def _literal(node: ast.expr, scope: dict[str, Any], budget: _Budget) -> Any:
    """The value of a literal expression, or None for anything that would need running code."""
    budget.spend(1)
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str | bytes | int | float | bool | type(None)) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _literal(node.operand, scope, budget)
        if is_number(inner):
            return -inner if isinstance(node.op, ast.USub) else inner
        return None
    if isinstance(node, ast.Name):  # `warmup = 600` then `model = dict(dino_warmup_iters=warmup)`
        budget.spend(budget.sizes.get(node.id, 0))  # shared, but whoever walks it pays its full size
        return scope.get(node.id)
    if isinstance(node, ast.List):
        return [_literal(item, scope, budget) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(item, scope, budget) for item in node.elts)
    if isinstance(node, ast.Dict):
        return _dict_literal(node, scope, budget)
    is_dict_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
    if is_dict_call and isinstance(node, ast.Call) and not node.args:
        return {kw.arg: _literal(kw.value, scope, budget) for kw in node.keywords if kw.arg is not None}
    return None


def _dict_literal(node: ast.Dict, scope: dict[str, Any], budget: _Budget) -> dict[Any, Any]:
    """A `{...}` literal; keys that are not hashable literals (or `**spread`) are left out."""
    result: dict[Any, Any] = {}
    for key_node, value_node in zip(node.keys, node.values, strict=True):
        if key_node is None:
            continue
        key = _literal(key_node, scope, budget)
        if isinstance(key, str | int | float | bool | tuple) or key is None:
            try:
                result[key] = _literal(value_node, scope, budget)
            except TypeError:  # a tuple key holding a list
                continue
    return result


def lookup(config: dict[str, Any], dotted: str) -> Any:
    """`config["model"]["x"]` as `lookup(config, "model.x")`; None if any part is absent."""
    value: Any = config
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
