"""Run parameters (ga, warmup_steps, kl_weight, smoothing) and where each value came from.

Order of precedence (rule-catalogue "Run context"): command line, then the
training config found with the log (read with `ast`, never run), then what the
log itself shows (a logged alpha series), else unknown. A rule that needs an
unknown parameter is not evaluated and says how to supply it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from lossdoctor.model import Param, ReadWarning, RunData
from lossdoctor.numeric import is_number

ALPHA_SERIES = ("dino_alpha", "alpha")
WARMUP_KEY = re.compile(r"(dino.*warm|alpha.*warm|warm.*(dino|alpha))", re.IGNORECASE)
# Keys that name the KL term's weight (README "Run parameters"). A bare `beta` is not one: QualityFocalLoss'
# beta=2.0 and KLDiscretLoss' beta=10.0 (a temperature) are not a KL weight.
KL_WEIGHT_KEYS = ("kl_weight", "kl_beta", "beta_kl", "loss_kl_weight", "kl_loss_weight", "lambda_kl",
                  "kl_lambda", "kl_coef", "kl_coeff", "weight_kl", "w_kl")
# ... or `loss_weight` inside a loss config under one of these keys (`loss_kl=dict(loss_weight=0.1)`).
KL_LOSS_KEYS = ("loss_kl", "kl_loss")
# ... or these exact paths: the β of a β-VAE as the model's own top-level `beta` (the guide's generator),
# never a `beta` nested in a head or a loss.
KL_WEIGHT_PATHS = ("model.beta",)
CLASS_KEYS = ("num_classes", "n_classes", "nb_classes", "number_of_classes", "classes")


def resolve(run: RunData, given: Mapping[str, Any]) -> dict[str, Param]:
    """Every run parameter the rules may use, with its source.

    `given` holds what the user said: a plain value came from the command line; a
    `Param` carries its own source (the project's lossdoctor config).
    """
    params: dict[str, Param] = {}
    for name, value in given.items():
        params[name] = value if isinstance(value, Param) else Param(value, "command line")
    source = run.config_source or "training config"
    if "ga" not in params:
        ga = dig(run.config, ("optim_wrapper", "accumulative_counts"))
        if is_number(ga) and ga >= 1:
            params["ga"] = Param(int(ga), f"{source} optim_wrapper.accumulative_counts")
        elif run.config and not source.endswith("hparams.yaml"):  # Lightning's hparams are no MMEngine config
            params["ga"] = Param(1, f"{source} (no accumulative_counts: MMEngine's default 1)")
    if "warmup_steps" not in params:
        found = _warmup_from_config(run.config, source) or _warmup_from_alpha(run)
        if found:
            params["warmup_steps"] = found
    if "kl_weight" not in params:
        for path, value in _walk(run.config):
            if is_kl_weight(path) and is_number(value):
                params["kl_weight"] = Param(float(value), f"{source} {path}")
                break
    if "num_classes" not in params:
        found = _classes(run.config, source)
        if found:
            params["num_classes"] = found
    if "smoothing" not in params:
        smoothing = _smoothing(run, source)
        if smoothing is not None:
            params["smoothing"] = smoothing
    return params


def _smoothing(run: RunData, source: str) -> Param | None:
    """MMEngine's `log_processor.window_size`: a positive int or "global"; else ignored, and said so."""
    value = dig(run.config, ("log_processor", "window_size"))
    if value is None:
        return None
    if value == "global" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return Param(value, f"{source} log_processor.window_size")
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    warning = ReadWarning(
        source, None, f"log_processor.window_size = {shown}: expected a positive integer or 'global'; ignored"
    )
    if warning not in run.warnings:
        run.warnings.append(warning)
    return None


def is_kl_weight(path: str) -> bool:
    """A config key (dotted path) that names the weight of the KL term."""
    parts = path.split(".")
    return path in KL_WEIGHT_PATHS or parts[-1] in KL_WEIGHT_KEYS or (
        len(parts) > 1 and parts[-1] == "loss_weight" and parts[-2] in KL_LOSS_KEYS)


def _classes(config: Mapping[str, Any], source: str) -> Param | None:
    """The number of classes (`num_classes`, Lightning's hparams): what chance-level accuracy is."""
    for path, value in _walk(config):
        whole = _is_steps(value) and float(value).is_integer() and value >= 2
        if path.split(".")[-1] in CLASS_KEYS and whole:
            return Param(int(value), f"{source} {path}")
    return None


def dig(config: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at a dotted path of a training config, or None where any step is missing."""
    node: Any = config
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _walk(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path, value
            yield from _walk(value, path)


def _warmup_from_config(config: Mapping[str, Any], source: str) -> Param | None:
    """`model.dino_warmup_iters`, else any key named like *dino*warmup* / *alpha*warmup*."""
    direct = dig(config, ("model", "dino_warmup_iters"))
    if _is_steps(direct):
        return Param(int(direct), f"{source} model.dino_warmup_iters")
    for path, value in _walk(config):
        if WARMUP_KEY.search(path.split(".")[-1]) and _is_steps(value):
            return Param(int(value), f"{source} {path}")
    return None


def _is_steps(value: Any) -> bool:
    return is_number(value) and value > 0


def _warmup_from_alpha(run: RunData) -> Param | None:
    """The step where a logged alpha series stops rising (reaches 99 % of its final level)."""
    for name in ALPHA_SERIES:
        if name not in run.frame.columns:
            continue
        series = run.frame[name].dropna()
        if len(series) < 3 or not np.isfinite(series.to_numpy()).all():
            continue
        values = series.to_numpy()
        top = float(values.max())
        if top <= 0 or values[0] >= 0.99 * top:
            continue
        reached = int(np.argmax(values >= 0.99 * top))
        if reached >= len(values) - 1:
            continue  # still rising at the end: the warmup's end is not in the log
        return Param(int(series.index[reached]), f"logged {name} (the step where it stops rising)")
    return None
