"""The `watch` loop: tail → parse → bounded frame → engine → alert transitions → sinks and hooks.

One poll reads what was appended (`follow`), turns complete lines into rows
(`live.lines`), adds them to the bounded store (`live.buffer`), judges the run it holds
with the same engine `analyze` uses, and announces what changed (`alerts`). Nothing is
judged when nothing was appended, so an idle watch costs one `stat` per interval.

While the store holds every row (a run of up to `EXACT_ROWS` logged points), each
judgement is exactly `analyze`'s. Beyond that the view is bounded (see `live.buffer`), and
when the file has been quiet for a moment the watcher *confirms*: it reads the files
whole, like `analyze`, and reconciles the alerts (a late `firing`, or a `withdrawn`). The
confirmation costs what `analyze` costs, so it is rate-limited (at most one per
`CONFIRM_EVERY` × its own cost); the per-line update never pays for the log's length.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lossdoctor.errors import InputError, UsageError
from lossdoctor.live.alerts import Alert, AlertBook, Event, RuleInfo
from lossdoctor.live.follow import Chunk, LaunchFollower, Tail
from lossdoctor.live.lines import FOLLOWABLE, LineParser, parser_for
from lossdoctor.live.view import WatchView
from lossdoctor.model import SEVERITY_ORDER, Param, Pending

if TYPE_CHECKING:
    import numpy as np

    from lossdoctor.engine.rulefiles.packs import RuleSet
    from lossdoctor.live.buffer import RowBuffer
    from lossdoctor.model import Finding, Report, RunData
    from lossdoctor.readers.base import FileRead

RUN_SHARE = re.compile(r"\brun_steps\b")
HELD_REASON = (
    "held pending: its window is a share of the run's length, and the planned length is unknown "
    "(no max_iters or max_epochs in the training config); judged when the watch ends, as analyze would"
)
ENDLESS_STEPS = 1e9  # a planned length no run reaches: windows that are a share of the run never fit
TREND_CALL = re.compile(r"\b(rising|decreasing|not_decreasing|bridge)\s*\(")
RUN_LONG = re.compile(r"\b(run_steps|early_median|first_step)\b")
CONFIRM_EVERY = 20.0  # a confirmation may take at most 1/20 of the wall time
CONFIRM_MIN_GAP = 5.0  # seconds between confirmations, at least
HISTORY_BYTES = 1 << 20  # a log at least this long when `watch -f` starts is judged whole first
HISTORY_FORMATS = ("mmengine-scalars", "jsonl")  # one row per line, no parser state beyond the last row


@dataclass
class WatchOptions:
    """What the command line decided (see `lossdoctor watch --help`)."""

    follow: bool = False
    interval: float = 1.0
    exit_on: str | None = None
    fail_on: str = "red"
    idle_exit: float | None = None
    gone_grace: float | None = None  # seconds a deleted file may stay gone before the watch ends
    input_format: str | None = None
    lang: str = "en"
    aliases: Mapping[str, str] = field(default_factory=dict)
    run_params: Mapping[str, Any] = field(default_factory=dict)
    rule_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class Sink(Protocol):
    """Where events go: plain lines, JSON lines or the live view."""

    def emit(self, event: Event) -> None: ...

    def update(self, view: WatchView) -> None: ...

    def close(self, view: WatchView, ended: str, exit_code: int) -> None: ...


class Watcher:
    """One watched path (a log file or an MMEngine work dir) and everything known about it."""

    def __init__(
        self,
        path: Path,
        ruleset: RuleSet,
        options: WatchOptions,
        sink: Sink,
        on_fire: Callable[[Event], None] | None = None,
    ) -> None:
        from lossdoctor.live.buffer import RowBuffer

        self.path = path
        self.ruleset = ruleset
        self.options = options
        self.sink = sink
        self.on_fire = on_fire
        self.work_dir = path.is_dir()
        self.source: LaunchFollower | Tail = LaunchFollower(path) if self.work_dir else Tail(path)
        self.buffer: RowBuffer = RowBuffer(tail_steps=reach(ruleset, options.rule_params))
        self.parsers: dict[str, LineParser] = {}
        self.formats: dict[str, str] = {}
        self.held: dict[str, Chunk] = {}  # lines of a file whose format is not known yet
        self.book = AlertBook(self._describe)
        self.earlier: list[Alert] = []  # alerts of the file before it was truncated or replaced
        self.report: Report | None = None
        self.steps: np.ndarray | None = None
        self.polls = 0
        self.updates = 0
        self.last_growth = time.monotonic()
        self.gone_since: float | None = None
        self.dirty_since_confirm = False
        self.last_confirm = 0.0
        self.confirm_cost = 0.0
        self.stop_code: int | None = None
        self.update_seconds = 0.0
        self.last_run: tuple[RunData, int | None] | None = None  # the latest judged view, for `release`
        self.holding = False  # a run-share rule's finding was held pending (planned length unknown)

    # -- one poll -------------------------------------------------------------------------------

    def poll(self) -> list[Event]:
        """Read what was appended, judge again if rows arrived, announce and return the transitions."""
        self.polls += 1
        events: list[Event] = []
        if self.polls == 1 and self.options.follow:
            events.extend(self._history(self.source))
        grew = False
        more = True
        while more:  # a big backlog is read in bounded chunks, then judged once
            chunks = self.source.poll() if isinstance(self.source, LaunchFollower) else [self.source.poll()]
            more = False
            for chunk in chunks:
                events.extend(self._notices(chunk))
                grew |= self._take(chunk)
                more |= chunk.more
        self._note_presence(events)
        if grew:
            started = time.perf_counter()
            self.last_growth = time.monotonic()
            events.extend(self._judge())
            self.update_seconds = time.perf_counter() - started
        elif self.dirty_since_confirm and not self.buffer.exact and self._confirm_due():
            events.extend(self.confirm())
        for event in events:
            self.announce(event)
        self.sink.update(self.view())
        return events

    def _history(self, source: LaunchFollower | Tail) -> list[Event]:
        """A log already long when the watch starts: judged once as `analyze` judges it, then tailed.

        Replaying it line by line costs several times `analyze`; instead each file's reader reads
        it whole, its rows fill the bounded store column-wise, the engine judges the run once
        (the alerts it implies are announced with the steps the data gives), and each tail starts
        just after the last row read. Lines written meanwhile are read by the tails as usual.
        In a work dir every launch must be such a file, else the line path reads them all.
        """
        started = time.perf_counter()
        if isinstance(source, Tail):
            tails, notices = [source], []
        else:
            adopted = source.adopt_all()
            tails, notices = [tail for tail, _ in adopted], [n for _, n in adopted if n is not None]
        histories = _histories(tails, self.options.input_format)
        if histories is None:
            if isinstance(source, LaunchFollower):
                source.forget()
            return []
        for history in histories:
            file = history.file
            self.formats[file] = history.fmt
            self.parsers[file] = parser = parser_for(history.fmt, file)
            parser.feed(history.last_text, history.last)  # learns the step key and the val markers
            launch = self.buffer.launch_index(file)
            self.buffer.configs[launch] = (history.read.config, history.read.config_source)
            self.buffer.precision[launch] = dict(history.read.precision)
            self.buffer.load(history.read, launch)
        from lossdoctor.readers.frame import build_run
        from lossdoctor.readers.launches import split_runs

        label = "+".join(dict.fromkeys(h.fmt for h in histories))
        chosen = split_runs([h.read for h in histories])[-1]  # restarted launches split, as analyze does
        run = build_run(chosen, label, self.options.aliases)
        run.files = list(dict.fromkeys(read.file for read in chosen))
        events = [Event(n.kind, message=n.message, file=n.file) for n in notices]
        events += self._diff(run, None)
        self.dirty_since_confirm = False
        self.last_confirm = self.last_growth = time.monotonic()
        self.confirm_cost = time.perf_counter() - started
        steps = self.steps if self.steps is not None and len(self.steps) else None
        span = f" (steps {int(steps[0])}-{int(steps[-1])})" if steps is not None else ""
        for history in histories:
            last = history.last
            message = f"judged lines 1-{last}{span} as analyze does: following from line {last + 1}"
            events.append(Event("following", message=message, file=history.file))
        return events

    def _notices(self, chunk: Chunk) -> list[Event]:
        return [Event(n.kind, message=n.message, file=n.file) for n in chunk.notices]

    def _take(self, chunk: Chunk) -> bool:
        """Parse a chunk's lines into rows of its launch; True when rows were added or dropped."""
        changed = False
        if chunk.replaces is not None:
            self.buffer.replace_file(chunk.replaces, chunk.file)
            changed = True
        if chunk.restart:
            if self.work_dir:
                self.buffer.restart(chunk.file)
            else:
                self.buffer.clear()
                self.earlier.extend(self.book.fired())  # still counts for the exit code
                self.book = AlertBook(self._describe)  # a new file: what fired before is the old file's
                self.parsers.pop(chunk.file, None)
                self.formats.pop(chunk.file, None)
            self.held.pop(chunk.file, None)
            changed = True
        if chunk.file not in self.parsers:
            if chunk.lines:
                held = self.held.setdefault(chunk.file, Chunk(chunk.file, first_line=chunk.first_line))
                held.lines.extend(chunk.lines)
            if not self._detect(chunk.file):
                return changed
            chunk = self.held.pop(chunk.file, Chunk(chunk.file))
        parser = self.parsers[chunk.file]
        rows = [
            row
            for number, line in enumerate(chunk.lines, chunk.first_line)
            if (row := parser.feed(line, number)) is not None
        ]
        if not rows:
            return changed
        launch = self.buffer.launch_index(chunk.file)
        if self.buffer.configs[launch][1] is None:
            self.buffer.configs[launch] = _training_config(Path(chunk.file), self.formats[chunk.file])
        self.buffer.add(rows, launch, merge_same_step=self.formats[chunk.file] == "csv")
        self.buffer.precision[launch] = dict(parser.precision)
        self.dirty_since_confirm = True
        return True

    def _detect(self, file: str) -> bool:
        """Learn a file's format once it has a complete line; an unfollowable format is a usage error."""
        from lossdoctor.readers import detect

        held = self.held.get(file)
        if held is None or not any(line.strip() for line in held.lines):
            return False
        fmt = self.options.input_format
        if fmt is None:
            try:
                fmt = detect(Path(file))
            except InputError:
                if len(held.lines) < 50:
                    return False  # maybe only a header or a config dump so far: wait for more
                raise
        if fmt not in FOLLOWABLE:
            raise UsageError(
                f"{fmt} files are not append-only logs and cannot be followed "
                f"(followable: {', '.join(FOLLOWABLE)}); run `lossdoctor watch` without --follow",
                file=file,
            )
        self.formats[file] = fmt
        self.parsers[file] = parser_for(fmt, file)
        return True

    def _note_presence(self, events: list[Event]) -> None:
        """A deleted file that stays gone ends the watch (after a grace: rotation renames, then recreates)."""
        kinds = {e.event for e in events}
        if "deleted" in kinds:
            self.gone_since = time.monotonic()
        if kinds & {"recreated", "rotated", "appeared"}:
            self.gone_since = None

    # -- judging --------------------------------------------------------------------------------

    def _judge(self) -> list[Event]:
        run = self.buffer.run(self.format_label(), self.options.aliases)
        if run is None:
            return []
        return self._diff(run, self.buffer.exact_from())

    def _diff(self, run: RunData, exact_from: int | None, *, hold: bool = True) -> list[Event]:
        from lossdoctor.engine import analyze

        run_params = dict(self.options.run_params)
        planned = self.planned()
        if planned is not None:
            run_params.setdefault("planned_steps", planned)
        self.report = analyze(
            run,
            self.ruleset,
            run_params=run_params,
            rule_params=self.options.rule_params,
            lang=self.options.lang,
        )
        self.steps = run.frame.index.to_numpy()
        self.updates += 1
        self.last_run = (run, exact_from)
        if hold and self.options.follow and planned is None:
            self._hold_run_share(self.report, run, int(self.steps[-1]) if len(self.steps) else 0)
        return self.book.update(self.report, self.steps, exact_from)

    def planned(self) -> Param | None:
        """The planned length of the newest launch (its config's max_iters or max_epochs), if known."""
        from lossdoctor.live.planned import planned_steps

        if not self.buffer.configs:
            return None
        config, source = self.buffer.configs[-1]
        learned = (getattr(parser, "per_epoch", None) for parser in self.parsers.values())
        per_epoch = next((n for n in learned if n), None)
        return planned_steps(config, source, per_epoch)

    def _hold_run_share(self, report: Report, run: RunData, latest: int) -> None:
        """Keep pending the findings that a longer run could withdraw.

        `analyze` of the finished log judges a rule whose window is a share of the run with the whole
        run's length. Each such finding is judged again as if the run were to go on for ever: one
        that holds at both ends (a spike whose history is already longer than its cap needs) stands
        however long the run grows and fires now; the others (a plateau over 20 % of a run of unknown
        length) wait for `release`.
        """
        held = [f for f in report.findings if _uses_run_length(self.ruleset.check(f.rule))]
        if not held:
            return
        span = float(run.frame.index[-1] - run.frame.index[0]) if len(run.frame.index) else 0.0
        # a rule whose own window outgrows any run so far (a plateau over 20 % of it) cannot stand:
        # judging it again would only cost an update's time
        could_stand = {f.rule for f in held if not self._outgrows(f.rule, report, span)}
        standing = self._judged_endless(run, could_stand) if could_stand else []
        endless = {(f.rule, f.tag, f.first_step) for f in standing}
        for finding in held:
            if (finding.rule, finding.tag, finding.first_step) in endless:
                continue
            self.holding = True
            rule = self.ruleset.check(finding.rule)
            window = rule_window(rule, self.options.rule_params.get(finding.rule, {}), report) or 0.0
            report.findings.remove(finding)
            report.pending.append(
                Pending(finding.rule, finding.tag, finding.severity, finding.first_step, latest, window,
                        reason=HELD_REASON)
            )

    def _outgrows(self, name: str, report: Report, span: float) -> bool:
        """The rule's `for`, for a run that goes on for ever, is longer than the run so far."""
        window = rule_window(self.ruleset.check(name), self.options.rule_params.get(name, {}), report,
                             run_steps=ENDLESS_STEPS)
        return window is not None and window > span

    def _judged_endless(self, run: RunData, rules: set[str]) -> list[Finding]:
        """The findings of `rules` on the run so far, judged as if its planned length were unbounded."""
        from lossdoctor.engine import analyze

        only = replace(self.ruleset, checks=[c for c in self.ruleset.checks if c.id in rules], diagnoses=[])
        run_params = dict(self.options.run_params)
        run_params["planned_steps"] = Param(ENDLESS_STEPS, "a run judged as if it went on for ever")
        report = analyze(run, only, run_params=run_params,
                         rule_params=self.options.rule_params, lang=self.options.lang)
        return report.findings

    def release(self) -> list[Event]:
        """At the end of a watch: judge what was held with the run's final length, as `analyze` does."""
        if not self.holding or self.last_run is None:
            return []
        self.holding = False
        return self._diff(*self.last_run, hold=False)

    def confirm(self, strict: bool = False) -> list[Event]:
        """Judge the whole files as `analyze` does and reconcile (the bounded view may have thinned history).

        `strict` lets a read error through (judging once, without --follow: exit 2); while
        following, a file caught mid-rotation just waits for the next confirmation.
        """
        from lossdoctor.readers import read_paths

        started = time.perf_counter()
        files = (
            [self.path] if self.work_dir or not self.buffer.files else [Path(f) for f in self.buffer.files]
        )
        forced = self.options.input_format
        if forced is None and not self.work_dir and self.buffer.files:
            forced = self.formats.get(self.buffer.files[0])
        try:
            run = read_paths(files, input_format=forced, aliases=self.options.aliases)
        except InputError:
            if strict:
                raise
            return []
        events = self._diff(run, None)
        self.dirty_since_confirm = False
        self.last_confirm = time.monotonic()
        self.confirm_cost = time.perf_counter() - started
        return events

    def confirm_all(self) -> list[Event]:
        """The one judgement of `watch` without --follow: the files as they are now."""
        return self.confirm(strict=True)

    def _confirm_due(self) -> bool:
        quiet = time.monotonic() - self.last_growth >= self.options.interval
        gap = max(CONFIRM_MIN_GAP, CONFIRM_EVERY * self.confirm_cost)
        return quiet and time.monotonic() - self.last_confirm >= gap

    def format_label(self) -> str:
        """The formats read so far, joined with "+"; "" before any line was recognised."""
        return "+".join(dict.fromkeys(self.formats[f] for f in self.buffer.files if f in self.formats))

    def view(self) -> WatchView:
        """What was judged so far, for the reporters."""
        return WatchView(
            where=self.path.name or str(self.path),
            formats=self.format_label(),
            report=self.report,
            steps=self.steps,
            exact=self.buffer.exact,
            update_seconds=self.update_seconds,
            # copies: the book keeps changing its alerts as the run goes on; a view is one moment
            fired=tuple(replace(alert) for alert in self.book.fired()),
        )

    def _describe(self, rule_id: str) -> RuleInfo:
        rule = self.ruleset.check(rule_id)
        if rule is None:
            return RuleInfo(rule_id, "", "all")
        text = rule.text.get(self.options.lang) or rule.text["en"]
        overrides = self.options.rule_params.get(rule_id, {})
        window = rule_window(rule, overrides, self.report)
        return RuleInfo(
            text.title, text.remedy, rule.branch, rule.tolerance, window, lookback(rule, overrides, window)
        )

    # -- announcing -----------------------------------------------------------------------------

    def announce(self, event: Event) -> None:
        """Hand an event to the sink; a firing one also to `--on-alert` and the `--exit-on` check."""
        self.sink.emit(event)
        if event.event != "firing" or event.rule is None:
            return
        if self.on_fire is not None:
            self.on_fire(event)
        level = self.options.exit_on
        if level is not None and SEVERITY_ORDER.get(event.severity or "info", 0) >= SEVERITY_ORDER[level]:
            self.stop_code = 1

    def ended(self) -> bool:
        """The watch is over: `--exit-on` fired, the file stayed gone, or it was idle for `--idle-exit`."""
        if self.stop_code is not None:
            return True
        now = time.monotonic()
        grace = self.options.gone_grace
        if grace is None:
            grace = max(1.0, 3 * self.options.interval)
        if self.gone_since is not None and now - self.gone_since >= grace:
            return True
        idle = self.options.idle_exit
        return idle is not None and now - self.last_growth >= idle

    def end_reason(self) -> str:
        """Why `ended` said so, for the summary line."""
        if self.stop_code is not None:
            return f"stopped: a rule at or above --exit-on {self.options.exit_on} fired"
        if self.gone_since is not None:
            return "the file is gone"
        return f"nothing appended for {self.options.idle_exit:g} s (--idle-exit)"

    def exit_code(self) -> int:
        """1 when `--exit-on` stopped it or something at or above `--exit-on`/`--fail-on` fired, else 0."""
        if self.stop_code is not None:
            return self.stop_code
        levels = [lvl for lvl in (self.options.exit_on, self.options.fail_on) if lvl in SEVERITY_ORDER]
        if not levels:
            return 0
        floor = min(SEVERITY_ORDER[lvl] for lvl in levels)
        fired = any(SEVERITY_ORDER[a.severity] >= floor for a in [*self.earlier, *self.book.fired()])
        diagnosed = self.report is not None and any(
            SEVERITY_ORDER[d.severity] >= floor for d in self.report.diagnoses
        )
        return 1 if fired or diagnosed else 0


@dataclass
class _History:
    """One file read whole when the watch started, and where its tail resumes."""

    file: str
    fmt: str
    read: FileRead
    last: int  # the line of the last row read
    last_text: str


def _histories(tails: list[Tail], forced: str | None) -> list[_History] | None:
    """Each file read whole, or None when the line path should read them (short, or not one row a line)."""
    from lossdoctor.live.follow import line_end
    from lossdoctor.readers import READERS, detect, gzipped

    try:
        stats = [os.stat(tail.path) for tail in tails]
        if not tails or sum(stat.st_size for stat in stats) < HISTORY_BYTES:
            return None
        if any(gzipped.is_gzip(tail.path) for tail in tails):
            return None
        formats = [forced or detect(tail.path) for tail in tails]
        if any(fmt not in HISTORY_FORMATS for fmt in formats):
            return None  # the line path reads them (or says they cannot be followed)
        out = []
        for tail, fmt, stat in zip(tails, formats, stats, strict=True):
            read = READERS[fmt].read(tail.path)
            last = int(read.lines.get()[-1])
            offset, text = line_end(tail.path, last)
            history = _History(str(tail.path), fmt, read, last, text.decode("utf-8", "replace"))
            out.append((tail, stat, history, offset))
    except (InputError, OSError, IndexError):
        return None  # the line-by-line path reads what it can and says what is wrong, as it always did
    for tail, stat, history, offset in out:
        tail.resume(offset, history.last, (stat.st_dev, stat.st_ino))
    return [history for _, _, history, _ in out]


def _uses_run_length(rule: Any) -> bool:
    """A rule whose window grows with the run (`loss-plateau`'s 20 %); False for an unknown rule."""
    if rule is None:
        return False
    sources = " ".join(getattr(e, "source", "") or "" for e in (rule.for_steps, rule.condition))
    return RUN_SHARE.search(sources) is not None


def reach(ruleset: RuleSet, overrides: Mapping[str, Mapping[str, Any]]) -> float:
    """How many steps back the rules look at full resolution: the longest `for` plus window.

    Run-long rules (a window that grows with the run, as `loss-plateau`'s 20 %, or a level
    taken from the run's start, as `early_median`) are left out: the thinned history serves
    them, and the exact confirmation checks what they found.
    """
    from lossdoctor.engine.evaluation.evaluate import rule_values

    longest = 0.0
    for rule in ruleset.checks:
        sources = " ".join(getattr(e, "source", "") or "" for e in (rule.for_steps, rule.condition))
        if RUN_LONG.search(sources):
            continue
        window = rule_window(rule, overrides.get(rule.id, {}), None) or 0.0
        values = rule_values(rule, overrides.get(rule.id, {}))
        widths = [float(v) for k, v in values.items() if "window" in k and isinstance(v, int | float)]
        longest = max(longest, window + max(widths, default=0.0))
    return max(longest, 100.0)


def lookback(rule: Any, overrides: Mapping[str, Any], window: float | None) -> float:
    """How far back a new point can still change a rule's condition: its trend window, else 0.

    A trend condition (`rising`, `not_decreasing`) marks every point of a qualifying window,
    so a window that qualifies later covers points judged before; spikes and thresholds
    look only backwards from each point and never change the past.
    """
    from lossdoctor.engine.evaluation.evaluate import rule_values

    source = getattr(rule.condition, "source", "") or ""
    if not TREND_CALL.search(source):
        return 0.0
    values = rule_values(rule, overrides)
    widths = [float(v) for k, v in values.items() if "window" in k and isinstance(v, int | float)]
    return max([*widths, window or 0.0])


def rule_window(rule: Any, overrides: Mapping[str, Any], report: Report | None,
                run_steps: float | None = None) -> float | None:
    """A rule's `for` in steps with the run's parameters (None when it cannot be computed).

    `run_steps` stands in for the run's length (a run that goes on for ever: `ENDLESS_STEPS`).
    """
    import numpy as np

    from lossdoctor.engine.evaluation.evaluate import rule_values, run_names
    from lossdoctor.engine.lang import functions

    env: dict[str, Any] = dict(rule_values(rule, overrides))
    env.update(step=math.nan, run_steps=0.0, interval=0.0, first_step=0.0, last_step=0.0, span=0.0,
               epoch_steps=math.nan)
    for name in functions.RUN_PARAMS:
        env[name] = math.nan
    steps = np.empty(0)
    if report is not None:
        for name in functions.RUN_PARAMS:
            param = report.params.get(name)
            if param is not None and isinstance(param.value, int | float):
                env[name] = float(param.value)
        if len(report.run.frame.index):
            steps = report.run.frame.index.to_numpy()
            env.update(run_names(report.run, report.params))
            env["span"] = env["last_step"] - env["first_step"]
    if run_steps is not None:
        env["run_steps"] = run_steps
    try:
        # the run's own steps: `fit_window` sizes a window by the points the log holds
        funcs = functions.condition_functions(steps, lambda label, n: None)
        value = float(rule.for_steps.evaluate(env, funcs))
    except Exception:  # an expression that needs arrays: the firing step falls back to the stretch's end
        return None
    return value if math.isfinite(value) else None


def _training_config(path: Path, fmt: str) -> tuple[dict[str, Any], str | None]:
    """The training config `analyze` would find for this file (GA, warmup, smoothing), read once."""
    from lossdoctor.readers import mmengine_scalars, mmengine_text

    if fmt == "mmengine-scalars":
        config, source, _ = mmengine_scalars.find_config(path)
        return config, source
    if fmt == "mmengine-text":
        found = mmengine_text.read_log_config(path)
        if found is not None:
            return found[0], found[1]
    return {}, None
