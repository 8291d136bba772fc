"""Generate the reader benchmarks' inputs: a 200k-step MMEngine text log and a TensorBoard CSV export folder.

Both carry the same deterministic run as ``make_big_scalars.py`` (its curves and key order), written
the way the real tools write them:

* text log: the config printed first, then ``YYYY/MM/DD HH:MM:SS - mmengine - INFO - Iter(train)
  [  step/N]  lr: 1.2345e-05  eta: 0:01:02  time: 0.0047  ...`` (4 decimals, ``lr`` in e-notation,
  ``nan`` for the one NaN), an ``Iter(val)`` summary line every 5000 steps, and the late key
  (``dbg/update_ratio/logvar_head``) only in the second half;
* CSV folder: one ``run-<run>-tag-<tag>.csv`` per tag (``/`` written ``_``), CRLF, header
  ``Wall time,Step,Value``, float32 values as TensorBoard stores them, exported in full (every step:
  ``--samples_per_plugin scalars=0``); 26 tags = the 22 benchmark metrics plus the ``has_grad`` and
  ``trainable`` counters of ``dino_t_head`` and ``mu_head``; the late tag starts half-way.

Files land in ``benchmarks/data/`` (gitignored) and are reused; ``--regen`` rebuilds them.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_big_scalars import DATA_DIR, LATE_KEY, NAN_KEY, generate_columns, train_keys

DEFAULT_STEPS = 200_000
VAL_EVERY = 5_000
RUN = "20261128_101500_vis_data"
EXTRA_TAGS = ("dbg/dino_t_head_has_grad", "dbg/dino_t_head_trainable",
              "dbg/mu_head_has_grad", "dbg/mu_head_trainable")
STAMP = "2026/11/28 10:15:02 - mmengine - INFO - "
CONFIG = ("model = dict(type='FlowGen', dino_warmup_iters=600)\n"
          "optim_wrapper = dict(type='OptimWrapper', accumulative_counts=2)\n"
          "log_processor = dict(window_size=1)\n")


def columns(n: int) -> tuple[list[str], dict[str, np.ndarray]]:
    """The 26 metric keys in MMEngine's order and their values (one NaN in ``loss_kl``)."""
    full = generate_columns(n, "full")
    keys = train_keys("bench") + list(EXTRA_TAGS)
    cols = {k: full[k].copy() for k in keys}
    cols[NAN_KEY][(3 * n) // 5] = math.nan
    return keys, cols


def _fixed(values: np.ndarray) -> list[str]:
    return ["nan" if v != v else f"{v:.4f}" for v in values.tolist()]


def write_text_log(path: Path, n: int) -> None:
    """The MMEngine text log, written in chunks of one validation interval."""
    keys, cols = columns(n)
    text_keys = [k for k in keys if k not in ("lr", "time", "data_time")]
    late_from = n // 2
    width = len(str(n))
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(f"{STAMP}Config:\n{CONFIG}\n")
        for start in range(0, n, VAL_EVERY):
            stop = min(start + VAL_EVERY, n)
            rendered = {k: _fixed(cols[k][start:stop]) for k in [*text_keys, "time", "data_time"]}
            lrs = [f"{v:.4e}" for v in cols["lr"][start:stop].tolist()]
            lines = []
            for row in range(stop - start):
                step = start + row + 1
                pairs = [f"lr: {lrs[row]}", f"eta: 0:{(n - step) // 6000:02d}:{(n - step) // 100 % 60:02d}",
                         f"time: {rendered['time'][row]}", f"data_time: {rendered['data_time'][row]}"]
                pairs += [f"{k}: {rendered[k][row]}" for k in text_keys if k != LATE_KEY or step > late_from]
                lines.append(f"{STAMP}Iter(train) [{step:>{width}}/{n}]  " + "  ".join(pairs) + "\n")
            if stop % VAL_EVERY == 0:
                lines.append(f"{STAMP}Iter(val) [50/50]    coco/bbox_mAP: 0.{stop // VAL_EVERY:04d}  "
                             "data_time: 0.0021  time: 0.0123\n")
            fh.write("".join(lines))


def write_csv_folder(folder: Path, n: int) -> None:
    """One TensorBoard CSV export per tag: CRLF, float32 values, wall times one 5 ms step apart."""
    keys, cols = columns(n)
    folder.mkdir(parents=True, exist_ok=True)
    steps = np.arange(1, n + 1)
    wall = 1795000000.0 + steps * 0.005
    for key in keys:
        lo = n // 2 if key == LATE_KEY else 0
        values = cols[key][lo:].astype(np.float32).astype(np.float64)
        rendered = ["nan" if v != v else repr(v) for v in values.tolist()]
        body = "".join(f"{w!r},{s},{v}\r\n" for w, s, v in zip(wall[lo:].tolist(), steps[lo:].tolist(),
                                                                 rendered, strict=True))
        name = f"run-{RUN}-tag-{key.replace('/', '_')}.csv"
        (folder / name).write_text("Wall time,Step,Value\r\n" + body, encoding="utf-8", newline="")


def ensure(n: int = DEFAULT_STEPS, regen: bool = False) -> tuple[Path, Path]:
    """(text log, CSV folder), generated only when missing; written under a temporary name first."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    log = DATA_DIR / f"text_{n}.log"
    folder = DATA_DIR / f"tb_csv_{n}"
    if regen or not log.exists():
        t0 = time.perf_counter()
        tmp = log.with_suffix(".tmp")
        write_text_log(tmp, n)
        tmp.replace(log)
        print(f"generated {log} ({log.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    if regen or not (folder / ".complete").exists():
        t0 = time.perf_counter()
        write_csv_folder(folder, n)
        (folder / ".complete").write_text("")
        size = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
        print(f"generated {folder} ({size:.1f} MB) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return log, folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--regen", action="store_true")
    args = parser.parse_args(argv)
    for path in ensure(args.steps, args.regen):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
