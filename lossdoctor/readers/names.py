"""Canonical metric names: what a raw log key stands for, and which keys are zero-weight shadows.

A metric reaches a log as `dbg/grad_flow`, `dbg_grad_flow` or `train/dbg/grad_flow`; the guide's
shadows (`loss_dbg_grad_flow`, always 0.0) prove only that a metric is instrumented. Naming needs
nothing but the names, so it sits apart from the frame that applies it (frame.py) and the alias
table that consults it (aliases.py), and both import it one way.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

KNOWN_NAMES = (
    "loss", "loss_flow", "loss_dino", "loss_kl", "kl_raw", "dino_global", "dino_alpha", "alpha",
    "z_init/mean", "z_init/var", "lr", "grad_norm",
)  # fmt: skip
REAL_LOSSES = frozenset({"loss", "loss_flow", "loss_dino", "loss_kl"})
_FLAT_KNOWN = {name.replace("/", "_"): name for name in KNOWN_NAMES}
# Per-tag debug keys (guide §3, §4), matched on the sanitised (`/` → `_`) spelling. Order matters:
# `dbg_update_ratio_x` must not be read as a tag called `update_ratio_x`.
TAG_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"dbg_update_ratio_(\w+)"), "dbg/update_ratio/{}"),
    (re.compile(r"dbg_(\w+)_has_grad"), "dbg/{}_has_grad"),
    (re.compile(r"dbg_(\w+)_trainable"), "dbg/{}_trainable"),
    (re.compile(r"dbg_grad_(\w+)"), "dbg/grad_{}"),
)
TRAIN_PREFIX = "train/"


def _known(name: str) -> str | None:
    """The canonical name a spelling stands for, matched against known names and tag patterns only."""
    flat = name.replace("/", "_")
    if flat in _FLAT_KNOWN:
        return _FLAT_KNOWN[flat]
    for pattern, template in TAG_PATTERNS:
        match = pattern.fullmatch(flat)
        if match:
            return template.format(match.group(1))
    return None


def canonical_name(raw: str, aliases: Mapping[str, str] | None = None) -> str:
    """The canonical name of a raw key: user alias, else known name or tag pattern, else as written.

    Sanitised names are mapped back only when they match a known name or a tag
    pattern: blindly turning `_` into `/` would break `loss_flow` and `data_time`.
    """
    if aliases and raw in aliases:
        return aliases[raw]
    name = raw[len(TRAIN_PREFIX):] if raw.startswith(TRAIN_PREFIX) and len(raw) > len(TRAIN_PREFIX) else raw
    if aliases and name in aliases:
        return aliases[name]
    found = _known(name)
    if found is not None:
        return found
    if name.startswith("train_"):  # `train/dbg/grad_flow` sanitised as a whole
        found = _known(name[len("train_"):])
        if found is not None and found.startswith(("dbg/", "z_init/")):
            return found
    return name


def shadow_target(
    raw: str, metrics: Collection[str], aliases: Mapping[str, str] | None = None,
    flat: Mapping[str, str] | None = None,
) -> str | None:
    """The metric a `loss_<sanitised name>` key shadows, or None when it is a real loss.

    `loss_flow`, `loss_dino`, `loss_kl` and unknown `loss_*` are real losses; a shadow
    is `loss_` plus the sanitised name of a debug/latent metric (known, tag pattern,
    or another non-loss metric of the same log). `flat` (sanitised spelling → metric, from
    `flat_metrics`) saves rebuilding it per key: with thousands of keys that is quadratic.
    """
    if aliases and raw in aliases:
        return None
    name = raw[len(TRAIN_PREFIX):] if raw.startswith(TRAIN_PREFIX) else raw
    if not name.startswith("loss_") or name in REAL_LOSSES:
        return None
    rest = name[len("loss_"):]
    found = _known(rest)
    if found is not None:
        return None if found.startswith("loss") else found
    if flat is None:
        flat = flat_metrics(metrics)
    return flat.get(rest)


def flat_metrics(metrics: Collection[str]) -> dict[str, str]:
    """Each non-loss metric under its sanitised (`/` → `_`) spelling; the first one wins a clash."""
    flat: dict[str, str] = {}
    for metric in metrics:
        if not metric.startswith("loss"):
            flat.setdefault(metric.replace("/", "_"), metric)
    return flat
