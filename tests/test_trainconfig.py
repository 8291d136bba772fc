"""Training configs are read as data with `ast`: literals only, never executed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lossdoctor.errors import InputError
from lossdoctor.readers.trainconfig import lookup, parse_config_text, read_config


def test_literals_nested_dicts_and_negatives() -> None:
    text = """
optim_wrapper = dict(accumulative_counts=2, optimizer=dict(lr=3e-05, type='AdamW'))
model = dict(dino_warmup_iters=600, beta=-3.0, flags=[True, False, None], shape=(1, -2))
plain = {'a': 1, 'b': {'c': 'd'}}
log_processor = dict(by_epoch=False, type='LogProcessor', window_size=1)
count: int = 7
"""
    config = parse_config_text(text, "cfg.py")
    assert lookup(config, "optim_wrapper.accumulative_counts") == 2
    assert lookup(config, "optim_wrapper.optimizer.lr") == 3e-05
    assert config["model"] == {"dino_warmup_iters": 600, "beta": -3.0, "flags": [True, False, None],
                               "shape": (1, -2)}
    assert config["plain"] == {"a": 1, "b": {"c": "d"}}
    assert lookup(config, "log_processor.window_size") == 1
    assert config["count"] == 7
    assert lookup(config, "model.missing") is None


def test_names_bound_earlier_resolve() -> None:
    config = parse_config_text("warmup = 600\nmodel = dict(dino_warmup_iters=warmup)\n", "cfg.py")
    assert lookup(config, "model.dino_warmup_iters") == 600


def test_anything_else_becomes_none() -> None:
    text = "a = 1 + 2\nb = foo()\nc = dict(x=bar(), y=1)\nd = [i for i in range(3)]\nimport os\n"
    config = parse_config_text(text, "cfg.py")
    assert config == {"a": None, "b": None, "c": {"x": None, "y": 1}, "d": None}


def test_hostile_config_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        f"x = __import__('os').system('touch {marker}')\n"
        f"y = dict(z=open('{marker}', 'w'))\n"
        f"exec(\"open('{marker}', 'w')\")\n"
        f"model = dict(dino_warmup_iters=600)\n"
    )
    path = tmp_path / "config.py"
    path.write_text(text)
    config = read_config(path)
    assert not marker.exists()
    assert config["x"] is None
    assert config["y"] == {"z": None}
    assert lookup(config, "model.dino_warmup_iters") == 600


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(InputError) as err:
        parse_config_text("a = 1\nb = (\n", "cfg.py", first_line=10)
    assert err.value.file == "cfg.py"
    assert err.value.line is not None and err.value.line >= 11


def test_unreadable_config(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_config(tmp_path / "missing.py")
