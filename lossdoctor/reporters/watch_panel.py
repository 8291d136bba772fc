"""`watch` on a terminal: a live panel redrawn each poll, events scrolling above it.

The panel answers "how is the run doing right now" at a glance: the run and its latest
step, each branch's verdict, what is firing and what is pending, and sparklines of the
key metrics. Events are printed above the panel as they happen (the same lines as the
plain output), so the history stays in the scrollback after the watch ends. Every row
is one line cut with an ellipsis rather than wrapped, so the panel keeps its height and
stays readable at 80 columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from lossdoctor.live.alerts import Event
from lossdoctor.reporters.labels import verdict_word
from lossdoctor.reporters.outside import as_text, clean
from lossdoctor.reporters.terminal import SEVERITY_TEXT_STYLE, VERDICT_STYLE, format_number, sparkline
from lossdoctor.reporters.watch_lines import alert_name, plain_line, summary_lines

if TYPE_CHECKING:
    from lossdoctor.live.view import WatchView

EVENT_STYLE = {
    "firing": "bold red",
    "pending": "yellow",
    "resolved": "green",
    "withdrawn": "dim",
    "inactive": "dim",
}
MAX_METRICS = 6
MAX_ROWS = 6  # firing / pending rows shown before "… and N more"


def panel(view: WatchView, width: int) -> RenderableType:
    """The live panel for the watch's latest judgement."""
    report = view.report
    where = view.where
    fmt = view.formats or "waiting for data"
    head = Text.assemble(("lossdoctor watch ", "bold"), clean(f"{where} · {fmt}"))
    if report is None or view.steps is None or not len(view.steps):
        return Panel(
            Group(head, Text("no training step read yet", style="dim")), box=box.ROUNDED, width=width
        )
    steps = view.steps
    held = "" if view.exact else " (bounded view)"
    status = Text(
        f"step {int(steps[-1])} · {len(steps)} points{held} · update {view.update_seconds * 1000:.0f} ms",
        style="dim",
    )
    parts: list[RenderableType] = [
        head,
        status,
        _verdicts(view),
        _alerts(view),
        _metrics(view, width),
    ]
    return Panel(Group(*parts), box=box.ROUNDED, width=width)


def _line(*parts: str | tuple[str, str]) -> Text:
    """One panel row, cut with an ellipsis at the panel's edge instead of wrapping."""
    text = Text.assemble(*parts)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _verdicts(view: WatchView) -> Group:
    assert view.report is not None
    rows = []
    for verdict in view.report.verdicts:
        word = verdict_word(verdict.verdict, view.report.lang)
        rows.append(
            _line(
                (f"{verdict.branch:<5}", "bold"),
                (f"{word:<11}", VERDICT_STYLE.get(verdict.verdict, "")),
                (verdict.evidence, "dim"),
            )
        )
    return Group(*rows)


def _alerts(view: WatchView) -> Group:
    rows: list[Text] = []
    firing = [a for a in view.fired if a.state == "firing"]
    for alert in firing[:MAX_ROWS]:
        rows.append(
            _line(
                ("FIRING  ", "bold red"),
                (f"{alert.severity:<5}", SEVERITY_TEXT_STYLE.get(alert.severity, "")),
                f"{alert_name(alert.rule, alert.tag)} since {alert.first_step} · {alert.remedy}",
            )
        )
    pending = view.report.pending if view.report is not None else []
    for item in pending[:MAX_ROWS]:
        rows.append(
            _line(
                ("pending ", "yellow"),
                (f"{item.severity:<5}", SEVERITY_TEXT_STYLE.get(item.severity, "")),
                f"{alert_name(item.rule, item.tag)} since {item.since_step} "
                f"({item.latest_step - item.since_step:g}/{item.window:g} steps)",
            )
        )
    more = max(0, len(firing) - MAX_ROWS) + max(0, len(pending) - MAX_ROWS)
    if more:
        rows.append(_line((f"… and {more} more", "dim")))
    if not firing and not pending:
        resolved = sum(1 for a in view.fired if a.state == "resolved")
        rows.append(_line(("quiet   ", "green"), (f"nothing firing or pending · {resolved} resolved", "dim")))
    return Group(*rows)


def _metrics(view: WatchView, width: int) -> Table:
    spark_width = max(8, min(32, width - 36))
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    assert view.report is not None
    for metric in view.report.metrics[:MAX_METRICS]:
        last = format_number(metric.last) if metric.last is not None else "–"
        style = "cyan" if metric.in_range is not False else "bold red"
        table.add_row(as_text(metric.name), last, Text(sparkline(metric.spark, spark_width), style=style))
    return table


class LiveSink:
    """The rich live view: the panel redrawn after each poll, events printed above it."""

    def __init__(self, console: Console, width: int | None = None) -> None:
        self.console = console
        self.width = min(width or console.width, 100)
        self.live = Live(
            Text("lossdoctor watch: starting…"),
            console=console,
            auto_refresh=False,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.live.start()

    def emit(self, event: Event) -> None:
        self.live.console.print(
            as_text(plain_line(event), style=EVENT_STYLE.get(event.event, "")),
            overflow="fold",
            crop=False,
            soft_wrap=False,
        )

    def update(self, view: WatchView) -> None:
        self.live.update(panel(view, self.width), refresh=True)

    def close(self, view: WatchView, ended: str, exit_code: int) -> None:
        self.live.update(panel(view, self.width), refresh=True)
        self.live.stop()
        for line in summary_lines(view.fired, ended):
            self.console.print(as_text(line))
