"""The alias table: common spellings of the metrics the rules read, kept as data (`aliases.yaml`).

A Lightning log calls the loss `train_loss_step`, a Keras one `epoch_loss`, an HF one
the learning rate `learning_rate`: without the table the loss rules say "needs loss"
on a log that holds it. The table is applied per run, before naming: a spelling is
taken only when the canonical name is not logged under its own name, and only the
best-ranked spelling present, so two spellings of one metric are never mixed into
one series. The project config's `aliases:` extends the table and wins.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources

from lossdoctor.errors import RuleFileError
from lossdoctor.readers.names import TRAIN_PREFIX, canonical_name

TABLE_FILE = "aliases.yaml"
_NOT_TRAIN = re.compile(r"^(val|valid|validation|eval|test)[/_\-]", re.IGNORECASE)
MAX_SUGGESTIONS = 3


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[str, ...]]:
    """canonical name -> its spellings, best first (read once, safely)."""
    import yaml

    text = resources.files("lossdoctor.readers").joinpath(TABLE_FILE).read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v)
        for k, v in raw.items()
    ):
        raise RuleFileError("expected a mapping of canonical names to lists of spellings", file=TABLE_FILE)
    return {name: tuple(spellings) for name, spellings in raw.items()}


def for_run(raw_names: Iterable[str], user: Mapping[str, str] | None) -> dict[str, str]:
    """The aliases (raw name -> canonical) to read one run with: the table's, then the user's on top."""
    names = list(dict.fromkeys(raw_names))
    given = dict(user or {})
    logged = {canonical_name(name, given) for name in names}
    found: dict[str, str] = {}
    for canonical, spellings in table().items():
        if canonical in logged:
            continue
        raw = _best(spellings, [n for n in names if n not in given])
        if raw is not None:
            found[raw] = canonical
    return {**found, **given}


def _best(spellings: tuple[str, ...], names: list[str]) -> str | None:
    """The raw name matching the best-ranked spelling (a leading `train/` ignored), else None."""
    for spelling in spellings:
        for name in names:
            bare = name[len(TRAIN_PREFIX):] if name.startswith(TRAIN_PREFIX) else name
            if fnmatch.fnmatchcase(bare, spelling):
                return name
    return None


def suggestions(columns: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """For each wanted metric that is not logged, the logged training metrics that name it, as advice."""
    present = [str(c) for c in columns]
    out = []
    for name in wanted:
        if name in present:
            continue
        token = re.compile(rf"(^|[^a-z0-9]){re.escape(name.lower())}([^a-z0-9]|$)")
        near = [c for c in present if token.search(c.lower()) and not _NOT_TRAIN.match(c)][:MAX_SUGGESTIONS]
        if near:
            listed = ", ".join(f"`{c}`" for c in near)
            verb = "is" if len(near) == 1 else "are"
            out.append(f"no `{name}`; {listed} {verb} there: alias it? (lossdoctor.yaml: "
                       f"`aliases: {{{near[0]}: {name}}}`)")
    return out
