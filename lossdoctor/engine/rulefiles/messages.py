"""Engine texts in both languages, read from the bundled `rules/messages.yaml`.

Substitution is by plain `{name}` only: `str.format` would let a rule file reach
attributes (`{x.__class__}`), so it is never used on YAML text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from lossdoctor.engine.rulefiles.yamlfile import load_yaml

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("lossdoctor.rules").joinpath("messages.yaml").read_text(encoding="utf-8")
    doc = load_yaml(text, "rules/messages.yaml")
    return dict(doc["messages"])


def fill(template: str, values: dict[str, Any]) -> str:
    """Replace `{name}` with the value's text; unknown names are left as they are."""
    return _PLACEHOLDER.sub(
        lambda m: _show(values[m.group(1)]) if m.group(1) in values else m.group(0), template
    )


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def message(key: str, lang: str, **values: Any) -> str:
    """The text `key` in `lang` (English when the language lacks it), filled in."""
    entry = _catalogue()[key]
    return fill(entry.get(lang) or entry["en"], values)


def keys() -> list[str]:
    return sorted(_catalogue())
