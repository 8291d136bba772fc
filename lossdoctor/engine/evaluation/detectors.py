"""Checks that are not a windowed condition: written in Python, texts still in YAML.

`non-finite-loss` looks at every metric whose name holds "loss", including the NaN literals the
readers recorded (a NaN cell alone may just mean "not logged at this step") and
the guide's shadows, whose NaN means their real value was ±inf.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lossdoctor.engine.evaluation.skip import Skip
from lossdoctor.engine.rulefiles.messages import message
from lossdoctor.engine.rulefiles.schema import CheckRule
from lossdoctor.model import EvidenceValue, Finding, RunData, as_severity

MAX_LISTED = 6


def is_loss(name: str) -> bool:
    """A loss by its name: `loss`, `loss_flow`, but also `train_loss`, `val_loss`, `train_gen_loss`.

    MMEngine sums every key *containing* "loss"; Lightning and HF write `train_loss`, `eval_loss`:
    a diverged GAN logging `train_disc_loss: nan` must not slip past because of a prefix.
    """
    return "loss" in name.lower()


def nonfinite(run: RunData, rule: CheckRule, lang: str) -> list[Finding]:
    """One finding from the first to the last step where any loss was NaN or ±inf."""
    losses = [c for c in run.frame.columns if is_loss(c)]
    if not losses and not run.shadow_nonfinite:
        raise Skip(message("ne_no_loss", lang))
    bad: dict[str, int] = {}
    steps_bad: list[np.ndarray] = []
    index = run.frame.index.to_numpy()
    for column in losses:
        values = run.frame[column].to_numpy(dtype=float)
        at = index[np.isinf(values)]
        nan_at = run.nan_steps.get(column)
        if nan_at is not None and len(nan_at):
            at = np.union1d(at, nan_at)
        if len(at):
            bad[column] = int(at[0])
            steps_bad.append(at)
    for step in run.shadow_nonfinite.values():
        steps_bad.append(np.array([step]))
    if not steps_bad:
        return []
    every = np.unique(np.concatenate(steps_bad))
    evidence: dict[str, EvidenceValue] = {"first_bad_step": int(every[0]), "bad_points": len(every)}
    for column, step in sorted(bad.items(), key=lambda kv: kv[1])[:MAX_LISTED]:
        evidence[column] = _value_at(run, column, step)
    for shadow, step in sorted(run.shadow_nonfinite.items(), key=lambda kv: kv[1])[:MAX_LISTED]:
        metric = next((c for c, s in run.shadows.items() if s == shadow), shadow)
        evidence[f"shadow {shadow}"] = message(
            "ev_shadow_nonfinite", lang, shadow=shadow, step=step, metric=metric
        )
    text = rule.text.get(lang) or rule.text["en"]
    return [
        Finding(
            rule.id,
            None,
            as_severity(rule.severity),
            rule.branch,
            int(every[0]),
            int(every[-1]),
            evidence,
            text.title,
            text.cause,
            text.remedy,
            rule.pack,
        )
    ]


def _value_at(run: RunData, column: str, step: int) -> float:
    if step not in run.frame.index:
        return float("nan")
    return float(run.frame[column].to_numpy(dtype=float)[run.frame.index.get_loc(step)])


DETECTORS: dict[str, Callable[[RunData, CheckRule, str], list[Finding]]] = {"nonfinite": nonfinite}
