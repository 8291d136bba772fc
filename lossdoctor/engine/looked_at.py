"""What a rule looked at: the columns it read and the limits its condition puts on them.

The HTML report draws a chart for every metric a rule read, with the rule's limit as a
line; it must not re-parse rules to find them (a reporter never recomputes), so the
engine records them on each `Evaluated` entry. A limit is read off the condition only in
its plain forms, `metric < param` and `abs(metric) > param` (`var < low or var > high`,
`abs(mean) > limit`); a comparison against an expression (`dino > ratio * flow`) is no
fixed line on the metric's chart and is left out rather than drawn wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lossdoctor.engine.schema import CheckRule
from lossdoctor.model import RunData, Threshold

_COMPARISON = re.compile(
    r"(?:(?<![\w.])abs\(\s*(?P<absolute>\w+)\s*\)|(?<![\w.(])(?P<plain>\w+))"
    r"\s*(?P<op><=|>=|<|>)\s*(?P<param>\w+)(?=\s*(?:$|\)|\band\b|\bor\b))"
)


def looked_at(
    run: RunData, rule: CheckRule, tag: str | None, values: Mapping[str, Any]
) -> tuple[tuple[str, ...], tuple[Threshold, ...]]:
    """(columns of the run the rule read, its fixed limits on them) for one rule and tag."""
    columns: dict[str, str] = {}
    for local, candidates in rule.metrics.items():
        names = [c.replace("{tag}", tag or "") for c in candidates]
        present = next((n for n in names if n in run.frame.columns), None)
        if present is not None:
            columns[local] = present
    limits: list[Threshold] = []
    source = rule.condition.source if rule.condition is not None else ""
    for match in _COMPARISON.finditer(source):
        local = match.group("absolute") or match.group("plain")
        value = values.get(match.group("param"))
        if local in columns and isinstance(value, int | float) and not isinstance(value, bool):
            limits.append(
                Threshold(
                    columns[local],
                    match.group("op"),
                    float(value),
                    absolute=match.group("absolute") is not None,
                )
            )
    return tuple(dict.fromkeys(columns.values())), tuple(limits)
