"""The doctor on real runs from public projects (../shared/real_logs): what it must say about them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lossdoctor.engine import analyze, load_default
from lossdoctor.model import Report
from lossdoctor.readers import read_paths

REAL = Path(__file__).resolve().parents[2] / "shared" / "real_logs"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"no shared real logs beside this clone: {REAL}")
FLOWGEN = REAL / "mmengine_flowgen" / "flowgen_healthy"


def judged(*paths: Path) -> Report:
    return analyze(read_paths(list(paths)), load_default())


@pytest.mark.parametrize("source", ["work dir", "text log"])
def test_the_real_healthy_flowgen_run_is_healthy(source: str) -> None:
    paths = [FLOWGEN] if source == "work dir" else sorted(FLOWGEN.glob("*/*.log"))
    report = judged(*paths)
    assert not [f for f in report.findings if f.severity in ("red", "warn")]
    assert not report.diagnoses
    verdicts = {v.branch: v.verdict for v in report.verdicts}
    assert verdicts == {"flow": "learning", "dino": "learning", "kl": "learning"}
    assert report.params["ga"].value == 2 and report.params["warmup_steps"].value == 600


def test_a_real_diverged_gan_is_caught_from_its_first_nan() -> None:
    """Its losses are `train_gen_loss` and `train_disc_loss`: no `loss` prefix, still losses."""
    report = judged(REAL / "lightning_csv" / "genrisk_gan_all_nan_metrics.csv")
    [finding] = [f for f in report.findings if f.rule == "non-finite-loss"]
    assert finding.severity == "red" and finding.first_step == 0
    assert math.isnan(float(finding.evidence["train_gen_loss"]))
    assert "lr-too-high-or-unstable" in {d.rule for d in report.diagnoses}
