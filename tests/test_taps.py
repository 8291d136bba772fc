"""`lossdoctor.taps` on plain PyTorch: canonical names, float counts, flush on real optimizer steps only,
exact gradient norms and update ratios, never-NaN shadows, checkpointing, and no effect on training.

These need torch (the `taps-test` extra, which `.ci/run` installs, so they run in CI); without it they
skip, except the first test, which checks that the package and the CLI work without torch.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lossdoctor.cli import run
from lossdoctor.taps.snippets import snippet

NO_TORCH = textwrap.dedent(
    """
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError("torch blocked for this test")
    sys.meta_path.insert(0, Block())
    import lossdoctor.taps
    from lossdoctor.taps import GradTaps, shadow, shadow_name
    assert shadow_name("dbg/update_ratio/flow") == "loss_dbg_update_ratio_flow"
    assert shadow(float("inf")) == 0.0
    from lossdoctor.cli import run
    assert run(["instrument", "--ga", "2"]) == 0
    assert run(["--help"]) == 0
    try:
        GradTaps({"flow": []})
    except ImportError as exc:
        print("HINT:", exc)
    print("TORCH LOADED:", any(m == "torch" or m.startswith("torch.") for m in sys.modules))
    """
)


def test_package_and_cli_work_without_torch() -> None:
    out = subprocess.run([sys.executable, "-c", NO_TORCH], capture_output=True, text=True, check=True).stdout
    assert "TORCH LOADED: False" in out
    assert "HINT: lossdoctor.taps needs PyTorch" in out
    assert "GradTapsHook" in out  # the instrument output


torch = pytest.importorskip("torch", reason="the taps tests need torch: pip install -e '.[taps-test]'")
nn = torch.nn

from lossdoctor.taps import GradTaps, metric_names, shadow, with_shadows  # noqa: E402

torch.set_num_threads(1)  # tiny models: one thread is faster and immune to a busy second core


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.flow = nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 4))
        self.head = nn.Linear(4, 3)

    def forward(self, x: Any) -> Any:
        return self.head(self.flow(x))


def batches(n: int, seed: int = 1) -> list[tuple[Any, Any]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 6, generator=g), torch.randn(16, 3, generator=g)) for _ in range(n)]


def train(
    taps_on: bool, steps: int = 6, ga: int = 2, explicit: bool = False
) -> tuple[Net, GradTaps | None, list[dict[str, float]]]:
    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=0.01)
    taps = GradTaps({"flow": net.flow, "head": net.head}) if taps_on else None
    if taps is not None and not explicit:
        taps.watch(opt)
    seen: list[dict[str, float]] = []
    for i, (x, y) in enumerate(batches(steps * ga)):
        (nn.functional.mse_loss(net(x), y) / ga).backward()
        if (i + 1) % ga == 0:
            opt.step()
            opt.zero_grad()
            if taps is not None and explicit:
                taps.step()
        if taps is not None:
            seen.append(taps.metrics())
    return net, taps, seen


def test_taps_do_not_change_training() -> None:
    plain, _, _ = train(False)
    tapped, taps, _ = train(True)
    assert taps is not None and taps.steps == 6
    for a, b in zip(plain.parameters(), tapped.parameters(), strict=True):
        assert torch.equal(a, b)


def test_canonical_float_names_flushed_on_optimizer_steps_only() -> None:
    _, taps, seen = train(True, steps=3, ga=2)
    assert seen[0] == {}  # nothing completed yet: keys absent, not zeros
    first = seen[1]
    assert list(first) == [*metric_names("flow"), *metric_names("head")]
    assert all(type(v) is float for v in first.values())
    assert first["dbg/flow_trainable"] == 4.0 and first["dbg/head_trainable"] == 2.0
    assert first["dbg/flow_has_grad"] / first["dbg/flow_trainable"] == 2.0  # = GA
    assert seen[2] == seen[1]  # a micro-step does not flush
    assert seen[3] != seen[2]
    tensors = taps.metrics(as_tensors=True) if taps else {}
    assert all(t.dtype == torch.float32 and t.dim() == 0 for t in tensors.values())


def test_grad_norm_and_update_ratio_match_a_by_hand_computation() -> None:
    torch.manual_seed(0)
    net = Net()
    ref = copy.deepcopy(net)  # the same weights, for each micro-batch's own gradient
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    taps = GradTaps({"flow": net.flow}).watch(opt)
    before = [p.detach().clone() for p in net.flow.parameters()]
    sq = 0.0
    for x, y in batches(3):
        grads = torch.autograd.grad(nn.functional.mse_loss(ref(x), y), list(ref.flow.parameters()))
        sq += sum(float(g.pow(2).sum()) for g in grads)
        nn.functional.mse_loss(net(x), y).backward()
    opt.step()
    after = [p.detach() for p in net.flow.parameters()]
    delta = math.sqrt(sum(float((a - b).pow(2).sum()) for a, b in zip(after, before, strict=True)))
    norm = math.sqrt(sum(float(a.pow(2).sum()) for a in after))
    got = taps.metrics()
    assert got["dbg/grad_flow"] == pytest.approx(math.sqrt(sq), rel=1e-5)  # the guide's Σ over micro-batches
    assert got["dbg/flow_has_grad"] == 12.0  # 4 tensors x 3 backward passes
    assert got["dbg/update_ratio/flow"] == pytest.approx(delta / norm, rel=1e-4)


def test_a_group_at_lr_zero_has_update_ratio_zero_and_a_frozen_tag_counts_zero() -> None:
    torch.manual_seed(0)
    net = Net()
    net.head.requires_grad_(False)
    opt = torch.optim.AdamW([{"params": net.flow[0].parameters(), "lr": 0.0},
                             {"params": net.flow[2].parameters(), "lr": 1e-2}])
    taps = GradTaps({"first": net.flow[0], "second": net.flow[2], "frozen": net.head}).watch(opt)
    for x, y in batches(2):
        nn.functional.mse_loss(net(x), y).backward()
        opt.step()
        opt.zero_grad()
    got = taps.metrics()
    assert got["dbg/update_ratio/first"] == 0.0
    assert got["dbg/update_ratio/second"] > 1e-4
    assert got["dbg/frozen_trainable"] == 0.0 and got["dbg/frozen_has_grad"] == 0.0


def test_explicit_step_equals_watch_and_a_per_microstep_flush_reads_one() -> None:
    _, watched, _ = train(True)
    _, explicit, _ = train(True, explicit=True)
    assert watched is not None and explicit is not None
    assert explicit.metrics() == pytest.approx(watched.metrics(), rel=1e-6)
    with pytest.raises(RuntimeError, match="watched"):
        watched.step()
    # the guide skeleton's timing: flush at every train_step under GA 2
    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    taps = GradTaps({"flow": net.flow})
    for i, (x, y) in enumerate(batches(4)):
        nn.functional.mse_loss(net(x), y).backward()
        if (i + 1) % 2 == 0:
            opt.step()
            opt.zero_grad()
        taps.step()  # wrong place: every micro-step
    got = taps.metrics()
    assert got["dbg/flow_has_grad"] / got["dbg/flow_trainable"] == 1.0  # not GA = 2


def test_shadows_never_nan_and_the_guides_int_counts_break_mean() -> None:
    inf = torch.tensor(float("inf"))
    assert torch.isnan(0 * inf)  # the guide's shadow
    assert shadow(inf).item() == 0.0 and shadow(inf).dtype == torch.float32
    shadows = with_shadows({"dbg/grad_flow": inf, "dbg/flow_has_grad": torch.tensor(8.0)})
    total = sum(v for k, v in shadows.items() if k.startswith("loss"))
    assert set(shadows) >= {"loss_dbg_grad_flow", "loss_dbg_flow_has_grad"} and torch.isfinite(total)
    with pytest.raises(RuntimeError, match="dtype"):
        torch.tensor(8).mean()  # the guide's torch.tensor(int) count, as parse_losses treats it


def test_non_reentrant_checkpointing_counts_each_gradient_once() -> None:
    from torch.utils.checkpoint import checkpoint

    def run_once(use_ckpt: bool) -> dict[str, float]:
        torch.manual_seed(0)
        net = Net()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        taps = GradTaps({"flow": net.flow, "head": net.head}).watch(opt)
        for x, y in batches(2):
            x = x.requires_grad_(False)
            h = checkpoint(net.flow, x, use_reentrant=False) if use_ckpt else net.flow(x)
            nn.functional.mse_loss(net.head(h), y).backward()
        opt.step()
        return taps.metrics()

    plain, ckpt = run_once(False), run_once(True)
    assert ckpt["dbg/flow_has_grad"] == 8.0
    assert ckpt == pytest.approx(plain, rel=1e-6)


def test_resume_skip_reset_and_close() -> None:
    _, taps, _ = train(True, steps=2)
    assert taps is not None and taps.metrics()
    taps.reset()
    assert taps.metrics() == {} and taps.steps == 0
    taps.skip_next()
    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    fresh = GradTaps({"flow": net.flow}).watch(opt)  # a resumed run: nothing to flush yet
    assert fresh.metrics() == {}
    fresh.skip_next()
    for x, y in batches(2):
        nn.functional.mse_loss(net(x), y).backward()
        opt.step()
        opt.zero_grad()
        if fresh.steps == 1:
            assert fresh.metrics() == {}  # the first (maybe partial) step is dropped, not logged as 0
    assert fresh.metrics()["dbg/flow_has_grad"] == 4.0
    fresh.close()
    x, y = batches(1)[0]
    nn.functional.mse_loss(net(x), y).backward()
    opt.step()
    assert fresh.steps == 2  # no hook left


def test_two_optimizers_roll_their_own_tags() -> None:
    torch.manual_seed(0)
    net = Net()
    opt_flow = torch.optim.SGD(net.flow.parameters(), lr=0.1)
    opt_head = torch.optim.SGD(net.head.parameters(), lr=0.1)
    taps = GradTaps({"flow": net.flow, "head": net.head}).watch(opt_flow).watch(opt_head)
    for x, y in batches(2):
        nn.functional.mse_loss(net(x), y).backward()
        opt_flow.step()
        opt_head.step()  # must not flush flow with an empty accumulation
        opt_flow.zero_grad()
        opt_head.zero_grad()
    got = taps.metrics()
    assert got["dbg/flow_has_grad"] == 4.0 and got["dbg/head_has_grad"] == 2.0


class GuideModel(nn.Module):
    """The guide's attribute names, for running the printed plain-PyTorch snippet as is."""

    def __init__(self) -> None:
        super().__init__()
        self.fm_transformers = nn.Sequential(nn.Linear(4, 32), nn.SiLU(), nn.Linear(32, 4))
        self.dino_t_head = nn.Linear(4, 8)
        self.mu_head = nn.Linear(4, 4)
        self.logvar_head = nn.Linear(4, 4)


def test_the_printed_pytorch_snippet_runs_and_analyze_reads_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    torch.manual_seed(0)
    model = GuideModel()
    teacher = torch.randn(4, 8)

    def compute_losses(model: GuideModel, batch: Any) -> dict[str, Any]:
        x1, cls = batch
        mu, logvar = model.mu_head(cls), model.logvar_head(cls)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        x0, t = torch.randn_like(x1), torch.rand(len(x1), 1)
        v = model.fm_transformers((1 - t) * x0 + t * x1 + 0.1 * z)
        dino = 1 - nn.functional.cosine_similarity(model.dino_t_head(v), x1 @ teacher).mean()
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean()
        return {"loss_flow": nn.functional.mse_loss(v, x1 - x0), "loss_dino": 0.1 * dino,
                "loss_kl": kl, "kl_raw": kl.detach(), "dino_global": dino.detach()}

    g = torch.Generator().manual_seed(3)
    loader = [(torch.randn(32, 4, generator=g), torch.randn(32, 4, generator=g)) for _ in range(120)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    monkeypatch.chdir(tmp_path)
    code = snippet("pytorch", ga=2)
    namespace = {"model": model, "optimizer": optimizer, "loader": loader, "compute_losses": compute_losses}
    exec(compile(code, "<instrument pytorch --ga 2>", "exec"), namespace)
    namespace["log_file"].close()
    rows = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert len(rows) == 12
    for row in rows:
        for tag in ("flow", "dino_t_head", "mu_head", "logvar_head"):
            assert row[f"dbg/{tag}_has_grad"] / row[f"dbg/{tag}_trainable"] == 2.0
            assert row[f"dbg/update_ratio/{tag}"] > 0
    code_ = run(["analyze", "train_log.jsonl", "--ga", "2", "--format", "json", "--fail-on", "never"])
    report = json.loads(capsys.readouterr().out)
    assert code_ == 0
    assert report["coverage"]["dbg/flow_has_grad"] == "present"
    assert not [f for f in report["findings"] if f["rule"] in ("grad-coverage-mismatch", "update-ratio-zero")]


@pytest.mark.parametrize("explicit", [False, True])
def test_update_every_measures_every_nth_step_and_keeps_the_last_in_between(explicit: bool) -> None:
    def ratios(every: int) -> list[float | None]:
        torch.manual_seed(0)
        net = Net()
        opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
        taps = GradTaps({"flow": net.flow}, update_every=every)
        if not explicit:
            taps.watch(opt)
        out: list[float | None] = []
        for x, y in batches(7):
            nn.functional.mse_loss(net(x), y).backward()
            opt.step()
            opt.zero_grad()
            if explicit:
                taps.step()
            out.append(taps.metrics().get("dbg/update_ratio/flow"))
        return out

    every, sparse = ratios(1), ratios(3)
    assert len(set(every)) == 7
    assert sparse == [None, None, every[2], every[2], every[2], every[5], every[5]]
