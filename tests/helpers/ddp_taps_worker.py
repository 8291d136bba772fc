"""One rank of the 2-process gloo test (tests/test_taps_ddp.py): DDP, GA 2 with `no_sync`, the taps.

Each rank trains on its own data and writes what the taps logged next to what it can compute by hand:
its local micro-batch gradient norm (on an undistributed copy of the same weights) and the norm of the
all-reduced, accumulated `.grad` the optimizer steps on.
"""

from __future__ import annotations

import copy
import json
import math
from contextlib import nullcontext
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from lossdoctor.taps import GradTaps

GA = 2
STEPS = 2


def worker(rank: int, world: int, init_file: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    torch.manual_seed(0)  # the same initial weights on every rank
    net = nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 3))
    ref = copy.deepcopy(net)
    model = DistributedDataParallel(net)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    taps = GradTaps.from_model(model, {"flow": "0", "head": "2"}).watch(opt)
    g = torch.Generator().manual_seed(100 + rank)  # each rank its own data
    steps = []
    for _ in range(STEPS):
        ref.load_state_dict(net.state_dict())
        local_sq = 0.0
        for micro in range(GA):
            x, y = torch.randn(16, 6, generator=g), torch.randn(16, 3, generator=g)
            grads = torch.autograd.grad(nn.functional.mse_loss(ref(x), y) / GA, list(ref[0].parameters()))
            local_sq += sum(float(t.pow(2).sum()) for t in grads)
            with nullcontext() if micro == GA - 1 else model.no_sync():
                (nn.functional.mse_loss(model(x), y) / GA).backward()
        reduced = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in net[0].parameters()))
        opt.step()
        opt.zero_grad()
        steps.append({"taps": taps.metrics(), "local": math.sqrt(local_sq), "reduced_accumulated": reduced})
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps(steps))
    # both ranks leave together: a rank that tears gloo down while its peer's connection threads
    # are still live aborted the peer ("terminate called without an active exception") about 1 run in 4
    dist.barrier()
    dist.destroy_process_group()
