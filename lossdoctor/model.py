"""The types that cross module boundaries.

Readers produce a `RunData`; the engine turns it into a `Report`; every reporter
renders the same `Report` and never recomputes anything. Keeping these in one
module makes the one-way data flow visible: nothing here imports a reader, the
engine or a reporter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pandas is heavy: `lossdoctor --help` must not pay for it
    import numpy as np
    import pandas as pd

Severity = Literal["red", "warn", "info"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "warn": 1, "red": 2}


def as_severity(value: str) -> Severity:
    """A validated severity string (rule files are checked by the schema) as the Literal type."""
    if value not in SEVERITY_ORDER:
        raise ValueError(f"unknown severity {value!r}")
    return value  # type: ignore[return-value]
Branch = Literal["flow", "dino", "kl", "all"]
VerdictName = Literal["learning", "stalled", "unstable", "too strong", "too weak", "unknown"]
EvidenceValue = float | int | str


@dataclass(frozen=True)
class ReadWarning:
    """Something skipped or repaired while reading; the good data around it is kept."""

    file: str
    line: int | None
    message: str


@dataclass(frozen=True)
class Segment:
    """One launch of a run (a resume starts a new one), oldest first."""

    file: str
    first: int
    last: int


@dataclass
class RunData:
    """What the readers give the engine: one step-indexed frame and its provenance.

    `frame` is indexed by the integer training step (sorted, unique, named "step"),
    one float64 column per metric under its canonical name. A cell is NaN when the
    metric was not logged at that step *or* was logged as NaN: `nan_steps` tells
    the two apart, so a NaN loss reaches the rules.
    """

    frame: pd.DataFrame
    files: list[str]
    format: str
    warnings: list[ReadWarning] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    # canonical name -> smallest absolute difference the file can show (the text
    # log's 4 decimals give 1e-4); absent means full float precision.
    precision: dict[str, float] = field(default_factory=dict)
    # canonical name -> steps at which the file held a literal NaN
    nan_steps: dict[str, np.ndarray] = field(default_factory=dict)
    # canonical name -> the raw spellings it was found under
    spellings: dict[str, list[str]] = field(default_factory=dict)
    # canonical names that were logged only as the guide's zero-weight shadow
    # (`loss_dbg_grad_flow`): instrumented, but the value itself is not in the log
    shadow_only: set[str] = field(default_factory=set)
    # canonical name -> raw shadow key, for every shadow seen (with or without its real key)
    shadows: dict[str, str] = field(default_factory=dict)
    # raw shadow key -> first step where it was NaN/inf (its real value was non-finite)
    shadow_nonfinite: dict[str, int] = field(default_factory=dict)
    # the training config found with the log, literals only (read with ast, never run)
    config: dict[str, Any] = field(default_factory=dict)
    config_source: str | None = None
    # what the index counts: "step" (training steps) or "epoch" (a per-epoch history: Keras, epoch scalars)
    step_unit: str = "step"


@dataclass(frozen=True)
class Param:
    """A run parameter or threshold with the place its value came from."""

    value: Any
    source: str


@dataclass(frozen=True)
class Finding:
    """One stretch where a check held. (rule, tag) is its identity."""

    rule: str
    tag: str | None
    severity: Severity
    branch: str
    first_step: int
    last_step: int
    evidence: Mapping[str, EvidenceValue]
    title: str
    cause: str
    remedy: str
    pack: str = "default"


@dataclass(frozen=True)
class Diagnosis:
    """A §6 symptom-table row: checks combined into a likely cause and a quick fix."""

    rule: str
    severity: Severity
    checks: tuple[str, ...]
    title: str
    cause: str
    remedy: str


@dataclass(frozen=True)
class Verdict:
    """One line per branch: is it learning, and the evidence for the answer."""

    branch: str
    verdict: VerdictName
    evidence: str


@dataclass(frozen=True)
class NotEvaluated:
    """A rule that could not be judged, and why (never a silent pass)."""

    rule: str
    reason: str
    tag: str | None = None
    pack: str = "default"


@dataclass(frozen=True)
class Pending:
    """A condition true at the latest point but not yet for the rule's window (Prometheus' pending)."""

    rule: str
    tag: str | None
    severity: str
    since_step: int
    latest_step: int
    window: float
    reason: str = ""  # why it is held pending although it held for its window (watch only)


@dataclass(frozen=True)
class Threshold:
    """A rule's limit on one metric as its condition compares it (`grad < grad_low`): a line on a chart."""

    metric: str
    op: str  # "<", "<=", ">", ">="; on |metric| when `absolute`
    value: float
    absolute: bool = False


@dataclass(frozen=True)
class Evaluated:
    """A rule that ran, fired or not: JUnit and coverage are built from these."""

    rule: str
    tag: str | None
    pack: str
    # the columns the rule read and its limits on them: the HTML report charts what a rule looked at
    metrics: tuple[str, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    judged: int = 0  # logged points the rule could judge (a window's worth of history, in scope)


@dataclass(frozen=True)
class MetricSummary:
    """The metrics overview row: latest value, trend, sparkline data, normal range."""

    name: str
    last: float | None
    trend: str  # "falling" | "rising" | "flat" | "n/a"
    spark: tuple[float, ...]
    normal: str | None  # the guide's normal range as text, if it gives one
    in_range: bool | None
    low: float | None = None  # the same range as numbers, for a band on a chart
    high: float | None = None


@dataclass
class Report:
    """Everything a reporter needs; JSON adds only the schema version."""

    run: RunData
    params: dict[str, Param]
    findings: list[Finding]
    diagnoses: list[Diagnosis]
    verdicts: list[Verdict]
    not_evaluated: list[NotEvaluated]
    evaluated: list[Evaluated]
    coverage: dict[str, str]  # §8 metric -> "present" | "shadow only" | "missing"
    metrics: list[MetricSummary]
    notes: list[str] = field(default_factory=list)  # run-level remarks (smoothing, sampling)
    lang: str = "en"
    # (rule, tag) of findings and diagnoses a baseline already knew: shown, but they do not fail the gate
    baselined: set[tuple[str, str | None]] = field(default_factory=set)
    config_source: str | None = None  # the lossdoctor config file used, if any
    pending: list[Pending] = field(default_factory=list)  # conditions not yet held for their window

    def worst(self) -> str | None:
        """The highest severity among findings and diagnoses, or None."""
        levels = [f.severity for f in self.findings] + [d.severity for d in self.diagnoses]
        return max(levels, key=SEVERITY_ORDER.__getitem__) if levels else None
