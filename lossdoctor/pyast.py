"""`ast.parse` behind one lock: rule conditions and training configs are parsed on two threads.

`analyze` reads the log (and parses the training config found with it) on a thread while the
main thread loads the rule packs; CPython 3.11's AST constructor keeps its recursion counter
in per-interpreter state, and two concurrent parses can fail with "SystemError: AST constructor
recursion depth mismatch" (CPython gh-106905; seen once here as an exit 3 in the CLI tests, not
reproducible on demand, so no test pins it). Parsing is quick: one lock costs nothing measurable.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse_module(source: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse(source)`, one thread at a time."""
    with _LOCK:
        return ast.parse(source, filename=filename)


def parse_expression(source: str) -> ast.Expression:
    """`ast.parse(source, mode="eval")`, one thread at a time."""
    with _LOCK:
        return ast.parse(source, mode="eval")
