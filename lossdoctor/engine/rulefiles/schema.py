"""Rule-file schema: validate every field, fill defaults, collect every error at once.

Rule code (evaluate.py) never meets a missing key or a wrong type: all of that
is settled here, and each problem names file, line, rule and field, as
promtool and yamllint do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lossdoctor.engine.lang import expr as exprs
from lossdoctor.engine.lang.functions import (
    AGGREGATES,
    ARRAY,
    CONDITION_FUNCTIONS,
    NAME_KINDS,
    RUN_PARAM_SPECS,
    RUN_PARAMS,
    SCALAR,
    WINDOW_FUNCTIONS,
)
from lossdoctor.engine.rulefiles.yamlfile import LineDict
from lossdoctor.errors import RuleFileError
from lossdoctor.numeric import is_number

SEVERITIES = ("red", "warn", "info")
BRANCHES = ("flow", "dino", "kl", "all", "per-tag")
LANGS = ("en", "zh")
TEXT_FIELDS = ("title", "cause", "remedy")
PARAM_TYPES = {"float": (int, float), "int": (int,), "bool": (bool,)}
MAX_PARAM = 1e12
CHECK_FIELDS = {
    "id",
    "severity",
    "branch",
    "metrics",
    "optional",
    "condition",
    "scope",
    "for",
    "tolerance",
    "requires",
    "params",
    "precision",
    "evidence",
    "signals",
    "severity_when",
    "detector",
    "smoothing",
    "guide",
    "text",
    "summary",
}
DETECTORS = ("nonfinite",)


@dataclass(frozen=True)
class Text:
    title: str
    cause: str
    remedy: str


@dataclass(frozen=True)
class ParamSpec:
    type: str
    default: Any


@dataclass(frozen=True)
class SeverityWhen:
    """A stretch-level override: e.g. a frozen tag is info, a converged plateau info."""

    when: exprs.Expr
    severity: str
    text: dict[str, Text]


@dataclass(frozen=True)
class CheckRule:
    """One check of a pack, validated and with every default filled in."""

    id: str
    severity: str
    branch: str
    metrics: dict[str, tuple[str, ...]]
    optional: frozenset[str]
    condition: exprs.Expr | None
    scope: exprs.Expr | None
    for_steps: exprs.Expr
    tolerance: float
    requires: tuple[str, ...]
    params: dict[str, ParamSpec]
    precision: dict[str, str]
    evidence: dict[str, exprs.Expr]
    signals: dict[str, exprs.Expr]
    severity_when: tuple[SeverityWhen, ...]
    detector: str | None
    smoothing: str  # "any" or "spikes" (judges single points: damped by window means)
    guide: str
    summary: str
    text: dict[str, Text]
    pack: str
    file: str
    line: int

    @property
    def per_tag(self) -> bool:
        return self.branch == "per-tag"


@dataclass
class Problems:
    """Every error of one file, so the user fixes them in one pass."""

    file: str
    items: list[str] = field(default_factory=list)

    def add(self, line: int, message: str, rule: str | None = None, fld: str | None = None) -> None:
        where = f'rule "{rule}", ' if rule else ""
        where += f'field "{fld}": ' if fld else ""
        self.items.append(f"{self.file}:{line}: {where}{message}")

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            more = f" (and {len(self.items) - 1} more problems)" if len(self.items) > 1 else ""
            err = RuleFileError(first + more)
            err.problems = list(self.items)  # type: ignore[attr-defined]
            raise err


def param_problem(kind: str, value: Any, minimum: float | None = None) -> str | None:
    """Why `value` cannot be a parameter of type `kind` (float, int, bool), or None when it can.

    One check for a rule's defaults, a pack's overrides, the project config's params and
    thresholds: finite, within ±1e12, an int where an int is due (2.0 is 2), true/false for a bool.
    """
    if kind == "bool":
        return None if isinstance(value, bool) else f"expected true or false, got {_short(value)}"
    if not is_number(value):
        return f"expected {'an integer' if kind == 'int' else 'a number'}, got {_short(value)}"
    if not math.isfinite(value) or abs(value) > MAX_PARAM:
        return f"expected a finite number within ±{MAX_PARAM:g}, got {_short(value)}"
    if kind == "int" and value != int(value):
        return f"expected an integer, got {_short(value)}"
    if minimum is not None and value < minimum:
        return f"expected at least {minimum:g}, got {_short(value)}"
    return None


def run_param(name: str, value: Any) -> int | float:
    """A run parameter (`ga`, `warmup_steps`, ...) held to its type and least value, as that type.

    The one check of `--ga`, `--warmup-steps`, `--param NAME=V` and the config's `params:`; raises
    ValueError saying what is wrong, for each caller to name its own place.
    """
    if name not in RUN_PARAM_SPECS:
        raise ValueError(f"unknown run parameter; known: {', '.join(RUN_PARAM_SPECS)}")
    kind, least = RUN_PARAM_SPECS[name]
    problem = param_problem(kind, value, least)
    if problem is not None:
        raise ValueError(problem)
    return float(value) if kind == "float" else int(value)


def param_value(kind: str, value: Any) -> Any:
    """A value `param_problem` accepted, as its type (an int parameter given 2.0 is 2)."""
    if kind == "bool":
        return bool(value)
    return int(value) if kind == "int" else float(value) if isinstance(value, float) else value


def _short(value: Any) -> str:
    """A value for a message, never unbounded (a YAML alias bomb must not be printed whole)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_text(raw: Any, problems: Problems, line: int, rule: str, fld: str = "text") -> dict[str, Text]:
    """`text: {en: {title, cause, remedy}, zh: {...}}`, both languages required."""
    if not isinstance(raw, dict):
        problems.add(line, "expected a mapping with en and zh texts", rule, fld)
        return {}
    texts: dict[str, Text] = {}
    for lang in LANGS:
        entry = raw.get(lang)
        if not isinstance(entry, dict):
            problems.add(line, f"missing the {lang} text (title, cause, remedy)", rule, f"{fld}.{lang}")
            continue
        missing = [k for k in TEXT_FIELDS if not isinstance(entry.get(k), str) or not entry[k].strip()]
        if missing:
            problems.add(_line(entry, line), f"missing {', '.join(missing)}", rule, f"{fld}.{lang}")
            continue
        texts[lang] = Text(**{k: entry[k].strip() for k in TEXT_FIELDS})
    return texts


def _line(node: Any, default: int, key: str | None = None) -> int:
    if isinstance(node, LineDict):
        return node.line_of(key) if key else node.line
    return default


def parse_checks(raw: Any, file: str, pack: str) -> list[CheckRule]:
    """Validate a list of checks; raise RuleFileError listing every problem."""
    problems = Problems(file)
    if not isinstance(raw, list):
        problems.add(1, "expected `checks:` to be a list of rules")
        problems.raise_if_any()
    rules: list[CheckRule] = []
    seen: dict[str, int] = {}
    for entry in raw:
        line = _line(entry, 1)
        if not isinstance(entry, dict):
            problems.add(line, "expected a rule (a mapping with id, severity, …)")
            continue
        rule = _parse_check(entry, problems, pack, file)
        if rule is None:
            continue
        if rule.id in seen:
            problems.add(line, f"duplicate rule name (first at line {seen[rule.id]})", rule.id, "id")
            continue
        seen[rule.id] = line
        rules.append(rule)
    problems.raise_if_any()
    return rules


def _parse_check(entry: dict[str, Any], problems: Problems, pack: str, file: str) -> CheckRule | None:
    line = _line(entry, 1)
    rid = entry.get("id")
    if (
        not isinstance(rid, str)
        or not rid
        or not all((p.isalnum() and p.islower()) or p.isdigit() for p in rid.split("-"))
    ):
        problems.add(line, f"expected a lower-case name like z-var-out-of-range, got {rid!r}", None, "id")
        return None
    count = len(problems.items)
    for key in sorted(set(entry) - CHECK_FIELDS):
        problems.add(
            _line(entry, line, key), f"unknown field; known: {', '.join(sorted(CHECK_FIELDS))}", rid, key
        )
    severity = _choice(entry, "severity", SEVERITIES, problems, rid)
    branch = _choice(entry, "branch", BRANCHES, problems, rid)
    params = _parse_params(entry.get("params", {}), problems, _line(entry, line, "params"), rid)
    metrics = _parse_metrics(entry, problems, rid, branch == "per-tag")
    optional = _string_list(entry, "optional", problems, rid)
    requires = _string_list(entry, "requires", problems, rid)
    for name in set(requires) - RUN_PARAMS:
        problems.add(
            _line(entry, line, "requires"),
            f"unknown run parameter {name}; known: {', '.join(sorted(RUN_PARAMS))}",
            rid,
            "requires",
        )
    names = rule_kinds(params, metrics)
    detector = entry.get("detector")
    if detector is not None and detector not in DETECTORS:
        problems.add(
            _line(entry, line, "detector"),
            f"unknown detector; known: {', '.join(DETECTORS)}",
            rid,
            "detector",
        )
    condition = _expr(
        entry, "condition", names, CONDITION_FUNCTIONS, problems, rid, required=detector is None
    )
    scope = _expr(entry, "scope", names, CONDITION_FUNCTIONS, problems, rid, required=False)
    for_steps = _expr_or_number(entry, "for", names, problems, rid)
    tolerance = entry.get("tolerance", 0.0)
    if not is_number(tolerance) or not 0 <= tolerance < 0.5:
        problems.add(
            _line(entry, line, "tolerance"),
            f"expected a share from 0 to 0.5, got {tolerance!r}",
            rid,
            "tolerance",
        )
        tolerance = 0.0
    evidence = _expr_map(entry, "evidence", names, problems, rid)
    signals = _expr_map(entry, "signals", names, problems, rid)
    precision = entry.get("precision", {})
    if not isinstance(precision, dict) or any(
        not isinstance(k, str) or not isinstance(v, str) or k not in metrics or v not in params
        for k, v in precision.items()
    ):
        problems.add(
            _line(entry, line, "precision"),
            "expected {metric: param} naming a metric and a parameter",
            rid,
            "precision",
        )
        precision = {}
    overrides = _parse_severity_when(entry.get("severity_when", []), problems, rid, names, line)
    text = parse_text(entry.get("text"), problems, _line(entry, line, "text"), rid)
    guide, summary = (_text_field(entry, key, problems, rid) for key in ("guide", "summary"))
    smoothing = entry.get("smoothing", "any")
    if smoothing not in ("any", "spikes"):
        problems.add(_line(entry, line, "smoothing"), "expected any or spikes", rid, "smoothing")
    if len(problems.items) > count or for_steps is None:
        return None
    return CheckRule(
        id=rid,
        severity=severity,
        branch=branch,
        metrics=metrics,
        optional=frozenset(optional),
        condition=condition,
        scope=scope,
        for_steps=for_steps,
        tolerance=float(tolerance),
        requires=tuple(requires),
        params=params,
        precision=dict(precision),
        evidence=evidence,
        signals=signals,
        severity_when=overrides,
        detector=detector,
        smoothing=str(smoothing),
        guide=guide,
        summary=summary,
        text=text,
        pack=pack,
        file=file,
        line=line,
    )


def _text_field(entry: dict[str, Any], key: str, problems: Problems, rid: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        problems.add(_line(entry, 1, key), f"expected text, got {value!r}"[:200], rid, key)
        return ""
    return value


def _choice(entry: dict[str, Any], key: str, options: tuple[str, ...], problems: Problems, rid: str) -> str:
    value = entry.get(key)
    if value not in options:
        problems.add(_line(entry, 1, key), f"expected one of {', '.join(options)}, got {value!r}", rid, key)
        return options[0]
    return str(value)


def _string_list(entry: dict[str, Any], key: str, problems: Problems, rid: str) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(_line(entry, 1, key), "expected a list of names", rid, key)
        return []
    return list(value)


def _parse_params(raw: Any, problems: Problems, line: int, rid: str) -> dict[str, ParamSpec]:
    if not isinstance(raw, dict):
        problems.add(line, "expected a mapping of name: {type, default}", rid, "params")
        return {}
    params: dict[str, ParamSpec] = {}
    for name, spec in raw.items():
        where = f"params.{name}"
        if not isinstance(name, str) or not name.isidentifier() or name in NAME_KINDS:
            problems.add(line, "expected a plain name that is not a run name", rid, where)
            continue
        kind = spec.get("type") if isinstance(spec, dict) else None
        if not isinstance(kind, str) or kind not in PARAM_TYPES or "default" not in spec:
            problems.add(_line(spec, line), "expected {type: float|int|bool, default: value}", rid, where)
            continue
        default = spec["default"]
        kind = spec["type"]
        problem = param_problem(kind, default)
        if problem is not None:
            problems.add(_line(spec, line), f"default {_short(default)} is not a {kind} in range ({problem})",
                         rid, where)
            continue
        for key in sorted(set(spec) - {"type", "default"}, key=str):
            problems.add(_line(spec, line), "unknown field; known: type, default", rid, f"{where}.{key}")
        params[name] = ParamSpec(kind, param_value(kind, default))
    return params


def _parse_metrics(
    entry: dict[str, Any], problems: Problems, rid: str, per_tag: bool
) -> dict[str, tuple[str, ...]]:
    raw = entry.get("metrics", {})
    line = _line(entry, 1, "metrics")
    if not isinstance(raw, dict):
        problems.add(line, "expected {local_name: metric or [metric, fallback…]}", rid, "metrics")
        return {}
    metrics: dict[str, tuple[str, ...]] = {}
    for local, spec in raw.items():
        names = [spec] if isinstance(spec, str) else spec
        if (
            not isinstance(local, str)
            or not local.isidentifier()
            or local in NAME_KINDS
            or not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and n for n in names)
        ):
            problems.add(
                line,
                "expected a local name mapped to a metric name or a list of them",
                rid,
                f"metrics.{local}",
            )
            continue
        if per_tag != any("{tag}" in n for n in names) and per_tag:
            problems.add(line, "a per-tag rule names its metrics with {tag}", rid, f"metrics.{local}")
        metrics[local] = tuple(names)
    return metrics


def rule_kinds(params: dict[str, ParamSpec], metrics: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Every name a rule's expressions may use, with its kind: metrics are arrays, the rest numbers."""
    return NAME_KINDS | {name: SCALAR for name in params} | {name: ARRAY for name in metrics}


def one_number(expression: exprs.Expr, what: str) -> None:
    """Refuse an array where the engine needs one number (a window, an evidence value, a test)."""
    if expression.kind == ARRAY:
        raise exprs.ExprError(
            f"expected one number ({what}), but `{expression.source}` is an array, one value per "
            "logged point; reduce it with median(), max(), min(), head(), tail(), …"
        )


def _expr(
    entry: dict[str, Any],
    key: str,
    names: dict[str, str],
    calls: frozenset[str],
    problems: Problems,
    rid: str,
    *,
    required: bool,
) -> exprs.Expr | None:
    source = entry.get(key)
    if source is None and not required:
        return None
    try:
        return exprs.parse(_source(source), names, set(calls))
    except exprs.ExprError as exc:
        problems.add(_line(entry, 1, key), str(exc), rid, key)
        return None


def _source(value: Any) -> str:
    """An expression's text: YAML may give a number (`for: 200`); anything else is no expression."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value)


def _expr_or_number(
    entry: dict[str, Any], key: str, names: dict[str, str], problems: Problems, rid: str
) -> exprs.Expr | None:
    value = entry.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.add(_line(entry, 1, key), f"expected a step count such as 200, got {value!r}", rid, key)
        return None
    if isinstance(value, int | float) and value < 0:
        problems.add(_line(entry, 1, key), f"expected a step count such as 200, got {value!r}", rid, key)
        return None
    try:
        parsed = exprs.parse(str(value), names, set(WINDOW_FUNCTIONS))
        one_number(parsed, "a window in steps")
        return parsed
    except exprs.ExprError as exc:
        problems.add(_line(entry, 1, key), f"expected a step count such as 200 ({exc})", rid, key)
        return None


def _expr_map(
    entry: dict[str, Any], key: str, names: dict[str, str], problems: Problems, rid: str
) -> dict[str, exprs.Expr]:
    raw = entry.get(key, {})
    if not isinstance(raw, dict):
        problems.add(_line(entry, 1, key), "expected a mapping of name: expression", rid, key)
        return {}
    out: dict[str, exprs.Expr] = {}
    for name, source in raw.items():
        try:
            if not isinstance(name, str) or not name:
                raise exprs.ExprError("expected a name (text) for this entry")
            out[name] = exprs.parse(_source(source), names, set(AGGREGATES))
            one_number(out[name], f"the {key} entry {name}")
        except exprs.ExprError as exc:
            problems.add(_line(raw, 1, name), str(exc), rid, f"{key}.{name}")
    return out


def _parse_severity_when(
    raw: Any, problems: Problems, rid: str, names: dict[str, str], line: int
) -> tuple[SeverityWhen, ...]:
    if not isinstance(raw, list):
        problems.add(line, "expected a list of {when, severity, text}", rid, "severity_when")
        return ()
    out = []
    for item in raw:
        iline = _line(item, line)
        if not isinstance(item, dict) or item.get("severity") not in SEVERITIES:
            problems.add(
                iline, "expected {when: expression, severity: red|warn|info, text: …}", rid, "severity_when"
            )
            continue
        try:
            when = exprs.parse(_source(item.get("when", "")), names, set(AGGREGATES))
            one_number(when, "true or false for the whole stretch")
        except exprs.ExprError as exc:
            problems.add(iline, str(exc), rid, "severity_when.when")
            continue
        text = parse_text(item["text"], problems, iline, rid, "severity_when.text") if "text" in item else {}
        out.append(SeverityWhen(when, str(item["severity"]), text))
    return tuple(out)
