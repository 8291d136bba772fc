"""Overhead of `lossdoctor.taps` on a training step: a few-million-parameter MLP on the CPU.

What is timed: one optimizer step of a plain PyTorch loop (forward, backward, AdamW step, zero_grad,
and for the tapped side `taps.metrics()` as a logger would call it), with and without `GradTaps` on
four tags covering every layer (gradient hooks on every parameter, update ratios on). The target of
issue #9 is an overhead under 5 %.

Why interleaved blocks on one model: the two sides share the weights, the optimizer and the data, so
the only difference is the taps (built with `watch()` before a tapped block, removed with `close()`
after it); alternating blocks (plain, tapped, plain, ...) makes a machine that slows down mid-run hurt
both sides alike, and the median over blocks ignores a block hit by another process. Process CPU
time is reported beside wall time: on a shared machine (another job on the other core) wall time
swings by more than the effect measured, CPU time much less (use `--threads 1` there). Needs torch
(`pip install -e '.[taps-test]'`).

    .venv/bin/python benchmarks/bench_taps.py                  # 4.2 M parameters, batch 256
    .venv/bin/python benchmarks/bench_taps.py --ga 2 --threads 1 --json taps.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import torch
from torch import nn

from lossdoctor.taps import GradTaps


def build(width: int, depth: int, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.GELU()]
    layers.append(nn.Linear(width, 16))
    return nn.Sequential(*layers)


def run(args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    model = build(args.width, args.depth)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(1)
    xs = [torch.randn(args.batch, args.width, generator=g) for _ in range(args.ga)]
    ys = [torch.randn(args.batch, 16, generator=g) for _ in range(args.ga)]
    linears = [m for m in model if isinstance(m, nn.Linear)]
    quarter = max(1, len(linears) // 4)
    tags = {
        "flow": nn.ModuleList(linears[:quarter]),
        "dino_t_head": nn.ModuleList(linears[quarter : 2 * quarter]),
        "mu_head": nn.ModuleList(linears[2 * quarter : 3 * quarter]),
        "logvar_head": nn.ModuleList(linears[3 * quarter :]),
    }

    def step(taps: GradTaps | None) -> None:
        for x, y in zip(xs, ys, strict=True):
            (nn.functional.mse_loss(model(x), y) / args.ga).backward()
        opt.step()
        opt.zero_grad()
        if taps is not None:
            taps.metrics()

    for _ in range(args.warmup):
        step(None)
    samples: dict[str, list[float]] = {"plain": [], "taps": []}
    cpu: dict[str, list[float]] = {"plain": [], "taps": []}
    for _ in range(args.blocks):
        for side in ("plain", "taps"):
            taps = None
            if side == "taps":
                taps = GradTaps(tags, update_ratio=args.update_ratio, update_every=args.update_every)
                taps.watch(opt)
            step(taps)  # one untimed step: the taps publish from here on, as in a long run
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(args.steps):
                step(taps)
            samples[side].append((time.perf_counter() - start) / args.steps)
            cpu[side].append((time.process_time() - start_cpu) / args.steps)
            if taps is not None:
                taps.close()
    plain, tapped = statistics.median(samples["plain"]), statistics.median(samples["taps"])
    plain_cpu, tapped_cpu = statistics.median(cpu["plain"]), statistics.median(cpu["taps"])
    paired = [t / p - 1 for p, t in zip(samples["plain"], samples["taps"], strict=True)]
    return {
        "cpu_ms_plain": plain_cpu * 1e3,
        "cpu_ms_taps": tapped_cpu * 1e3,
        "cpu_overhead_pct": (tapped_cpu / plain_cpu - 1) * 100,
        "parameters": params,
        "tensors": len(list(model.parameters())),
        "batch": args.batch,
        "ga": args.ga,
        "threads": args.threads,
        "update_ratio": args.update_ratio,
        "update_every": args.update_every,
        "torch": torch.__version__,
        "step_ms_plain": plain * 1e3,
        "step_ms_taps": tapped * 1e3,
        "overhead_pct": (tapped / plain - 1) * 100,
        "overhead_pct_paired_median": statistics.median(paired) * 100,
        "samples_ms": {k: [round(v * 1e3, 3) for v in vs] for k, vs in samples.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--depth", type=int, default=4, help="hidden Linear layers (width x width)")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--ga", type=int, default=1, help="backward passes per optimizer step")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--steps", type=int, default=10, help="timed steps per block")
    parser.add_argument("--blocks", type=int, default=9, help="blocks per side, interleaved")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--no-update-ratio", dest="update_ratio", action="store_false", help="gradient taps only"
    )
    parser.add_argument("--update-every", type=int, default=1, help="measure update ratios every N steps")
    parser.add_argument("--target", type=float, default=5.0, help="overhead target, percent")
    parser.add_argument("--json", help="also write the result here")
    args = parser.parse_args()
    result = run(args)
    ok = result["overhead_pct"] < args.target
    print(
        f"MLP {result['parameters'] / 1e6:.2f} M parameters ({result['tensors']} tensors), "
        f"batch {args.batch}, "
        f"GA {args.ga}, {args.threads} thread(s), torch {result['torch']}, "
        f"update ratios {f'every {args.update_every} step(s)' if args.update_ratio else 'off'}\n"
        f"step without taps  {result['step_ms_plain']:8.2f} ms "
        f"(median of {args.blocks} blocks of {args.steps})\n"
        f"step with taps     {result['step_ms_taps']:8.2f} ms\n"
        f"overhead           {result['overhead_pct']:+8.2f} % "
        f"(paired median {result['overhead_pct_paired_median']:+.2f} %)"
        f"  target < {args.target:g} %: {'PASS' if ok else 'FAIL'}\n"
        f"CPU time per step  {result['cpu_ms_plain']:8.2f} ms without, {result['cpu_ms_taps']:.2f} ms with: "
        f"{result['cpu_overhead_pct']:+.2f} % (process CPU time: robust to other processes on the machine)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
