"""The taps in a real MMEngine 0.10.7 Runner training on the CPU, read back by `lossdoctor analyze`.

A healthy run (the config fragment `lossdoctor instrument --ga 2` prints, GA 2) must give the guide's
keys, has_grad/trainable = 2 and no red flag; planted faults must give their finding: an optimizer
group at learning rate 0 → `update-ratio-zero`, the taps flushed every micro-step → `grad-coverage-mismatch`.
Needs torch and mmengine (the `taps-test` extra; `.ci/run` installs it).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="needs torch: pip install -e '.[taps-test]'")
pytest.importorskip("mmengine", reason="needs mmengine: pip install -e '.[taps-test]'")

from helpers import toy_flowgen  # noqa: E402  (registers ToyFlowGen, ToyMixture)
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import lossdoctor.taps.mmengine_hook  # noqa: E402  (registers GradTapsHook)
from lossdoctor.cli import run  # noqa: E402
from lossdoctor.taps.snippets import snippet  # noqa: E402

del toy_flowgen, lossdoctor.taps.mmengine_hook
RUNS = itertools.count()
TAGS = ("flow", "dino_t_head", "mu_head", "logvar_head")
GA = 2


def instrument_config(ga: int) -> dict[str, Any]:
    """Exactly what `lossdoctor instrument --ga N` prints, executed as the config file would be."""
    namespace: dict[str, Any] = {}
    exec(compile(snippet("mmengine", ga=ga), "<instrument>", "exec"), namespace)
    return {k: v for k, v in namespace.items() if not k.startswith("__")}


def train(work_dir: Path, taps: str = "hook", iters: int = 400, lr0: str | None = None,
          interval: int = 10, resume: bool = False, ckpt: int = 10**6) -> Path:
    torch.set_num_threads(1)
    cfg: dict[str, Any] = dict(
        model=dict(type="ToyFlowGen", dino_warmup_iters=300, taps=taps),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=dict(type="ToyMixture"), sampler=dict(type="InfiniteSampler", shuffle=True),
            batch_size=128, num_workers=0, collate_fn=dict(type="default_collate"),
        ),
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=iters),
        optim_wrapper=dict(
            type="OptimWrapper",
            optimizer=dict(type="AdamW", lr=3e-4, weight_decay=1e-4),
            accumulative_counts=GA,
        ),
        default_hooks=dict(
            logger=dict(type="LoggerHook", interval=interval),
            checkpoint=dict(type="CheckpointHook", interval=ckpt, by_epoch=False),
        ),
        randomness=dict(seed=7),
        log_level="INFO",
        resume=resume,
        # MMEngine keys its MessageHub/MMLogger singletons by experiment name, by default the
        # second the run started: two runs of this process in one second would share a hub.
        experiment_name=f"{work_dir.name}_{next(RUNS)}",
    )
    snippet_cfg = instrument_config(GA)
    cfg["log_processor"] = snippet_cfg["log_processor"]
    cfg["custom_imports"] = snippet_cfg["custom_imports"]
    if taps == "hook":
        cfg["custom_hooks"] = snippet_cfg["custom_hooks"]
    if lr0:
        cfg["optim_wrapper"]["paramwise_cfg"] = dict(custom_keys={lr0: dict(lr_mult=0.0)})
    runner = Runner.from_cfg(Config(cfg))
    runner.train()
    logging.getLogger("mmengine").handlers.clear()
    return work_dir


def analyze(work_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert run(["analyze", str(work_dir), "--format", "json", "--fail-on", "never"]) == 0
    return json.loads(capsys.readouterr().out)


def scalars(work_dir: Path) -> list[dict[str, float]]:
    files = sorted(work_dir.glob("*/vis_data/scalars.json"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def red(report: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(f["rule"], f.get("tag")) for f in report["findings"] if f["severity"] == "red"]


@pytest.mark.parametrize("taps", ["hook", "train_step"])
def test_healthy_run_has_the_keys_ga_coverage_and_no_red_flag(
    taps: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work_dir = train(tmp_path / taps, taps=taps)
    rows = scalars(work_dir)
    assert len(rows) == 40
    for row in rows:
        for tag in TAGS:
            assert row[f"dbg/{tag}_has_grad"] / row[f"dbg/{tag}_trainable"] == GA
            assert row[f"dbg/grad_{tag}"] > 0 and row[f"dbg/update_ratio/{tag}"] > 1e-6
    text_log = next(work_dir.glob("*/*.log")).read_text()
    assert "dbg/flow_has_grad: 12.0000  dbg/flow_trainable: 6.0000" in text_log  # 6 tensors x GA 2
    report = analyze(work_dir, capsys)
    assert report["run"]["params"]["ga"]["value"] == GA  # read from vis_data/config.py
    assert set(report["coverage"].values()) == {"present"}
    assert red(report) == []
    assert [v["verdict"] for v in report["verdicts"]] == ["learning"] * 3


def test_a_group_at_lr_zero_gives_update_ratio_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = analyze(train(tmp_path / "lr0", lr0="logvar_head"), capsys)
    assert ("update-ratio-zero", "logvar_head") in red(report)
    assert not [r for r in red(report) if r[0] == "grad-coverage-mismatch"]


def test_a_flush_every_micro_step_gives_grad_coverage_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work_dir = train(tmp_path / "micro", taps="every_microstep")
    assert {row["dbg/flow_has_grad"] / row["dbg/flow_trainable"] for row in scalars(work_dir)} == {1.0}
    report = analyze(work_dir, capsys)
    assert {tag for rule, tag in red(report) if rule == "grad-coverage-mismatch"} == set(TAGS)
    assert any(d["rule"] == "accumulation-mismatch" for d in report["diagnoses"])


def test_resume_mid_accumulation_logs_no_stale_or_partial_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MMEngine 0.10.7's resume predates torch 2.6's `weights_only=True` default for torch.load
    # (its checkpoint holds a HistoryBuffer): torch's own switch restores the old default.
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    work_dir = tmp_path / "resume"
    train(work_dir, iters=25, interval=1, ckpt=25)  # checkpoint at iteration 25: mid-cycle under GA 2
    time.sleep(1.05 - time.time() % 1)  # MMEngine names a launch's folder by the second it started
    train(work_dir, iters=40, interval=1, resume=True)
    launches = sorted(work_dir.glob("*/vis_data/scalars.json"))
    assert len(launches) == 2
    resumed = [json.loads(line) for line in launches[1].read_text().splitlines()]
    by_step = {row["step"]: row for row in resumed}
    assert min(by_step) == 26
    # 26 closes a step that saw 1 backward pass (resumed mid-cycle): dropped; 27 is a micro-step.
    assert "dbg/flow_has_grad" not in by_step[26] and "dbg/flow_has_grad" not in by_step[27]
    for step in range(28, 41):
        assert by_step[step]["dbg/flow_has_grad"] / by_step[step]["dbg/flow_trainable"] == GA
