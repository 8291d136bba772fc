"""A compact notation for synthetic series, for rule tests (in the spirit of promtool's).

    "0.9x40 0.2x30"        40 points at 0.9, then 30 at 0.2
    "1.0..0.5x50"          a linear ramp from 1.0 to 0.5 over 50 points
    "nan inf -inf 3"       single values (NaN / ±inf included)
    {values: "0.9x100", noise: 0.05, seed: 1}          multiplicative noise (a 5 % sd)
    {values: "0x100", noise: 0.02, seed: 1, additive: true}  additive noise
    {values: "1x100", spikes: {40: 8.0}}             multiply point 40 by 8

Points are logged every `interval` steps from `start`, as a logger would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from lossdoctor.numeric import is_number

_TOKEN = re.compile(
    r"^(?P<a>[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf))"
    r"(?:\.\.(?P<b>[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)))?"
    r"(?:x(?P<n>\d+))?$",
    re.IGNORECASE,
)
MAX_POINTS = 1_000_000


class SeriesError(ValueError):
    """A series the notation cannot read."""


def expand(spec: Any) -> np.ndarray:
    """Turn a series spec (string or mapping) into values."""
    if isinstance(spec, Mapping):
        return _with_options(spec)
    if is_number(spec):
        return np.array([float(spec)])
    if not isinstance(spec, str) or not spec.strip():
        raise SeriesError(f"expected a series such as '0.9x40 0.2x30', got {spec!r}")
    parts: list[np.ndarray] = []
    total = 0
    for token in spec.split():
        match = _TOKEN.match(token)
        if not match:
            raise SeriesError(f"cannot read {token!r}: expected VALUE, VALUExN or A..BxN")
        count = int(match["n"] or 1)
        total += count
        if total > MAX_POINTS:
            raise SeriesError(f"more than {MAX_POINTS} points")
        a = float(match["a"])
        b = float(match["b"]) if match["b"] is not None else a
        parts.append(np.full(count, a) if match["b"] is None else np.linspace(a, b, count))
    return np.concatenate(parts)


def _with_options(spec: Mapping[str, Any]) -> np.ndarray:
    unknown = set(spec) - {"values", "noise", "seed", "additive", "spikes"}
    if unknown:
        raise SeriesError(f"unknown series option(s) {', '.join(sorted(unknown))}")
    values = expand(spec.get("values"))
    noise = float(spec.get("noise", 0.0))
    if noise:
        rng = np.random.default_rng(int(spec.get("seed", 0)))
        draws = rng.normal(0.0, noise, len(values))
        values = values + draws if spec.get("additive") else values * (1.0 + draws)
    for index, factor in (spec.get("spikes") or {}).items():
        if not 0 <= int(index) < len(values):
            raise SeriesError(f"spike at point {index} is outside the series ({len(values)} points)")
        values[int(index)] *= float(factor)
    return values


def frame_from(series: Mapping[str, Any], start: int = 0, interval: int = 10) -> Any:
    """A step-indexed frame (as readers give) from named series; shorter ones are NaN at the end."""
    import pandas as pd

    columns = {name: expand(spec) for name, spec in series.items()}
    length = max((len(v) for v in columns.values()), default=0)
    index = pd.Index(start + interval * np.arange(length), name="step", dtype="int64")
    data = {name: np.concatenate([v, np.full(length - len(v), np.nan)]) for name, v in columns.items()}
    return pd.DataFrame(data, index=index)
