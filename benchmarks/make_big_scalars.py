"""Generate a big, realistic MMEngine 0.10 ``vis_data/scalars.json`` for the speed/memory benchmark.

Why a generated file: the benchmark needs a file that is large (200k lines, ~165 MB), deterministic
(same bytes on every machine, so numbers are comparable between runs and commits) and shaped like
the real thing, because the costs we care about are driven by the shape: the reader must cope with
validation lines that have a different key set, a key that only appears half-way through (a schema
that changes after the first blocks have been parsed), and a bare ``NaN`` literal (Python's
``json.dumps`` writes it; strict JSON parsers reject it).

Key set and order follow the guide's training run
(``real_logs/mmengine_flowgen/flowgen_healthy/.../vis_data/scalars.json``). The real line has 44
numeric metrics (16 of them ``loss_dbg_*`` shadows that are always 0.0) and weighs ~1.6 kB, which
would make a 200k-line file ~320 MB. To hit the issue's "~165 MB" with the real value formatting
(float32 values printed as float64 reprs, 17 significant digits), the default ``bench`` key set
keeps the 20 metrics the guide actually reads (losses, schedule, timings, grad norms, update
ratios) plus the ``has_grad``/``trainable`` counters of the main module (``flow``) and drops the
shadows and the other counters: 22 metrics + ``iter`` + ``step``, ~835 bytes a line.
``--keyset full`` writes the complete real line for a heavier stress run.

Values are generated column-wise with numpy (fast) and formatted with one format string per line
(``str.format`` on pre-rendered reprs), so 200k lines take a few seconds.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

SEED = 20261125
DEFAULT_LINES = 200_000
VAL_EVERY = 5_000
# The key that appears late: absent from the first half of the training lines, as when a debug hook
# is switched on in the middle of a run (resume with a new config).
LATE_KEY = "dbg/update_ratio/logvar_head"
NAN_KEY = "loss_kl"
TAGS = ("dino_t_head", "flow", "logvar_head", "mu_head")
BENCH_COUNTER_TAGS = ("flow",)
DATA_DIR = Path(__file__).resolve().parent / "data"


def train_keys(keyset: str) -> list[str]:
    """The metric keys of one training line, in MMEngine's order (``iter``/``step`` excluded).

    Order matters: MMEngine writes the dict in insertion order, and a reader that assumes the
    first line's order (or key set) is exactly the bug this benchmark must not hide.
    """
    keys = [
        "lr", "data_time", "loss", "loss_flow", "loss_dino", "loss_kl", "dino_global", "kl_raw",
        "z_init/mean", "z_init/var", "dino_alpha", "time",
    ]  # fmt: skip
    counter_tags = TAGS if keyset == "full" else BENCH_COUNTER_TAGS
    for tag in TAGS:
        keys.append(f"dbg/grad_{tag}")
        if tag in counter_tags:
            keys += [f"dbg/{tag}_has_grad", f"dbg/{tag}_trainable"]
    keys += [f"dbg/update_ratio/{tag}" for tag in ("flow", "dino_t_head", "mu_head", "logvar_head")]
    if keyset == "full":
        for tag in TAGS:
            keys += [f"loss_dbg_grad_{tag}", f"loss_dbg_{tag}_has_grad", f"loss_dbg_{tag}_trainable"]
        keys += [f"loss_dbg_update_ratio_{tag}" for tag in ("flow", "dino_t_head", "mu_head", "logvar_head")]
    return keys


def _f32(values: np.ndarray) -> np.ndarray:
    """Round to float32 and back, as ``tensor.item()`` of a float32 loss does.

    This is what makes real values print with 17 digits (``2.920039653778076``) and therefore what
    makes the file as heavy as a real one.
    """
    return values.astype(np.float32).astype(np.float64)


def generate_columns(n: int, keyset: str, seed: int = SEED) -> dict[str, np.ndarray]:
    """Plausible healthy, noisy training curves for ``n`` steps, one array per key.

    Relations copied from the real run so the analyzer sees a coherent run, not white noise:
    ``loss_dino = dino_alpha * dino_global``, ``loss_kl = 3 * kl_raw``,
    ``loss = loss_flow + loss_dino + loss_kl``, update ratio proportional to the learning rate.
    """
    rng = np.random.default_rng(seed)
    step = np.arange(1, n + 1, dtype=np.float64)
    frac = step / max(n, 1)

    warmup = 1_000.0
    base_lr, min_lr = 3e-5, 3e-7
    cosine = min_lr + 0.5 * (base_lr - min_lr) * (1 + np.cos(np.pi * frac))
    lr = np.where(step < warmup, base_lr * step / warmup, cosine)

    def noisy(center: np.ndarray | float, rel: float) -> np.ndarray:
        """Multiplicative log-normal noise: positive, right-skewed, like real minibatch losses."""
        return np.asarray(center) * rng.lognormal(0.0, rel, n)

    decay = np.exp(-step / (0.15 * n + 1))
    loss_flow = _f32(noisy(1.2 + 1.2 * decay, 0.05))
    dino_global = _f32(np.clip(noisy(0.25 + 0.65 * np.exp(-step / (0.05 * n + 1)), 0.08), 0.0, 1.0))
    dino_alpha = _f32(np.minimum(1.0, (step - 1) / 600.0))
    loss_dino = _f32(dino_alpha * dino_global)
    kl_raw = _f32(noisy(0.03 + 0.15 * decay, 0.1))
    loss_kl = _f32(3.0 * kl_raw)
    loss = _f32(loss_flow + loss_dino + loss_kl)

    cols: dict[str, np.ndarray] = {
        "lr": lr,
        "data_time": noisy(0.00082, 0.08),
        "loss": loss,
        "loss_flow": loss_flow,
        "loss_dino": loss_dino,
        "loss_kl": loss_kl,
        "dino_global": dino_global,
        "kl_raw": kl_raw,
        "z_init/mean": _f32(rng.normal(0.015, 0.02, n)),
        "z_init/var": _f32(rng.normal(1.0, 0.04, n)),
        "dino_alpha": dino_alpha,
        "time": noisy(0.0047, 0.05),
    }
    grad_center = {"dino_t_head": 0.26, "flow": 0.21, "logvar_head": 0.6, "mu_head": 0.95}
    counters = {"dino_t_head": 4.0, "flow": 8.0, "logvar_head": 4.0, "mu_head": 4.0}
    ratio_per_lr = {"flow": 20.0, "dino_t_head": 26.0, "mu_head": 7.5, "logvar_head": 7.0}
    for tag in TAGS:
        cols[f"dbg/grad_{tag}"] = _f32(noisy(grad_center[tag] * (0.5 + 0.5 * decay), 0.15))
        cols[f"dbg/{tag}_has_grad"] = np.full(n, 2 * counters[tag])
        cols[f"dbg/{tag}_trainable"] = np.full(n, counters[tag])
        cols[f"dbg/update_ratio/{tag}"] = _f32(noisy(lr * ratio_per_lr[tag], 0.2))
    zeros = np.zeros(n)
    return {key: cols.get(key, zeros) for key in train_keys(keyset)}


def _render(values: np.ndarray) -> list[str]:
    """Python's float repr of each value, i.e. exactly what ``json.dumps`` writes (NaN -> ``NaN``)."""
    return ["NaN" if math.isnan(v) else repr(v) for v in values.tolist()]


def _line_format(keys: list[str]) -> str:
    """A ``str.format`` template for one training line: ``{"k": {}, ..., "iter": {}, "step": {}}``."""
    fields = [f'"{k}": {{}}' for k in keys] + ['"iter": {}', '"step": {}']
    return "{{" + ", ".join(fields) + "}}\n"


def val_line(epoch: int, rng: np.random.Generator) -> str:
    """A validation line as MMEngine writes it: metrics + timings, ``step`` = epoch, no ``iter``."""
    progress = 1 - math.exp(-epoch / 10)
    m_ap = round(0.05 + 0.35 * progress + float(rng.normal(0, 0.005)), 4)
    m_ap50 = round(min(1.0, m_ap * 1.6 + float(rng.normal(0, 0.005))), 4)
    data_time = float(rng.lognormal(math.log(0.0021), 0.1))
    time_ = float(rng.lognormal(math.log(0.0123), 0.1))
    return (
        f'{{"coco/bbox_mAP": {m_ap!r}, "coco/bbox_mAP_50": {m_ap50!r}, '
        f'"data_time": {data_time!r}, "time": {time_!r}, "step": {epoch}}}\n'
    )


def iter_lines(n: int, keyset: str = "bench", seed: int = SEED) -> Iterator[str]:
    """Yield the file in chunks (5000 training lines, then that epoch's validation line).

    Chunked so the whole 165 MB never sits in memory as one string. The late key is left out of
    the first ``n // 2`` training lines (it keeps its real position when present), and one
    ``loss_kl`` is ``NaN`` at 3/5 of the run.
    """
    keys = train_keys(keyset)
    cols = generate_columns(n, keyset, seed)
    nan_index = (3 * n) // 5
    cols[NAN_KEY][nan_index] = math.nan
    late_from = n // 2
    fmt_full = _line_format(keys)
    keys_early = [k for k in keys if k != LATE_KEY]
    fmt_early = _line_format(keys_early)
    val_rng = np.random.default_rng(seed + 1)
    steps = [str(s) for s in range(1, n + 1)]

    for start in range(0, n, VAL_EVERY):
        stop = min(start + VAL_EVERY, n)
        pieces: list[str] = []
        # Split the chunk at the late-key boundary so each part uses one template.
        bounds = sorted({start, stop, min(max(late_from, start), stop)})
        for lo, hi in itertools.pairwise(bounds):
            fmt, ks = (fmt_full, keys) if lo >= late_from else (fmt_early, keys_early)
            rendered = [_render(cols[k][lo:hi]) for k in ks]
            rendered += [steps[lo:hi], steps[lo:hi]]
            pieces.append("".join(map(fmt.format, *rendered)))
        if stop % VAL_EVERY == 0:
            pieces.append(val_line(stop // VAL_EVERY, val_rng))
        yield "".join(pieces)


def default_path(n: int, keyset: str) -> Path:
    """File name encodes the parameters so a ``--lines 2000`` run never reuses the 200k file."""
    suffix = "" if keyset == "bench" else f"_{keyset}"
    return DATA_DIR / f"scalars_{n}{suffix}.json"


def ensure_file(
    n: int = DEFAULT_LINES, keyset: str = "bench", regen: bool = False, path: Path | None = None
) -> Path:
    """Return the benchmark file, generating it only when missing (or when ``regen``).

    Written to a temporary name then renamed, so an interrupted run never leaves a truncated file
    that later runs would silently benchmark.
    """
    path = path or default_path(n, keyset)
    if path.exists() and not regen:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    t0 = time.perf_counter()
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        for chunk in iter_lines(n, keyset):
            fh.write(chunk)
    tmp.replace(path)
    size_mb = path.stat().st_size / 1e6
    print(
        f"generated {path} ({n} train lines, {size_mb:.1f} MB) in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return path


def main(argv: list[str] | None = None) -> int:
    """CLI: print the path of the (possibly freshly generated) benchmark file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=DEFAULT_LINES, help="training lines (default 200000)")
    parser.add_argument(
        "--keyset",
        choices=("bench", "full"),
        default="bench",
        help="bench: 22 metrics, ~165 MB at 200k; full: the real 44-metric line",
    )
    parser.add_argument("--regen", action="store_true", help="regenerate even if the file exists")
    parser.add_argument("--output", type=Path, default=None, help="write here instead of benchmarks/data/")
    args = parser.parse_args(argv)
    print(ensure_file(args.lines, args.keyset, args.regen, args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
