"""The readers on real MMEngine files in /work/shared/real_logs, read in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossdoctor.readers import read_paths
from lossdoctor.readers.trainconfig import lookup

SHARED = Path(__file__).resolve().parents[2] / "shared" / "real_logs"
FLOWGEN = SHARED / "mmengine_flowgen" / "flowgen_healthy"
LAUNCH = FLOWGEN / "20261125_023218"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared real logs not found at {SHARED}")


def check_flowgen_config(config: dict[str, object]) -> None:
    assert lookup(config, "optim_wrapper.accumulative_counts") == 2
    assert lookup(config, "model.dino_warmup_iters") == 600
    assert lookup(config, "log_processor.window_size") == 1


def test_flowgen_work_dir_scalars_and_text_agree() -> None:
    folder = read_paths([FLOWGEN])
    scalars = read_paths([LAUNCH / "vis_data" / "scalars.json"])
    text = read_paths([LAUNCH / "20261125_023218.log"])
    assert folder.format == scalars.format == "mmengine-scalars"
    assert folder.files == [str(LAUNCH / "vis_data" / "scalars.json")]
    assert text.format == "mmengine-text"
    assert folder.frame.index.tolist() == list(range(20, 801, 20))
    assert text.frame.index.tolist() == scalars.frame.index.tolist()
    for column in ("loss", "loss_flow", "loss_dino", "loss_kl", "kl_raw", "z_init/mean", "z_init/var",
                   "dbg/grad_flow", "dbg/update_ratio/flow", "dbg/mu_head_has_grad"):
        np.testing.assert_allclose(text.frame[column], scalars.frame[column], atol=0.5e-4 + 1e-9)
    np.testing.assert_allclose(text.frame["lr"], scalars.frame["lr"], rtol=1e-4)
    assert set(text.frame.columns) >= set(scalars.frame.columns) - {"epoch"}


def test_flowgen_names_shadows_and_precision() -> None:
    run = read_paths([FLOWGEN])
    text = read_paths([LAUNCH / "20261125_023218.log"])
    for tag in ("flow", "dino_t_head", "mu_head", "logvar_head"):
        assert f"dbg/grad_{tag}" in run.frame.columns
        assert f"dbg/update_ratio/{tag}" in run.frame.columns
        assert run.shadows[f"dbg/grad_{tag}"] == f"loss_dbg_grad_{tag}"
    assert not [c for c in run.frame.columns if c.startswith("loss_dbg")]
    assert run.shadow_only == set() and run.shadow_nonfinite == {}
    assert run.precision == {}
    assert text.precision["dbg/update_ratio/flow"] == pytest.approx(1e-4)
    assert "lr" not in text.precision
    assert run.warnings == [] and text.warnings == []


def test_flowgen_config_from_both_sources() -> None:
    run = read_paths([FLOWGEN])
    assert run.config_source == str(LAUNCH / "vis_data" / "config.py")
    check_flowgen_config(run.config)
    text = read_paths([LAUNCH / "20261125_023218.log"])
    assert text.config_source is not None
    assert text.config_source.startswith(f"{LAUNCH / '20261125_023218.log'}:")
    assert text.config_source.endswith("(config printed at the top of the text log)")
    check_flowgen_config(text.config)


def test_launch_folder_itself() -> None:
    run = read_paths([LAUNCH])
    assert run.frame.shape[0] == 40


def test_dfine_multirun_concatenated_runs() -> None:
    path = SHARED / "mmengine_scalars" / "dfine_multirun_longkeys_scalars.json"
    run = read_paths([path])
    assert run.format == "mmengine-scalars"
    assert len(run.segments) == 1  # each launch restarts at step 1: the latest is the run
    assert run.frame.index.is_monotonic_increasing and run.frame.index.is_unique
    assert any(c.startswith("loss_ddf") for c in run.frame.columns)
    assert {w.line for w in run.warnings} == {1, 3}  # the two earlier launches, named
    assert all(w.file == str(path) for w in run.warnings)


def test_dfine_val_lines_set_aside() -> None:
    run = read_paths([SHARED / "mmengine_scalars" / "dfine_single_run_with_val_20241205_152037.json"])
    assert len(run.frame) == 31
    assert not [c for c in run.frame.columns if c.startswith("coco/")]
    assert 0 not in run.frame.index
    assert [w.message for w in run.warnings] == ["3 validation lines set aside (not training steps)"]


def test_mmpose_epoch_based_text_log() -> None:
    path = SHARED / "mmengine_text" / "mmpose_epochbased_val_interleaved.log"
    run = read_paths([path])
    assert run.format == "mmengine-text"
    assert run.frame.index[0] == 1 and run.frame.index[6] == 7  # [2][1/6] is global step 7
    assert run.frame.index.is_unique and len(run.frame) == 789
    assert run.frame.loc[7, "loss"] == pytest.approx(0.361010)
    assert list(run.frame.columns) == ["lr", "time", "data_time", "loss", "loss_kpt", "acc_pose"]
    assert run.precision["loss"] == pytest.approx(1e-6)
    assert any("validation lines set aside" in w.message for w in run.warnings)
    assert run.config_source is not None and run.config
