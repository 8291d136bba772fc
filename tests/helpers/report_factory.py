"""Realistic `Report` objects for reporter tests, built without reading a log or running rules.

Reporter tests must not depend on readers or the engine (they change often and
are tested elsewhere), yet a layout only shows its problems on realistic
content: long file paths, per-tag rules, a NaN loss, Chinese text, a resumed run.
So this builds the frame and results by hand, deterministically, in both languages.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lossdoctor.model import (
    Diagnosis,
    Evaluated,
    Finding,
    MetricSummary,
    NotEvaluated,
    Param,
    ReadWarning,
    Report,
    RunData,
    Segment,
    Verdict,
)

WORK_DIR = "work_dirs/flow_dino_kl_b16"
FILES = [f"{WORK_DIR}/20240301_101500/vis_data/scalars.json",
         f"{WORK_DIR}/20240302_083000/vis_data/scalars.json"]

# rule -> (en, zh) title, cause, remedy; the engine would take these from the rule YAML
TEXT: dict[str, dict[str, tuple[str, str, str]]] = {
    "flow-stalled": {
        "en": ("Flow branch stalled", "The flow gradient is tiny and loss_flow has stopped falling.",
               "Raise the LR, relax gradient clipping, weaken the other regularisers."),
        "zh": ("Flow 分支停滞", "dbg/grad_flow 很小且 loss_flow 不再下降。",
               "提 LR、放宽裁剪、减弱其它正则。"),
    },
    "kl-rising": {
        "en": ("KL keeps rising", "kl_raw rises over the window instead of settling.",
               "Raise the KL weight (β) and constrain logvar."),
        "zh": ("KL 持续增大", "kl_raw 在窗口内持续上升，未收敛。", "增 KL 权重、约束 logvar。"),
    },
    "z-var-out-of-range": {
        "en": ("Latent variance out of range", "z_init/var is above 1.5: the KL weight is too weak.",
               "Raise the KL weight (β) and clamp logvar."),
        "zh": ("z_init/var 超出正常范围", "z_init/var 高于 1.5：KL 权重过弱。", "增 KL 权重、clamp logvar。"),
    },
    "dino-share-early-high": {
        "en": ("DINO loss dominates early",
               "During the first half of the warmup loss_dino is over half of loss.",
               "Lower dino_alpha or lengthen the warmup."),
        "zh": ("DINO 早期占比过高", "warmup 前半段 loss_dino 占 loss 的一半以上。",
               "降 dino_alpha、拉长 warmup。"),
    },
    "update-ratio-zero": {
        "en": ("Frozen tag", "dino_t_head has 0 trainable parameters: frozen, not stalled.",
               "Nothing to do if freezing it is intended."),
        "zh": ("冻结的 tag", "dino_t_head 可训练参数为 0：是冻结，不是停滞。", "若有意冻结则无需处理。"),
    },
    "non-finite-loss": {
        "en": ("Non-finite loss", "loss became NaN at step 230; its shadow loss_dbg_grad_flow was NaN first.",
               "Lower the LR, add gradient clipping, check the numerics of the flow head."),
        "zh": ("loss 出现非有限值", "loss 在第 230 步变为 NaN；影子项 loss_dbg_grad_flow 先变为 NaN。",
               "降 LR、加裁剪、检查 flow 头的数值稳定性。"),
    },
    "lr-too-low-or-over-regularised": {
        "en": ("LR too low or over-regularised", "LR too small, or clipping / regularisation too strong.",
               "Raise the LR, relax clipping, weaken the regularisers."),
        "zh": ("LR 过小或正则过强", "LR 过小，或裁剪/正则过强。", "提 LR、放宽裁剪、减弱正则。"),
    },
    "kl-too-weak": {
        "en": ("KL too weak", "The KL weight is too weak: kl_raw and z_init/var rise together.",
               "Raise β, clamp logvar, add LayerNorm after the mu/logvar heads."),
        "zh": ("KL 过弱", "KL 权重过弱：kl_raw 与 z_init/var 同时上升。",
               "增 β、clamp logvar、mu/logvar 头后加 LN。"),
    },
    "lr-too-high-or-unstable": {
        "en": ("LR too high or numerics unstable", "The loss went non-finite.",
               "Lower the LR, add clipping, add LayerNorm."),
        "zh": ("LR 过高或数值不稳定", "loss 出现非有限值。", "降 LR、加裁剪、加 LN。"),
    },
}


def frame(first: int = 10, last: int = 1200, interval: int = 10) -> pd.DataFrame:
    """A smooth, deterministic run: flow stalls after step 400, the latent variance drifts up."""
    steps = np.arange(first, last + 1, interval)
    progress = (steps - first) / max(last - first, 1)
    data = {
        "loss": 2.0 - 0.6 * np.minimum(progress, 0.33) + 0.01 * np.sin(steps / 30),
        "loss_flow": 1.2 - 0.5 * np.minimum(progress, 0.33) + 0.005 * np.sin(steps / 17),
        "dbg/grad_flow": np.where(steps < 400, 0.2, 0.003),
        "z_init/var": 0.9 + 1.1 * progress,
        "kl_raw": 3.0 + 2.0 * progress,
    }
    result = pd.DataFrame(data, index=pd.Index(steps, name="step"), dtype="float64")
    return result


def run_data(empty: bool = False) -> RunData:
    """Two stitched launches with read warnings, or nothing read at all."""
    if empty:
        return RunData(frame=pd.DataFrame(index=pd.Index([], name="step", dtype="int64")),
                       files=[FILES[0]], format="mmengine-scalars")
    warnings = [ReadWarning(FILES[0], 120 + i, f"not JSON, skipped: truncated line {i}") for i in range(12)]
    warnings.append(ReadWarning(FILES[1], None, "file ends without a newline"))
    return RunData(
        frame=frame(), files=list(FILES), format="mmengine-scalars", warnings=warnings,
        segments=[Segment(FILES[0], 10, 600), Segment(FILES[1], 610, 1200)],
        config_source=f"{WORK_DIR}/20240302_083000/vis_data/config.py",
    )


def _finding(rule: str, lang: str, severity: str, branch: str, steps: tuple[int, int],
             evidence: dict[str, float | int | str], tag: str | None = None) -> Finding:
    title, cause, remedy = TEXT[rule][lang]
    return Finding(rule=rule, tag=tag, severity=severity, branch=branch,  # type: ignore[arg-type]
                   first_step=steps[0], last_step=steps[1], evidence=evidence,
                   title=title, cause=cause, remedy=remedy)


def _diagnosis(rule: str, lang: str, severity: str, checks: tuple[str, ...]) -> Diagnosis:
    title, cause, remedy = TEXT[rule][lang]
    return Diagnosis(rule=rule, severity=severity, checks=checks,  # type: ignore[arg-type]
                     title=title, cause=cause, remedy=remedy)


def _spark(values: np.ndarray, points: int = 24) -> tuple[float, ...]:
    picks = np.linspace(0, len(values) - 1, points).round().astype(int)
    return tuple(float(v) for v in values[picks])


def metrics(data: pd.DataFrame) -> list[MetricSummary]:
    """Overview rows as the engine would give them, one per §8 metric found."""
    normal = {"z_init/var": ("0.8–1.2", 0.8, 1.2), "dbg/grad_flow": ("> 1e-2", 1e-2, math.inf)}
    rows = []
    trends = {"loss": "falling", "loss_flow": "flat", "dbg/grad_flow": "flat", "z_init/var": "rising",
              "kl_raw": "rising"}
    for name in data.columns:
        column = data[name].to_numpy()
        text, low, high = normal.get(name, (None, -math.inf, math.inf))
        last = float(column[-1])
        rows.append(MetricSummary(name=name, last=last, trend=trends[name], spark=_spark(column),
                                  normal=text, in_range=None if text is None else bool(low <= last <= high)))
    return rows


def params() -> dict[str, Param]:
    """Run parameters with their sources, as the engine resolves them."""
    config = f"{WORK_DIR}/20240302_083000/vis_data/config.py"
    return {
        "ga": Param(2, f"{config} optim_wrapper.accumulative_counts"),
        "warmup_steps": Param(1200, f"{config} model.dino_warmup_iters"),
        "smoothing": Param(10, f"{config} log_processor.window_size"),
    }


EVALUATED = [Evaluated(rule, tag, "default") for rule, tag in [
    ("grad-coverage-mismatch", "flow"), ("flow-stalled", None), ("flow-unstable", None),
    ("flow-stuck-high-grad", None), ("dino-not-improving", None), ("dino-share-early-high", None),
    ("z-mean-drift", None), ("z-var-out-of-range", None), ("kl-rising", None),
    ("update-ratio-zero", "dino_t_head"), ("loss-plateau", None), ("non-finite-loss", None),
    ("loss-spike", None),
]]

COVERAGE = {
    "loss_flow": "present", "loss_dino": "present", "loss_kl": "present", "kl_raw": "present",
    "dino_global": "missing", "z_init/mean": "missing", "z_init/var": "present",
    "dbg/grad_flow": "present", "dbg/flow_has_grad": "shadow only", "dbg/flow_trainable": "shadow only",
    "dbg/grad_dino_t_head": "missing", "dbg/update_ratio/flow": "missing",
}


def _not_evaluated(lang: str) -> list[NotEvaluated]:
    if lang == "zh":
        return [
            NotEvaluated("grad-flow-dead",
                         "文本日志只有 4 位小数，无法判断 ≈0（ε=1e-6）；请改用 scalars.json。"),
            NotEvaluated("update-ratio-zero", "未记录 dbg/update_ratio/flow。", tag="flow"),
            NotEvaluated("dino-grad-early-large", "缺少 dbg/grad_dino_t_head。"),
        ]
    return [
        NotEvaluated("grad-flow-dead", "the text log has 4 decimals and cannot show ≈ 0 (ε = 1e-6); "
                     "point lossdoctor at vis_data/scalars.json instead"),
        NotEvaluated("update-ratio-zero", "dbg/update_ratio/flow is not logged", tag="flow"),
        NotEvaluated("dino-grad-early-large", "dbg/grad_dino_t_head is missing"),
    ]


def _verdicts(lang: str) -> list[Verdict]:
    if lang == "zh":
        return [
            Verdict("flow", "stalled", "第 400 步后 loss_flow 不降，dbg/grad_flow≈0.003"),
            Verdict("dino", "unknown", "缺少 dino_global"),
            Verdict("kl", "too weak", "kl_raw 上升，z_init/var 升至 2.0"),
        ]
    return [
        Verdict("flow", "stalled", "loss_flow flat since step 400 with dbg/grad_flow ≈ 0.003"),
        Verdict("dino", "unknown", "missing: dino_global"),
        Verdict("kl", "too weak", "kl_raw rising and z_init/var up to 2.0"),
    ]


def full_report(lang: str = "en") -> Report:
    """A stalled flow branch and a too-weak KL: 2 diagnoses, 5 findings of all severities."""
    data = run_data()
    findings = [
        _finding("dino-share-early-high", lang, "warn", "dino", (10, 300),
                 {"share": 0.62, "threshold": 0.5, "warmup_steps": 1200}),
        _finding("flow-stalled", lang, "red", "flow", (400, 1190),
                 {"dbg/grad_flow": 0.003125, "threshold": 1e-2, "loss_flow_change": -0.0041, "window": 100}),
        _finding("z-var-out-of-range", lang, "red", "kl", (600, 1200),
                 {"z_init/var": 1.9812, "low": 0.3, "high": 1.5, "side": "high"}),
        _finding("kl-rising", lang, "red", "kl", (200, 1200),
                 {"kl_raw_change": 0.6667, "kendall_tau": 1.0, "window": 200}),
        _finding("update-ratio-zero", lang, "info", "dino", (10, 1200), {"trainable": 0}, tag="dino_t_head"),
    ]
    diagnoses = [
        _diagnosis("lr-too-low-or-over-regularised", lang, "red", ("flow-stalled",)),
        _diagnosis("kl-too-weak", lang, "red", ("kl-rising", "z-var-out-of-range")),
    ]
    note = ("values are means over 10 iterations (log_processor.window_size=10): spikes are damped; "
            "set window_size=1 as §0 asks") if lang == "en" else \
        "数值为 10 次迭代的均值（log_processor.window_size=10）：尖峰被平滑；请按 §0 设 window_size=1"
    return Report(run=data, params=params(), findings=findings, diagnoses=diagnoses, verdicts=_verdicts(lang),
                  not_evaluated=_not_evaluated(lang), evaluated=list(EVALUATED), coverage=dict(COVERAGE),
                  metrics=metrics(data.frame), notes=[note], lang=lang)


def clean_report(lang: str = "en") -> Report:
    """A healthy run: data, coverage and metrics, but nothing fired."""
    data = run_data()
    verdicts = [Verdict("flow", "learning", "loss_flow ↓, dbg/grad_flow > 0, has_grad/trainable ≈ ga")]
    return Report(run=data, params=params(), findings=[], diagnoses=[], verdicts=verdicts, not_evaluated=[],
                  evaluated=list(EVALUATED), coverage=dict(COVERAGE), metrics=metrics(data.frame), lang=lang)


def empty_report(lang: str = "en") -> Report:
    """Nothing was read and nothing was judged: every section must still render."""
    return Report(run=run_data(empty=True), params={}, findings=[], diagnoses=[], verdicts=[],
                  not_evaluated=[], evaluated=[], coverage={}, metrics=[], lang=lang)


def nan_report(lang: str = "en") -> Report:
    """A NaN loss: non-finite evidence, parameters and metrics, numpy scalars among them."""
    data = run_data()
    data.frame.loc[230:, "loss"] = math.nan
    # numpy scalars on purpose: an engine working on pandas columns hands these over easily
    evidence: dict[str, Any] = {
        "first_bad_step": np.int64(230), "loss": math.nan, "loss_flow": np.float32(0.8123),
        "dbg/grad_flow": math.inf, "z_init/mean": -math.inf, "shadow": "loss_dbg_grad_flow",
    }
    finding = _finding("non-finite-loss", lang, "red", "all", (230, 1200), evidence)
    rows = metrics(data.frame)
    rows[0] = MetricSummary("loss", math.nan, "n/a", rows[0].spark[:-3] + (math.nan,) * 3, None, None)
    extra = {"flow-unstable.spike_factor": Param(math.inf, "--param"),
             "lr": Param(np.float64(1e-4), "config")}
    return Report(run=data, params={**params(), **extra}, findings=[finding],
                  diagnoses=[_diagnosis("lr-too-high-or-unstable", lang, "red", ("non-finite-loss",))],
                  verdicts=[Verdict("flow", "unstable", "loss is NaN from step 230")], not_evaluated=[],
                  evaluated=list(EVALUATED), coverage=dict(COVERAGE), metrics=rows, lang=lang)
