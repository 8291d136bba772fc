"""Parameters come from the run's own config: never a neighbour's log, never any `beta`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lossdoctor.engine.evaluation.params import resolve
from lossdoctor.model import RunData
from lossdoctor.readers import read_paths

REAL = Path(__file__).parent / "data" / "real"
DFINE = REAL / "dfine_multirun" / "scalars.json"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "real_logs"
MMPOSE = SHARED / "mmengine_text" / "mmpose_epochbased_val_interleaved.log"  # window_size=50, beta=10.0
CONFIG_LOG = """2026/11/25 02:32:18 - mmengine - INFO - Config:
optim_wrapper = dict(accumulative_counts=8, type='OptimWrapper')
log_processor = dict(window_size=50)
model = dict(bbox_head=dict(loss_cls=dict(type='QualityFocalLoss', beta=2.0)))

2026/11/25 02:32:20 - mmengine - INFO - Iter(train) [ 20/800]  lr: 1.0000e-04  loss: 2.9200
"""


def scalars_line(step: int) -> str:
    return json.dumps({"lr": 1e-4, "data_time": 0.01, "loss": 1.0, "iter": step, "step": step})


def params_of(run: RunData) -> dict[str, object]:
    return {name: param.value for name, param in resolve(run, {}).items()}


@pytest.mark.skipif(not MMPOSE.is_file(), reason=f"shared real logs not found at {SHARED}")
def test_an_unrelated_log_in_the_folder_lends_no_parameters(tmp_path: Path) -> None:
    shutil.copy(DFINE, tmp_path / "scalars.json")
    shutil.copy(MMPOSE, tmp_path / "20230605_200941.log")  # another run's text log, side by side
    run = read_paths([tmp_path / "scalars.json"])
    assert run.config_source is None and run.config == {}
    assert "smoothing" not in params_of(run) and "kl_weight" not in params_of(run)


def test_only_the_launch_own_text_log_counts(tmp_path: Path) -> None:
    launch = tmp_path / "work" / "20240101_000000"
    (launch / "vis_data").mkdir(parents=True)
    (launch / "vis_data" / "scalars.json").write_text(scalars_line(20) + "\n", encoding="utf-8")
    (launch / "other_run.log").write_text(CONFIG_LOG, encoding="utf-8")
    assert read_paths([launch / "vis_data" / "scalars.json"]).config_source is None
    (launch / "20240101_000000.log").write_text(CONFIG_LOG, encoding="utf-8")
    run = read_paths([launch / "vis_data" / "scalars.json"])
    assert str(run.config_source).startswith(str(launch / "20240101_000000.log:2"))
    assert params_of(run)["ga"] == 8 and params_of(run)["smoothing"] == 50


def test_a_focal_loss_beta_is_not_a_kl_weight(tmp_path: Path) -> None:
    path = tmp_path / "20240101_000000.log"
    path.write_text(CONFIG_LOG, encoding="utf-8")
    run = read_paths([path])
    assert run.config["model"]["bbox_head"]["loss_cls"]["beta"] == 2.0
    assert "kl_weight" not in params_of(run)


@pytest.mark.skipif(not MMPOSE.is_file(), reason=f"shared real logs not found at {SHARED}")
def test_a_kl_discret_loss_temperature_is_not_a_kl_weight() -> None:
    run = read_paths([MMPOSE])
    assert run.config["model"]["head"]["loss"]["beta"] == 10.0
    assert "kl_weight" not in params_of(run)
    assert params_of(run)["smoothing"] == 50  # its own config still counts


@pytest.mark.parametrize(("model", "weight"), [
    ("dict(kl_weight=0.01)", 0.01),
    ("dict(head=dict(loss_kl=dict(type='KLDivLoss', loss_weight=0.5)))", 0.5),
    ("dict(vae=dict(lambda_kl=0.0))", 0.0),
])
def test_keys_naming_the_kl_term_give_the_kl_weight(tmp_path: Path, model: str, weight: float) -> None:
    path = tmp_path / "20240101_000000.log"
    path.write_text(CONFIG_LOG.replace("model = dict(bbox_head=dict(loss_cls=dict(type='QualityFocalLoss', "
                                       "beta=2.0)))", f"model = {model}"), encoding="utf-8")
    run = read_paths([path])
    assert params_of(run)["kl_weight"] == weight


def test_the_model_own_beta_is_a_beta_vae_weight(tmp_path: Path) -> None:
    path = tmp_path / "20240101_000000.log"
    path.write_text(CONFIG_LOG.replace("model = dict(bbox_head=dict(loss_cls=dict(type='QualityFocalLoss', "
                                       "beta=2.0)))", "model = dict(beta=0.0, head=dict(beta=5.0))"),
                    encoding="utf-8")
    assert params_of(read_paths([path]))["kl_weight"] == 0.0


def test_every_run_parameter_a_rule_may_name_is_taken_from_the_flag_and_the_config(tmp_path: Path) -> None:
    """The rule language's run parameters, `--param NAME=V` and the config's `params:` are one list."""
    from lossdoctor.cli.settings import parse_params
    from lossdoctor.engine.lang.functions import RUN_PARAMS
    from lossdoctor.engine.rulefiles.packs import load_default
    from lossdoctor.gate.config import load_config

    names = sorted(RUN_PARAMS)
    run, _ = parse_params([f"{name}=3" for name in names], load_default())
    (tmp_path / "lossdoctor.yaml").write_text("params: {" + ", ".join(f"{n}: 3" for n in names) + "}\n")
    config = load_config(None, tmp_path)
    assert sorted(run) == names and sorted(config.params) == names
    assert {type(v) for v in run.values()} | {type(v) for v in config.params.values()} <= {int, float}


@pytest.mark.parametrize(("value", "accepted"), [("0", True), ("-1", False)])
def test_a_run_parameter_is_held_to_one_range_however_it_is_given(tmp_path: Path, value: str,
                                                                   accepted: bool) -> None:
    """`--warmup-steps 0` used to be refused while `--param warmup_steps=0` and the config took it."""
    from lossdoctor.cli import run

    (tmp_path / "lossdoctor.yaml").write_text(f"params: {{warmup_steps: {value}}}\n")
    healthy = str(Path(__file__).resolve().parents[1] / "sample_logs" / "healthy")
    common = [healthy, "--format", "json", "--output", str(tmp_path / "out.json"), "--fail-on", "never"]
    codes = [
        run(["analyze", *common, "--warmup-steps", value]),
        run(["analyze", *common, "--param", f"warmup_steps={value}"]),
        run(["analyze", *common, "--config", str(tmp_path / "lossdoctor.yaml")]),
    ]
    assert codes == ([0, 0, 0] if accepted else [2, 2, 2])
