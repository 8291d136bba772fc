"""`analyze s3://…` against `analyze` of the same file on disk: what staging through fsspec costs.

A moto S3 server (the remote extra and moto, both in the dev extra) runs on 127.0.0.1 in this
process; each side is a whole `python -m lossdoctor analyze FILE --format json` process, median
of `--repeat`. The two JSON reports must agree on everything but the file names. Over loopback this
measures the copy and fsspec's imports, not a network: a real bucket adds its transfer time.

    .venv/bin/python benchmarks/bench_remote.py [--lines 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3
from make_big_scalars import ensure_file
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"
}


def timed(target: str, env: dict[str, str]) -> tuple[float, dict]:
    start = time.perf_counter()
    args = [sys.executable, "-m", "lossdoctor", "analyze", target, "--format", "json", "--fail-on", "never"]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"lossdoctor exited {done.returncode}")
    return elapsed, json.loads(done.stdout)


def comparable(report: dict) -> dict:
    run = {k: v for k, v in report["run"].items() if k not in ("files", "segments", "warnings")}
    return {**report, "run": run}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    log = ensure_file(options.lines)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {**os.environ, **CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench",
                      region_name="us-east-1")
    s3.create_bucket(Bucket="bench")
    s3.upload_file(str(log), "bench", "run/vis_data/scalars.json")
    local, remote = [], []
    for _ in range(options.repeat):
        seconds, on_disk = timed(str(log), env)
        local.append(seconds)
        seconds, from_s3 = timed("s3://bench/run/vis_data/scalars.json", env)
        remote.append(seconds)
        if comparable(on_disk) != comparable(from_s3):
            raise SystemExit("the report read from S3 differs from the one read from disk")
    server.stop()
    base, other = statistics.median(local), statistics.median(remote)
    size = log.stat().st_size / 1e6
    print(f"{options.lines} lines ({size:.0f} MB): local {base:.2f} s, s3 (moto, loopback) {other:.2f} s, "
          f"ratio {other / base:.2f}x (median of {options.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
