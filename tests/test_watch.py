"""`lossdoctor watch`: a real file appended by another thread (or process) while the watch runs.

Nothing of the file system is mocked: a writer thread appends lines to a file in a temp
folder while `watch --follow` polls it every few milliseconds. Event steps come from the
data, never from when a poll happened to run, so the sequences below are exact whatever
the timing: a z-var collapse planted at step 700 is pending at 700, firing at 900 (its
200-step window) and resolved at 1200, where the variance is back.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import Result
from rich.console import Console

from lossdoctor.engine import analyze
from lossdoctor.engine.packs import load_rules
from lossdoctor.follow import Tail
from lossdoctor.livebuffer import RowBuffer
from lossdoctor.liveparse import Row
from lossdoctor.readers import read_paths
from lossdoctor.reporters.live import panel
from lossdoctor.reporters.watchlines import PlainSink
from lossdoctor.watcher import Watcher, WatchOptions

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
FAST = ["--interval", "0.02", "--idle-exit", "0.8"]  # idle well above any pause of a writer thread
Z_VAR = "z-var-out-of-range"


# ----------------------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------------------




def scalars_line(step: int, **values: float) -> str:
    """One MMEngine scalars.json train line (json writes NaN as a bare NaN, as MMEngine's does)."""
    return json.dumps({"lr": 1e-4, **values, "iter": step, "step": step}) + "\n"


def collapse_lines(last: int = 1500) -> list[str]:
    """z_init/var healthy at 1.0, collapsed to 0.2 over steps 700-1190, back to 1.0 from 1200."""
    lines = []
    for step in range(10, last + 1, 10):
        var = 0.2 if 700 <= step < 1200 else 1.0
        lines.append(scalars_line(step, **{"z_init/var": var, "z_init/mean": 0.0}))
    return lines


class Writer(threading.Thread):
    """Appends `lines` to `path`, `per_chunk` at a time, as a training job's logger would."""

    def __init__(
        self, path: Path, lines: list[str], per_chunk: int = 3, delay: float = 0.004, start_after: float = 0.0
    ) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.path, self.lines, self.per_chunk, self.delay, self.start_after = (
            path,
            lines,
            per_chunk,
            delay,
            start_after,
        )

    def run(self) -> None:
        time.sleep(self.start_after)
        for i in range(0, len(self.lines), self.per_chunk):
            if self.stop.is_set():
                return
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write("".join(self.lines[i : i + self.per_chunk]))
            time.sleep(self.delay)


@pytest.fixture
def writing() -> Iterator[Callable[..., Writer]]:
    started: list[Writer] = []

    def start(path: Path, lines: list[str], **kwargs: Any) -> Writer:
        writer = Writer(path, lines, **kwargs)
        writer.start()
        started.append(writer)
        return writer

    yield start
    for writer in started:
        writer.stop.set()
        writer.join(timeout=10)


def events(out: str) -> list[dict[str, Any]]:
    """The JSON-lines output, one object per line (every line must parse)."""
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def alert_steps(objs: list[dict[str, Any]], rule: str | None = None) -> list[tuple[Any, ...]]:
    return [
        (o["event"], o["rule"], o["step"], o["first_step"], o["last_step"])
        for o in objs
        if "rule" in o and (rule is None or o["rule"] == rule)
    ]


def stretches_of_analyze(paths: list[Path]) -> list[tuple[str, str | None, int, int]]:
    report = analyze(read_paths(paths), load_rules([]))
    return sorted((f.rule, f.tag, f.first_step, f.last_step) for f in report.findings)


def stretches_of_summary(objs: list[dict[str, Any]]) -> list[tuple[str, str | None, int, int]]:
    summary = objs[-1]
    assert summary["event"] == "summary"
    return sorted((a["rule"], a["tag"], a["first_step"], a["last_step"]) for a in summary["alerts"])


# ----------------------------------------------------------------------------------------------------------
# the alert life cycle
# ----------------------------------------------------------------------------------------------------------


def test_collapse_is_pending_then_firing_then_resolved(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    writing(log, collapse_lines())
    result = cli("watch", log, "--follow", "--format", "jsonl", *FAST)
    objs = events(result.out)
    assert alert_steps(objs) == [
        ("pending", Z_VAR, 700, 700, None),
        ("firing", Z_VAR, 900, 700, None),
        ("resolved", Z_VAR, 1200, 700, 1190),
    ]
    firing = next(o for o in objs if o["event"] == "firing")
    assert firing["severity"] == "red" and firing["tag"] is None and firing["branch"] == "kl"
    assert firing["evidence"]["low"] == 0.3 and firing["remedy"]
    assert objs[-1] == {
        "event": "summary",
        "ended": "nothing appended for 0.8 s (--idle-exit)",
        "exit_code": 1,
        "alerts": [
            {
                "rule": Z_VAR,
                "tag": None,
                "severity": "red",
                "branch": "kl",
                "first_step": 700,
                "last_step": 1190,
                "state": "resolved",
            }
        ],
    }
    assert result.code == 1  # ended after a red finding (--fail-on red by default)


def test_plain_lines_are_one_per_event(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    writing(log, collapse_lines())
    result = cli("watch", log, "-f", "--format", "text", "--fail-on", "never", *FAST)
    lines = result.out.splitlines()
    assert lines[0] == (
        "pending   red  z-var-out-of-range step 700: Latent variance out of range "
        "(holds since step 700, not yet for its window)"
    )
    # the evidence is what the poll that announced it saw (how many points depends on the poll's timing)
    assert lines[1].startswith(
        "firing    red  z-var-out-of-range step 900 (since 700): Latent variance out of range. [points="
    )
    assert "z_var_median=0.2  low=0.3  high=1.5] Remedy: If high: raise the KL weight" in lines[1]
    assert lines[2] == "resolved  red  z-var-out-of-range step 1200: held 700-1190, no longer holds"
    assert lines[3:] == [
        "summary   nothing appended for 0.8 s (--idle-exit): 1 alert fired",
        "  red  z-var-out-of-range steps 700-1190 resolved",
    ]
    assert result.code == 0  # --fail-on never


def test_exit_on_red_stops_at_once(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    lines = collapse_lines(5000)
    writer = writing(log, lines, per_chunk=2, delay=0.01)
    result = cli("watch", log, "-f", "--format", "jsonl", "--exit-on", "red", "--interval", "0.02")
    assert writer.is_alive()  # it stopped while the run was still being written
    objs = events(result.out)
    assert [o["event"] for o in objs] == ["pending", "firing", "summary"]
    assert objs[-1]["ended"] == "stopped: a rule at or above --exit-on red fired" and result.code == 1


def test_exit_on_warn_ignores_nothing_below(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    healthy = [scalars_line(s, **{"z_init/var": 1.0, "z_init/mean": 0.0}) for s in range(10, 800, 10)]
    writing(log, healthy)
    result = cli("watch", log, "-f", "--format", "jsonl", "--exit-on", "warn", *FAST)
    assert [o["event"] for o in events(result.out)] == ["summary"] and result.code == 0


# ----------------------------------------------------------------------------------------------------------
# --on-alert
# ----------------------------------------------------------------------------------------------------------


def test_on_alert_gets_the_alert_on_stdin_and_in_the_environment(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    got = tmp_path / "got"
    variables = '"$LOSSDOCTOR_RULE" "$LOSSDOCTOR_STEP" "$LOSSDOCTOR_SEVERITY"'
    command = f"cat > {got}.json && printf '%s %s %s' {variables} > {got}.env"
    writing(log, collapse_lines())
    result = cli("watch", log, "-f", "--format", "jsonl", "--on-alert", command, *FAST)
    alert = json.loads((tmp_path / "got.json").read_text())
    assert (alert["event"], alert["rule"], alert["step"], alert["first_step"]) == ("firing", Z_VAR, 900, 700)
    assert alert["file"] == str(log) and alert["remedy"]
    assert (tmp_path / "got.env").read_text() == f"{Z_VAR} 900 red"
    assert "hook-failed" not in result.out


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("echo webhook down >&2; exit 3", "exited with status 3: webhook down"),
        ("sleep 5", "timed out after 0.3 s (killed)"),
    ],
)
def test_a_failing_on_alert_command_is_reported_not_fatal(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer], command: str, said: str
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    writing(log, collapse_lines())
    started = time.monotonic()
    result = cli(
        "watch", log, "-f", "--format", "jsonl", "--on-alert", command, "--on-alert-timeout", "0.3", *FAST
    )
    objs = events(result.out)
    failed = [o for o in objs if o["event"] == "hook-failed"]
    assert [o["message"] for o in failed] == [f"--on-alert for {Z_VAR}: {said}"]
    assert [o["event"] for o in objs if "rule" in o] == ["pending", "firing", "resolved"]
    assert result.code == 1 and time.monotonic() - started < 4  # the watch went on, and the sleep was killed


# ----------------------------------------------------------------------------------------------------------
# what live files do
# ----------------------------------------------------------------------------------------------------------


def test_a_file_that_appears_late_is_waited_for(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer]
) -> None:
    log = tmp_path / "later" / "scalars.json"
    log.parent.mkdir()
    writing(log, collapse_lines(), start_after=0.2)
    result = cli("watch", log, "-f", "--format", "jsonl", "--interval", "0.02", "--idle-exit", "1.0")
    objs = events(result.out)
    assert [o["event"] for o in objs[:2]] == ["waiting", "appeared"]
    assert alert_steps(objs) == [
        ("pending", Z_VAR, 700, 700, None),
        ("firing", Z_VAR, 900, 700, None),
        ("resolved", Z_VAR, 1200, 700, 1190),
    ]


def test_a_partial_line_waits_for_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "scalars.json"
    log.write_text(scalars_line(10, loss=1.0))
    tail = Tail(log)
    assert len(tail.poll().lines) == 1
    line = scalars_line(20, loss=float("nan"))
    with open(log, "a") as handle:
        handle.write(line[:15])
    assert tail.poll().lines == []
    with open(log, "a") as handle:
        handle.write(line[15:])
    chunk = tail.poll()
    assert chunk.lines == [line.rstrip("\n")] and chunk.first_line == 2


def test_a_nan_loss_split_across_polls_fires(tmp_path: Path) -> None:
    log = tmp_path / "scalars.json"
    good = "".join(scalars_line(s, loss=2.0 - s / 1000) for s in range(10, 300, 10))
    log.write_text(good)
    out = io.StringIO()
    watcher = Watcher(log, load_rules([]), WatchOptions(follow=True), PlainSink(out))
    watcher.poll()
    bad = scalars_line(300, loss=float("nan"))
    with open(log, "a") as handle:
        handle.write(bad[:20])
    assert watcher.poll() == []
    with open(log, "a") as handle:
        handle.write(bad[20:])
    fired = [e for e in watcher.poll() if e.event == "firing"]
    assert [(e.rule, e.step, e.evidence["first_bad_step"]) for e in fired] == [("non-finite-loss", 300, 300)]


def test_truncation_starts_over_and_says_so(tmp_path: Path) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("".join(collapse_lines(1000)))
    out = io.StringIO()
    watcher = Watcher(log, load_rules([]), WatchOptions(follow=True), PlainSink(out))
    assert [e.event for e in watcher.poll()] == ["pending", "firing"]
    log.write_text(
        "".join(scalars_line(s, **{"z_init/var": 1.0, "z_init/mean": 0.0}) for s in range(10, 300, 10))
    )
    got = watcher.poll()
    assert [e.event for e in got] == ["truncated"]
    assert got[0].message == "the file was truncated: reading it again from its start"
    assert watcher.book.fired() == [] and watcher.steps is not None and int(watcher.steps[-1]) == 290
    assert watcher.exit_code() == 1  # what fired on the file before still counts


def test_rotation_reads_the_new_file(tmp_path: Path) -> None:
    log = tmp_path / "train.jsonl"
    log.write_text("".join(scalars_line(s, loss=1.0) for s in range(10, 200, 10)))
    tail = Tail(log)
    assert len(tail.poll().lines) == 19
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_text("".join(scalars_line(s, loss=1.0) for s in range(200, 400, 10)) * 2)
    os.replace(fresh, log)  # logrotate's rename-and-create, seen from the reader
    chunk = tail.poll()
    assert [n.kind for n in chunk.notices] == ["rotated"] and chunk.restart and len(chunk.lines) == 40


def test_a_deleted_file_ends_the_watch(tmp_path: Path, cli: Callable[..., Result]) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("".join(collapse_lines(600)))
    remover = threading.Timer(0.3, log.unlink)
    remover.start()
    result = cli("watch", log, "-f", "--format", "jsonl", "--interval", "0.02")
    remover.join()
    objs = events(result.out)
    assert [o["event"] for o in objs] == ["deleted", "summary"]
    assert objs[-1]["ended"] == "the file is gone" and result.code == 0


def test_a_new_launch_in_a_work_dir_is_picked_up(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer]
) -> None:
    work = tmp_path / "work"
    source = SAMPLES / "resumed_healthy"
    first, second = sorted(p for p in source.iterdir() if p.is_dir())
    shutil.copytree(first, work / first.name)
    (work / second.name / "vis_data").mkdir(parents=True)
    shutil.copy(second / "vis_data" / "config.py", work / second.name / "vis_data" / "config.py")
    lines = (second / "vis_data" / "scalars.json").read_text().splitlines(keepends=True)
    writing(work / second.name / "vis_data" / "scalars.json", lines, start_after=0.3)
    result = cli("watch", work, "-f", "--format", "jsonl", "--interval", "0.02", "--idle-exit", "1.0")
    objs = events(result.out)
    launch = [o for o in objs if o["event"] == "launch"]
    assert [o["message"] for o in launch] == [
        f"new launch {second.name}: following {second.name}/vis_data/scalars.json"
    ]
    assert stretches_of_summary(objs) == stretches_of_analyze([work])


# ----------------------------------------------------------------------------------------------------------
# equal to analyze when the file stops growing
# ----------------------------------------------------------------------------------------------------------

SCENARIOS = [
    "z_var_collapse",
    "flow_stalled",
    "non_finite_loss",
    "loss_spike",
    "kl_rising",
    "dino_not_improving",
    "grad_flow_dead",
]


@pytest.mark.parametrize("which", ["scalars", "text"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_what_watch_announced_equals_analyze(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer], scenario: str, which: str
) -> None:
    launch = next(p for p in (SAMPLES / scenario).iterdir() if p.is_dir())
    copy = tmp_path / launch.name
    shutil.copytree(launch, copy)
    log = copy / "vis_data" / "scalars.json" if which == "scalars" else copy / f"{launch.name}.log"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("")
    writer = writing(log, lines, per_chunk=7 if which == "scalars" else 25, delay=0.002)
    # idle-exit well above any pause of the writer thread: in the full suite (torch's threads from
    # the taps tests still spinning) 0.3 s let the watch end before the file was complete, once in 4 runs
    result = cli("watch", log, "-f", "--format", "jsonl", "--interval", "0.01", "--idle-exit", "1.0")
    assert not writer.is_alive(), "the watch ended before the writer had written everything"
    objs = events(result.out)
    assert stretches_of_summary(objs) == stretches_of_analyze([log])
    assert stretches_of_analyze([log])  # every scenario here fires something
    fired = [o for o in objs if o["event"] == "firing" and "again" not in o.get("message", "")]
    assert len(fired) == len({(o["rule"], o["tag"], o["first_step"]) for o in fired})  # none announced twice


def test_a_csv_is_followed(
    tmp_path: Path, cli: Callable[..., Result], writing: Callable[..., Writer]
) -> None:
    log = tmp_path / "metrics.csv"
    rows = ["step,z_init/var,z_init/mean,epoch\n"]
    rows += [f"{s},{0.2 if 700 <= s < 1200 else 1.0},0.0,0\n" for s in range(10, 1500, 10)]
    log.write_text("")
    writing(log, rows)
    result = cli("watch", log, "-f", "--format", "jsonl", *FAST)
    objs = events(result.out)
    assert alert_steps(objs) == [
        ("pending", Z_VAR, 700, 700, None),
        ("firing", Z_VAR, 900, 700, None),
        ("resolved", Z_VAR, 1200, 700, 1190),
    ]
    assert stretches_of_summary(objs) == stretches_of_analyze([log])


# ----------------------------------------------------------------------------------------------------------
# without --follow, errors, the bounded store, the live view, Ctrl-C
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "code"), [("healthy", 0), ("flow_stalled", 1)])
def test_without_follow_it_judges_once_like_analyze(
    cli: Callable[..., Result], scenario: str, code: int
) -> None:
    watched = cli("watch", SAMPLES / scenario, "--format", "jsonl")
    analyzed = cli("analyze", SAMPLES / scenario, "--format", "json")
    assert watched.code == analyzed.code == code
    assert stretches_of_summary(events(watched.out)) == stretches_of_analyze([SAMPLES / scenario])


def test_a_format_that_is_not_append_only_cannot_be_followed(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    state = tmp_path / "trainer_state.json"
    state.write_text(
        json.dumps({"log_history": [{"step": 1, "loss": 1.0}, {"step": 2, "loss": 0.9}]}, indent=1)
    )
    result = cli("watch", state, "-f", "--interval", "0.01")
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(
        f"lossdoctor: error: {state}: hf-trainer-state files are not append-only logs"
    )


def test_an_unknown_exit_level_is_a_usage_error(tmp_path: Path, cli: Callable[..., Result]) -> None:
    assert cli("watch", tmp_path / "x.json", "-f", "--exit-on", "info").code == 2


def test_the_store_stays_bounded_and_keeps_the_first_bad_value() -> None:
    buffer = RowBuffer(tail_steps=2000.0)
    buffer.launch_index("run.json")
    buffer.add(
        [
            Row(s, {"loss": float("nan") if s == 500 else 1.0}, {"loss"} if s == 500 else set(), s)
            for s in range(1, 3000)
        ],
        0,
    )
    assert buffer.exact and buffer.n == 2999
    for start in range(3000, 200_000, 1000):
        buffer.add([Row(s, {"loss": 1.0}, set(), s) for s in range(start, start + 1000)], 0)
        assert buffer.n <= buffer._max_rows()
    assert not buffer.exact and 500 in buffer.steps[: buffer.n]  # the first NaN survives the thinning
    tail = buffer.steps[buffer.n - buffer.tail_rows() : buffer.n]
    assert (tail == range(int(tail[0]), 199_999 + 1)).all() and len(tail) >= 2000  # the tail is whole
    run_data = buffer.run("mmengine-scalars")
    assert run_data is not None and len(run_data.frame) == buffer.n and 500 in run_data.nan_steps["loss"]


def test_the_live_view_fits_80_columns(tmp_path: Path) -> None:
    launch = next(p for p in (SAMPLES / "z_var_collapse").iterdir() if p.is_dir())
    watcher = Watcher(
        launch / "vis_data" / "scalars.json",
        load_rules([]),
        WatchOptions(follow=True),
        PlainSink(io.StringIO()),
    )
    watcher.poll()
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(panel(watcher, 80))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "FIRING  red  z-var-out-of-range since 650" in text and "step 1800 · 36 points" in text
    assert "│ kl   too weak   kl-rising fired" in text and "│ kl_raw      0.567 " in text


def test_ctrl_c_ends_with_a_summary_and_no_traceback(tmp_path: Path) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("".join(collapse_lines(1000)))
    env = {**os.environ, "LANG": "en_US.UTF-8"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lossdoctor",
            "watch",
            str(log),
            "-f",
            "--format",
            "jsonl",
            "--interval",
            "0.05",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    first = [proc.stdout.readline() for _ in range(2)]  # pending, firing: the watch is running
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    objs = events("".join(first) + rest)
    assert [o["event"] for o in objs] == ["pending", "firing", "summary"]
    assert objs[-1]["ended"] == "interrupted (Ctrl-C)" and proc.returncode == 1 and "Traceback" not in err


def test_a_thinned_view_is_confirmed_by_the_whole_file(tmp_path: Path) -> None:
    """Past its bound the store judges a tail and a thinned history; the exact pass settles it."""
    log = tmp_path / "scalars.json"
    log.write_text("")
    lines = [
        scalars_line(step, **{"z_init/var": 0.2 if 700 <= step < 1200 else 1.0, "z_init/mean": 0.0})
        for step in range(1, 3001)
    ]
    watcher = Watcher(log, load_rules([]), WatchOptions(follow=True), PlainSink(io.StringIO()))
    watcher.buffer = RowBuffer(tail_steps=watcher.buffer.tail_steps, exact_rows=256, history_rows=64)
    said = []
    for i in range(0, len(lines), 100):
        with open(log, "a") as handle:
            handle.write("".join(lines[i : i + 100]))
        said += watcher.poll()
    assert not watcher.buffer.exact and watcher.buffer.n <= watcher.buffer._max_rows()
    assert [(e.event, e.step) for e in said if e.rule == Z_VAR] == [
        ("pending", 700),
        ("firing", 900),
        ("resolved", 1200),
    ]
    said += watcher.confirm() + watcher.book.finish(3000)
    got = sorted((a.rule, a.tag, a.first_step, a.last_step) for a in watcher.book.fired())
    assert got == stretches_of_analyze([log])


def test_a_long_history_is_judged_once_and_its_alerts_announced_with_their_steps(tmp_path: Path) -> None:
    """`watch -f` on a log already long: one judgement of the whole file, alerts at the data's steps,
    then the live loop goes on from the line after the last one read."""
    from lossdoctor import watcher as watching

    log = tmp_path / "scalars.json"
    log.write_text("".join(collapse_lines(last=150_000)))
    assert log.stat().st_size >= watching.HISTORY_BYTES  # long enough to be read whole, not replayed
    watcher = Watcher(log, load_rules([]), WatchOptions(follow=True), PlainSink(io.StringIO()))
    said = watcher.poll()
    assert watcher.updates == 1
    assert [(e.event, e.step, e.first_step) for e in said if e.rule == Z_VAR] == [
        ("pending", 700, 700),
        ("firing", 900, 700),
        ("resolved", 1200, 700),
    ]
    assert said[-1].event == "following" and "judged lines 1-15000" in said[-1].message
    got = sorted((a.rule, a.tag, a.first_step, a.last_step) for a in watcher.book.fired())
    assert got == stretches_of_analyze([log])
    with open(log, "a") as handle:
        handle.write(scalars_line(150_010, loss=float("nan"), **{"z_init/var": 1.0, "z_init/mean": 0.0}))
    fired = [(e.event, e.rule, e.step) for e in watcher.poll() if e.event == "firing"]
    assert fired == [("firing", "non-finite-loss", 150_010)]


def test_a_long_work_dir_is_judged_once_across_its_launches(tmp_path: Path) -> None:
    """A resumed run's launches, already long: read whole and stitched as `analyze` stitches them."""
    from lossdoctor import watcher as watching

    work_dir = tmp_path / "work_dir"
    first = work_dir / "20260101_000000" / "vis_data" / "scalars.json"
    second = work_dir / "20260102_000000" / "vis_data" / "scalars.json"
    for path in (first, second):
        path.parent.mkdir(parents=True)
    lines = collapse_lines(last=150_000)
    first.write_text("".join(lines[:8_000]))  # steps 10-80000
    healthy = {"z_init/var": 1.0, "z_init/mean": 0.0}
    resumed = [scalars_line(step, **healthy) for step in range(79_010, 150_001, 10)]
    resumed[2_099] = scalars_line(100_000, loss=float("nan"), **healthy)
    second.write_text("".join(resumed))
    assert first.stat().st_size + second.stat().st_size >= watching.HISTORY_BYTES
    watcher = Watcher(work_dir, load_rules([]), WatchOptions(follow=True), PlainSink(io.StringIO()))
    said = watcher.poll()
    assert watcher.updates == 1
    assert [e.event for e in said if e.rule is None] == ["launch", "following", "following"]
    assert [(e.event, e.rule, e.step) for e in said if e.event == "firing"] == [
        ("firing", Z_VAR, 900),
        ("firing", "non-finite-loss", 100_000),
    ]
    got = sorted((a.rule, a.tag, a.first_step, a.last_step) for a in watcher.book.fired())
    assert got == stretches_of_analyze([work_dir])
    with open(second, "a") as handle:  # the live loop goes on in the newest launch
        handle.write(scalars_line(150_010, loss=float("inf"), **healthy))
    fired = [(e.event, e.step) for e in watcher.poll() if e.rule == "non-finite-loss"]
    assert fired == [("firing", 150_010)]
