"""Hostile and broken inputs (issue 15): bounded cost, no lost file, no missed red flag.

Every test reproduces a gap a review found with a real command: an exponential config,
a gzip bomb, a log written onto itself, a log truncated under the reader, a line that
recurses, a NaN spelled the way orjson or a C logger spells it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import Result

from lossdoctor.errors import InputError
from lossdoctor.readers import trainconfig

ROOT = Path(__file__).resolve().parent.parent
HEALTHY = ROOT / "sample_logs" / "healthy"

Cli = Callable[..., Result]


def _exponential_config(levels: int = 9, fan: int = 10) -> str:
    """`a1 = [a0, a0, ...]`, each level `fan` times the last: 10^9 values in a few hundred bytes."""
    lines = ["a0 = 1"]
    for level in range(1, levels + 1):
        lines.append(f"a{level} = [" + ", ".join([f"a{level - 1}"] * fan) + "]")
    return "\n".join(lines) + "\n"


def test_an_exponential_config_is_given_up_not_expanded() -> None:
    with pytest.raises(InputError, match="config too large"):
        trainconfig.parse_config_text(_exponential_config(), "config.py")


def test_a_shared_name_is_read_once_and_shared() -> None:
    config = trainconfig.parse_config_text(_exponential_config(levels=3), "config.py")
    assert len(config["a3"]) == 10 and config["a3"][0][0] == [1] * 10


def test_an_exponential_config_beside_the_log_is_a_warning_and_the_run_is_analysed(
    cli: Cli, tmp_path: Path
) -> None:
    import shutil

    work = tmp_path / "run"
    shutil.copytree(HEALTHY, work)
    for scalars in work.rglob("scalars.json"):
        (scalars.parent / "config.py").write_text(_exponential_config())
    result = cli("analyze", work, "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert "config too large" in json.dumps(report)


def test_an_exponential_config_printed_in_a_text_log_is_a_warning(cli: Cli, tmp_path: Path) -> None:
    source = HEALTHY / "20261128_101500" / "20261128_101500.log"
    text = source.read_text().replace(" - INFO - Config:\n", " - INFO - Config:\n" + _exponential_config(), 1)
    log = tmp_path / "20261128_101500.log"
    log.write_text(text)
    result = cli("analyze", log, "--format", "json")
    assert result.code == 0, result.err
    assert "config too large" in result.out


# --- never lose or corrupt a file ------------------------------------------------------------------


def _scalars_copy(tmp_path: Path) -> Path:
    import shutil

    work = tmp_path / "run"
    shutil.copytree(HEALTHY, work)
    return next(work.rglob("scalars.json"))


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
@pytest.mark.parametrize("option", ["--output", "--write-baseline"])
def test_a_report_is_never_written_onto_the_log_it_read(
    cli: Cli, tmp_path: Path, how: str, option: str
) -> None:
    import os

    log = _scalars_copy(tmp_path)
    before = log.read_bytes()
    target = log
    if how == "symlink":
        target = tmp_path / "link.json"
        target.symlink_to(log)
    elif how == "hardlink":
        target = tmp_path / "hard.json"
        os.link(log, target)
    args = ["--format", "json", "--output", target] if option == "--output" else ["--write-baseline", target]
    result = cli("analyze", log, *args)
    assert result.code == 2, result.err
    assert "input file" in result.err and "Traceback" not in result.err
    assert log.read_bytes() == before


def test_every_output_is_checked_before_any_is_written(cli: Cli, tmp_path: Path) -> None:
    log = _scalars_copy(tmp_path)
    json_out = tmp_path / "report.json"
    junit = tmp_path / "no" / "r.xml"
    result = cli("analyze", log, "--output", f"json={json_out}", "--output", f"junit={junit}")
    assert result.code == 2 and "no such directory" in result.err
    assert not json_out.exists()


def test_a_report_that_cannot_be_written_whole_leaves_the_old_one(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    log = _scalars_copy(tmp_path)
    html = tmp_path / "report.html"
    html.write_text("the old report")

    class FullDisk(io.StringIO):
        def write(self, text: str) -> int:
            super().write(text[:10])
            raise OSError(28, "No space left on device")

    import os

    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: (real_fdopen(fd, *a, **k).close(), FullDisk())[1])
    result = cli("analyze", log, "--format", "html", "--output", html)
    assert result.code == 2 and "No space left" in result.err
    assert html.read_text() == "the old report"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# --- a red flag is never missed because of how a value was spelled ---------------------------------

STEPS = range(10, 1010, 10)


def _loss(step: int) -> str:
    return f"{2.0 - step / 1000:.4f}"


def _jsonl(bad: str, *, mmengine: bool = False) -> str:
    lines = []
    for step in STEPS:
        loss = bad if step == 800 else _loss(step)
        extra = f', "iter": {step}, "lr": 0.001' if mmengine else ""
        lines.append(f'{{"step": {step}, "loss": {loss}{extra}}}')
    return "\n".join(lines) + "\n"


def _mmcv(bad: str) -> str:
    lines = ['{"env_info": "x", "seed": 1}']
    for step in STEPS:
        loss = bad if step == 800 else _loss(step)
        lines.append(f'{{"mode": "train", "epoch": 1, "iter": {step}, "lr": 0.001, "loss": {loss}}}')
    return "\n".join(lines) + "\n"


def _json_doc(bad: str) -> str:
    items = [f'{{"step": {s}, "loss": {bad if s == 800 else _loss(s)}}}' for s in STEPS]
    return "[" + ",\n".join(items) + "]\n"


def _hf(bad: str) -> str:
    items = [f'{{"step": {s}, "loss": {bad if s == 800 else _loss(s)}, "epoch": 1}}' for s in STEPS]
    return '{"best_metric": null, "log_history": [' + ",\n".join(items) + "]}\n"


def _tb_json(bad: str) -> str:
    return "[" + ", ".join(f"[1700000000.0, {s}, {bad if s == 800 else _loss(s)}]" for s in STEPS) + "]\n"


FORMATS: dict[str, tuple[str, Callable[[str], str]]] = {
    "jsonl": ("log.jsonl", _jsonl),
    "mmengine-scalars": ("scalars.json", lambda bad: _jsonl(bad, mmengine=True)),
    "mmcv-json": ("20260101_000000.log.json", _mmcv),
    "json": ("log.json", _json_doc),
    "hf-trainer-state": ("trainer_state.json", _hf),
    "tb-json": ("run_loss.json", _tb_json),
}


@pytest.mark.parametrize("spelling", ["nan", "inf", "-inf", "null", "NaN"])
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_spelling_of_a_non_finite_loss_fires_and_fails_the_gate(
    cli: Cli, tmp_path: Path, fmt: str, spelling: str
) -> None:
    name, make = FORMATS[fmt]
    log = tmp_path / name
    log.write_text(make(spelling))
    result = cli("analyze", log, "--format", "json", "--tag", "loss")
    assert result.code == 1, result.err + result.out[:2000]
    report = json.loads(result.out)
    assert report["run"]["format"] == fmt
    assert "non-finite-loss" in {f["rule"] for f in report["findings"]}
    if spelling != "NaN":  # the report says how it was written
        assert f"spelled {spelling} (1x)" in json.dumps(report)


def test_a_key_absent_from_some_records_is_a_gap_not_a_nan(cli: Cli, tmp_path: Path) -> None:
    lines = [f'{{"step": {s}, "loss": {_loss(s)}' + (', "gn": 1' if s % 20 else "") + "}" for s in STEPS]
    lines.append('{"step": 1020, "loss": 1.0, "eval_acc": null}')  # a key only ever null: no metric
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n")
    result = cli("analyze", log, "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert not [f for f in report["findings"] if f["rule"].startswith("non-finite")]
    assert "spelled" not in result.out


def test_a_thousand_unclosed_brackets_is_a_bad_line_not_a_crash(cli: Cli, tmp_path: Path) -> None:
    text = _jsonl("1.0").splitlines()
    text.insert(50, "[" * 1000)
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(text) + "\n")
    result = cli("analyze", log, "--format", "json")
    assert result.code == 0, result.err
    assert "nested too deeply" in result.out


def test_watch_skips_a_line_of_unclosed_brackets_and_reads_a_null_loss_as_nan() -> None:
    from lossdoctor.live.lines import JsonLinesParser

    parser = JsonLinesParser("jsonl")
    assert parser.feed('{"step": 1, "loss": 1.5}', 1) is not None
    assert parser.feed("[" * 1000, 2) is None and parser.bad_lines == 1
    row = parser.feed('{"step": 2, "loss": null, "note": null}', 3)
    assert row is not None and "loss" in row.nan and "note" not in row.values
    row = parser.feed('{"step": 3, "loss": -inf}', 4)
    assert row is not None and row.values["loss"] == float("-inf")


_TRUNCATE_DURING_PARSE = """
import sys
import pyarrow.json as pj
from pathlib import Path
log = Path(sys.argv[1])
real = pj.read_json
def read_json(*args, **kwargs):  # the writer truncates the log while pyarrow parses it
    with log.open("r+b") as handle:
        handle.truncate(100)
    return real(*args, **kwargs)
pj.read_json = read_json
from lossdoctor.cli import run
sys.exit(run(["analyze", str(log), "--format", "json"]))
"""


def test_a_log_truncated_while_it_is_read_is_reported_not_a_crash(tmp_path: Path) -> None:
    import subprocess
    import sys

    log = tmp_path / "log.jsonl"
    rows = [f'{{"step": {s}, "loss": {2.0 - s / 1e6:.6f}, "lr": 0.001}}' for s in range(1, 100_001)]
    log.write_text("\n".join(rows) + "\n")
    done = subprocess.run([sys.executable, "-c", _TRUNCATE_DURING_PARSE, str(log)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1, 2), (done.returncode, done.stderr[-2000:])  # SIGBUS was -7
    assert "changed while read" in done.stdout + done.stderr and "Traceback" not in done.stderr


# --- billion laughs in lossdoctor.yaml -------------------------------------------------------------


def _laughs(levels: int = 9) -> tuple[str, str]:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n", f"*a{levels}"


@pytest.mark.parametrize("key", ["select", "fail_on", "aliases"])
def test_billion_laughs_in_the_project_config_is_refused_quickly_and_briefly(
    cli: Cli, tmp_path: Path, key: str
) -> None:
    anchors, top = _laughs()
    config = tmp_path / "lossdoctor.yaml"
    # the anchors live under a key of their own so the file parses; the value under `key` is the bomb
    config.write_text(f"thresholds:\n  x:\n    {anchors.replace(chr(10), chr(10) + '    ')}\n{key}: {top}\n")
    result = cli("analyze", _scalars_copy(tmp_path), "--config", config)
    assert result.code == 2, result.err
    assert len(result.err) < 1000
    assert "lossdoctor.yaml" in result.err


def test_a_config_error_shows_only_an_excerpt_of_a_long_value(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "lossdoctor.yaml"
    config.write_text("select: " + "x" * 100_000 + "\n")
    result = cli("analyze", _scalars_copy(tmp_path), "--config", config)
    assert result.code == 2 and len(result.err) < 1000, result.err[:300]


# --- gzip bombs --------------------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_at_its_bound(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    from lossdoctor.readers import gzipped

    monkeypatch.setattr(gzipped, "MIN_LIMIT", 64 * 1024)  # the real floor is 256 MiB: too big for a unit test
    bomb = tmp_path / "log.jsonl.gz"
    body = _jsonl("1.0").encode() + b"\n" * (8 * 1024 * 1024)  # a log, then 8 MB of blank lines
    bomb.write_bytes(gzip.compress(body))
    assert gzipped.limit_for(bomb.stat().st_size) < len(body)
    result = cli("analyze", bomb)
    assert result.code == 2, result.err
    assert "gzip bomb" in result.err and str(bomb) in result.err


def test_a_gzip_log_within_the_bound_is_read(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    from lossdoctor.readers import gzipped

    monkeypatch.setattr(gzipped, "MIN_LIMIT", 64 * 1024)
    log = tmp_path / "log.jsonl.gz"
    log.write_bytes(gzip.compress(_jsonl("nan").encode()))
    result = cli("analyze", log, "--format", "json")
    assert result.code == 1, result.err


# --- many columns --------------------------------------------------------------------------------


def test_more_metrics_than_the_bound_is_a_clear_error(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lossdoctor.readers import frame

    monkeypatch.setattr(frame, "MAX_METRICS", 50)
    log = tmp_path / "log.jsonl"
    extra = ", ".join(f'"m{i}": {i}' for i in range(60))
    log.write_text("".join(f'{{"step": {s}, "loss": 1.0, {extra}}}\n' for s in STEPS))
    result = cli("analyze", log)
    assert result.code == 2, result.err
    assert "61 metrics, more than 50" in result.err


def test_shadows_among_many_metrics_are_still_found() -> None:
    from lossdoctor.readers.names import flat_metrics, shadow_target

    metrics = [f"dbg/m{i}" for i in range(3000)] + ["loss"]
    flat = flat_metrics(metrics)
    assert shadow_target("loss_dbg_m2999", (), None, flat) == "dbg/m2999"
    assert shadow_target("loss_other", (), None, flat) is None


# --- a first record longer than the detection window ----------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_a_first_record_longer_than_the_detection_window_is_recognised(
    cli: Cli, tmp_path: Path, suffix: str
) -> None:
    import gzip

    extra = ", ".join(f'"metric_{i}": {i}.5' for i in range(4500))  # ~80 KB per line
    text = "".join(f'{{"step": {s}, "loss": {_loss(s)}, {extra}}}\n' for s in STEPS[:10])
    log = tmp_path / f"wide.jsonl{suffix}"
    log.write_bytes(gzip.compress(text.encode()) if suffix else text.encode())
    result = cli("analyze", log, "--format", "json")
    assert result.code in (0, 1), result.err
    assert json.loads(result.out)["run"]["format"] == "jsonl"


def test_a_first_line_past_every_bound_says_to_pass_the_format(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lossdoctor.readers import registry

    monkeypatch.setattr(registry, "FIRST_RECORD_BYTES", 100_000)
    log = tmp_path / "wide.jsonl"
    log.write_text('{"step": 1, "x": "' + "y" * 200_000 + '"}\n')
    result = cli("analyze", log)
    assert result.code == 2 and "pass --input-format" in result.err, result.err


# --- an unreadable file ----------------------------------------------------------------------------
# Tests run as root, where chmod 000 does not deny a read: `open` is patched in-process to raise the
# PermissionError a non-root user gets (`io.open`, which Path.open calls, and `builtins.open`).


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    import builtins
    import io
    import os

    real_open = io.open

    def guarded(file: object, *args: object, **kwargs: object) -> object:
        if isinstance(file, str | os.PathLike) and Path(os.fspath(file)).resolve() == denied.resolve():
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(io, "open", guarded)
    monkeypatch.setattr(builtins, "open", guarded)


def test_an_unreadable_log_is_bad_input_naming_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _scalars_copy(tmp_path)
    _deny(monkeypatch, log)
    result = cli("analyze", log)
    assert result.code == 2, result.err
    assert "Permission denied" in result.err and str(log) in result.err


def test_an_unreadable_launch_is_named_and_the_other_launches_are_read(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    work = tmp_path / "resumed"
    shutil.copytree(ROOT / "sample_logs" / "resumed_healthy", work)
    first = sorted(work.glob("*/vis_data/scalars.json"))[0]
    _deny(monkeypatch, first)
    result = cli("analyze", work, "--format", "json")
    assert result.code in (0, 1), result.err
    report = json.loads(result.out)
    assert "Permission denied" in json.dumps(report)
    assert len(report["run"]["files"]) == 1


def test_an_unreadable_file_in_a_sweep_is_its_row_and_the_other_runs_are_judged(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    runs = tmp_path / "runs"
    for name in ("healthy", "non_finite_loss", "flow_stalled"):
        shutil.copytree(ROOT / "sample_logs" / name, runs / name)
    denied = next((runs / "flow_stalled").rglob("scalars.json"))
    _deny(monkeypatch, denied)
    result = cli("analyze", runs, "--format", "json", "--jobs", "1")
    assert result.code == 1, result.err
    document = json.loads(result.out)
    rows = {Path(row["path"]).name: row for row in document["runs"]}
    assert rows["flow_stalled"]["status"] == "error" and "Permission denied" in rows["flow_stalled"]["error"]
    assert rows["healthy"]["status"] == "ok" and rows["non_finite_loss"]["status"] == "red"


# --- what one record may cost ----------------------------------------------------------------------


def test_a_line_longer_than_the_record_bound_is_skipped_unparsed(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lossdoctor.readers import jsonl

    monkeypatch.setattr(jsonl, "MAX_RECORD_BYTES", 10_000)  # really 16 MiB
    monkeypatch.setattr(jsonl, "BLOCK_SIZE", 8192)  # really 4 MiB: a longer line leaves pyarrow's path
    lines = _jsonl("1.0").splitlines()
    lines.insert(30, '{"step": 305, "blob": [' + ", ".join(["1.0"] * 5000) + "]}")
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n")
    result = cli("analyze", log, "--format", "json")
    assert result.code == 0, result.err
    assert "longer than 10000 (not read)" in result.out


def test_a_json_document_past_its_bound_is_a_clear_error(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lossdoctor.readers import base

    monkeypatch.setattr(base, "MAX_DOCUMENT_BYTES", 1000)
    log = tmp_path / "trainer_state.json"
    log.write_text(_hf("1.0"))
    result = cli("analyze", log)
    assert result.code == 2 and "more than 1000" in result.err, result.err


def test_watch_drops_a_line_that_never_ends_instead_of_buffering_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lossdoctor.live import follow

    monkeypatch.setattr(follow, "MAX_LINE", 1000)
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"step": 1, "loss": 1.0}\n' + b"x" * 5000)
    tail = follow.Tail(log)
    assert tail.poll().lines == ['{"step": 1, "loss": 1.0}']
    assert tail.partial == b""  # not 5000 bytes kept
    with log.open("ab") as handle:
        handle.write(b"y" * 5000 + b'\n{"step": 2, "loss": 0.9}\n')
    chunk = tail.poll()
    assert chunk.lines == [follow.TOO_LONG.decode(), '{"step": 2, "loss": 0.9}']
    assert chunk.first_line == 2


def test_compare_never_writes_onto_a_run_it_read(cli: Cli, tmp_path: Path) -> None:
    log = _scalars_copy(tmp_path)
    before = log.read_bytes()
    result = cli("compare", log, log, "--format", "json", "--output", log)
    assert result.code == 2 and "input file" in result.err, result.err
    assert log.read_bytes() == before


def test_a_csv_field_past_the_csv_modules_limit_is_a_bad_row_not_a_crash(cli: Cli, tmp_path: Path) -> None:
    rows = ["step,loss"] + [f"{s},{_loss(s)}" for s in STEPS]
    rows.insert(40, "395," + "9" * 200_000 + ',"' + "x" * 200_000)  # found by the fuzz test: exit 3
    log = tmp_path / "metrics.csv"
    log.write_text("\n".join(rows) + "\n")
    result = cli("analyze", log, "--format", "json")
    assert result.code in (0, 1), result.err
    assert "not CSV" in result.out or "not a CSV row" in result.out
