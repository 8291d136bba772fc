"""Run sample_logs/make_samples.py as another CPU or Python build would: every exp/log/power result off by
one unit in the last place, at random.

Why: numpy's exp/log/pow (SIMD kernels chosen per CPU) and the C library's differ from one machine to another
in the last bit. A generator whose committed output depends on that bit fails its own reproduction test on a
fresh machine; this lets a test on one machine see what another machine would write.

Usage: ``python other_libm.py GENERATOR OUT SEED``; prints how many results it nudged.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

#: the functions whose last bit is not fixed by IEEE 754 (sqrt, +, *, / are exactly rounded everywhere)
LIBM_UFUNCS = {np.exp, np.log, np.power, np.expm1, np.log1p}
_REAL = {name: getattr(np, name) for name in ("exp", "log", "power", "expm1", "log1p")}


class _Ulps:
    """A seeded source of one-ulp nudges, separate from the generator's own random streams."""

    rng = np.random.default_rng(0)
    moved = 0  # how many results were nudged: a run that nudged nothing proves nothing

    @classmethod
    def nudge(cls, values: Any) -> Any:
        arr = np.asarray(values, dtype=np.float64)
        step = cls.rng.integers(-1, 2, size=arr.shape)
        # exact cases (exp(0) = 1, log(1) = 0, x ** 1) are exact in every libm: keep them
        inexact = np.isfinite(arr) & (arr != np.round(arr))
        nudge = inexact & (step != 0)
        cls.moved += int(np.count_nonzero(nudge))
        moved = np.where(nudge, np.nextafter(arr, np.where(step > 0, np.inf, -np.inf)), arr)
        return moved if moved.ndim else float(moved)


class Nudged(np.ndarray):
    """An array whose libm ufunc results (including `a ** b`) come back one ulp off, and stay Nudged."""

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        plain = [np.asarray(x) if isinstance(x, Nudged) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(x) if isinstance(x, Nudged) else x for x in kwargs["out"])
        result = getattr(ufunc, method)(*plain, **kwargs)
        if ufunc in LIBM_UFUNCS and method == "__call__":
            result = _Ulps.nudge(result)
        return _wrap(result)


def _wrap(result: Any) -> Any:
    if isinstance(result, np.ndarray) and result.dtype.kind == "f" and result.ndim:
        return result.view(Nudged)
    return result


def _patched(name: str) -> Any:
    real = _REAL[name]

    def call(*args: Any, **kwargs: Any) -> Any:
        plain = [np.asarray(a) if isinstance(a, Nudged) else a for a in args]
        return _wrap(_Ulps.nudge(real(*plain, **kwargs)))

    return call


class _NudgedRng:
    """The generator's random stream, unchanged, handing out Nudged arrays so what follows is nudged too."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def standard_normal(self, *args: Any, **kwargs: Any) -> Any:
        return _wrap(np.asarray(self._rng.standard_normal(*args, **kwargs)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rng, name)


def load(generator: Path, seed: int) -> types.ModuleType:
    """Import the generator with numpy's and math's transcendental functions nudged."""
    spec = importlib.util.spec_from_file_location("make_samples_other_libm", generator)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    _Ulps.rng = np.random.default_rng(seed)
    for name in _REAL:
        setattr(np, name, _patched(name))
    fake_math = types.SimpleNamespace(**{n: getattr(math, n) for n in dir(math) if not n.startswith("_")})
    fake_math.exp = lambda x: _Ulps.nudge(math.exp(x))
    fake_math.log = lambda x: _Ulps.nudge(math.log(x))
    module.math = fake_math  # type: ignore[attr-defined]
    init = module.Curves.__init__

    def nudged_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.s = self.s.view(Nudged)
        self.rng = _NudgedRng(self.rng)

    module.Curves.__init__ = nudged_init
    return module


if __name__ == "__main__":
    gen, out, seed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    code = load(gen, seed).main(["--out", str(out)])
    print(_Ulps.moved)
    raise SystemExit(code)
