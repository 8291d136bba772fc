"""`lossdoctor instrument`: the snippet for each setting, and the `missing-debug-keys` remedy pointing to it.

Running the snippets for real is in test_taps.py and test_taps_mmengine.py, which need torch.
"""

from __future__ import annotations

import ast

import pytest

from lossdoctor.cli import run
from lossdoctor.engine import load_default


def printed(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert run(["instrument", *args]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("framework", ["mmengine", "pytorch"])
@pytest.mark.parametrize("ga", ["1", "4"])
@pytest.mark.parametrize("ddp", [[], ["--ddp"]])
def test_every_setting_prints_valid_python_with_the_guide_tags(
    framework: str, ga: str, ddp: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = printed(capsys, "--framework", framework, "--ga", ga, *ddp)
    ast.parse(code)
    pairs = (("flow", "fm_transformers"), ("dino_t_head", "dino_t_head"), ("logvar_head", "logvar_head"))
    for tag, module in pairs:
        assert tag in code and module in code
    if framework == "mmengine":
        assert "type='GradTapsHook'" in code and "window_size=1" in code
        assert ("accumulative_counts=4" in code) == (ga == "4")
    else:
        assert ".watch(optimizer)" in code and "taps.metrics()" in code
        assert ("(i + 1) % GA == 0" in code) == (ga == "4")
        assert ("model.no_sync()" in code) == (ga == "4" and bool(ddp))
        assert f"lossdoctor analyze train_log.jsonl --ga {ga}" in code


def test_custom_tags_and_a_bad_tag(capsys: pytest.CaptureFixture[str]) -> None:
    code = printed(capsys, "-f", "pytorch", "--tag", "flow=backbone.flow", "--tag", "decoder")
    assert '"flow": model.backbone.flow' in code and '"decoder": model.decoder' in code
    assert run(["instrument", "--tag", "dbg/flow=x"]) == 2
    assert "bad tag" in capsys.readouterr().err


def test_the_missing_debug_keys_remedy_points_to_instrument() -> None:
    diagnosis = next(d for d in load_default().diagnoses if d.id == "missing-debug-keys")
    for lang in ("en", "zh"):
        assert "lossdoctor instrument" in diagnosis.text[lang].remedy
