"""Branch verdicts (§1 "推进性的判定", §10): one line per branch with its evidence.

A verdict that contradicts a fired rule would confuse: so fired checks decide
first (the catalogue's table), then any other red or warn finding of the branch
keeps it from "learning", and only then does the data decide. "learning" needs
every condition of the catalogue's row that could be computed to hold; each
condition is a `Check` holding the very numbers it compared, and the text is
rendered from those numbers only, so the report never states what was not judged.
A condition that cannot be computed (a key not logged, GA unknown) is said to be
"not checked" rather than printed as if it held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from lossdoctor.engine.lang import windows
from lossdoctor.engine.rulefiles.messages import message
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
# The verdict table's numbers. "Goes down" is the windows' own "decreasing" magnitude and τ over
# the whole run; coverage is the guide's ±10 % of GA (§7). z_init/var's band is the rule pack's
# normal range for it (`overview:` in rules/diagnoses.yaml), the one the overview shows.
FALL_PCT = -1.0
FALL_TAU = -0.1
COVERAGE_TOL = 0.1
KL_RISE_PCT = 5.0
Z_MEAN_LIMIT = 0.1
# DINO's gradient growth compares the first and the last tenth of the warmup
WARMUP_EDGE = 0.1


@dataclass(frozen=True)
class Check:
    """One condition of a verdict: the numbers it compared and whether it held (None: not computable).

    `values` are the judged numbers, exactly as compared (percentages in percent); the evidence
    prints them and nothing else. `words` are names and reasons, never numbers.
    """

    key: str
    holds: bool | None
    values: Mapping[str, float] = field(default_factory=dict)
    words: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""  # message key: why the condition could not be computed

    def text(self, lang: str) -> str:
        state = "na" if self.holds is None else "ok" if self.holds else "fail"
        shown: dict[str, str] = {name: fmt(value) for name, value in self.values.items()}
        if self.reason:
            shown["reason"] = message(self.reason, lang, **self.words)
        return message(f"vc_{self.key}_{state}", lang, **shown, **self.words)


def fmt(value: float) -> str:
    """How a judged number is printed (3 significant digits; the test reads them back)."""
    return "nan" if not np.isfinite(value) else f"{value:.3g}"


def verdicts(
    run: RunData, findings: list[Finding], signals: set[str], params: Mapping[str, Param], lang: str,
    *, ranges: Mapping[str, tuple[float, float]],
) -> list[Verdict]:
    return [verdict for verdict, _ in judged(run, findings, signals, params, lang, ranges=ranges)]


def judged(
    run: RunData, findings: list[Finding], signals: set[str], params: Mapping[str, Param], lang: str,
    *, ranges: Mapping[str, tuple[float, float]],
) -> list[tuple[Verdict, list[Check]]]:
    """Each branch's verdict with the checks its evidence was rendered from (empty when a rule decided).

    `ranges` are the pack's normal ranges (overview.normal_ranges): KL holds z_init/var to its own.
    """
    out: list[tuple[Verdict, list[Check]]] = []
    for branch, table in TABLE.items():
        fired = _from_findings(branch, table, findings, signals, params, lang) or _other_findings(
            branch, findings, lang
        )
        out.append((fired, []) if fired else _from_data(run, branch, params, lang, ranges))
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


def _other_findings(branch: str, findings: list[Finding], lang: str) -> Verdict | None:
    """A red or warn finding of the branch outside the table (grad-coverage-mismatch): not "learning"."""
    hits = sorted(
        {
            f.rule + (f" ({f.tag})" if f.tag else "")
            for f in findings
            if f.severity != "info" and f.branch == branch
        }
    )
    return (
        Verdict(branch, "unknown", message("v_fired_not_learning", lang, rules=", ".join(hits)))
        if hits
        else None
    )


def _from_data(
    run: RunData, branch: str, params: Mapping[str, Param], lang: str,
    ranges: Mapping[str, tuple[float, float]],
) -> tuple[Verdict, list[Check]]:
    missing = [m for m in KEY_METRICS[branch] if m not in run.frame.columns or run.frame[m].notna().sum() < 3]
    if missing:
        return Verdict(branch, "unknown", message("v_missing", lang, missing=", ".join(missing))), []
    if branch == "flow":
        checks = [_falling(run, "loss_flow"), _grad_positive(run), _coverage(run, params)]
    elif branch == "dino":
        checks = [_falling(run, "dino_global"), _dino_growth(run, params)]
    else:
        checks = _kl(run, ranges.get("z_init/var"))
    learning = all(c.holds is not False for c in checks)
    sep = "；" if lang == "zh" else "; "
    evidence = sep.join(c.text(lang) for c in checks)
    return Verdict(branch, "learning" if learning else "unknown", evidence), checks


def _series(run: RunData, name: str) -> tuple[np.ndarray, np.ndarray]:
    column = run.frame[name].dropna()
    return column.index.to_numpy(), column.to_numpy(dtype=float)


def _falling(run: RunData, name: str) -> Check:
    """Goes down over the run: the last tenth's median under the first tenth's, and Kendall's τ.

    Start and end are medians of the first and last tenth of the logged points (robust to a
    spike); their relative difference is what is judged (a relative Theil–Sen change against
    the median read as "-150 %"), and τ of the binned series says the fall is consistent.
    """
    steps, values = _series(run, name)
    finite = np.isfinite(values)
    steps, values = steps[finite], values[finite]
    tenth = max(1, len(values) // 10)
    start, end = float(np.median(values[:tenth])), float(np.median(values[-tenth:]))
    pct = (end - start) / abs(start) * 100 if start != 0 else float("nan")
    tau = float(windows.overall_trend(steps, values)[1])
    holds = bool(pct <= FALL_PCT and tau <= FALL_TAU)
    values_shown = {
        "start": start,
        "end": end,
        "change": pct,
        "limit": FALL_PCT,
        "tau": tau,
        "tau_limit": FALL_TAU,
    }
    return Check("falling", holds, values_shown, {"metric": name})


def _grad_positive(run: RunData) -> Check:
    grad = float(np.nanmedian(_series(run, "dbg/grad_flow")[1]))
    return Check("grad", bool(grad > 0), {"grad": grad, "limit": 0.0})


def _coverage(run: RunData, params: Mapping[str, Param]) -> Check:
    """has_grad / trainable ≈ GA within the guide's ±10 % (the median over the run)."""
    ga = params.get("ga")
    names = ["dbg/flow_has_grad", "dbg/flow_trainable"]
    if not set(names) <= set(run.frame.columns):
        return Check("coverage", None, words={"missing": ", ".join(names)}, reason="vr_missing")
    both = run.frame[names].dropna()
    both = both[both["dbg/flow_trainable"] > 0]
    if not len(both):
        return Check("coverage", None, reason="vr_no_trainable")
    ratio = float(np.median(both["dbg/flow_has_grad"] / both["dbg/flow_trainable"]))
    if ga is None or not isinstance(ga.value, int | float):
        return Check("coverage", None, reason="vr_ga_unknown")
    value = float(ga.value)
    holds = bool(abs(ratio - value) <= COVERAGE_TOL * value)
    return Check("coverage", holds, {"ratio": ratio, "ga": value, "tol": COVERAGE_TOL * 100})


def _dino_growth(run: RunData, params: Mapping[str, Param]) -> Check:
    """grad_dino_t_head grows through the warmup: last tenth's median above the first tenth's."""
    warmup = params.get("warmup_steps")
    if "dbg/grad_dino_t_head" not in run.frame.columns:
        return Check("growth", None, words={"missing": "dbg/grad_dino_t_head"}, reason="vr_missing")
    if warmup is None or not isinstance(warmup.value, int | float):
        return Check("growth", None, reason="vr_warmup_unknown")
    steps, grad = _series(run, "dbg/grad_dino_t_head")
    end = float(warmup.value)
    early = grad[steps <= WARMUP_EDGE * end]
    late = grad[(steps >= (1 - WARMUP_EDGE) * end) & (steps <= end)]
    early, late = early[np.isfinite(early)], late[np.isfinite(late)]
    if not len(early) or not len(late):
        return Check("growth", None, reason="vr_no_warmup_points")
    first, last = float(np.median(early)), float(np.median(late))
    return Check("growth", bool(last > first), {"first": first, "last": last})


def _kl(run: RunData, band: tuple[float, float] | None) -> list[Check]:
    """kl_raw settles (not rising over the last third), z_init/mean ≈ 0, z_init/var within `band`.

    A pack that gives z_init/var no normal range (a standalone pack) has no band to hold it to:
    that condition is then said to be not checked, never dropped from what the verdict lists.
    """
    steps, kl = _series(run, "kl_raw")
    tail = steps >= steps[0] + (steps[-1] - steps[0]) * 2 / 3
    change = float(windows.overall_trend(steps[tail], kl[tail])[0]) * 100
    settles = Check(
        "settles",
        bool(np.isfinite(change) and change < KL_RISE_PCT),
        {"change": change, "limit": KL_RISE_PCT},
    )
    end = run.frame.index.to_numpy() >= run.frame.index[0] + (run.frame.index[-1] - run.frame.index[0]) * 0.8
    mean = float(np.nanmedian(run.frame["z_init/mean"].to_numpy(dtype=float)[end]))
    var = float(np.nanmedian(run.frame["z_init/var"].to_numpy(dtype=float)[end]))
    checks = [settles, Check("zmean", bool(abs(mean) <= Z_MEAN_LIMIT), {"mean": mean, "limit": Z_MEAN_LIMIT})]
    if band is None:
        return [*checks, Check("zvar", None, reason="vr_no_band")]
    low, high = band
    return [*checks, Check("zvar", bool(low <= var <= high), {"var": var, "low": low, "high": high})]
