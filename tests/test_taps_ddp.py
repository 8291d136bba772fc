"""The taps under DDP: a real 2-process gloo run on the CPU (GA 2, `no_sync` on the first micro-batch).

What it pins down (docs/taps.md, "Distributed"): each rank's taps measure that rank's *local* gradients,
before the all-reduce, so `dbg/grad_<tag>` differs between ranks; the counts are per rank
(has_grad/trainable = GA on every rank, not GA × world size); the update ratio is the same on every rank,
because the parameters are. MMEngine logs rank 0's numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs torch: pip install -e '.[taps-test]'")
dist = pytest.importorskip("torch.distributed", reason="needs torch.distributed")
if not dist.is_available() or not dist.is_gloo_available():  # pragma: no cover
    pytest.skip("this torch build has no gloo backend", allow_module_level=True)

from helpers.ddp_taps_worker import GA, STEPS, worker  # noqa: E402


def test_two_gloo_ranks_measure_their_local_gradients(tmp_path: Path) -> None:
    torch.multiprocessing.spawn(worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    for steps in ranks:
        assert len(steps) == STEPS
        for step in steps:
            taps = step["taps"]
            assert taps["dbg/flow_has_grad"] / taps["dbg/flow_trainable"] == GA
            assert taps["dbg/head_has_grad"] / taps["dbg/head_trainable"] == GA
            assert taps["dbg/grad_flow"] == pytest.approx(step["local"], rel=1e-5)
            assert taps["dbg/grad_flow"] != pytest.approx(step["reduced_accumulated"], rel=1e-3)
    for s0, s1 in zip(*ranks, strict=True):
        assert s0["taps"]["dbg/grad_flow"] != pytest.approx(s1["taps"]["dbg/grad_flow"], rel=1e-3)
        assert s0["reduced_accumulated"] == pytest.approx(s1["reduced_accumulated"], rel=1e-6)
        ratio0, ratio1 = s0["taps"]["dbg/update_ratio/flow"], s1["taps"]["dbg/update_ratio/flow"]
        assert ratio0 == pytest.approx(ratio1, rel=1e-6)
