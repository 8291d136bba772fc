"""Each bundled sample fires what it was made for and nothing it does not declare.

The same run read from scalars.json and from the text log must agree, except for rules the
text log's 4 decimals cannot decide, which it must report as not evaluated.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from lossdoctor.engine import analyze, load_default
from lossdoctor.model import Report
from lossdoctor.readers import read_paths

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
SCENARIOS = sorted(p.name for p in SAMPLES.iterdir() if (p / "expect.yaml").exists())
HEALTHY = ("healthy", "noisy_healthy", "resumed_healthy")


def expect(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SAMPLES / name / "expect.yaml").read_text(encoding="utf-8"))
    return loaded


@cache
def report(name: str, source: str) -> Report:
    folder = SAMPLES / name
    paths = [folder] if source == "scalars" else sorted(folder.glob("*/*.log"))
    return analyze(read_paths(paths), load_default())


def fired(rep: Report) -> set[str]:
    return {f.rule for f in rep.findings if f.severity != "info"}


@pytest.mark.parametrize("name", SCENARIOS)
def test_sample_fires_what_it_declares(name: str) -> None:
    spec = expect(name)
    must, may = set(spec.get("must") or []), set(spec.get("may") or [])
    rep = report(name, "scalars")
    assert rep.run.format == "mmengine-scalars"
    assert must <= fired(rep), f"missing: {must - fired(rep)}"
    assert fired(rep) <= must | may, f"undeclared: {fired(rep) - must - may}"
    info = {f.rule for f in rep.findings if f.severity == "info"}
    assert info <= must | may | set(spec.get("info") or []), f"undeclared info: {info}"
    assert set(spec.get("info") or []) <= info
    diagnoses = {d.rule for d in rep.diagnoses}
    assert set(spec.get("diagnoses") or []) <= diagnoses


@pytest.mark.parametrize("name", SCENARIOS)
def test_text_log_agrees_with_scalars_json(name: str) -> None:
    spec = expect(name)
    undecidable = set(spec.get("text_log_not_evaluated") or [])
    scalars, text = report(name, "scalars"), report(name, "text")
    assert text.run.format == "mmengine-text"
    assert (fired(scalars) ^ fired(text)) <= undecidable
    not_evaluated = {n.rule: n.reason for n in text.not_evaluated}
    for rule in undecidable:
        assert rule in not_evaluated and "4 decimals" in not_evaluated[rule]


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_samples_fire_nothing(name: str) -> None:
    rep = report(name, "scalars")
    assert not [f for f in rep.findings if f.severity in ("red", "warn")]
    assert not rep.diagnoses
    assert {v.branch: v.verdict for v in rep.verdicts} == {
        "flow": "learning",
        "dino": "learning",
        "kl": "learning",
    }


def test_resumed_sample_is_stitched() -> None:
    rep = report("resumed_healthy", "scalars")
    assert len(rep.run.segments) == 2
    assert any("stitched" in note or "launches" in note for note in rep.notes)


def test_a_tiny_lr_is_not_blamed_on_the_dino_branch() -> None:
    """With every branch stalled by a tiny LR, dino-not-improving may fire, but the lead is the LR."""
    rep = report("flow_stalled", "scalars")
    assert "dino-not-improving" in fired(rep)
    assert [d.rule for d in rep.diagnoses] == ["lr-too-low-or-over-regularised"]
