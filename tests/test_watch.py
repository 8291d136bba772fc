"""`lossdoctor watch`: a real file that grows while the watch runs.

Nothing of the file system is mocked: the log is appended, a piece at a time (cut anywhere, mid-line
too), to a file in a temp folder while `watch --follow` polls it. The growth is tied to the watcher's
own polls and announcements, never to a clock: a piece is appended before each poll, a late file is
created only once the watcher said it is `waiting`, and the watch cannot call the file idle while
pieces remain. So a loaded machine changes nothing, and since event steps come from the data, the
sequences below are exact: a z-var collapse planted at step 700 is pending at 700, firing at 900 (its
200-step window) and resolved at 1200, where the variance is back.
"""

from __future__ import annotations

import io
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import Result
from rich.console import Console

from lossdoctor.engine import analyze
from lossdoctor.engine.rulefiles.packs import load_rules
from lossdoctor.live.alerts import Event
from lossdoctor.live.buffer import RowBuffer
from lossdoctor.live.follow import Tail
from lossdoctor.live.lines import Row
from lossdoctor.live.watcher import Watcher, WatchOptions
from lossdoctor.readers import read_paths
from lossdoctor.reporters.watch_lines import PlainSink
from lossdoctor.reporters.watch_panel import panel

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
FAST = ["--interval", "0.02", "--idle-exit", "0.3"]  # idle is judged only once every piece was read
SAFETY_NET = 120  # seconds before a test gives up on a subprocess that never answers (a hang, not a race)
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


@dataclass
class Grower:
    """A log appended piece by piece, one piece before each poll of the watcher.

    `wait_for` holds the first piece back until the watcher has announced that event (its readiness
    signal: `waiting` for a file that does not exist yet), `after_polls` until it has polled that often;
    `then` runs at the first poll after everything was written and read (to delete the file, say).
    """

    path: Path
    data: bytes
    piece: int
    wait_for: str | None = None
    after_polls: int = 0
    then: Callable[[], None] | None = None
    written: int = 0
    polls: int = 0
    started: bool = False
    finished: bool = False

    def before_poll(self) -> None:
        if not self.started or self.finished:
            return
        if self.written < len(self.data):
            with open(self.path, "ab") as handle:
                handle.write(self.data[self.written : self.written + self.piece])
            self.written = min(len(self.data), self.written + self.piece)
            return
        self.finished = True
        if self.then is not None:
            self.then()

    def after_poll(self, events: list[Event]) -> None:
        self.polls += 1
        ready = self.wait_for is None or any(e.event == self.wait_for for e in events)
        self.started |= ready and self.polls >= self.after_polls


@pytest.fixture
def growing(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Grower]:
    """`growing(path, lines, per_poll=3, ...)`: grow `path` with the watcher's polls (see Grower).

    The watch may end only by `--exit-on` or once every grower is finished: what ends it then is its
    own rule (`--idle-exit`, a file gone), with nothing left to read, whatever the load of the machine.
    """
    growers: list[Grower] = []
    real_poll, real_ended = Watcher.poll, Watcher.ended
    since = time.monotonic()

    def poll(watcher: Watcher) -> list[Event]:
        for grower in growers:
            grower.before_poll()
        events = real_poll(watcher)
        for grower in growers:
            grower.after_poll(events)
        return events

    def ended(watcher: Watcher) -> bool:
        waiting = watcher.stop_code is None and not all(g.finished for g in growers)
        if waiting and time.monotonic() - since < SAFETY_NET:  # the net: a grower that never starts
            return False
        return real_ended(watcher)

    monkeypatch.setattr(Watcher, "poll", poll)
    monkeypatch.setattr(Watcher, "ended", ended)

    def start(path: Path, lines: list[str], per_poll: float = 3, **kwargs: Any) -> Grower:
        data = "".join(lines).encode()
        piece = max(1, int(len(data) / max(len(lines), 1) * per_poll) + 7)  # + 7: pieces cut lines
        grower = Grower(path, data, piece, **kwargs)
        growers.append(grower)
        return grower

    return start


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
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    growing(log, collapse_lines())
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
        "ended": "nothing appended for 0.3 s (--idle-exit)",
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
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    growing(log, collapse_lines())
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
        "summary   nothing appended for 0.3 s (--idle-exit): 1 alert fired",
        "  red  z-var-out-of-range steps 700-1190 resolved",
    ]
    assert result.code == 0  # --fail-on never


def test_exit_on_red_stops_at_once(
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    lines = collapse_lines(5000)
    grower = growing(log, lines, per_poll=2)
    result = cli("watch", log, "-f", "--format", "jsonl", "--exit-on", "red", "--interval", "0.02")
    assert grower.written < len(grower.data) / 2  # it stopped while the run was still being written
    objs = events(result.out)
    assert [o["event"] for o in objs] == ["pending", "firing", "summary"]
    assert objs[-1]["ended"] == "stopped: a rule at or above --exit-on red fired" and result.code == 1


def test_exit_on_warn_ignores_nothing_below(
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    healthy = [scalars_line(s, **{"z_init/var": 1.0, "z_init/mean": 0.0}) for s in range(10, 800, 10)]
    growing(log, healthy)
    result = cli("watch", log, "-f", "--format", "jsonl", "--exit-on", "warn", *FAST)
    assert [o["event"] for o in events(result.out)] == ["summary"] and result.code == 0


# ----------------------------------------------------------------------------------------------------------
# --on-alert
# ----------------------------------------------------------------------------------------------------------


def test_on_alert_gets_the_alert_on_stdin_and_in_the_environment(
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    got = tmp_path / "got"
    variables = '"$LOSSDOCTOR_RULE" "$LOSSDOCTOR_STEP" "$LOSSDOCTOR_SEVERITY"'
    command = f"cat > {got}.json && printf '%s %s %s' {variables} > {got}.env"
    growing(log, collapse_lines())
    result = cli(
        "watch", log, "-f", "--format", "jsonl", "--on-alert", command, "--on-alert-timeout", "60", *FAST
    )
    alert = json.loads((tmp_path / "got.json").read_text())
    assert (alert["event"], alert["rule"], alert["step"], alert["first_step"]) == ("firing", Z_VAR, 900, 700)
    assert alert["file"] == str(log) and alert["remedy"]
    assert (tmp_path / "got.env").read_text() == f"{Z_VAR} 900 red"
    assert "hook-failed" not in result.out


@pytest.mark.parametrize(
    ("command", "timeout", "said"),
    [
        # a timeout far above what the command needs: under load it still fails, it never times out
        ("echo webhook down >&2; exit 3", "60", "exited with status 3: webhook down"),
        # a command that never ends within its timeout, however fast or slow the machine
        ("echo $$ > {pid}; sleep 60", "0.3", "timed out after 0.3 s (killed)"),
    ],
)
def test_a_failing_on_alert_command_is_reported_not_fatal(
    tmp_path: Path,
    cli: Callable[..., Result],
    growing: Callable[..., Grower],
    command: str,
    timeout: str,
    said: str,
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("")
    pid_file = tmp_path / "hook.pid"
    growing(log, collapse_lines())
    result = cli(
        "watch", log, "-f", "--format", "jsonl",
        "--on-alert", command.format(pid=pid_file), "--on-alert-timeout", timeout, *FAST,
    )
    objs = events(result.out)
    failed = [o for o in objs if o["event"] == "hook-failed"]
    assert [o["message"] for o in failed] == [f"--on-alert for {Z_VAR}: {said}"]
    assert [o["event"] for o in objs if "rule" in o] == ["pending", "firing", "resolved"]
    assert result.code == 1  # the watch went on
    if pid_file.exists():  # the sleeping shell was killed (and reaped), not left to run its 60 s
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.read_text()), 0)


# ----------------------------------------------------------------------------------------------------------
# what live files do
# ----------------------------------------------------------------------------------------------------------


def test_a_file_that_appears_late_is_waited_for(
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower]
) -> None:
    log = tmp_path / "later" / "scalars.json"
    log.parent.mkdir()
    grower = growing(log, collapse_lines(), wait_for="waiting")  # created once the watcher waits for it
    result = cli("watch", log, "-f", "--format", "jsonl", "--interval", "0.02", "--idle-exit", "0.3")
    assert grower.finished
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


def test_a_deleted_file_ends_the_watch(
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower]
) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("".join(collapse_lines(600)))
    growing(log, [], after_polls=1, then=log.unlink)  # deleted once the watcher has read it
    result = cli("watch", log, "-f", "--format", "jsonl", "--interval", "0.02")
    assert not log.exists()
    objs = events(result.out)
    assert [o["event"] for o in objs] == ["deleted", "summary"]
    assert objs[-1]["ended"] == "the file is gone" and result.code == 0


def test_a_new_launch_in_a_work_dir_is_picked_up(
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower]
) -> None:
    work = tmp_path / "work"
    source = SAMPLES / "resumed_healthy"
    first, second = sorted(p for p in source.iterdir() if p.is_dir())
    shutil.copytree(first, work / first.name)
    (work / second.name / "vis_data").mkdir(parents=True)
    shutil.copy(second / "vis_data" / "config.py", work / second.name / "vis_data" / "config.py")
    lines = (second / "vis_data" / "scalars.json").read_text().splitlines(keepends=True)
    growing(work / second.name / "vis_data" / "scalars.json", lines, after_polls=1)  # first launch read
    result = cli("watch", work, "-f", "--format", "jsonl", "--interval", "0.02", "--idle-exit", "0.3")
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
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower], scenario: str, which: str
) -> None:
    launch = next(p for p in (SAMPLES / scenario).iterdir() if p.is_dir())
    copy = tmp_path / launch.name
    shutil.copytree(launch, copy)
    log = copy / "vis_data" / "scalars.json" if which == "scalars" else copy / f"{launch.name}.log"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("")
    grower = growing(log, lines, per_poll=7 if which == "scalars" else 60)
    result = cli("watch", log, "-f", "--format", "jsonl", "--interval", "0.01", "--idle-exit", "0.3")
    assert grower.finished
    objs = events(result.out)
    assert stretches_of_summary(objs) == stretches_of_analyze([log])
    assert stretches_of_analyze([log])  # every scenario here fires something
    fired = [o for o in objs if o["event"] == "firing" and "again" not in o.get("message", "")]
    assert len(fired) == len({(o["rule"], o["tag"], o["first_step"]) for o in fired})  # none announced twice


def test_a_csv_is_followed(
    tmp_path: Path, cli: Callable[..., Result], growing: Callable[..., Grower]
) -> None:
    log = tmp_path / "metrics.csv"
    rows = ["step,z_init/var,z_init/mean,epoch\n"]
    rows += [f"{s},{0.2 if 700 <= s < 1200 else 1.0},0.0,0\n" for s in range(10, 1500, 10)]
    log.write_text("")
    growing(log, rows)
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
    console.print(panel(watcher.view(), 80))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "FIRING  red  z-var-out-of-range since 650" in text and "step 1800 · 36 points" in text
    assert "│ kl   too weak   kl-rising fired" in text and "│ kl_raw      0.567 " in text


def test_ctrl_c_ends_with_a_summary_and_no_traceback(tmp_path: Path) -> None:
    log = tmp_path / "scalars.json"
    log.write_text("".join(collapse_lines(1000)))
    env = {**os.environ, "LANG": "en_US.UTF-8"}
    command = [sys.executable, "-m", "lossdoctor", "watch", str(log), "-f", "--format", "jsonl"]
    with ctrl_c_reaches_children():
        proc = subprocess.Popen(
            [*command, "--interval", "0.05"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    try:
        lines = line_reader(proc)
        said = [lines.get(timeout=SAFETY_NET) for _ in range(2)]  # pending, firing: the watch is running
        proc.send_signal(signal.SIGINT)
        while said[-1]:  # up to the end of its output
            said.append(lines.get(timeout=SAFETY_NET))
        proc.wait(timeout=SAFETY_NET)
        assert proc.stderr is not None
        err = proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
    objs = events("".join(said))
    assert [o["event"] for o in objs] == ["pending", "firing", "summary"]
    assert objs[-1]["ended"] == "interrupted (Ctrl-C)" and proc.returncode == 1 and "Traceback" not in err


@contextmanager
def ctrl_c_reaches_children() -> Iterator[None]:
    """A child started in here reacts to SIGINT even when the test run itself ignores it.

    A shell starts background jobs (`pytest ... &`, many CI runners) with SIGINT ignored; a child
    inherits that, Python then installs no KeyboardInterrupt handler, and the watch under test never
    saw its Ctrl-C (the 30 s timeout seen on a fresh machine). A handled signal is reset on exec.
    """
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def line_reader(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    """The child's stdout lines, read on a thread, so a test waits on them with a safety net."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    return lines


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


def test_an_on_alert_hook_that_cannot_start_is_reported_and_later_hooks_run(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A NUL in a rule pack's remedy cannot go into the hook's environment: that hook fails, the next runs."""
    pack = tmp_path / "team.yaml"
    pack.write_text(
        'pack: team\nextends: default\noverrides:\n  z-var-out-of-range:\n'
        '    text: {en: {remedy: "check the clamp\\0 first"}}\n'
    )
    log = tmp_path / "scalars.json"
    lines = [*collapse_lines(1300), scalars_line(1310, loss=float("nan"), **{"z_init/var": 1.0})]
    log.write_text("".join(lines))
    ran = tmp_path / "ran"
    result = cli(
        "watch", log, "-f", "--format", "jsonl", "--rules", pack, "--idle-exit", "0.3",
        "--on-alert", f'echo "$LOSSDOCTOR_RULE" >> {ran}', "--on-alert-timeout", "60", "--interval", "0.02",
    )
    objs = events(result.out)
    assert [o["rule"] for o in objs if o["event"] == "firing"] == [Z_VAR, "non-finite-loss"]
    failed = [o["message"] for o in objs if o["event"] == "hook-failed"]
    assert failed == [f"--on-alert for {Z_VAR}: could not start: embedded null byte"]
    assert ran.read_text().split() == ["non-finite-loss"]


def test_a_long_history_is_judged_once_and_its_alerts_announced_with_their_steps(tmp_path: Path) -> None:
    """`watch -f` on a log already long: one judgement of the whole file, alerts at the data's steps,
    then the live loop goes on from the line after the last one read."""
    from lossdoctor.live import watcher as watching

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
    from lossdoctor.live import watcher as watching

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
