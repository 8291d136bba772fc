"""`watch --follow` on the other append-only layouts: MMCV 1.x logs and a `<timestamp>/` launch folder.

The file is appended in chunks and the watcher polled after each, in this thread: what
it announces depends only on the data, never on timing. What it judged must be what
`analyze` of the finished file judges: the same steps, the same stretches.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor.engine import analyze
from lossdoctor.engine.packs import load_rules
from lossdoctor.readers import read_paths
from lossdoctor.reporters.watchlines import PlainSink
from lossdoctor.watcher import Watcher, WatchOptions

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
    import json

    summary = json.loads(result.out.splitlines()[-1])
    got = sorted((a["rule"], a["tag"], a["first_step"], a["last_step"]) for a in summary["alerts"])
    want = sorted((f["rule"], f["tag"], f["first_step"], f["last_step"])
                  for f in json.loads(analyzed.out)["findings"])
    assert got == want and got
