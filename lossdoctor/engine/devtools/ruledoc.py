"""Reference docs generated from the rule YAML: `docs/rules.md` (both languages).

The docs are never edited by hand: `python -m lossdoctor.engine.devtools.ruledoc --write docs/rules.md`
regenerates them, and a test fails when the committed file differs.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from lossdoctor.engine.lang import windows
from lossdoctor.engine.lang.functions import REGISTRY
from lossdoctor.engine.rulefiles.packs import DiagnosisRule, RuleSet, load_default
from lossdoctor.engine.rulefiles.schema import CheckRule
from lossdoctor.engine.rulefiles.yamlfile import load_yaml

HEADER = """# lossdoctor rules (default pack)

Generated from `rules/*.yaml` by `python -m lossdoctor.engine.devtools.ruledoc --write docs/rules.md`;
do not edit by hand. § numbers refer to the loss-debugging guide. Every threshold is a
parameter: `--param RULE.PARAM=VALUE` (e.g. `--param z-var-out-of-range.high=2.0`).

## How windows and trends are judged

- Windows are in training steps, never rows. `for: N` means the condition held at every logged
  point of a stretch whose first and last points are at least N steps apart, and that holds at least
  3 logged points (where an irregular log thins out, two points N steps apart are not enough). A rule
  whose window holds fewer than 3 logged points anywhere in the log is not judged: it is reported as
  not evaluated, with the reason.
- `tolerance` is the share of points in a stretch allowed to break the condition (0 = the guide's
  literal reading). The default pack uses 0.1 on rules over noisy values (z statistics, trends,
  the early-warmup DINO rules) and 0 on counts and exact zeros.
- Spikes (`spike(x, factor, window)`): a point above `factor` times the median of the previous
  `window` steps (in steps, also on irregular and resumed logs; where that holds fewer than 3 points
  the level reaches back to the 3 points before); only points with a full window of history are
  judged. `count(mask, window)` counts the points of the last `window` steps, the point included.
"""


def render(ruleset: RuleSet) -> str:
    """The whole reference page."""
    parts = [HEADER, _estimator(), "\n## Checks\n"]
    parts += [_check(rule) for rule in sorted(ruleset.checks, key=lambda r: (r.file, r.line))]
    parts.append("\n## Diagnoses (§6)\n")
    parts += [_diagnosis(d) for d in ruleset.diagnoses]
    parts.append(function_table())
    parts.append(_out_of_scope())
    parts.append(deviations_section(load_deviations()))
    return "\n".join(parts).rstrip() + "\n"


def _estimator() -> str:
    doc = (windows.__doc__ or "").split("Trend estimator:", 1)[-1]
    lines = [line.strip() for line in doc.strip().strip('"').splitlines()]
    persist = (
        " Trend-only red rules (`kl-rising`, `dino-not-improving`) ask the qualifying windows to cover"
        " `persist` × W steps (default 1.5): on simulated flat noise at 3 % and 5 points per window,"
        " `kl-rising` fires on 47 % of 4000-step runs with one window and on 2.5 % with 1.5, for half a"
        " window more delay on a real rise (`benchmarks/sim_persistence.py`, benchmarks/README.md)."
    )
    return "- Trends: " + " ".join(lines) + persist + "\n"


def _check(rule: CheckRule) -> str:
    en, zh = rule.text["en"], rule.text["zh"]
    rows = [
        f"### `{rule.id}`\n",
        f"{rule.summary}\n",
        "| | |",
        "|---|---|",
        f"| severity | {rule.severity} |",
        f"| branch | {rule.branch} |",
        f"| guide | {rule.guide} |",
        f"| metrics | {_metrics(rule)} |",
        f"| condition | `{rule.detector or (rule.condition.source if rule.condition else '')}` |",
    ]
    if rule.scope is not None:
        rows.append(f"| applies where | `{rule.scope.source}` |")
    rows.append(f"| for (steps) | `{rule.for_steps.source}` |")
    if rule.tolerance:
        rows.append(f"| tolerance | {rule.tolerance:g} |")
    if rule.requires:
        rows.append(f"| needs | {', '.join(rule.requires)} |")
    if rule.precision:
        rows.append("| precision | cannot be judged where the file's resolution is coarser than "
                    + ", ".join(f"`{p}`" for p in rule.precision.values()) + " |")
    for name, spec in rule.params.items():
        rows.append(f"| param `{name}` | {spec.type}, default `{spec.default}` |")
    for override in rule.severity_when:
        title = override.text["en"].title if override.text else rule.text["en"].title
        rows.append(f"| when `{override.when.source}` | {override.severity}: {title} |")
    rows += [
        "",
        f"- **en** — **{en.title}.** {en.cause} *Remedy:* {en.remedy}",
        f"- **zh** — **{zh.title}。** {zh.cause} *处理：* {zh.remedy}",
        "",
    ]
    return "\n".join(rows)


def _metrics(rule: CheckRule) -> str:
    parts = []
    for local, names in rule.metrics.items():
        shown = " or ".join(f"`{n}`" for n in names)
        optional = " (optional)" if local in rule.optional else ""
        parts.append(f"{local} = {shown}{optional}")
    return "; ".join(parts) or "every metric whose name holds `loss`"


def _diagnosis(rule: DiagnosisRule) -> str:
    en, zh = rule.text["en"], rule.text["zh"]
    if rule.coverage:
        when = "keys of the §8 checklist are missing (a shadow alone does not count)"
    else:
        when = " and ".join(
            part
            for part in (
                " and ".join(f"`{n}`" for n in rule.all_of),
                ("any of " + ", ".join(f"`{n}`" for n in rule.any_of)) if rule.any_of else "",
            )
            if part
        )
    supporting = f"; supported by {', '.join(f'`{n}`' for n in rule.supporting)}" if rule.supporting else ""
    if rule.unless:
        supporting += f"; not when {', '.join(f'`{n}`' for n in rule.unless)} fired (it explains the symptom)"
    return "\n".join(
        [
            f"### `{rule.id}` ({rule.severity}, {rule.guide})\n",
            f"Fires when {when}{supporting}.\n",
            f"- **en** — **{en.title}.** {en.cause} *Remedy:* {en.remedy}",
            f"- **zh** — **{zh.title}。** {zh.cause} *处理：* {zh.remedy}",
            "",
        ]
    )


def function_table() -> str:
    """The rule language's functions, from the registry the parser and `rules check` use."""
    rows = [
        "\n## Functions of the rule language\n",
        "Generated from the registry in `lossdoctor/engine/lang/functions.py`, which the parser and",
        "`lossdoctor rules check` read too. An *array* holds one value per logged point (a metric,",
        "`step`); a *scalar* is one number (a parameter, `ga`, `warmup_steps`, `kl_weight`, `run_steps`,",
        "`interval`, `first_step`, `last_step`). `rules check` infers every expression's kind and refuses",
        "an array where one number is due (a window, `for:`, evidence, signals, `severity_when`).",
        "Arithmetic is numpy's: `x / 0` is inf or NaN, never an error; `and`, `or`, `not` are logical and",
        "element-wise; a comparison with NaN is false.\n",
        "| function | arguments | returns | where | what it gives |",
        "|---|---|---|---|---|",
    ]
    for fn in REGISTRY.values():
        where = " and ".join(sorted(fn.contexts)).replace("evidence", "evidence, signals, severity_when")
        rows.append(f"| `{fn.name}` | `{fn.signature()}` | {fn.returns_text()} | {where} | {fn.doc} |")
    return "\n".join(rows) + "\n"


def _out_of_scope() -> str:
    return (
        "\n## Out of scope for the default pack\n\n"
        "- §2.1's ‖z_text‖ vs ‖x1‖ scale check: the guide names no log key for it.\n"
        "- §5's *already been reduced* errors: a crash, not a curve.\n"
    )


DEVIATIONS_FILE = "guide/deviations.yaml"


def load_deviations() -> dict[str, Any]:
    """The pack held against the guide: `pinned` numbers and `deviations` (rules/guide/deviations.yaml).

    Shipped beside the rule files but in a subfolder, so the pack loader never mistakes it for a pack.
    """
    text = resources.files("lossdoctor.rules").joinpath(DEVIATIONS_FILE).read_text(encoding="utf-8")
    doc = load_yaml(text, f"rules/{DEVIATIONS_FILE}")
    return {"pinned": dict(doc.get("pinned") or {}), "deviations": list(doc.get("deviations") or [])}


def deviations_section(data: dict[str, Any]) -> str:
    """`docs/rules.md`'s table of where the default pack departs from the guide, and why."""
    rows = [
        "\n## Deviations from the guide\n",
        "Every default above is the guide's number (§7, or the catalogue where the guide has none), except",
        f"these, each with its reason (`rules/{DEVIATIONS_FILE}`; a test holds the defaults to it).",
        "",
        "| rule | field | the guide / catalogue | the default pack | why |",
        "|---|---|---|---|---|",
    ]
    for entry in data["deviations"]:
        reason = entry["reason"].strip()
        if entry.get("benchmark"):
            reason += f" Measured by `{entry['benchmark']}` (benchmarks/README.md)."
        cells = [f"`{entry['rule']}`", f"`{entry['field']}`", entry["guide"], entry["pack"], reason]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="write to this file instead of stdout")
    args = parser.parse_args(argv)
    text = render(load_default())
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def show(rule: CheckRule, example: dict[str, object] | None) -> str:
    """`lossdoctor rules show`: the reference entry of one rule, plus an example of its evidence."""
    text = _check(rule).replace("### ", "", 1)
    source = f"\nDefined in {rule.file}:{rule.line} (pack {rule.pack}).\n"
    if example is None:
        return text + source + "No bundled test case shows this rule firing.\n"
    shown = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in example.items())
    return text + source + f"Example evidence (test case): {shown}\n"
