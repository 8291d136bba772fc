"""`lossdoctor compare`: a seed twin is within noise everywhere; a planted fault parts where planted."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from helpers.schemas import validated

from lossdoctor.cli import run

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
PLANTED_FROM = 1500


def make_samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples_for_compare", SAMPLES / "make_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def seed_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sample_logs/healthy written again with another seed: same training, other noise."""
    samples = make_samples()
    healthy = next(s for s in samples.SCENARIOS if s.name == "healthy")
    twin = dataclasses.replace(healthy, seed=101, name="healthy_seed101")
    out = tmp_path_factory.mktemp("twin")
    for launch in twin.all_launches():
        samples.write_launch(twin, launch, out)
    return out / "healthy_seed101"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """healthy with loss_flow (and so loss) drifting up from step 1500: +50 % by step 3000."""
    out = tmp_path_factory.mktemp("planted") / "flow_drifts"
    shutil.copytree(SAMPLES / "healthy", out)
    for scalars in out.rglob("scalars.json"):
        lines = []
        for line in scalars.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            step = record.get("step", 0)
            if step >= PLANTED_FROM and "loss_flow" in record:
                extra = record["loss_flow"] * 0.5 * (step - PLANTED_FROM) / 1500
                record["loss_flow"] += extra
                record["loss"] += extra
            lines.append(json.dumps(record))
        scalars.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for text_log in out.rglob("*.log"):
        text_log.unlink()  # the scalars are the run now
    return out


def compare_json(*args: str | Path) -> tuple[int, dict]:
    out = Path(args[-1])
    code = run(["compare", *map(str, args[:-1]), "--format", "json", "--output", str(out)])
    return code, validated(out.read_text(encoding="utf-8"), "compare")


def test_runs_differing_only_in_seed_are_within_noise_everywhere(seed_twin: Path, tmp_path: Path) -> None:
    code, document = compare_json(SAMPLES / "healthy", seed_twin, tmp_path / "c.json")
    assert code == 0
    other = document["others"][0]
    assert len(other["metrics"]) > 20
    assert {m["metric"]: m["outcome"] for m in other["metrics"] if m["outcome"] != "within noise"} == {}
    flow = next(b for b in other["branches"] if b["branch"] == "flow")
    assert flow["text"].startswith(
        "flow: with healthy_seed101, loss_flow is within noise of healthy from step"
    )


def test_planted_fault_names_the_metric_and_the_step_they_part(planted: Path, tmp_path: Path) -> None:
    _, document = compare_json(SAMPLES / "healthy", planted, tmp_path / "c.json")
    metrics = {m["metric"]: m for m in document["others"][0]["metrics"]}
    parted = {name for name, m in metrics.items() if m["outcome"] != "within noise"}
    assert parted == {"loss_flow", "loss"}
    flow = metrics["loss_flow"]
    assert flow["outcome"] == "worse"
    assert PLANTED_FROM - 100 <= flow["parted_from"] <= PLANTED_FROM + 400
    assert flow["other"] > flow["base"] + flow["band"]
    line = next(b for b in document["others"][0]["branches"] if b["branch"] == "flow")["text"]
    assert f"loss_flow parts from healthy at step {flow['parted_from']}: worse" in line


def test_compare_formats_and_chinese(
    planted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("terminal", "markdown", "html"):
        capsys.readouterr()
        assert run(["compare", str(SAMPLES / "healthy"), str(planted), "--format", fmt, "--lang", "zh"]) == 0
        out = capsys.readouterr().out
        assert "偏离" in out and "healthy" in out


def test_compare_exit_code_covers_every_run(tmp_path: Path) -> None:
    assert (
        run(
            [
                "compare",
                str(SAMPLES / "healthy"),
                str(SAMPLES / "flow_stalled"),
                "-f",
                "json",
                "-o",
                str(tmp_path / "c.json"),
            ]
        )
        == 1
    )
    assert (
        run(
            [
                "compare",
                str(SAMPLES / "healthy"),
                str(SAMPLES / "flow_stalled"),
                "--fail-on",
                "never",
                "-f",
                "json",
                "-o",
                str(tmp_path / "c.json"),
            ]
        )
        == 0
    )
    assert run(["compare", str(SAMPLES / "healthy"), str(tmp_path / "missing")]) == 2
