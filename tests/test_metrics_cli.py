"""`lossdoctor metrics`: what was read and which rules can run, as a table and as JSON; exit 0 or 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossdoctor.cli import run

ROOT = Path(__file__).resolve().parents[1]


def metrics_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert run(["metrics", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    doc = metrics_json(capsys, str(ROOT / "sample_logs" / "healthy"))
    assert doc["schema"] == "lossdoctor.metrics/v1" and doc["format"] == "mmengine-scalars"
    assert doc["steps"] == {"first": 50, "last": 3000} and doc["interval"] == 50
    metrics = {m["name"]: m for m in doc["metrics"]}  # type: ignore[union-attr]
    assert metrics["dbg/grad_flow"]["spellings"] == ["dbg/grad_flow"]
    assert metrics["loss"]["points"] == 60
    rules = {r["rule"]: r for r in doc["rules"]}  # type: ignore[union-attr]
    assert rules["flow-stalled"]["status"] == "can run"
    assert rules["update-ratio-zero"]["tags"] == ["dino_t_head", "flow", "logvar_head", "mu_head"]


def test_rules_that_cannot_run_say_what_they_need(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "run-exp-tag-loss_dbg_grad_flow.csv"
    path.write_bytes(b"Wall time,Step,Value\r\n" + b"".join(b"1.7e9,%d,0.0\r\n" % s for s in range(1, 30)))
    loss = tmp_path / "run-exp-tag-total_loss.csv"
    loss.write_bytes(b"Wall time,Step,Value\r\n" + b"".join(b"1.7e9,%d,1.5\r\n" % s for s in range(1, 30)))
    doc = metrics_json(capsys, str(tmp_path))
    assert doc["format"] == "tb-csv" and len(doc["files"]) == 2  # type: ignore[arg-type]
    assert {m["name"]: m["spellings"] for m in doc["metrics"]} == {"total_loss": ["total_loss"]}  # type: ignore[union-attr]
    assert doc["shadow_only"] == [{"metric": "dbg/grad_flow", "shadow": "loss_dbg_grad_flow"}]
    rules = {r["rule"]: r for r in doc["rules"]}  # type: ignore[union-attr]
    assert rules["grad-flow-dead"]["status"] == "needs"
    needs = rules["grad-flow-dead"]["needs"]
    assert any("only its zero-weight shadow loss_dbg_grad_flow" in n for n in needs)
    assert rules["loss-plateau"]["needs"] == ["loss"]  # `total_loss` is no alias: the report asks
    assert rules["val-loss-diverging"]["needs"][0].startswith("val_loss or validation/loss")
    assert rules["kl-rising"]["needs"] == ["kl_raw or loss_kl"]
    warmup = "parameter warmup_steps (--warmup-steps N)"
    assert rules["dino-not-improving"]["needs"] == ["dino_global", warmup]


def test_terminal_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["metrics", str(ROOT / "sample_logs" / "missing_debug_keys")]) == 0
    out = capsys.readouterr().out
    assert "mmengine-scalars" in out and "can run" in out and "needs" in out


def test_bad_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["metrics", str(tmp_path / "nope.json")]) == 2
    assert "nope.json" in capsys.readouterr().err
    path = tmp_path / "run-exp.csv"
    path.write_bytes(b"Wall time,Step,Value\r\n1.7e9,1,0.5\r\n")
    assert run(["metrics", str(path)]) == 2
    assert "--tag" in capsys.readouterr().err
    assert run(["metrics", str(path), "--tag", "loss", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"][0]["name"] == "loss"
    assert run(["metrics", str(path), "--format", "xml"]) == 2
    assert run(["metrics", str(path), "--input-format", "nope"]) == 2


def test_analyze_takes_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "run-exp.csv"
    path.write_bytes(b"Wall time,Step,Value\r\n" + b"".join(b"1.7e9,%d,1.0\r\n" % s for s in range(1, 30)))
    assert run(["analyze", str(path), "--format", "json", "--fail-on", "never"]) == 2
    assert run(["analyze", str(path), "--tag", "loss", "--format", "json", "--fail-on", "never"]) == 0
    assert json.loads(capsys.readouterr().out)["run"]["format"] == "tb-csv"
