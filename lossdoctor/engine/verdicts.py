"""Branch verdicts (§1 "推进性的判定", §10): one line per branch with its evidence.

A verdict that contradicts a fired rule would confuse: so fired checks decide
first (the catalogue's table), and only when none fired does the data decide
between "learning" and "unknown".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lossdoctor.engine import windows
from lossdoctor.engine.messages import message
from lossdoctor.model import Finding, Param, RunData, Verdict

# branch -> (verdict, checks, tags the check must concern or None for any)
TABLE: dict[str, list[tuple[str, tuple[str, ...], tuple[str, ...] | None]]] = {
    "flow": [
        ("unstable", ("flow-unstable", "flow-stuck-high-grad", "non-finite-loss"), None),
        ("stalled", ("flow-stalled", "grad-flow-dead"), None),
        ("stalled", ("update-ratio-zero",), ("flow",)),
    ],
    "dino": [
        ("too strong", ("dino-not-improving", "dino-share-early-high", "dino-grad-early-large"), None),
        ("stalled", ("update-ratio-zero",), ("dino",)),
    ],
    "kl": [
        ("too weak", ("kl-rising", "z-mean-drift"), None),
        ("too weak", ("z-var-high",), None),
        ("too strong", ("z-var-low",), None),
        ("stalled", ("update-ratio-zero",), ("mu_head", "logvar_head")),
    ],
}
# signals a check exports (schema `signals:`), and the check they come from
SIGNAL_SOURCES = {"z-var-high": "z-var-out-of-range", "z-var-low": "z-var-out-of-range"}
KEY_METRICS = {
    "flow": ("loss_flow", "dbg/grad_flow"),
    "dino": ("dino_global",),
    "kl": ("kl_raw", "z_init/mean", "z_init/var"),
}


def verdicts(
    run: RunData, findings: list[Finding], signals: set[str], params: Mapping[str, Param], lang: str
) -> list[Verdict]:
    out = []
    for branch, table in TABLE.items():
        fired = _from_findings(branch, table, findings, signals, params, lang)
        out.append(fired or _from_data(run, branch, params, lang))
    return out


def _from_findings(
    branch: str,
    table: list[tuple[str, tuple[str, ...], tuple[str, ...] | None]],
    findings: list[Finding],
    signals: set[str],
    params: Mapping[str, Param],
    lang: str,
) -> Verdict | None:
    live = [f for f in findings if f.severity != "info"]
    for verdict, names, tags in table:
        hits = sorted(
            {
                f.rule + (f" ({f.tag})" if f.tag else "")
                for f in live
                if f.rule in names and (tags is None or (f.tag or "").startswith(tags))
            }
        )
        if not hits and any(n in signals for n in names if n in SIGNAL_SOURCES):
            hits = sorted({SIGNAL_SOURCES[n] for n in names if n in signals and n in SIGNAL_SOURCES})
        if not hits:
            continue
        kl_weight = params.get("kl_weight")
        if verdict == "too strong" and branch == "kl" and kl_weight is not None and kl_weight.value == 0:
            return Verdict(branch, "unknown", message("v_kl_collapse_zero_weight", lang))
        return Verdict(branch, verdict, message("v_fired", lang, rules=", ".join(hits)))  # type: ignore[arg-type]
    return None


def _series(run: RunData, name: str) -> tuple[np.ndarray, np.ndarray]:
    column = run.frame[name].dropna()
    return column.index.to_numpy(), column.to_numpy(dtype=float)


def _ends(run: RunData, name: str) -> dict[str, str]:
    """Robust start and end levels of a metric: medians of its first and last tenth."""
    values = _series(run, name)[1]
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return {"start": "n/a", "end": "n/a"}
    tenth = max(1, len(values) // 10)
    return {"start": f"{np.median(values[:tenth]):.3g}", "end": f"{np.median(values[-tenth:]):.3g}"}


def _from_data(run: RunData, branch: str, params: Mapping[str, Param], lang: str) -> Verdict:
    missing = [m for m in KEY_METRICS[branch] if m not in run.frame.columns or run.frame[m].notna().sum() < 3]
    if missing:
        return Verdict(branch, "unknown", message("v_missing", lang, missing=", ".join(missing)))
    if branch == "flow":
        return _flow(run, params, lang)
    if branch == "dino":
        return _dino(run, params, lang)
    return _kl(run, lang)


def _falling(run: RunData, name: str) -> bool:
    change, tau = windows.overall_trend(*_series(run, name))
    return bool(change <= -0.01 and tau <= -0.1)


def _flow(run: RunData, params: Mapping[str, Param], lang: str) -> Verdict:
    falling = _falling(run, "loss_flow")
    grad = float(np.median(_series(run, "dbg/grad_flow")[1]))
    ga = params.get("ga")
    ratio = "n/a"
    if {"dbg/flow_has_grad", "dbg/flow_trainable"} <= set(run.frame.columns):
        both = run.frame[["dbg/flow_has_grad", "dbg/flow_trainable"]].dropna()
        both = both[both["dbg/flow_trainable"] > 0]
        if len(both):
            ratio = f"{float(np.median(both['dbg/flow_has_grad'] / both['dbg/flow_trainable'])):.2f}"
    if falling and grad > 0:
        return Verdict(
            "flow",
            "learning",
            message(
                "v_flow_learning",
                lang,
                grad=grad,
                ratio=ratio,
                ga=ga.value if ga else "?",
                **_ends(run, "loss_flow"),
            ),
        )
    return Verdict("flow", "unknown", message("v_flow_not_falling", lang, **_ends(run, "loss_flow")))


def _dino(run: RunData, params: Mapping[str, Param], lang: str) -> Verdict:
    if not _falling(run, "dino_global"):
        return Verdict("dino", "unknown", message("v_dino_not_falling", lang, **_ends(run, "dino_global")))
    start = end = "n/a"
    warmup = params.get("warmup_steps")
    if "dbg/grad_dino_t_head" in run.frame.columns and warmup is not None:
        steps, grad = _series(run, "dbg/grad_dino_t_head")
        early, late = (
            grad[steps <= 0.1 * warmup.value],
            grad[(steps >= 0.9 * warmup.value) & (steps <= warmup.value)],
        )
        if len(early) and len(late):
            start, end = f"{np.median(early):.3g}", f"{np.median(late):.3g}"
    return Verdict(
        "dino",
        "learning",
        message("v_dino_learning", lang, grad_start=start, grad_end=end, **_ends(run, "dino_global")),
    )


def _kl(run: RunData, lang: str) -> Verdict:
    steps, kl = _series(run, "kl_raw")
    tail = steps >= steps[0] + (steps[-1] - steps[0]) * 2 / 3
    change, _ = windows.overall_trend(steps[tail], kl[tail])
    end = run.frame.index.to_numpy() >= run.frame.index[0] + (run.frame.index[-1] - run.frame.index[0]) * 0.8
    mean = float(np.nanmedian(run.frame["z_init/mean"].to_numpy(dtype=float)[end]))
    var = float(np.nanmedian(run.frame["z_init/var"].to_numpy(dtype=float)[end]))
    if abs(mean) <= 0.1 and 0.8 <= var <= 1.2 and not change >= 0.05:
        return Verdict("kl", "learning", message("v_kl_learning", lang, mean=mean, var=var))
    return Verdict("kl", "unknown", message("v_kl_outside", lang, mean=mean, var=var))
