"""`lossdoctor watch PATH [--follow]`: the doctor at the bedside of a live run.

Without `--follow` the log is judged once, as `analyze` judges it, and the findings are
announced as events (exit code as `analyze`). With `--follow` the log is tailed and each
red flag is announced as soon as the data shows it: a rich live view on a terminal,
plain lines or JSON lines otherwise. The loop itself lives in `lossdoctor.live.watcher`; this
module turns options into a `Watcher`, runs it, and ends it cleanly (Ctrl-C included).
"""

from __future__ import annotations

import sys
import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lossdoctor.cli import options
from lossdoctor.cli.app import app
from lossdoctor.cli.options import FailOn, Lang
from lossdoctor.cli.settings import locale_lang

if TYPE_CHECKING:
    from lossdoctor.live.hooks import AlertHook
    from lossdoctor.live.watcher import Sink, Watcher


class ExitOn(str, Enum):
    red = "red"
    warn = "warn"


class WatchFormat(str, Enum):
    auto = "auto"
    text = "text"
    jsonl = "jsonl"
    live = "live"


@app.command()
def watch(
    path: Path = typer.Argument(
        ...,
        help="A log file (scalars.json, text log, JSON lines, CSV) or an MMEngine work dir.",
        show_default=False,
    ),
    follow: bool = typer.Option(False, "--follow", "-f", help="Tail the log and alert as it grows."),
    interval: float = typer.Option(1.0, "--interval", min=0.01, help="Seconds between polls of the file."),
    exit_on: ExitOn | None = typer.Option(
        None, "--exit-on", help="Stop with exit code 1 as soon as a rule at or above this level fires."
    ),
    fail_on: FailOn | None = typer.Option(
        None, "--fail-on", help="Exit 1 at the end when something at or above this fired (default red)."
    ),
    on_alert: str | None = typer.Option(
        None,
        "--on-alert",
        help="Shell command run for each firing alert; the alert as JSON on stdin and "
        "in LOSSDOCTOR_* variables.",
    ),
    on_alert_timeout: float = typer.Option(
        10.0, "--on-alert-timeout", min=0.1, help="Seconds before an --on-alert command is killed."
    ),
    output_format: WatchFormat = typer.Option(
        WatchFormat.auto,
        "--format",
        help="auto (live view on a terminal, plain lines otherwise), text, jsonl, live.",
    ),
    idle_exit: float | None = typer.Option(
        None,
        "--idle-exit",
        min=0.0,
        help="End the watch when nothing was appended for this many seconds (CI).",
    ),
    input_format: str | None = options.INPUT_FORMAT,
    lang: Lang | None = typer.Option(None, "--lang", help="Language of titles and remedies (en, zh)."),
    params: list[str] = options.PARAMS,
    ga: int | None = options.GA,
    warmup_steps: int | None = options.WARMUP_STEPS,
    rule_files: list[Path] = options.RULE_FILES,
    config_path: Path | None = options.CONFIG,
    select: list[str] = options.SELECT,
    ignore: list[str] = options.IGNORE,
    severity: list[str] = options.SEVERITY,
    width: int | None = typer.Option(
        None, "--width", help="Width of the live view (default: the terminal's)."
    ),
    debug: bool = options.DEBUG,
) -> int:
    """Watch a training log: announce each red flag (pending, firing, resolved) as soon as it shows."""
    from lossdoctor.cli.settings import judging_rules, merge
    from lossdoctor.gate.config import load_config
    from lossdoctor.live.watcher import Watcher, WatchOptions

    config = load_config(config_path, Path.cwd())
    ruleset = judging_rules(config, rule_files, select, ignore, severity)
    settings = merge(config, params, ruleset, ga=ga, warmup_steps=warmup_steps)
    watch_options = WatchOptions(
        follow=follow,
        interval=interval,
        exit_on=exit_on.value if exit_on else None,
        fail_on=(fail_on.value if fail_on else None) or config.fail_on or "red",
        idle_exit=idle_exit,
        input_format=input_format,
        lang=(lang.value if lang else None) or locale_lang(),
        aliases=config.aliases,
        run_params=settings.run,
        rule_params=settings.thresholds,
    )
    sink = _sink(output_format, width)
    hook = _hook(on_alert, on_alert_timeout, path)
    watcher = Watcher(path, ruleset, watch_options, sink, on_fire=hook)
    if not follow:
        return _once(watcher, sink, hook)
    return _follow(watcher, sink, hook)


def _sink(choice: WatchFormat, width: int | None) -> Sink:
    from lossdoctor.reporters.watch_lines import JsonlSink, PlainSink

    if choice == WatchFormat.jsonl:
        return JsonlSink(sys.stdout)
    if choice == WatchFormat.live or (choice == WatchFormat.auto and sys.stdout.isatty()):
        from rich.console import Console

        from lossdoctor.reporters.watch_panel import LiveSink

        return LiveSink(Console(width=width), width)
    return PlainSink(sys.stdout)


def _hook(command: str | None, timeout: float, path: Path) -> AlertHook | None:
    if not command:
        return None
    from lossdoctor.live.hooks import AlertHook

    return AlertHook(command, timeout, str(path))


def _once(watcher: Watcher, sink: Sink, hook: AlertHook | None) -> int:
    """Judge the log as it is, announce what it shows, exit like `analyze`."""
    try:
        for event in watcher.confirm_all():
            watcher.announce(event)
    finally:
        _close(watcher, sink, hook, "judged once (no --follow)")
    return watcher.exit_code()


def _follow(watcher: Watcher, sink: Sink, hook: AlertHook | None) -> int:
    """Poll until `--exit-on` fires, the file is gone, `--idle-exit` passes or Ctrl-C."""
    ended = "interrupted (Ctrl-C)"
    try:
        while True:
            started = time.monotonic()
            watcher.poll()
            if hook is not None:
                for failure in hook.drain():
                    watcher.announce(failure)
            if watcher.ended():
                ended = watcher.end_reason()
                break
            time.sleep(max(0.0, watcher.options.interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        pass
    try:
        if watcher.stop_code is None and not watcher.buffer.exact:
            for event in watcher.confirm():  # a last judgement of the whole files, as `analyze` makes it
                watcher.announce(event)
        if watcher.stop_code is None:
            for event in watcher.release():  # run-share windows held pending: the run's length is final now
                watcher.announce(event)
    except KeyboardInterrupt:
        pass
    _close(watcher, sink, hook, ended)
    return watcher.exit_code()


def _close(watcher: Watcher, sink: Sink, hook: AlertHook | None, ended: str) -> None:
    latest = int(watcher.steps[-1]) if watcher.steps is not None and len(watcher.steps) else None
    for event in watcher.book.finish(latest):
        sink.emit(event)
    if hook is not None:
        for failure in hook.finish():
            sink.emit(failure)
    sink.close(watcher.view(), ended, watcher.exit_code())
