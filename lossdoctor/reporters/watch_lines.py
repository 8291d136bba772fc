"""`watch` without a terminal: one plain line per event, or one JSON object per line.

Piped, in CI or under nohup there is no screen to redraw, only a stream someone will
grep or a program will read. Each event is written whole and flushed at once, so a
`tail -f` or a `grep --line-buffered` downstream sees an alert the moment it fires.
Plain lines start with the event word, then the severity and `rule[tag]`, then
`step N`: `grep '^firing'`, `grep z-var-out-of-range` and `awk '{print $5}'` all work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from lossdoctor.document import to_jsonable
from lossdoctor.live.alerts import Alert, Event
from lossdoctor.reporters.outside import clean, safe_output
from lossdoctor.reporters.terminal import format_evidence

if TYPE_CHECKING:
    from lossdoctor.live.view import WatchView


def alert_name(rule: str | None, tag: str | None) -> str:
    """`rule` or `rule[tag]`: one token, so a line splits on spaces."""
    return f"{rule}[{tag}]" if tag else str(rule)


def plain_line(event: Event) -> str:
    """One event as one greppable line."""
    if event.rule is None:
        return f"{event.event:<9} {event.file or '-'}: {event.message}"
    head = (
        f"{event.event:<9} {event.severity or '-':<4} {alert_name(event.rule, event.tag)} step {event.step}"
    )
    if event.event == "pending":
        return f"{head}: {event.title} (holds since step {event.first_step}, not yet for its window)"
    if event.event == "firing":
        again = f" {event.message}." if event.message else ""
        evidence = f" [{format_evidence(event.evidence)}]" if event.evidence else ""
        return f"{head} (since {event.first_step}): {event.title}.{again}{evidence} Remedy: {event.remedy}"
    if event.event == "resolved":
        return f"{head}: held {event.first_step}-{event.last_step}, no longer holds"
    return f"{head}: {event.message}"


def summary_lines(alerts: Iterable[Alert], ended: str) -> list[str]:
    """The closing lines: why the watch ended and every alert that fired, with its stretch and state."""
    fired = list(alerts)
    lines = [f"summary   {ended}: {len(fired)} alert{'s' if len(fired) != 1 else ''} fired"]
    for alert in fired:
        lines.append(
            f"  {alert.severity:<4} {alert_name(alert.rule, alert.tag)} "
            f"steps {alert.first_step}-{alert.last_step} {alert.state}"
        )
    return lines


def summary_object(alerts: Iterable[Alert], ended: str, exit_code: int) -> dict[str, Any]:
    """The closing JSON object (`event: summary`), with the alerts as `analyze` would list the findings."""
    return {
        "event": "summary",
        "ended": ended,
        "exit_code": exit_code,
        "alerts": [
            {
                "rule": a.rule,
                "tag": a.tag,
                "severity": a.severity,
                "branch": a.branch,
                "first_step": a.first_step,
                "last_step": a.last_step,
                "state": a.state,
            }
            for a in alerts
        ],
    }


class PlainSink:
    """Plain lines to a stream, flushed per event."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def emit(self, event: Event) -> None:
        self.stream.write(safe_output(clean(plain_line(event))) + "\n")  # one line, whatever a name holds
        self.stream.flush()

    def update(self, view: WatchView) -> None:
        """Nothing to redraw: every change was already a line."""

    def close(self, view: WatchView, ended: str, exit_code: int) -> None:
        lines = [safe_output(clean(line)) for line in summary_lines(view.fired, ended)]
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()


class JsonlSink:
    """One strict-JSON object per line and event (`NaN` as the string "NaN"), flushed per event."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, obj: dict[str, Any]) -> None:
        self.stream.write(json.dumps(to_jsonable(obj), ensure_ascii=False, allow_nan=False) + "\n")
        self.stream.flush()

    def emit(self, event: Event) -> None:
        self.write(event.as_dict())

    def update(self, view: WatchView) -> None:
        """Nothing to redraw."""

    def close(self, view: WatchView, ended: str, exit_code: int) -> None:
        self.write(summary_object(view.fired, ended, exit_code))
