"""The alert life cycle of `watch`, as in Prometheus: pending → firing → resolved.

Each poll the engine judges the run again and returns *findings* (stretches that held
for their window) and *pending* conditions (true at the latest point, not yet for the
whole window). `AlertBook.update` diffs that against what it already announced and
returns each transition once:

- `pending`: a condition started to hold (step = the first step of the stretch);
- `firing`: it held for its window (step = the first logged step at which it had);
- `resolved`: it stopped (step = the first logged step after the stretch);
- `inactive`: a pending condition stopped before its window was full;
- `withdrawn` (when the watch ends): a fired stretch the engine no longer finds (a run-long
  window grew, two stretches merged, or the exact pass over the whole file did not confirm
  what the bounded view suggested). Until then such an alert is only *unconfirmed*,
  silently, because a trend can qualify again a poll later.

An alert's identity is (rule, tag) plus its stretch: stretches of one rule and tag that
overlap are the same alert, because a trend stretch's first step can move back as windows
are added and a bounded view may clip it; the latest judgement sets its extent. So the
alerts fired and not withdrawn, with their latest extents, are the findings `analyze`
reports on the same file, stretch for stretch. Poll timing must not change what is said:
a stretch discovered already firing (several lines arrived in one poll) is announced as
`pending` then `firing`, with the steps the data gives, not the time of the poll.
Resolution waits out what could still revive the stretch: the rule's `tolerance` (a gap
the engine would still bridge) and, for trend conditions, the trend window (a window that
qualifies later covers the points before it). So a stretch does not flap between
resolved and firing; the cost is that a trend alert resolves one window late.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lossdoctor.model import SEVERITY_ORDER, EvidenceValue, Finding, Report

Key = tuple[str, str | None]


@dataclass(frozen=True)
class RuleInfo:
    """What the book needs to know about a rule beyond a finding: its words and its window."""

    title: str
    remedy: str
    branch: str
    tolerance: float = 0.0
    window: float | None = None
    lookback: float = 0.0  # steps back a later point can still change the condition (trend windows)


@dataclass(frozen=True)
class Event:
    """One announcement: an alert transition, or a notice about the file (`rule` is None)."""

    event: str
    rule: str | None = None
    tag: str | None = None
    severity: str | None = None
    step: int | None = None
    first_step: int | None = None
    last_step: int | None = None
    evidence: Mapping[str, EvidenceValue] = field(default_factory=dict)
    title: str = ""
    remedy: str = ""
    branch: str | None = None
    message: str = ""
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON-lines object: alert fields for alert events, `message`/`file` for notices."""
        out: dict[str, Any] = {"event": self.event}
        if self.rule is not None:
            out.update(
                rule=self.rule,
                tag=self.tag,
                severity=self.severity,
                branch=self.branch,
                step=self.step,
                first_step=self.first_step,
                last_step=self.last_step,
                evidence=dict(self.evidence),
                title=self.title,
                remedy=self.remedy,
            )
        if self.message:
            out["message"] = self.message
        if self.file is not None:
            out["file"] = self.file
        return out


@dataclass
class Alert:
    """A stretch that fired: its latest extent, severity and evidence, and where it stands."""

    rule: str
    tag: str | None
    severity: str
    branch: str
    first_step: int
    last_step: int
    evidence: Mapping[str, EvidenceValue]
    title: str
    remedy: str
    state: str = "firing"  # firing | resolved | withdrawn
    confirmed: bool = True  # False: the latest judgement did not find it (withdrawn if that lasts)
    fired_at: int = 0

    @property
    def key(self) -> Key:
        return (self.rule, self.tag)


class AlertBook:
    """Everything announced so far, and the diff that turns a new judgement into transitions."""

    def __init__(self, describe: Callable[[str], RuleInfo]) -> None:
        self.describe = describe
        self.alerts: list[Alert] = []
        self.pending: dict[
            Key, tuple[int, int]
        ] = {}  # (rule, tag) -> (since, last step seen) of a pending stretch

    def update(self, report: Report, steps: np.ndarray, exact_from: int | None = None) -> list[Event]:
        """The transitions from what was announced to what `report` says about the run ending at `steps[-1]`.

        `exact_from` is the first step the judgement saw at full resolution (None: all of it);
        an alert that ended before it is left alone rather than withdrawn on a thinned view.
        """
        events: list[Event] = []
        if not len(steps):
            return events
        matched: set[int] = set()
        for finding in sorted(report.findings, key=lambda f: (f.first_step, f.rule, f.tag or "")):
            events.extend(self._observe(finding, steps, matched, exact_from))
        for index, alert in enumerate(self.alerts):
            if index in matched or alert.state == "withdrawn":
                continue
            if exact_from is None or alert.last_step >= exact_from:
                alert.confirmed = False  # said only if it lasts: a trend may qualify again next poll
        events.extend(self._pending(report, steps))
        return events

    def _observe(
        self, finding: Finding, steps: np.ndarray, matched: set[int], exact_from: int | None
    ) -> list[Event]:
        info = self.describe(finding.rule)
        ended = _ended(finding, steps, info)
        same = [
            i
            for i, a in enumerate(self.alerts)
            if a.key == (finding.rule, finding.tag)
            and a.state != "withdrawn"
            and i not in matched
            and a.first_step <= finding.last_step
            and finding.first_step <= a.last_step
        ]
        if (
            exact_from is not None
        ):  # a bounded view: its thinned history may not touch what it cannot see well
            if finding.last_step < exact_from:
                for i in same:
                    matched.add(i)
                return []  # a stretch seen only in the history: left to the exact pass
            same = [i for i in same if self.alerts[i].last_step >= exact_from] or same[-1:]
        if not same:
            return self._new(finding, info, steps, ended, matched)
        index, *absorbed = same
        alert = self.alerts[index]
        matched.add(index)
        for other in absorbed:  # two alerts the engine now sees as one stretch
            self.alerts[other].confirmed = False
            matched.add(other)
        if exact_from is None or finding.first_step > exact_from:  # else the start is in the thinned history
            alert.first_step = finding.first_step
        alert.last_step, alert.evidence, alert.severity = (
            finding.last_step,
            finding.evidence,
            finding.severity,
        )
        alert.confirmed = True
        if alert.state == "firing" and ended:
            alert.state = "resolved"
            return [self._event("resolved", alert, _after(steps, finding.last_step))]
        if alert.state == "resolved" and not ended and finding.last_step > _last_before(steps):
            alert.state = "firing"
            return [
                self._event(
                    "firing", alert, int(steps[-1]), last=False, message="firing again: the stretch resumed"
                )
            ]
        return []

    def _new(
        self, finding: Finding, info: RuleInfo, steps: np.ndarray, ended: bool, matched: set[int]
    ) -> list[Event]:
        key = (finding.rule, finding.tag)
        alert = Alert(
            finding.rule,
            finding.tag,
            finding.severity,
            finding.branch,
            finding.first_step,
            finding.last_step,
            finding.evidence,
            finding.title or info.title,
            finding.remedy or info.remedy,
        )
        alert.fired_at = _firing_step(finding, steps, info.window)
        events: list[Event] = []
        seen = self.pending.pop(key, None)
        if (seen is None or seen[0] > finding.last_step) and info.window != 0:
            events.append(self._event("pending", alert, finding.first_step, last=False))
        events.append(self._event("firing", alert, alert.fired_at, last=False))
        if ended:
            alert.state = "resolved"
            events.append(self._event("resolved", alert, _after(steps, finding.last_step)))
        self.alerts.append(alert)
        matched.add(len(self.alerts) - 1)
        return events

    def _pending(self, report: Report, steps: np.ndarray) -> list[Event]:
        """New pending stretches; `inactive` for one gone longer than its rule could revive it."""
        events: list[Event] = []
        latest = int(steps[-1])
        now: dict[Key, tuple[int, int]] = {}
        for item in report.pending:
            key = (item.rule, item.tag)
            if any(a.key == key and a.state == "firing" for a in self.alerts):
                continue  # the stretch already fired: its pending phase is over
            now[key] = (item.since_step, latest)
            before = self.pending.get(key)
            if before is not None and before[0] == item.since_step:
                continue
            if before is not None:
                events.append(self._inactive(key, before[0], steps))
            info = self.describe(item.rule)
            alert = Alert(
                item.rule,
                item.tag,
                item.severity,
                info.branch,
                item.since_step,
                item.latest_step,
                {"window": item.window},
                info.title,
                info.remedy,
            )
            events.append(self._event("pending", alert, item.since_step, last=False, message=item.reason))
        for key, (since, seen) in self.pending.items():
            if key in now:
                continue
            if latest - seen >= self.describe(key[0]).lookback:
                events.append(self._inactive(key, since, steps))
            else:
                now[key] = (since, seen)  # it may still come back: a trend window covers past points
        self.pending = now
        return events

    def _inactive(self, key: Key, since: int, steps: np.ndarray) -> Event:
        info = self.describe(key[0])
        alert = Alert(key[0], key[1], "info", info.branch, since, since, {}, info.title, info.remedy)
        return self._event(
            "inactive", alert, _after(steps, since), message=f"no longer pending (since step {since})"
        )

    def finish(self, step: int | None) -> list[Event]:
        """At the end of the watch: withdraw the alerts the last judgement did not confirm."""
        events: list[Event] = []
        for alert in self.alerts:
            if alert.state != "withdrawn" and not alert.confirmed:
                alert.state = "withdrawn"
                events.append(
                    self._event(
                        "withdrawn",
                        alert,
                        step if step is not None else alert.last_step,
                        message="not found when the whole run is judged",
                    )
                )
        return events

    def _event(self, kind: str, alert: Alert, step: int, *, last: bool = True, message: str = "") -> Event:
        return Event(
            kind,
            alert.rule,
            alert.tag,
            alert.severity if kind != "inactive" else None,
            step,
            alert.first_step,
            alert.last_step if last else None,
            alert.evidence,
            alert.title,
            alert.remedy,
            alert.branch,
            message,
        )

    def fired(self) -> list[Alert]:
        """The alerts that fired and were not withdrawn, in the order they fired."""
        return [a for a in self.alerts if a.state != "withdrawn" and a.confirmed]

    def worst(self) -> str | None:
        """The highest severity among the alerts that fired."""
        levels = [a.severity for a in self.fired()]
        return max(levels, key=SEVERITY_ORDER.__getitem__) if levels else None


def _ended(finding: Finding, steps: np.ndarray, info: RuleInfo) -> bool:
    """The stretch stopped for good: nothing the rule could still do revives it.

    Points came after it, at least the rule's lookback (a trend window) beyond its end and
    more than its tolerance would bridge.
    """
    end = int(np.searchsorted(steps, finding.last_step, side="right"))
    after = len(steps) - end
    if after <= 0 or int(steps[-1]) - finding.last_step < info.lookback:
        return False
    held = end - int(np.searchsorted(steps, finding.first_step))
    return info.tolerance <= 0 or after / (held + after) > info.tolerance


def _last_before(steps: np.ndarray) -> int:
    """The step before the latest: a resolved stretch that reaches past it has resumed."""
    return int(steps[-2]) if len(steps) > 1 else int(steps[-1]) - 1


def _after(steps: np.ndarray, step: int) -> int:
    """The first logged step after `step` (the point where a stretch stopped holding)."""
    index = int(np.searchsorted(steps, step, side="right"))
    return int(steps[index]) if index < len(steps) else int(step)


def _firing_step(finding: Finding, steps: np.ndarray, window: float | None) -> int:
    """The first logged step at which the stretch had held for its window."""
    if window is None:
        return finding.last_step
    index = int(np.searchsorted(steps, finding.first_step + window - 1e-9))
    if index < len(steps) and steps[index] <= finding.last_step:
        return int(steps[index])
    return finding.last_step
