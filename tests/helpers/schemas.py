"""Validators for the JSON contracts in docs/: report, sweep (which embeds reports) and compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _load(name: str) -> dict[str, Any]:
    return json.loads((DOCS / name).read_text(encoding="utf-8"))


_REPORT = _load("report.schema.json")
# the sweep schema names the report schema by its file name, relative to its own id
_REGISTRY: Registry = Registry().with_resources(
    [
        ("report.schema.json", Resource.from_contents(_REPORT)),
        ("lossdoctor.sweep/report.schema.json", Resource.from_contents(_REPORT)),
    ]
)


def _strict(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"not strict JSON: a bare {name}")

    return json.loads(text, parse_constant=refuse)


def validated(text: str, schema: str) -> dict[str, Any]:
    """Strict JSON that validates against docs/<schema>.schema.json; a readable failure otherwise."""
    document = _strict(text)
    validator = Draft202012Validator(_load(f"{schema}.schema.json"), registry=_REGISTRY)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, f"{schema} document does not match its schema:\n" + "\n".join(
        f"  {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:10]
    )
    return document
