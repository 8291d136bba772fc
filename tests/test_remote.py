"""Logs beyond the local disk: s3:// inputs read from a real S3-compatible server (moto's server mode).

The server is started by the test on 127.0.0.1 and a free port; the CLI finds it as a user's MinIO
would be found, through the standard `AWS_ENDPOINT_URL` and dummy `AWS_*` credentials in the
environment. The remote extra and moto are in the dev extra, which CI installs: nothing here skips.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from helpers.cli import Result
from moto.core import enable_iam_authentication
from moto.server import ThreadedMotoServer

from lossdoctor.readers import remote

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
BUCKET = "training-logs"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto S3 server holding sample runs: `runs/<name>/…` as on disk, plus a checkpoint beside one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_PROXY", "127.0.0.1")  # a proxy set for this machine must not catch loopback
        yield from _server()


def _server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()  # returns once the server is listening
    try:
        yield from _filled(server)
    finally:
        server.stop()


def _filled(server: ThreadedMotoServer) -> Iterator[str]:
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id="testing",
                      aws_secret_access_key="testing", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    for name in ("flow_stalled", "healthy"):
        for file in sorted((SAMPLES / name).rglob("*")):
            if file.is_file():
                s3.upload_file(str(file), BUCKET, f"runs/{name}/{file.relative_to(SAMPLES / name)}")
    s3.put_object(Bucket=BUCKET, Key="runs/flow_stalled/epoch_1.pth", Body=b"\x80\x02" + b"\x00" * 20_000)
    for file in sorted((SAMPLES / "healthy").rglob("*")):
        if file.is_file():
            s3.upload_file(str(file), BUCKET, f"hostile/healthy/{file.relative_to(SAMPLES / 'healthy')}")
    s3.put_object(Bucket=BUCKET, Key="hostile/healthy/../../escape.json", Body=b'{"loss": 1}')
    s3.put_object(Bucket=BUCKET, Key="hostile/healthy/\x1b[2Jclear.json", Body=b'{"loss": 1}')
    yield url


@pytest.fixture()
def s3env(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)  # this machine's own AWS setup plays no part
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    return f"s3://{BUCKET}"


def local_report(cli: Callable[..., Result], path: Path) -> dict:
    result = cli("analyze", path, "--format", "json", "--fail-on", "never")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_a_work_dir_on_s3_reads_as_the_same_folder_on_disk(
    cli: Callable[..., Result], s3env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small limits, so the log is larger than a "small" object (staged as a head, then copied whole
    # because discovery picks it) and the checkpoint beside it is never copied whole
    monkeypatch.setattr(remote, "SMALL_BYTES", 4096)
    monkeypatch.setattr(remote, "HEAD_BYTES", 1024)
    # the folder holds ~330 kB (scalars.json 159 kB, the text log 149 kB, the checkpoint 20 kB); only
    # what is read is copied whole (~164 kB with the heads), so this budget is enough
    monkeypatch.setenv("LOSSDOCTOR_REMOTE_MAX_BYTES", "200000")
    result = cli("analyze", f"{s3env}/runs/flow_stalled/", "--format", "json")
    assert result.code == 1, result.err  # flow_stalled fires red, as on disk
    document = json.loads(result.out)
    expected = local_report(cli, SAMPLES / "flow_stalled")
    assert document["findings"] == expected["findings"]
    assert document["verdicts"] == expected["verdicts"]
    assert document["run"]["points"] == expected["run"]["points"]
    files = document["run"]["files"]
    assert files and all(f.startswith(f"{s3env}/runs/flow_stalled/") for f in files)
    assert "lossdoctor-remote-" not in result.out  # the staging folder is never named


def test_a_saved_report_and_a_work_dir_on_s3_share_one_table(
    cli: Callable[..., Result], s3env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "SMALL_BYTES", 4096)  # the s3 folder's logs are staged as heads first
    saved = tmp_path / "healthy.json"
    assert cli("analyze", SAMPLES / "healthy", "--format", "json", "--output", saved).code == 0
    result = cli("analyze", saved, f"{s3env}/runs/flow_stalled", "--format", "json")
    assert result.code == 1, result.err
    rows = {run["path"]: run["status"] for run in json.loads(result.out)["runs"]}
    assert rows == {str(saved): "ok", f"{s3env}/runs/flow_stalled": "red"}


def test_a_bucket_folder_of_saved_reports_renders_as_a_sweep(
    cli: Callable[..., Result], s3env: str, endpoint: str, tmp_path: Path
) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                      aws_secret_access_key="testing", region_name="us-east-1")
    for name in ("flow_stalled", "healthy"):  # as an array job's tasks leave them
        saved = tmp_path / f"{name}.json"
        cli("analyze", SAMPLES / name, "--format", "json", "--output", saved)
        s3.upload_file(str(saved), BUCKET, f"reports/{name}.json")
    result = cli("analyze", f"{s3env}/reports/", "--format", "json")
    assert result.code == 1, result.err
    rows = {run["path"]: run["status"] for run in json.loads(result.out)["runs"]}
    assert rows == {f"{s3env}/reports/flow_stalled.json": "red", f"{s3env}/reports/healthy.json": "ok"}


def test_metrics_of_one_s3_file_names_the_url(cli: Callable[..., Result], s3env: str) -> None:
    local = next((SAMPLES / "healthy").rglob("scalars.json"))
    url = f"{s3env}/runs/healthy/{local.relative_to(SAMPLES / 'healthy').as_posix()}"
    result = cli("metrics", url, "--format", "json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["files"] == [url]
    assert summary["points"] == json.loads(cli("metrics", local, "--format", "json").out)["points"]


def test_a_folder_of_work_dirs_on_s3_is_a_sweep_named_by_urls(cli: Callable[..., Result], s3env: str) -> None:
    result = cli("analyze", f"{s3env}/runs", "--format", "json", "--jobs", "1")
    assert result.code == 1, result.err
    paths = sorted(run["path"] for run in json.loads(result.out)["runs"])
    assert paths == [f"{s3env}/runs/flow_stalled", f"{s3env}/runs/healthy"]
    table = cli("analyze", f"{s3env}/runs", "--jobs", "1", "--width", "200").out
    assert f"{s3env}/runs/\n" in table and "s3:/training" not in table  # the common folder, as a URL


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    """sample_logs/ behind a plain HTTP server with index pages (the standard library's)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(SAMPLES)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()  # the socket already listens: requests wait in its backlog until served
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def test_an_http_folder_is_read_through_its_index_page(cli: Callable[..., Result], web: str) -> None:
    result = cli("analyze", f"{web}/flow_stalled/", "--format", "json")
    assert result.code == 1, result.err
    document = json.loads(result.out)
    assert document["run"]["files"] == [f"{web}/flow_stalled/20261128_134300/vis_data/scalars.json"]
    assert document["findings"] == local_report(cli, SAMPLES / "flow_stalled")["findings"]
    missing = cli("metrics", f"{web}/flow_stalled/nope.json")
    assert missing.code == 2 and f"{web}/flow_stalled/nope.json" in missing.err


def test_a_missing_object_is_exit_2_naming_the_url(cli: Callable[..., Result], s3env: str) -> None:
    result = cli("analyze", f"{s3env}/runs/nope/scalars.json")
    assert result.code == 2
    assert f"{s3env}/runs/nope/scalars.json" in result.err and "no such file" in result.err


def test_no_credentials_is_exit_2_saying_so(
    cli: Callable[..., Result], s3env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = cli("analyze", f"{s3env}/runs/healthy")
    assert result.code == 2
    assert f"{s3env}/runs/healthy" in result.err and "credentials" in result.err


def test_credentials_without_permission_are_exit_2_saying_so(
    cli: Callable[..., Result], s3env: str, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam = boto3.client("iam", endpoint_url=endpoint, aws_access_key_id="testing",
                       aws_secret_access_key="testing", region_name="us-east-1")
    iam.create_user(UserName="no-policy")
    key = iam.create_access_key(UserName="no-policy")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    with enable_iam_authentication():  # the server now checks IAM policies, as S3 does
        result = cli("analyze", f"{s3env}/runs/healthy")
    assert result.code == 2
    assert f"{s3env}/runs/healthy" in result.err and "permission denied" in result.err


def test_the_copy_budget_refuses_a_larger_input(
    cli: Callable[..., Result], s3env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOSSDOCTOR_REMOTE_MAX_BYTES", "1000")
    result = cli("analyze", f"{s3env}/runs/healthy")
    assert result.code == 2
    assert "LOSSDOCTOR_REMOTE_MAX_BYTES" in result.err and f"{s3env}/runs/healthy" in result.err


def test_the_staging_folder_is_removed(cli: Callable[..., Result], s3env: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # re-read TMPDIR
    assert cli("analyze", f"{s3env}/runs/healthy", "--fail-on", "never").code == 0
    assert cli("analyze", f"{s3env}/runs/nope").code == 2
    assert list(tmp_path.iterdir()) == []


def test_a_scheme_without_its_package_names_the_package(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "gcsfs", None)  # absent, whatever this machine holds
    result = cli("analyze", "gs://bucket/run/scalars.json")
    assert result.code == 2
    assert "gs://bucket/run/scalars.json" in result.err and "pip install gcsfs" in result.err


def test_without_the_remote_extra_the_error_names_it(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    result = cli("metrics", "s3://bucket/run/scalars.json")
    assert result.code == 2
    assert "s3://bucket/run/scalars.json" in result.err and "lossdoctor[remote]" in result.err


def test_an_unknown_scheme_is_a_usage_error(cli: Callable[..., Result]) -> None:
    result = cli("analyze", "ftp://host/run.log")
    assert result.code == 2 and "ftp://" in result.err and "s3://" in result.err


def test_help_does_not_import_fsspec(tmp_path: Path) -> None:
    code = ("import sys\nfrom lossdoctor.cli import run\nrun(['--help'])\nrun(['analyze', '--help'])\n"
            "print('FSSPEC', 'fsspec' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "FSSPEC False" in out


def test_object_names_that_climb_out_are_not_copied(
    cli: Callable[..., Result], s3env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr("tempfile.tempdir", None)
    (tmp_path / "tmp").mkdir()
    result = cli("analyze", f"{s3env}/hostile/healthy", "--format", "json")
    assert result.code == 0, result.err
    assert "not copied (unsafe object names): ?[2Jclear.json, ../../escape.json" in result.err
    assert "\x1b" not in result.err + result.out
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["tmp"]  # nothing written beside the staging
    assert json.loads(result.out)["run"]["files"][0].startswith(f"{s3env}/hostile/healthy/")


def test_local_paths_need_no_staging(tmp_path: Path) -> None:
    with remote.staged([str(tmp_path)]) as staging:
        assert staging.paths == [tmp_path] and staging.names == {}
