"""`watch --follow` on the other append-only layouts: MMCV 1.x logs and a `<timestamp>/` launch folder.

The file is appended in chunks and the watcher polled after each, in this thread: what
it announces depends only on the data, never on timing. What it judged must be what
`analyze` of the finished file judges: the same steps, the same stretches.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor.engine import analyze
from lossdoctor.engine.rulefiles.packs import load_rules
from lossdoctor.live.watcher import Watcher, WatchOptions
from lossdoctor.readers import read_paths
from lossdoctor.reporters.watch_lines import PlainSink

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
REAL = ROOT.parent / "shared" / "real_logs"
MMCV_TEXT = REAL / "mmcv_text" / "mmcls_mobilenetv2_cifar10.log"
MMCV_JSON = REAL / "mmcv_logjson" / "mmcls_mobilenetv2_cifar10.log.json"
needs_shared = pytest.mark.skipif(not REAL.is_dir(), reason=f"shared real logs not found at {REAL}")


def stretches(findings: list) -> list[tuple[str, str | None, int, int]]:  # type: ignore[type-arg]
    return sorted((f.rule, f.tag, f.first_step, f.last_step) for f in findings)


def follow_in_chunks(log: Path, lines: list[str], per_chunk: int) -> Watcher:
    """Append `lines` to the empty `log` `per_chunk` at a time, polling after each chunk."""
    log.write_text("")
    watcher = Watcher(log, load_rules([]), WatchOptions(follow=True), PlainSink(io.StringIO()))
    for i in range(0, len(lines), per_chunk):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write("".join(lines[i : i + per_chunk]))
        watcher.poll()
    watcher.confirm()
    watcher.release()
    assert watcher.steps is not None
    watcher.book.finish(int(watcher.steps[-1]))
    return watcher


def assert_watch_is_analyze(watcher: Watcher, log: Path) -> None:
    analyzed = analyze(read_paths([log]), load_rules([]))
    assert watcher.steps is not None and watcher.report is not None
    assert watcher.steps.tolist() == analyzed.run.frame.index.tolist()
    assert watcher.report.run.format == analyzed.run.format
    fired = [a for a in watcher.book.fired()]
    assert stretches(fired) == stretches(analyzed.findings)


def mmcv_text_lines(epochs: int = 3, per_epoch: int = 200, nan_at: tuple[int, int] = (0, 0)) -> list[str]:
    """An MMCV 1.x epoch-based text log: env lines, then `Epoch [e][i/n]` lines every 10 iterations."""
    lines = ["2023-02-06 20:30:13,001 - mmcls - INFO - Environment info:\n", "sys.platform: linux\n"]
    for epoch in range(1, epochs + 1):
        for it in range(10, per_epoch + 1, 10):
            step = (epoch - 1) * per_epoch + it
            loss = "nan" if (epoch, it) == nan_at else f"{2.0 / (1 + 0.01 * step):.4f}"
            lines.append(f"2023-02-06 20:30:27,084 - mmcls - INFO - Epoch [{epoch}][{it}/{per_epoch}]\t"
                         f"lr: 5.000e-03, eta: 1 day, 0:53:52, time: 0.089, data_time: 0.003, "
                         f"memory: 2456, loss: {loss}\n")
        lines.append(f"2023-02-06 20:31:27,084 - mmcls - INFO - Epoch(val) [{epoch}][313]\t"
                     "accuracy_top-1: 92.9800, accuracy_top-5: 99.7400\n")
    return lines


def test_an_mmcv_text_log_is_followed_with_global_steps(tmp_path: Path) -> None:
    log = tmp_path / "20230206_203013.log"
    watcher = follow_in_chunks(log, mmcv_text_lines(nan_at=(2, 50)), per_chunk=17)
    assert watcher.steps is not None and watcher.steps[-1] == 600  # epoch 3, iter 200 of 200
    assert [(a.rule, a.first_step) for a in watcher.book.fired() if a.rule == "non-finite-loss"] == [
        ("non-finite-loss", 250)  # epoch 2, iter 50: (2-1)*200 + 50
    ]
    assert_watch_is_analyze(watcher, log)


@needs_shared
def test_a_real_mmcv_text_log_followed_equals_analyze(tmp_path: Path) -> None:
    log = tmp_path / MMCV_TEXT.name
    watcher = follow_in_chunks(log, MMCV_TEXT.read_text().splitlines(keepends=True), per_chunk=97)
    assert_watch_is_analyze(watcher, log)


@needs_shared
@pytest.mark.parametrize("with_text_log", [True, False], ids=["text-log-beside", "alone"])
def test_a_real_mmcv_log_json_followed_equals_analyze(tmp_path: Path, with_text_log: bool) -> None:
    """Epoch-based: `iter` restarts every epoch; n from the text log beside, else estimated, as analyze."""
    if with_text_log:
        shutil.copy(MMCV_TEXT, tmp_path / MMCV_TEXT.name)
    log = tmp_path / MMCV_JSON.name
    watcher = follow_in_chunks(log, MMCV_JSON.read_text().splitlines(keepends=True), per_chunk=61)
    assert watcher.steps is not None and watcher.steps[-1] > 1563 * 9  # ten epochs of 1563 iterations
    assert_watch_is_analyze(watcher, log)


def test_a_launch_folder_is_followed_not_waited_in(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """`watch <work_dir>/<timestamp>/ -f` follows that launch, as `analyze <timestamp>/` reads it."""
    launch = next(p for p in (SAMPLES / "flow_stalled").iterdir() if p.is_dir())
    copy = tmp_path / launch.name
    shutil.copytree(launch, copy)
    result = cli("watch", copy, "-f", "--format", "jsonl", "--interval", "0.01", "--idle-exit", "0.5")
    assert "waiting" not in result.out
    analyzed = cli("analyze", copy, "--format", "json")
    assert result.code == analyzed.code == 1

    summary = json.loads(result.out.splitlines()[-1])
    got = sorted((a["rule"], a["tag"], a["first_step"], a["last_step"]) for a in summary["alerts"])
    want = sorted((f["rule"], f["tag"], f["first_step"], f["last_step"])
                  for f in json.loads(analyzed.out)["findings"])
    assert got == want and got


# ----------------------------------------------------------------------------------------------------------
# a window that is a share of the run: judged with the planned length, else held until the end
# ----------------------------------------------------------------------------------------------------------

REAL_LOGS = [
    MMCV_TEXT,
    MMCV_JSON,
    REAL / "mmengine_text" / "mmpose_epochbased_val_interleaved.log",
    REAL / "mmengine_scalars" / "dfine_single_run_with_val_20241205_152037.json",
]


def fired_during(log: Path, lines: list[str], per_chunk: int) -> tuple[Watcher, list[tuple[str, int]]]:
    """Replay `lines` in chunks; the (rule, first step) of every `firing` said while the run ran."""
    log.write_text("")
    watcher = Watcher(log, load_rules([]), WatchOptions(follow=True), PlainSink(io.StringIO()))
    fired = []
    for i in range(0, len(lines), per_chunk):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write("".join(lines[i : i + per_chunk]))
        fired += [(e.rule, e.first_step) for e in watcher.poll() if e.event == "firing" and e.rule]
    return watcher, fired  # type: ignore[return-value]


@needs_shared
@pytest.mark.parametrize("real", REAL_LOGS, ids=lambda p: p.name)
def test_a_real_log_replayed_fires_nothing_analyze_does_not_report(tmp_path: Path, real: Path) -> None:
    """On the real MMCV log, a live watch used to fire loss-plateau at 4146 and 8375 and withdraw both."""
    log = tmp_path / real.name
    _, fired = fired_during(log, real.read_text().splitlines(keepends=True), per_chunk=50)
    found = analyze(read_paths([log]), load_rules([])).findings
    for rule, first in fired:
        assert any(f.rule == rule and f.first_step <= first <= f.last_step for f in found), (rule, first)


BYOL_V13 = ROOT / "tests" / "data" / "real" / "lightning_byol_deepmind_research" / "lightning_logs"
BYOL_V13 = BYOL_V13 / "version_13"


def test_a_spike_fires_live_on_a_real_log_whose_planned_length_is_unknown(tmp_path: Path) -> None:
    """A real Lightning run (no config, so no planned length) with two loss spikes `analyze` reports.

    The spike's history is capped at half the run, so a live watch used to hold every spike pending
    until the end, and flipped between the two episodes on every poll. A spike that stands however
    long the run grows fires when it happens; the plateau (20 % of the run) still waits.
    """
    log = tmp_path / "metrics.csv"
    out = io.StringIO()
    lines = (BYOL_V13 / "metrics.csv").read_text().splitlines(keepends=True)
    watcher = Watcher(log, load_rules([]), WatchOptions(follow=True), PlainSink(out))
    log.write_text("")
    events = []
    for i in range(0, len(lines), 50):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write("".join(lines[i : i + 50]))
        events += [(e.event, e.rule, e.first_step) for e in watcher.poll() if e.rule]
    fired = [(rule, first) for event, rule, first in events if event == "firing"]
    assert fired == [("loss-spike", 2189), ("loss-spike", 3719)]
    assert [e for e in events if e[1] == "loss-spike" and e[0] == "pending"] == []
    assert ("pending", "loss-plateau", 1479) in events  # a window of 20 % of a run of unknown length
    found = analyze(read_paths([log]), load_rules([])).findings
    assert {(f.rule, f.first_step) for f in found} >= set(fired)


def plateau_lines(last: int, flat: tuple[int, int]) -> list[str]:
    """A loss falling 1 % per 50 steps, except flat over `flat` (scalars.json lines every 50 steps)."""
    lines, loss = [], 3.0
    for step in range(50, last + 1, 50):
        if not flat[0] <= step < flat[1]:
            loss *= 0.99
        lines.append(json.dumps({"loss": loss, "lr": 1e-4, "iter": step, "step": step}) + "\n")
    return lines


PLANNED = "train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000)\n"


def launch_with_config(tmp_path: Path, config: str) -> Path:
    scalars = tmp_path / "20260101_000000" / "vis_data" / "scalars.json"
    scalars.parent.mkdir(parents=True)
    (scalars.parent / "config.py").write_text(config)
    return scalars


def test_a_plateau_of_an_early_window_is_held_when_the_planned_length_is_unknown(tmp_path: Path) -> None:
    """Flat for 1500 steps early: a 1000-step window live, 4000 (20 % of 20000) for the finished run."""
    log = launch_with_config(tmp_path, "model = dict(type='Toy')\n")
    lines = plateau_lines(20000, (1000, 2500))
    watcher, fired = fired_during(log, lines, per_chunk=20)
    assert fired == []  # held: judged early, it fired at the flat stretch
    assert watcher.report is not None and all(p.rule != "loss-plateau" for p in watcher.report.pending)
    assert watcher.release() == [] and analyze(read_paths([log]), load_rules([])).findings == []


def test_the_planned_length_from_the_config_sets_the_live_window(tmp_path: Path) -> None:
    log = launch_with_config(tmp_path, PLANNED)
    watcher, fired = fired_during(log, plateau_lines(20000, (1000, 2500)), per_chunk=20)
    assert fired == []  # the 4000-step window of the planned run: 1500 flat steps are no plateau
    assert watcher.report is not None
    assert watcher.report.params["planned_steps"].source.endswith("train_cfg.max_iters")
    long_flat = launch_with_config(tmp_path / "b", PLANNED)
    watcher, fired = fired_during(long_flat, plateau_lines(20000, (1000, 7000)), per_chunk=20)
    assert [rule for rule, _ in fired] == ["loss-plateau"]  # fired while the run ran, not at its end
    found = analyze(read_paths([long_flat]), load_rules([])).findings
    assert [(f.rule, f.first_step) for f in found] == [("loss-plateau", fired[0][1])]


def test_without_a_planned_length_the_watch_says_why_it_holds(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    log = launch_with_config(tmp_path, "model = dict(type='Toy')\n")
    log.write_text("".join(plateau_lines(20000, (1000, 7000))))
    result = cli("watch", log.parent.parent, "-f", "--format", "jsonl", "--interval", "0.01",
                 "--idle-exit", "0.3")

    objs = [json.loads(line) for line in result.out.splitlines()]
    held = [o for o in objs if o["event"] == "pending" and o.get("rule") == "loss-plateau"]
    assert held and "planned length is unknown" in held[0]["message"]
    found = analyze(read_paths([log]), load_rules([])).findings
    said = [(o["rule"], o["first_step"]) for o in objs if o["event"] == "firing"]
    assert said == [("loss-plateau", found[0].first_step)]  # fired when the watch ended, as analyze finds it
    summary = [(a["rule"], a["first_step"], a["last_step"]) for a in objs[-1]["alerts"]]
    assert summary == [(f.rule, f.first_step, f.last_step) for f in found]
    assert result.code == 0  # a warn: below the default --fail-on red


def test_a_restarted_launch_is_a_new_run_in_a_followed_work_dir(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """Launch 1 ends in NaN, launch 2 starts again from step 10: analyze judges launch 2 alone, and so
    does the watch once launch 2 is there (what launch 1 fired is withdrawn, not summed up as the run's)."""
    work_dir = tmp_path / "work_dir"
    for stamp, nan_at, last in (("20260101_000000", 300, 500), ("20260102_000000", None, 200)):
        scalars = work_dir / stamp / "vis_data" / "scalars.json"
        scalars.parent.mkdir(parents=True)
        steps = range(10, last + 1, 10)  # stitched, launch 1's steps 210-500 (and its NaN) would remain
        losses = {step: float("nan") if step == nan_at else 2.0 / (1 + step / 100) for step in steps}
        rows = [{"loss": loss, "iter": step, "step": step} for step, loss in losses.items()]
        scalars.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = cli("watch", work_dir, "-f", "--format", "jsonl", "--interval", "0.01", "--idle-exit", "0.5")
    objs = [json.loads(line) for line in result.out.splitlines()]
    analyzed = json.loads(cli("analyze", work_dir, "--format", "json").out)
    assert [f["rule"] for f in analyzed["findings"]] == []  # launch 1's NaN is named, not judged
    assert objs[-1]["alerts"] == []  # the watch's summary: the same run, nothing fired in it
    assert result.code == 0


def test_restarted_launches_read_whole_at_the_start_are_split_as_analyze_splits_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history a `watch -f` judges whole at its start is split into runs like every other read:
    launch 1 ends in NaN, launch 2 starts again from step 10, and only launch 2 is the run."""
    from lossdoctor.live import watcher as watching

    monkeypatch.setattr(watching, "HISTORY_BYTES", 1)  # these small launches take the whole-history path
    work_dir = tmp_path / "work_dir"
    for stamp, nan_at, last in (("20260101_000000", 300, 500), ("20260102_000000", None, 200)):
        scalars = work_dir / stamp / "vis_data" / "scalars.json"
        scalars.parent.mkdir(parents=True)
        losses = {step: float("nan") if step == nan_at else 2.0 / (1 + step / 100)
                  for step in range(10, last + 1, 10)}
        rows = [{"loss": loss, "iter": step, "step": step} for step, loss in losses.items()]
        scalars.write_text("".join(json.dumps(r) + "\n" for r in rows))
    watcher = Watcher(work_dir, load_rules([]), WatchOptions(follow=True), PlainSink(io.StringIO()))
    said = watcher.poll()
    assert "following" in [e.event for e in said]
    assert [e.rule for e in said if e.event == "firing"] == []  # launch 1's NaN is not launch 2's
    assert analyze(read_paths([work_dir]), load_rules([])).findings == []
