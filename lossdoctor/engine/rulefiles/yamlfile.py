"""Safe YAML loading that keeps line numbers, so every rule-file error can name its line.

PyYAML's SafeLoader refuses Python tags; on top of it each mapping remembers
where it and each of its keys stood, which the schema uses in its messages
(`rules/kl.yaml:14:5: rule "z-var-out-of-range", field "for": ...`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lossdoctor.errors import RuleFileError

MAX_BYTES = 1_000_000


class LineDict(dict[Any, Any]):
    """A mapping from a YAML file, with the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: object) -> int:
        return self.key_lines.get(str(key), self.line)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser when PyYAML has it (the rule packs load ~8x faster: every command pays it)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):  # numbers key a series' spikes in rule tests
            raise RuleFileError(
                f"keys must be text or numbers, got {key!r}", line=key_node.start_mark.line + 1
            )
        if key in result:
            raise RuleFileError(f'duplicate key "{key}"', line=key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str, file: str) -> Any:
    """Parse one YAML document safely; any failure is a RuleFileError naming file and line."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise RuleFileError(f"file larger than {MAX_BYTES} bytes", file=file)
    try:
        return yaml.load(text, Loader=_Loader)
    except RuleFileError as exc:
        exc.file = file
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RuleFileError(f"not valid YAML: {exc.problem or exc}", file=file, line=line) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise RuleFileError(f"not valid YAML: {type(exc).__name__}", file=file) from None


def read_yaml(path: Path) -> Any:
    """Read and parse a rule file from disk."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"cannot read: {exc}", file=str(path)) from None
    return load_yaml(text, str(path))
