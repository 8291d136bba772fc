"""The README's map, enforced: rooms import one way, and no module takes another's private names.

Every module of `lossdoctor/` is parsed with `ast` (never imported) and every import counts:
module level, inside a function (a lazy import is still a dependency) and under TYPE_CHECKING.
A new package must be placed in ROOMS below, so the map cannot silently go out of date.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "lossdoctor"

# The shared base every room may use: the values (model, document), the errors and exit codes, the
# one AST lock, the one test of "a number, not a bool" (numeric). It uses nothing else.
BASE = frozenset({"lossdoctor", "lossdoctor.errors", "lossdoctor.model", "lossdoctor.pyast",
                  "lossdoctor.document", "lossdoctor.numeric"})  # fmt: skip
# the engine's own rooms, one way: lang <- rulefiles <- evaluation <- engine (its front door, `analyze`)
ENGINE = ("engine", "engine.lang", "engine.rulefiles", "engine.evaluation")
# room -> the rooms it may import besides the base and itself (README "Layout").
ROOMS: dict[str, frozenset[str]] = {
    "readers": frozenset(),
    "engine.lang": frozenset(),
    "engine.rulefiles": frozenset({"engine.lang"}),
    "engine.evaluation": frozenset({"engine.lang", "engine.rulefiles"}),
    "engine": frozenset({"engine.lang", "engine.rulefiles", "engine.evaluation"}),
    "engine.devtools": frozenset(ENGINE),  # rule docs and rule tests: only the command line uses them
    "gate": frozenset(ENGINE),
    "live": frozenset({"readers", *ENGINE}),
    "runs": frozenset({"readers", "gate", *ENGINE}),
    "reporters": frozenset({"live", "runs", *ENGINE}),
    "cli": frozenset({"readers", "gate", "live", "runs", "reporters", "taps", "engine.devtools", *ENGINE}),
    "taps": frozenset(),  # runs inside the user's training process: nothing of the doctor's
}
# Modules that hold a live object rather than a value: no reporter may import them.
LIVE_OBJECTS = frozenset({"lossdoctor.live.watcher"})


@dataclass(frozen=True)
class Import:
    importer: str
    line: int
    module: str  # the lossdoctor module imported from
    name: str | None  # the name taken from it (`from module import name`), None for `import module`
    typing_only: bool = False  # under `if TYPE_CHECKING:`: read by type checkers, never run


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


def _room(module: str) -> str | None:
    """The room a module lives in: its package below `lossdoctor`, the longest one ROOMS knows."""
    if module in BASE:
        return "base"
    if module == "lossdoctor.__main__":
        return "cli"  # `python -m lossdoctor` is the command line's second door
    parts = module.split(".")[1:]
    for size in range(len(parts), 0, -1):
        if ".".join(parts[:size]) in ROOMS:
            return ".".join(parts[:size])
    return None


def _typing_only_lines(tree: ast.Module) -> set[int]:
    blocks = [n for n in ast.walk(tree) if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)]
    return {inner.lineno for block in blocks for inner in ast.walk(block) if isinstance(inner, ast.stmt)}


def _imports(module: str, path: Path) -> Iterator[Import]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _typing_only_lines(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "lossdoctor":
                    yield Import(module, node.lineno, alias.name, None, node.lineno in typing_only)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, source] if source else base)
            if source.split(".")[0] != "lossdoctor":
                continue
            hidden = node.lineno in typing_only
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:  # `from lossdoctor.engine import analyze` vs `... import packs`
                    yield Import(module, node.lineno, submodule, None, hidden)
                else:
                    yield Import(module, node.lineno, source, alias.name, hidden)


ALL_IMPORTS = [imp for module, path in MODULES.items() for imp in _imports(module, path)]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_every_module_has_a_room() -> None:
    assert [module for module in MODULES if _room(module) is None] == []


def test_base_uses_nothing_but_the_base() -> None:
    wrong = [f"{i.importer}:{i.line} imports {i.module}" for i in ALL_IMPORTS
             if _room(i.importer) == "base" and _room(i.module) != "base"]  # fmt: skip
    assert wrong == []


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_a_room_imports_only_the_rooms_below_it(room: str) -> None:
    allowed = ROOMS[room] | {room, "base"}
    wrong = [f"{i.importer}:{i.line} imports {i.module} ({_room(i.module)})" for i in ALL_IMPORTS
             if _room(i.importer) == room and _room(i.module) not in allowed]  # fmt: skip
    assert wrong == []


def test_the_layers_have_no_cycle() -> None:
    """ROOMS itself is one-way: no room reaches itself through the rooms it allows."""

    def cycle(path: list[str]) -> list[str] | None:
        for lower in sorted(ROOMS[path[-1]]):
            if lower in path:
                return [*path, lower]
            found = cycle([*path, lower])
            if found:
                return found
        return None

    assert [found for room in ROOMS if (found := cycle([room]))] == []


def test_no_import_cycle_between_modules() -> None:
    """A cycle dodged with an import inside a function is still a cycle: imports run one way.

    Imports under TYPE_CHECKING never run and do not count; a package's own `__init__` being
    loaded before its modules is Python's doing, not an import of the module's.
    """
    below: dict[str, set[str]] = {module: set() for module in MODULES}
    for i in ALL_IMPORTS:
        if not i.typing_only and i.module in MODULES and i.module != i.importer:
            below[i.importer].add(i.module)

    def cycle(path: list[str], done: set[str]) -> list[str] | None:
        for lower in sorted(below[path[-1]]):
            if lower in path:
                return [*path[path.index(lower):], lower]
            if lower not in done:
                found = cycle([*path, lower], done)
                if found:
                    return found
                done.add(lower)
        return None

    done: set[str] = set()
    cycles: dict[frozenset[str], str] = {}
    for module in MODULES:
        found = cycle([module], done)
        if found:  # the cycle alone (`a -> b -> a`), once whichever module it was met from
            cycles.setdefault(frozenset(found), " -> ".join(found))
        done.add(module)
    assert list(cycles.values()) == []


def test_no_module_imports_a_private_name_of_another() -> None:
    wrong = [f"{i.importer}:{i.line} imports {i.module}.{i.name}" for i in ALL_IMPORTS
             if i.name is not None and _private(i.name) and i.module != i.importer]  # fmt: skip
    assert wrong == []


def test_no_module_reads_a_private_attribute_of_an_imported_module() -> None:
    """`terminal._terminal_width()` after `from lossdoctor.reporters import terminal` counts too."""
    wrong = []
    for module, path in MODULES.items():
        bound: dict[str, str] = {}  # local name -> the lossdoctor module it is bound to
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    if f"{node.module}.{alias.name}" in MODULES:
                        bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in MODULES:
                        bound[alias.asname or alias.name.split(".")[0]] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in bound and _private(node.attr)
                    and bound[node.value.id] != module):  # fmt: skip
                wrong.append(f"{module}:{node.lineno} reads {bound[node.value.id]}.{node.attr}")
    assert wrong == []


def test_reporters_take_values_never_the_live_watcher() -> None:
    wrong = [f"{i.importer}:{i.line} imports {i.module}" for i in ALL_IMPORTS
             if _room(i.importer) == "reporters" and i.module in LIVE_OBJECTS]  # fmt: skip
    assert wrong == []


def test_the_checks_see_imports_at_every_level() -> None:
    """Guards the test itself: a lazy import inside a function and a TYPE_CHECKING one are both seen."""
    seen = {(i.importer, i.module) for i in ALL_IMPORTS}
    assert ("lossdoctor.cli.watch", "lossdoctor.live.watcher") in seen  # inside a function
    assert ("lossdoctor.reporters.watch_panel", "lossdoctor.live.view") in seen  # under TYPE_CHECKING


def test_every_imported_module_and_name_exists() -> None:
    """A move that leaves `from lossdoctor.old.path import x` behind inside a function is found here.

    Lazy imports run only on the path that needs them, so the suite may never reach a stale one; the
    merge of the house refactor shipped `from lossdoctor.engine import windows` in `initial()` that
    way. Each imported module must be a module of the tree and each name taken from it one it
    defines, TYPE_CHECKING imports included.
    """
    import importlib

    wrong = []
    for imp in ALL_IMPORTS:
        if imp.module not in MODULES:
            wrong.append(f"{imp.importer}:{imp.line} imports {imp.module}, which is not a module")
        elif imp.name not in (None, "*") and not hasattr(importlib.import_module(imp.module), imp.name):
            wrong.append(f"{imp.importer}:{imp.line} imports {imp.name} from {imp.module}, which has none")
    assert wrong == []
