"""Frame + rules → findings: the windowed checks of the catalogue.

For each check (and each tag of a per-tag check) this picks the rows where its
metrics were logged, restricts them to the rule's scope, evaluates the condition
to one boolean per logged point, and reports every stretch that held for the
rule's `for` steps. Whatever keeps a rule from being judged (a missing metric,
an unknown parameter, too few points, a file too coarse for "≈ 0") becomes a
`NotEvaluated` with the reason: a rule never passes silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lossdoctor.engine.evaluation.detectors import DETECTORS
from lossdoctor.engine.evaluation.looked_at import looked_at
from lossdoctor.engine.evaluation.params import KL_WEIGHT_KEYS
from lossdoctor.engine.evaluation.skip import Skip
from lossdoctor.engine.lang import functions, windows
from lossdoctor.engine.rulefiles.messages import message
from lossdoctor.engine.rulefiles.schema import CheckRule, Text
from lossdoctor.model import Evaluated, Finding, NotEvaluated, Param, Pending, RunData, as_severity
from lossdoctor.numeric import is_number

TAG_BRANCH = (("flow", "flow"), ("dino", "dino"), ("mu_head", "kl"), ("logvar_head", "kl"))
PARAM_FLAGS = {"ga": "--ga N", "warmup_steps": "--warmup-steps N"}
# a weighted loss that may stand in for its raw value -> the logged names of its weight
WEIGHTED = {"loss_kl": KL_WEIGHT_KEYS}
WEIGHT_PARAMS = {"loss_kl": "kl_weight"}
# a KL annealing length in a training config; the schedule is taken as a linear ramp from 0
KL_RAMP_KEY = re.compile(
    r"^(?=.*(kl|beta))(?=.*(anneal|warmup|ramp)).*(steps|iters|iterations)$", re.IGNORECASE
)


@dataclass
class Outcome:
    """What evaluating all checks produced."""

    findings: list[Finding]
    not_evaluated: list[NotEvaluated]
    evaluated: list[Evaluated]
    signals: set[str]
    pending: list[Pending] = field(default_factory=list)


@dataclass
class Context:
    """One evaluation's shared state: the run, its parameters, and columns converted once."""

    run: RunData
    params: Mapping[str, Param]
    lang: str
    signals: set[str]
    pending: list[Pending] = field(default_factory=list)
    floats: dict[str, np.ndarray] = field(default_factory=dict)
    judged: int = 0  # points the last rule judged: "evaluated" must mean it could have fired

    names: dict[str, float] | None = None  # the run-level names, computed once (`run_names`)

    def run_names(self) -> dict[str, float]:
        if self.names is None:
            self.names = run_names(self.run, self.params)
        return self.names

    def column(self, name: str) -> np.ndarray:
        """A column as float64, converted once per run (many rules read the same metrics)."""
        if name not in self.floats:
            self.floats[name] = self.run.frame[name].to_numpy(dtype=float)
        return self.floats[name]


def branch_of_tag(tag: str) -> str:
    """flow → flow, dino_* → dino, mu_head / logvar_head → kl, anything else → all."""
    for prefix, branch in TAG_BRANCH:
        if tag == prefix or tag.startswith(prefix):
            return branch
    return "all"


def tags_for(rule: CheckRule, columns: list[str]) -> list[str]:
    """Tags present in the log for the first metric template of a per-tag rule."""
    template = next(iter(rule.metrics.values()))[0]
    head, _, tail = template.partition("{tag}")
    pattern = re.compile(re.escape(head) + r"(?P<tag>[A-Za-z0-9_]+?)" + re.escape(tail) + "$")
    return sorted({m.group("tag") for c in columns if (m := pattern.match(c))})


def evaluate_checks(
    run: RunData,
    rules: list[CheckRule],
    params: Mapping[str, Param],
    overrides: Mapping[str, Mapping[str, Any]],
    lang: str,
) -> Outcome:
    """Judge every check on the run."""
    out = Outcome([], [], [], set())
    ctx = Context(run, params, lang, out.signals, out.pending)
    columns = list(run.frame.columns)
    for rule in rules:
        instances: list[str | None] = [None]
        if rule.per_tag:
            instances = list(tags_for(rule, columns))
            if not instances:
                metric = next(iter(rule.metrics.values()))[0]
                out.not_evaluated.append(
                    NotEvaluated(rule.id, message("ne_no_tags", lang, metric=metric), None, rule.pack)
                )
                continue
        for tag in instances:
            metrics: dict[str, str | None] = {}
            values: dict[str, Any] = {}
            try:
                if rule.detector:
                    found = DETECTORS[rule.detector](run, rule, lang)
                    ctx.judged = len(run.frame)
                else:
                    found, metrics, values = _judge(ctx, rule, tag, overrides.get(rule.id, {}))
            except Skip as skip:
                out.not_evaluated.append(NotEvaluated(rule.id, str(skip), tag, rule.pack))
                continue
            out.evaluated.append(
                Evaluated(rule.id, tag, rule.pack, *looked_at(rule, metrics, values), judged=ctx.judged)
            )
            out.findings.extend(found)
    return out


def rule_values(rule: CheckRule, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The rule's parameters: defaults, with `--param RULE.PARAM=VALUE` on top."""
    values = {name: spec.default for name, spec in rule.params.items()}
    values.update(overrides)
    return values


def _judge(
    ctx: Context, rule: CheckRule, tag: str | None, overrides: Mapping[str, Any]
) -> tuple[list[Finding], dict[str, str | None], dict[str, Any]]:
    """The rule's findings on this run, with the columns it read and the parameter values it used."""
    run, params, lang = ctx.run, ctx.params, ctx.lang
    metrics = _resolve_metrics(run, rule, tag, lang)
    values = rule_values(rule, overrides)
    _check_requirements(run, rule, metrics, values, params, lang)
    env, steps = _environment(ctx, rule, metrics, values)
    judged_as = _per_unit_weight(ctx, rule, metrics, env, steps)
    judged: list[tuple[str, int]] = []
    funcs = functions.condition_functions(steps, lambda label, n: judged.append((label, n)))
    if rule.scope is not None:
        try:
            keep = _as_mask(rule.scope.evaluate(env, funcs), steps)
        except functions.Unjudgeable as exc:
            raise Skip(message("ne_unjudgeable", lang, detail=str(exc))) from None
        if not keep.any():
            raise Skip(message("ne_empty_scope", lang, scope=rule.scope.source))
        env = {
            k: (v[keep] if isinstance(v, np.ndarray) and v.shape == steps.shape else v)
            for k, v in env.items()
        }
        steps = steps[keep]
        funcs = functions.condition_functions(steps, lambda label, n: judged.append((label, n)))
    span = float(rule.for_steps.evaluate(env, funcs))
    if not math.isfinite(span) or span < 0:
        detail = f"`for: {rule.for_steps.source}` is {span:g} steps"
        raise Skip(message("ne_unjudgeable", lang, detail=detail))
    interval = windows.typical_interval(steps)
    most = windows.most_points_in(steps, span)
    if span > 0 and most < windows.MIN_POINTS:
        raise Skip(
            message(
                "ne_window",
                lang,
                window=f"{span:g}",
                points=most,
                interval=f"{interval:g}" if interval else "?",
            )
        )
    if span > 0 and span > steps[-1] - steps[0]:  # no stretch can last the window: it could never fire
        raise Skip(message("ne_no_window", lang, window=f"{span:g}", span=int(steps[-1] - steps[0]),
                           interval=f"{interval:g}" if interval else "?"))
    try:
        assert rule.condition is not None  # only detector rules have none, and they do not come here
        mask = _as_mask(rule.condition.evaluate(env, funcs), steps)
    except functions.Unjudgeable as exc:
        raise Skip(message("ne_unjudgeable", lang, detail=str(exc))) from None
    if judged and all(n == 0 for _, n in judged):
        raise Skip(
            message(
                "ne_no_point",
                lang,
                what="; ".join(dict.fromkeys(label for label, _ in judged)),
                span=int(steps[-1] - steps[0]) if len(steps) else 0,
                interval=f"{interval:g}" if interval else "?",
            )
        )
    ctx.judged = max((n for _, n in judged), default=len(steps))
    found = []
    stretches = windows.stretches(steps, mask, 0.0, rule.tolerance)
    for first, last in stretches:
        # a stretch of `span` steps must also hold 3 points where an irregular log thins out
        if steps[last] - steps[first] >= span and (span <= 0 or last - first + 1 >= windows.MIN_POINTS):
            finding = _finding(run, rule, tag, env, steps, first, last, params, lang, ctx.signals)
            found.append(replace(finding, evidence={**finding.evidence, **judged_as}))
    _note_pending(ctx, rule, tag, steps, stretches, span)
    return found, metrics, values


def _per_unit_weight(
    ctx: Context,
    rule: CheckRule,
    metrics: Mapping[str, str | None],
    env: dict[str, Any],
    steps: np.ndarray,
) -> dict[str, float | int | str]:
    """A weighted loss standing in for its raw value (loss_kl for kl_raw) is judged per unit of weight.

    KL annealing is common: with β ramping up, loss_kl = β·KL rises while KL settles. Where the
    weight is logged and changes, the rule judges loss_kl / weight; otherwise it judges loss_kl and
    its evidence says it assumed a constant weight. Returns the evidence saying what was judged.
    """
    said: dict[str, float | int | str] = {}
    for local, source in metrics.items():
        candidates = rule.metrics[local]
        if source is None or len(candidates) < 2:
            continue
        if source not in WEIGHTED or source == candidates[0]:
            said[f"{local}_judged"] = source
            continue
        said[f"{local}_judged"] = _divide_by_weight(ctx, source, env, local, steps)
    return said


def _divide_by_weight(ctx: Context, source: str, env: dict[str, Any], local: str, steps: np.ndarray) -> str:
    frame, lang = ctx.run.frame, ctx.lang
    for name in WEIGHTED[source]:
        if name not in frame.columns or frame[name].notna().sum() < 2:
            continue
        logged = frame[name].dropna().to_numpy(dtype=float)
        if np.nanmax(logged) - np.nanmin(logged) <= 1e-12 * max(abs(float(np.nanmax(logged))), 1e-300):
            value = float(logged[0])
            return message("ev_weight_constant_logged", lang, metric=source, weight=name, value=value)
        weight = frame[name].ffill().reindex(steps).to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            env[local] = np.where(weight > 0, np.asarray(env[local], dtype=float) / weight, np.nan)
        first, last = float(logged[0]), float(logged[-1])
        return message("ev_weight_divided", lang, metric=source, weight=name, first=first, last=last)
    param = ctx.params.get(WEIGHT_PARAMS.get(source, ""))
    ramp = _config_ramp(ctx.run.config)
    if param is not None and is_number(param.value) and ramp is not None and param.value > 0:
        path, length = ramp
        weight = float(param.value) * np.minimum(1.0, steps.astype(float) / length)
        with np.errstate(all="ignore"):
            env[local] = np.where(weight > 0, np.asarray(env[local], dtype=float) / weight, np.nan)
        shown = int(length) if length.is_integer() else length
        return message("ev_weight_ramp", lang, metric=source, value=param.value, steps=shown, path=path)
    if param is not None and is_number(param.value):
        return message("ev_weight_assumed_param", lang, metric=source, value=param.value, source=param.source)
    return message("ev_weight_assumed", lang, metric=source)


def _config_ramp(config: Mapping[str, Any]) -> tuple[str, float] | None:
    """A KL annealing length in the training config (`kl_anneal_steps`, `kl_warmup_iters`, ...)."""
    stack: list[tuple[str, Any]] = [("", config)]
    while stack:
        prefix, node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if KL_RAMP_KEY.search(str(key)) and is_number(value) and value > 0:
                return path, float(value)
            stack.append((path, value))
    return None


def _note_pending(
    ctx: Context,
    rule: CheckRule,
    tag: str | None,
    steps: np.ndarray,
    stretches: list[tuple[int, int]],
    span: float,
) -> None:
    """A condition that holds at the run's last point but not yet for its whole window (`watch`)."""
    last_step = ctx.run.frame.index[-1] if len(ctx.run.frame) else None
    if not stretches or last_step is None:
        return
    first, last = stretches[-1]
    if steps[last] == last_step and steps[last] - steps[first] < span:
        ctx.pending.append(Pending(rule.id, tag, rule.severity, int(steps[first]), int(steps[last]), span))


def _as_mask(value: object, steps: np.ndarray) -> np.ndarray:
    """A condition's value as one boolean per point (a scalar condition holds everywhere or nowhere)."""
    return np.broadcast_to(np.asarray(value).astype(np.bool_), steps.shape)


@dataclass(frozen=True)
class Resolution:
    """How one of a rule's metrics resolves on a run: the column serving it, or why none does.

    One answer for judging (a missing metric skips the rule, saying why) and for `lossdoctor
    metrics` (which lists what each rule needs), so the two can never disagree.
    """

    local: str  # the rule's own name for the metric
    names: list[str]  # its candidates, `{tag}` filled in
    present: str | None  # the first candidate logged with a value
    shadowed: str | None = None  # when none is: a candidate logged only as its zero-weight shadow
    all_nan: str | None = None  # when none is: a candidate logged, but never as a number


def resolve_metrics(run: RunData, rule: CheckRule, tag: str | None) -> list[Resolution]:
    """Each of the rule's metrics on this run (for one tag), in the rule's order."""
    out = []
    for local, candidates in rule.metrics.items():
        names = [c.replace("{tag}", tag or "") for c in candidates]
        present = next((n for n in names if n in run.frame.columns and run.frame[n].notna().any()), None)
        if present is not None:
            out.append(Resolution(local, names, present))
            continue
        shadowed = next((n for n in names if n in run.shadow_only), None)
        all_nan = next((n for n in names if n in run.frame.columns), None)
        out.append(Resolution(local, names, None, shadowed, all_nan))
    return out


def _resolve_metrics(run: RunData, rule: CheckRule, tag: str | None, lang: str) -> dict[str, str | None]:
    """Local name → the canonical column that serves it (first candidate present)."""
    resolved: dict[str, str | None] = {}
    for found in resolve_metrics(run, rule, tag):
        if found.present is None and found.local not in rule.optional:
            if found.shadowed:
                shadow = run.shadows.get(found.shadowed, "?")
                raise Skip(message("ne_shadow_only", lang, metric=found.shadowed, shadow=shadow))
            if found.all_nan is not None:  # logged, but never as a number: not the same as absent
                points = len(run.nan_steps.get(found.all_nan, ()))
                raise Skip(message("ne_all_nan", lang, metric=found.all_nan, points=points))
            raise Skip(message("ne_missing_metric", lang, metric=" or ".join(found.names)))
        resolved[found.local] = found.present
    return resolved


def _check_requirements(
    run: RunData,
    rule: CheckRule,
    metrics: Mapping[str, str | None],
    values: Mapping[str, Any],
    params: Mapping[str, Param],
    lang: str,
) -> None:
    for name in rule.requires:
        if name not in params:
            raise Skip(message("ne_param", lang, param=name, flag=PARAM_FLAGS.get(name, f"--param {name}=N")))
    for local, param in rule.precision.items():
        column = metrics.get(local)
        resolution = run.precision.get(column or "")
        if resolution is not None and resolution > float(values[param]):
            raise Skip(
                message(
                    "ne_precision",
                    lang,
                    metric=column,
                    resolution=f"{resolution:g}",
                    eps=f"{float(values[param]):g}",
                )
            )
    smoothing = params.get("smoothing")
    if rule.smoothing == "spikes" and smoothing is not None and smoothing.value == "global":
        raise Skip(message("ne_global_smoothing", lang))


def _environment(
    ctx: Context,
    rule: CheckRule,
    metrics: Mapping[str, str | None],
    values: Mapping[str, Any],
) -> tuple[dict[str, Any], np.ndarray]:
    """Arrays for the rows where every required metric was logged, plus scalars."""
    run, params = ctx.run, ctx.params
    required = [c for local, c in metrics.items() if c is not None and local not in rule.optional]
    rows = np.ones(len(run.frame), dtype=bool)
    for name in required:
        rows &= ~np.isnan(ctx.column(name))
    all_steps = run.frame.index.to_numpy()
    every = bool(rows.all())  # the common case: no copy of 200k-point columns
    steps = all_steps if every else all_steps[rows]
    env: dict[str, Any] = {}
    for local, source in metrics.items():
        if source is None:
            env[local] = np.full(len(steps), np.nan)
        else:
            env[local] = ctx.column(source) if every else ctx.column(source)[rows]
    env.update(values)
    env.update(ctx.run_names())
    env.update(
        step=steps.astype(float),
        span=float(steps[-1] - steps[0]) if len(steps) else 0.0,  # what this rule reads: its whole run
    )
    for name in functions.RUN_PARAMS:
        param = params.get(name)
        env[name] = float(param.value) if param is not None and is_number(param.value) else math.nan
    return env, steps


def run_names(run: RunData, params: Mapping[str, Param]) -> dict[str, float]:
    """The run-level names rules read (run_steps, interval, first/last step, epoch_steps).

    One definition for `analyze` and for the windows a live watch computes for its alerts;
    `run_steps` is the planned length when a watch passes one (`planned_steps`).
    """
    steps = run.frame.index.to_numpy()
    epochs = run.frame["epoch"].to_numpy(dtype=float) if "epoch" in run.frame.columns else None
    return {
        "run_steps": _run_steps(steps, params.get("planned_steps")),
        "interval": windows.typical_interval(steps) or 0.0,
        "first_step": float(steps[0]) if len(steps) else 0.0,
        "last_step": float(steps[-1]) if len(steps) else 0.0,
        "epoch_steps": windows.epoch_length(steps, epochs) if epochs is not None else math.nan,
    }


def _run_steps(steps: np.ndarray, planned: Param | None) -> float:
    """The run's length in steps; a live watch passes the planned length, which the run will reach."""
    span = float(steps[-1] - steps[0]) if len(steps) else 0.0
    if planned is None or not is_number(planned.value) or not len(steps):
        return span
    return max(span, float(planned.value) - float(steps[0]))


def _absent_optional(rule: CheckRule, env: Mapping[str, Any]) -> set[str]:
    """The rule's optional metrics that this run does not log (all NaN in its environment)."""
    absent = set()
    for local in rule.optional:
        values = env.get(local)
        if isinstance(values, np.ndarray) and not np.isfinite(values).any():
            absent.add(local)
    return absent


def _finding(
    run: RunData,
    rule: CheckRule,
    tag: str | None,
    env: Mapping[str, Any],
    steps: np.ndarray,
    first: int,
    last: int,
    params: Mapping[str, Param],
    lang: str,
    signals: set[str],
) -> Finding:
    cut = {
        k: (v[first : last + 1] if isinstance(v, np.ndarray) and v.shape == steps.shape else v)
        for k, v in env.items()
    }
    aggregates = functions.aggregate_functions()
    evidence: dict[str, float | int | str] = {"points": last - first + 1}
    absent = _absent_optional(rule, env)
    for name, expression in rule.evidence.items():
        if expression.names & absent:
            continue  # evidence of a metric the run does not log (loss_flow on a generic run) is not evidence
        evidence[name] = _number(expression.evaluate(cut, aggregates, scope=env))
    smoothing = params.get("smoothing")
    if (
        rule.smoothing == "spikes"
        and smoothing is not None
        and is_number(smoothing.value)
        and smoothing.value > 1
    ):
        evidence["smoothing"] = message("ev_smoothing", lang, n=smoothing.value)
    severity, text = rule.severity, rule.text
    for override in rule.severity_when:
        if bool(override.when.evaluate(cut, aggregates, scope=env)):
            severity, text = override.severity, override.text or text
            break
    if severity != "info":
        signals.add(rule.id)
        for name, expression in rule.signals.items():
            if bool(expression.evaluate(cut, aggregates, scope=env)):
                signals.add(name)
    chosen: Text = text.get(lang) or text["en"]
    branch = branch_of_tag(tag) if tag else rule.branch
    return Finding(
        rule.id,
        tag,
        as_severity(severity),
        branch,
        int(steps[first]),
        int(steps[last]),
        evidence,
        chosen.title,
        chosen.cause,
        chosen.remedy,
        rule.pack,
    )


def _number(value: Any) -> float | int | str:
    if isinstance(value, np.ndarray):
        value = value.item() if value.size == 1 else float(np.nanmedian(value))
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | np.integer):
        return int(value)
    return float(value)
