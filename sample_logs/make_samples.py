"""Generate the sample MMEngine work dirs that lossdoctor's tests and demos run on.

Why a generator and not recorded runs: every red flag of the debugging guide needs a log that shows it (and
only it, plus its realistic side effects), with a known answer (`expect.yaml`). Real faulty runs are hard to
come by; these are modelled on a real healthy MMEngine 0.10.7 run of exactly the guide's training
(`shared/real_logs/mmengine_flowgen/flowgen_healthy`): same keys, same key order, same text-log layout, the
same float32 values, the shadows logged as 0.0, `loss` the sum of every `loss*` key, `has_grad = trainable *
GA`, logged `step = runner.iter + 1`, the config at the top of the text log and in `vis_data/config.py`.

The output is deterministic (fixed seeds, fixed timestamps), so `tests/test_samples.py` regenerates it and
demands byte-identical files: changing this script forces a refresh of the committed samples.

Usage: ``python sample_logs/make_samples.py [--out DIR]`` (default: the folder of this script).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

# ----------------------------------------------------------------------------------------------------------
# Constants of the modelled training (from the real run's config and parameter list)
# ----------------------------------------------------------------------------------------------------------

#: tags in the order the taps are installed (the update-ratio keys follow this order in the real log)
GUIDE_TAGS: tuple[str, ...] = ("flow", "dino_t_head", "mu_head", "logvar_head")
#: parameters with requires_grad per tag in the toy model (fm_transformers has 8 tensors, heads 4, embed 1)
TRAINABLE: dict[str, int] = {"flow": 8, "dino_t_head": 4, "mu_head": 4, "logvar_head": 4, "text_embed": 1}
#: the learning rate of the real healthy run: update ratios scale with lr / REF_LR (Adam steps ~ lr)
REF_LR = 3e-5
#: train_dataloader length (8192 samples / batch 256): MMEngine prints "Exp name" at its end (batch_idx 31)
EPOCH_LEN = 32
LOSS_KEYS: tuple[str, ...] = ("loss_flow", "loss_dino", "loss_kl")
OTHER_KEYS: tuple[str, ...] = ("dino_global", "kl_raw", "z_init/mean", "z_init/var", "dino_alpha")


# ----------------------------------------------------------------------------------------------------------
# Scenario description
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launch:
    """One `<ts>/` folder of a work dir: a launch of the training (a resume is a second launch)."""

    ts: str
    start_iter: int  # runner.iter when the launch starts (0, or the iteration of the resumed checkpoint)
    end_iter: int  # last iteration run: max_iters, or the iteration at which the launch crashed
    seed_offset: int = 0


@dataclass(frozen=True)
class Scenario:
    """Everything that defines one sample run: its training config, its planted fault and its answer.

    `fault` mutates the healthy base curves in place; the derived keys (loss_dino, loss_kl, loss, shadows)
    are computed afterwards, so that a fault planted in a primary metric propagates the way it would in
    training (a NaN gradient makes its shadow NaN, which makes `loss` NaN).
    """

    name: str
    description: str
    planted: str
    must: tuple[str, ...]
    interval: int
    ga: int
    warmup: int
    max_iters: int
    seed: int
    ts: str
    may: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()
    text_log_not_evaluated: tuple[str, ...] = ()
    info: tuple[str, ...] = ()
    fault: Callable[[Curves], None] | None = None
    lr: float = 3e-5
    lr_warmup_end: int = 100
    alpha: float = 1.0
    beta: float = 3.0
    noise: float = 1.0
    model: dict[str, object] = field(default_factory=dict)
    dataset: dict[str, object] = field(default_factory=dict)
    paramwise: str | None = None
    keyset: str = "full"  # full | no_dbg | shadow_only
    extra_tags: tuple[str, ...] = ()
    frozen_tags: tuple[str, ...] = ()
    ckpt_interval: int = 1000
    iter_time: float = 0.0048
    launches: tuple[Launch, ...] = ()

    def all_launches(self) -> tuple[Launch, ...]:
        """The launches to write: a plain run is one launch from iteration 0 to max_iters."""
        return self.launches or (Launch(self.ts, 0, self.max_iters),)

    def tags(self) -> tuple[str, ...]:
        """Tap tags in install order (the guide's four, then any extra tag of the scenario)."""
        return GUIDE_TAGS + self.extra_tags


# ----------------------------------------------------------------------------------------------------------
# Curves: the values of every logged step of one launch
# ----------------------------------------------------------------------------------------------------------


class Curves:
    """The metric series of one launch at its logged steps, with seeded noise helpers.

    Values are float64 while being built and rounded to float32 on output, as the real run's tensors are.
    """

    def __init__(self, sc: Scenario, launch: Launch) -> None:
        self.sc = sc
        first = (launch.start_iter // sc.interval + 1) * sc.interval
        self.steps = np.arange(first, launch.end_iter + 1, sc.interval, dtype=np.int64)
        self.s = self.steps.astype(np.float64)
        self.rng = np.random.default_rng(sc.seed * 1000 + launch.seed_offset)
        self.v: dict[str, np.ndarray] = {}

    @property
    def n(self) -> int:
        """Number of logged points."""
        return len(self.steps)

    def lognoise(self, sigma: float) -> np.ndarray:
        """Multiplicative noise with median 1: positive metrics stay positive, as real ones do."""
        return np.exp(sigma * self.rng.standard_normal(self.n))

    def white(self, sd: float) -> np.ndarray:
        """Additive Gaussian noise for signed metrics (z_init/mean)."""
        return sd * self.rng.standard_normal(self.n)

    def wander(self, sd: float, tau_steps: float) -> np.ndarray:
        """A slow AR(1) wander with stationary sd `sd` and correlation time `tau_steps` training steps.

        Real batch statistics drift over hundreds of steps; pure white noise would look too clean.
        """
        phi = math.exp(-self.sc.interval / tau_steps)
        e = self.rng.standard_normal(self.n) * sd * math.sqrt(1 - phi * phi)
        out = np.empty(self.n)
        acc = self.rng.standard_normal() * sd
        for i in range(self.n):
            acc = phi * acc + e[i]
            out[i] = acc
        return out

    def at(self, step: int) -> int:
        """Index of the logged point nearest to `step` (faults are planted at training steps, not rows)."""
        return int(np.argmin(np.abs(self.steps - step)))

    def where(self, lo: float, hi: float = math.inf) -> np.ndarray:
        """Boolean mask of logged steps in [lo, hi]."""
        return (self.s >= lo) & (self.s <= hi)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic ramp used to switch a fault on over a few hundred steps, as real faults develop."""
    return 1.0 / (1.0 + np.exp(-x))


def alpha_fraction(sc: Scenario, s: np.ndarray) -> np.ndarray:
    """The DINO warmup ramp as the model computes it: from runner.iter = step - 1, ends at step W + 1."""
    return np.clip((s - 1.0) / sc.warmup, 0.0, 1.0)


def lr_factor(sc: Scenario, s: np.ndarray) -> np.ndarray:
    """MMEngine LinearLR(start_factor=0.1, end=E) at runner.iter = step - 1 (real: 3/11 at step 20)."""
    t = np.clip((s - 1.0) / (sc.lr_warmup_end - 1), 0.0, 1.0)
    return 0.1 + 0.9 * t


def base_curves(c: Curves) -> None:
    """The healthy run: shapes and noise levels read off the real healthy run, extended to longer runs.

    loss_flow falls slowly (power law, so it still falls late in a long run), dino_global falls ~10 % per
    200 steps as in the real run, with 1.5 % noise (a 200-step window of dino-not-improving holds only 5
    points at interval 50: with the real 2.5 % noise a healthy run trips a literal reading of the rule),
    kl_raw settles, z_init stays near N(0, 1), grad_flow sits in 0.2-0.3, update ratios in 1e-4..1e-3.
    """
    sc, s, k = c.sc, c.s, c.sc.noise
    a = alpha_fraction(sc, s)
    lrf = lr_factor(sc, s)
    lr_scale = sc.lr / REF_LR
    after_w = np.maximum(0.0, s - sc.warmup)
    v = c.v
    v["lr"] = sc.lr * lrf
    v["data_time"] = 0.0008 * c.lognoise(0.08)
    v["time"] = sc.iter_time * c.lognoise(0.05)
    v["loss_flow"] = 2.45 * (1 + s / 700) ** -0.22 * c.lognoise(0.045 * k)
    v["dino_global"] = 0.93 * np.exp(-s / 2000) * c.lognoise(0.015 * min(k, 2.3))
    kl = 0.03 + 0.15 * np.exp(-s / 350) + 0.04 / (1 + s / 1000)
    v["kl_raw"] = kl * c.lognoise(0.015 * k)
    v["z_init/mean"] = 0.015 + c.wander(0.008 * k, 300) + c.white(0.02 * k)
    var = 1.0 + 0.04 * np.exp(-s / 300) - 0.03 * (1 - np.exp(-s / 600))
    v["z_init/var"] = var + c.wander(0.012 * k, 300) + c.white(0.025 * k)
    v["grad/flow"] = 0.28 * (1 + s / 3000) ** -0.3 * c.lognoise(0.06 * k)
    ramp = 0.36 * a * (1 - 0.3 * a) * (1 + after_w / 800) ** -0.4
    v["grad/dino_t_head"] = sc.alpha * np.maximum(ramp, 0.004) * c.lognoise(0.05 * k)
    v["grad/mu_head"] = 1.5 * (1 + s / 500) ** -0.75 * c.lognoise(0.04 * k)
    v["grad/logvar_head"] = 0.95 * (1 + s / 500) ** -0.75 * c.lognoise(0.04 * k)
    v["ur/flow"] = lr_scale * 6.5e-4 * lrf * (1 - 0.45 * np.exp(-s / 300)) * c.lognoise(0.015 * k)
    ur_dino = 8.2e-4 * lrf * (1 - 0.35 * np.exp(-s / 200)) * (1 + after_w / 3000) ** -0.3
    v["ur/dino_t_head"] = lr_scale * ur_dino * c.lognoise(0.015 * k)
    ur_mu = 2.9e-4 * lrf * (1 + s / 1500) ** -0.7
    v["ur/mu_head"] = lr_scale * ur_mu * c.lognoise(0.015 * k)
    v["ur/logvar_head"] = lr_scale * 0.97 * ur_mu * c.lognoise(0.015 * k)
    for tag in sc.extra_tags:
        v[f"grad/{tag}"] = 0.05 * c.lognoise(0.05 * k)
        v[f"ur/{tag}"] = lr_scale * 1e-4 * lrf * c.lognoise(0.015 * k)
    for tag in sc.tags():
        trainable = 0 if tag in sc.frozen_tags else TRAINABLE[tag]
        v[f"trainable/{tag}"] = np.full(c.n, float(trainable))
        v[f"has_grad/{tag}"] = np.full(c.n, float(trainable * sc.ga))
        if tag in sc.frozen_tags:  # requires_grad=False: no hook fires, the parameters never move
            v[f"grad/{tag}"] = np.zeros(c.n)
            v[f"ur/{tag}"] = np.zeros(c.n)


# ----------------------------------------------------------------------------------------------------------
# Faults: each mutates the healthy curves the way the named problem shows in a real run
# ----------------------------------------------------------------------------------------------------------


def fault_noisy(c: Curves) -> None:
    """Healthy but rough: z_init/var wanders in 0.75-1.3, a few single-point bumps (< 3x), z mean jumps.

    None of it lasts a rule's window: the false-alarm test.
    """
    v = c.v
    var = 1.0 + c.wander(0.13, 250)
    v["z_init/var"] = np.clip(var, 0.77, 1.27) + c.white(0.02)
    v["z_init/mean"] = np.clip(0.015 + c.wander(0.015, 300) + c.white(0.022), -0.095, 0.095)
    for step, factor in ((410, 2.4), (1130, 1.9)):
        v["loss_flow"][c.at(step)] *= factor
    for step, factor in ((670, 5.5), (1290, 4.0)):
        v["grad/flow"][c.at(step)] *= factor
    for step, value in ((520, 0.118), (530, 0.104), (1210, -0.112)):
        v["z_init/mean"][c.at(step)] = value
    v["dino_global"][c.at(880)] *= 1.35


def fault_grad_coverage(c: Curves) -> None:
    """Taps flushed every micro-step under GA=2: each snapshot holds one micro-step, has_grad = trainable.

    The gradient norm is then that of a single micro-batch (about 1/sqrt(2) of the accumulated one), and
    everything else trains normally.
    """
    for tag in c.sc.tags():
        c.v[f"has_grad/{tag}"] = c.v[f"trainable/{tag}"].copy()
        c.v[f"grad/{tag}"] *= 0.72


def fault_flow_stalled(c: Curves) -> None:
    """LR 15x too small and the flow output scaled by 0.02: grad_flow ~5e-3, loss_flow flat.

    Update ratios fall with the LR (~4e-5, small but not zero: a stalled run is not a frozen one), and the
    heads learn slowly too.
    """
    s = c.s
    c.v["loss_flow"] = 2.47 * (1 + s / 20000) ** -0.05 * c.lognoise(0.04)
    c.v["grad/flow"] = 0.0055 * c.lognoise(0.07)
    c.v["dino_global"] = 0.93 * (1 + s / 4000) ** -0.3 * c.lognoise(0.03)
    c.v["kl_raw"] = (0.06 + 0.15 * np.exp(-s / 2500)) * c.lognoise(0.015)


def fault_flow_unstable(c: Curves) -> None:
    """LR 20x too high: loss_flow jitters (sigma 0.25) and, in repeated bursts, grad_flow spikes 12-35x.

    Each burst has two or three gradient spikes within 40 steps and a loss_flow jump of 2.5-3.5x.
    """
    v, s = c.v, c.s
    v["loss_flow"] = 2.2 * (1 + s / 900) ** -0.12 * c.lognoise(0.25)
    v["grad/flow"] = 0.45 * c.lognoise(0.25)
    bursts = ((260, (12.0, 25.0), 3.0), (560, (18.0, 30.0, 14.0), 2.6), (840, (35.0, 16.0), 3.4),
              (1080, (22.0, 13.0), 2.8))
    for start, grads, jump in bursts:
        for j, g in enumerate(grads):
            v["grad/flow"][c.at(start + 20 * j)] *= g
        v["loss_flow"][c.at(start + 10)] *= jump
    v["z_init/mean"] += c.white(0.02)
    v["z_init/var"] += c.white(0.05)
    v["dino_global"] *= c.lognoise(0.06)


def fault_stuck_high_grad(c: Curves) -> None:
    """LR 12x too high, no clipping: the optimiser bounces across the valley without diverging.

    grad_flow climbs smoothly to ~5.5x its early level and stays there (no spike: each logged point is
    within 1.5x of the previous), loss_flow stays flat.
    """
    s = c.s
    rise = 1 + 4.5 * sigmoid((s - 480) / 80)
    c.v["grad/flow"] = 0.27 * rise * c.lognoise(0.07)
    c.v["loss_flow"] = 2.42 * (1 + 0.02 * sigmoid((s - 480) / 80)) * c.lognoise(0.05)


def fault_grad_flow_dead(c: Curves) -> None:
    """The flow transformer is frozen at iteration 700 by a freeze schedule; the taps' trainable count was
    taken in __init__ (as in the guide's code), so it stays 8.

    From then on no hook fires: grad_flow = 0.0 and has_grad = 0 exactly, the parameters never move
    (update_ratio/flow = 0.0), loss_flow stops falling.
    """
    v = c.v
    dead = c.s > 701  # the taps are one step late: iteration 700's empty snapshot is logged at step 702
    v["grad/flow"][dead] = 0.0
    v["has_grad/flow"][dead] = 0.0
    v["ur/flow"][dead] = 0.0
    frozen_level = 2.45 * (1 + 700 / 700) ** -0.22
    v["loss_flow"][dead] = frozen_level * c.lognoise(0.045)[dead]


def fault_dino_not_improving(c: Curves) -> None:
    """dino_alpha = 6: the semantic branch dominates and dino_global turns up after a small early fall.

    From mid-warmup on it rises from ~0.86 to ~1.0 and stays there; flow learns more slowly.
    """
    s = c.s
    early = 0.93 - 0.07 * (1 - np.exp(-s / 200))
    rise = 0.15 * sigmoid((s - 900) / 180)
    c.v["dino_global"] = (early + rise) * c.lognoise(0.03)
    c.v["loss_flow"] = 2.45 * (1 + s / 2000) ** -0.12 * c.lognoise(0.045)
    a = alpha_fraction(c.sc, s)
    c.v["grad/dino_t_head"] = c.sc.alpha * 0.3 * a * c.lognoise(0.05) + 0.004


def fault_dino_share_early(c: Curves) -> None:
    """teacher_scale = 12: teacher features are not normalised, dino_global starts ~25 and falls slowly.

    Even a small early alpha makes loss_dino over half of `loss` from ~step 150, and it jitters (10 %).
    """
    s = c.s
    c.v["dino_global"] = (2.0 + 23.0 * np.exp(-s / 500)) * c.lognoise(0.10)
    a = alpha_fraction(c.sc, s)
    c.v["grad/dino_t_head"] = (0.05 + 2.2 * a) * (1 + s / 1500) ** -0.5 * c.lognoise(0.08)


def fault_dino_grad_early(c: Curves) -> None:
    """dino_alpha = 4 with an 800-iteration warmup: the DINO head's gradient outgrows the flow's early.

    grad_dino_t_head passes grad_flow from ~step 150 while loss_dino stays under 40 % of `loss`.
    """
    s = c.s
    a = alpha_fraction(c.sc, s)
    after_w = np.maximum(0.0, s - c.sc.warmup)
    g = c.sc.alpha * 0.22 * (1 - np.exp(-2.5 * a)) * (1 + after_w / 600) ** -0.5
    c.v["grad/dino_t_head"] = (g + 0.004) * c.lognoise(0.05)


def fault_z_mean_drift(c: Curves) -> None:
    """Data centred at 0.6 and no centring after the mu head: z_init/mean drifts to ~0.18 by step 700."""
    s = c.s
    c.v["z_init/mean"] = 0.01 + 0.17 * sigmoid((s - 420) / 90) + c.wander(0.012, 300) + c.white(0.015)


def fault_z_var_high(c: Curves) -> None:
    """logvar_init_bias = 0.7 with beta = 0.1: z_init/var starts near 2 and only creeps down to ~1.75.

    kl_raw is high but keeps falling slowly (so this is not kl-rising: the KL is too weak to pull var in).
    """
    s = c.s
    c.v["z_init/var"] = (1.75 + 0.25 * np.exp(-s / 400)) * c.lognoise(0.03)
    c.v["kl_raw"] = (0.16 + 0.12 * np.exp(-s / 500)) * c.lognoise(0.015)
    c.v["grad/logvar_head"] *= 1.6


def fault_z_var_collapse(c: Curves) -> None:
    """beta = 0 (KL switched off): the decoder wants precise z, z_init/var collapses to ~0.15 by step 700.

    kl_raw (still computed, weight 0) rises as the posterior narrows: KL = 0.5 (var - 1 - log var).
    """
    s = c.s
    var = 1.0 - 0.86 * sigmoid((s - 450) / 110)
    c.v["z_init/var"] = var * c.lognoise(0.04)
    kl_from_var = 0.5 * (var - 1 - np.log(var))
    c.v["kl_raw"] = (0.03 + 0.05 * np.exp(-s / 350) + kl_from_var) * c.lognoise(0.015)
    c.v["grad/logvar_head"] *= 0.4


def fault_kl_rising(c: Curves) -> None:
    """beta = 0.02: after an early fall, kl_raw climbs from ~0.08 to ~0.45 and z_init/var with it to ~1.4."""
    s = c.s
    up = np.clip((s - 350) / 1650, 0.0, 1.0) ** 0.8
    c.v["kl_raw"] = (0.05 + 0.15 * np.exp(-s / 150) + 0.40 * up) * c.lognoise(0.02)
    c.v["z_init/var"] = 1.0 + 0.40 * up + c.white(0.025)


def fault_update_ratio_zero(c: Curves) -> None:
    """A paramwise lr_mult=0 on mu_head: its gradients are computed (has_grad is fine) but it never moves.

    update_ratio/mu_head = 0.0 exactly; its gradient stops falling; z_init/mean stays at its init offset.
    """
    s = c.s
    c.v["ur/mu_head"] = np.zeros(c.n)
    c.v["grad/mu_head"] = 1.5 * (1 + s / 5000) ** -0.2 * c.lognoise(0.04)
    c.v["kl_raw"] = (0.08 + 0.10 * np.exp(-s / 350)) * c.lognoise(0.015)
    c.v["z_init/mean"] += 0.02


def fault_loss_plateau(c: Curves) -> None:
    """The flow model saturates at step ~700: loss_flow flat (drifting up 1 %) for 2300 steps.

    grad_flow stays normal (not stalled, not large), dino falls slowly with a small weight, kl settled:
    only the total loss says something is off.
    """
    s = c.s
    early = 2.45 * (1 + np.minimum(s, 700) / 700) ** -0.22
    c.v["loss_flow"] = early * (1 + 0.004 * np.maximum(0.0, s - 700) / 1000) * c.lognoise(0.04)


def fault_non_finite(c: Curves) -> None:
    """LR 12x too high: from step ~620 the gradient grows exponentially, at 730 the taps overflow to inf
    (its shadow is NaN, so `loss` is NaN while every real loss is finite), from 740 everything is NaN.
    """
    v, s = c.v, c.s
    blow = np.exp(np.clip(s - 620, 0, None) / 35.0)
    v["grad/flow"] = v["grad/flow"] * 1.3 * blow
    v["loss_flow"] = v["loss_flow"] * (1 + 0.15 * (blow - 1) ** 0.5) * c.lognoise(0.08)
    i = c.at(730)
    v["grad/flow"][i] = math.inf
    v["grad/dino_t_head"][i] *= 40.0
    bad = s >= 740
    keep = {"lr", "data_time", "time"}
    for key, arr in v.items():
        if key in keep or key.startswith(("trainable/", "has_grad/")):
            continue
        arr[bad] = math.nan


def fault_loss_spike(c: Curves) -> None:
    """Two isolated bad batches: loss_flow x4.2 at step 470 and x3.6 at 930, back to normal next point."""
    c.v["loss_flow"][c.at(470)] *= 4.2
    c.v["loss_flow"][c.at(930)] *= 3.6
    c.v["grad/flow"][c.at(480)] *= 2.0


# ----------------------------------------------------------------------------------------------------------
# The scenario table
# ----------------------------------------------------------------------------------------------------------

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "healthy", "a healthy run: every branch learns, nothing may fire", "nothing",
        must=(), interval=50, ga=2, warmup=1000, max_iters=3000, seed=1, ts="20261128_101500",
    ),
    Scenario(
        "noisy_healthy", "healthy but noisy (loss_flow +-12 %, single-point bumps): nothing may fire",
        "strong noise, 2 loss_flow bumps (2.4x, 1.9x), 2 grad_flow bumps (5.5x, 4x), z_init/var wandering "
        "0.75-1.15, |z_init/mean| > 0.1 at single points (520-530, 1210), one dino_global bump (1.35x)",
        must=(), interval=10, ga=1, warmup=600, max_iters=1500, seed=2, ts="20261128_105200",
        noise=2.6, fault=fault_noisy,
    ),
    Scenario(
        "resumed_healthy", "a healthy run resumed from iter_1000 after a crash at 1330: two launches",
        "launch 1 logs 50..1300 and crashes; launch 2 resumes at iteration 1000 and logs 1050..2000 "
        "(1050-1300 overlap, different batches)",
        must=(), interval=50, ga=2, warmup=800, max_iters=2000, seed=3, ts="20261128_112900",
        ckpt_interval=500,
        launches=(Launch("20261128_112900", 0, 1330), Launch("20261128_121400", 1000, 2000, 1)),
    ),
    Scenario(
        "grad_coverage_mismatch", "taps flushed every micro-step under GA=2: has_grad/trainable = 1",
        "flush_every_microstep=True: has_grad = trainable for every tag (ratio 1, GA 2), grads x0.72",
        must=("grad-coverage-mismatch",), diagnoses=("accumulation-mismatch",),
        interval=50, ga=2, warmup=800, max_iters=1500, seed=4, ts="20261128_130600",
        model={"flush_every_microstep": True}, fault=fault_grad_coverage,
    ),
    Scenario(
        "flow_stalled", "LR too low and flow output scaled down: grad_flow ~5e-3, loss_flow flat",
        "lr 2e-6, flow_out_scale 0.02: grad_flow ~0.0055 (< 1e-2) and loss_flow flat for the whole run; "
        "update_ratio/flow ~4e-5 (prints 0.0000 in the text log)",
        must=("flow-stalled",), may=("loss-plateau", "dino-not-improving", "dino-grad-early-large"),
        diagnoses=("lr-too-low-or-over-regularised",), text_log_not_evaluated=("update-ratio-zero",),
        interval=10, ga=1, warmup=400, max_iters=1000, seed=5, ts="20261128_134300",
        lr=2e-6, model={"flow_out_scale": 0.02}, fault=fault_flow_stalled,
    ),
    Scenario(
        "flow_unstable", "LR too high: loss_flow jitters and grad_flow spikes >10x median, repeatedly",
        "lr 6e-4: loss_flow lognormal jitter 0.25; 4 bursts (260, 560, 840, 1080) of 2-3 grad_flow "
        "spikes 12-35x within 40 steps plus a loss_flow jump 2.6-3.4x",
        must=("flow-unstable",), may=("loss-spike", "loss-plateau", "dino-not-improving"),
        diagnoses=("lr-too-high-or-unstable",),
        interval=10, ga=1, warmup=500, max_iters=1200, seed=6, ts="20261128_142000",
        lr=6e-4, fault=fault_flow_unstable,
    ),
    Scenario(
        "flow_stuck_high_grad", "loss_flow flat while grad_flow stays ~5x its early median, no spikes",
        "lr 3.6e-4, no clipping: grad_flow rises smoothly from ~0.28 to ~1.5 around step 480 and stays; "
        "loss_flow flat at ~2.45",
        must=("flow-stuck-high-grad",), may=("loss-plateau",),
        interval=50, ga=2, warmup=800, max_iters=2000, seed=7, ts="20261128_145700",
        lr=3.6e-4, lr_warmup_end=200, fault=fault_stuck_high_grad,
    ),
    Scenario(
        "grad_flow_dead", "flow frozen at iteration 700: grad_flow and update_ratio/flow exactly 0",
        "freeze_flow_after_iters=700 with a stale trainable count: from step 750 grad_flow = 0.0, "
        "flow_has_grad = 0, update_ratio/flow = 0.0 (trainable stays 8), loss_flow flat",
        must=("grad-flow-dead", "grad-coverage-mismatch", "update-ratio-zero"),
        may=("flow-stalled", "loss-plateau"), diagnoses=("accumulation-mismatch",),
        text_log_not_evaluated=("grad-flow-dead", "update-ratio-zero"),
        interval=50, ga=1, warmup=600, max_iters=2000, seed=8, ts="20261128_153400",
        model={"freeze_flow_after_iters": 700}, fault=fault_grad_flow_dead,
    ),
    Scenario(
        "dino_not_improving", "dino_alpha 6: dino_global rises from mid-warmup on",
        "dino_global falls 0.93 -> 0.86, then rises to ~1.0 from step ~600 (mid-warmup) to the end",
        must=("dino-not-improving",), may=("dino-share-early-high", "dino-grad-early-large", "loss-plateau"),
        diagnoses=("semantic-branch-too-strong",),
        interval=50, ga=2, warmup=1200, max_iters=2400, seed=9, ts="20261128_161100",
        alpha=6.0, fault=fault_dino_not_improving,
    ),
    Scenario(
        "dino_share_early_high", "teacher not normalised: loss_dino > 50 % of loss early in the warmup",
        "teacher_scale 12: dino_global ~25 falling to ~3; loss_dino > 50 % of loss from step ~150 "
        "through the first half of the warmup (500), with 10 % jitter",
        must=("dino-share-early-high",), may=("dino-grad-early-large", "loss-plateau", "loss-spike"),
        interval=10, ga=1, warmup=1000, max_iters=1200, seed=10, ts="20261128_164800",
        model={"teacher_scale": 12.0}, fault=fault_dino_share_early,
    ),
    Scenario(
        "dino_grad_early_large", "dino_alpha 4: grad_dino_t_head exceeds grad_flow early in the warmup",
        "grad_dino_t_head > grad_flow from step ~150 to the end of the first half of the warmup (400); "
        "loss_dino stays < 40 % of loss there",
        must=("dino-grad-early-large",),
        interval=10, ga=2, warmup=800, max_iters=1000, seed=11, ts="20261128_172500",
        alpha=4.0, fault=fault_dino_grad_early,
    ),
    Scenario(
        "z_mean_drift", "data off-centre, no centring: z_init/mean drifts to ~0.18 and stays",
        "centre_offset 0.6: |z_init/mean| > 0.1 from step ~450 to 2000 (noise 0.015)",
        must=("z-mean-drift",),
        interval=50, ga=2, warmup=800, max_iters=2000, seed=12, ts="20261128_180200",
        dataset={"centre_offset": 0.6}, fault=fault_z_mean_drift,
    ),
    Scenario(
        "z_var_high", "logvar bias 0.7 and weak KL: z_init/var ~1.75-2.0 throughout",
        "z_init/var > 1.5 for the whole run (2.0 -> 1.75), kl_raw high but slowly falling",
        # kl-too-weak (§6 row 4) needs kl_raw rising as well; here it falls, so only the check fires
        must=("z-var-out-of-range",),
        interval=10, ga=1, warmup=500, max_iters=1000, seed=13, ts="20261128_183900",
        beta=0.1, model={"logvar_init_bias": 0.7}, fault=fault_z_var_high,
    ),
    Scenario(
        "z_var_collapse", "KL weight 0: z_init/var collapses to ~0.15",
        "beta 0.0 (loss_kl = 0): z_init/var < 0.3 from step ~700 to 1800; kl_raw rises as var collapses",
        must=("z-var-out-of-range",), may=("kl-rising", "loss-plateau"),
        interval=50, ga=2, warmup=600, max_iters=1800, seed=14, ts="20261128_191600",
        beta=0.0, fault=fault_z_var_collapse,
    ),
    Scenario(
        "kl_rising", "KL weight too weak: kl_raw rises together with z_init/var",
        "beta 0.02: kl_raw 0.08 -> 0.45 from step ~350 to 2000, z_init/var 1.0 -> 1.4 with it",
        must=("kl-rising",), may=("z-var-out-of-range", "loss-plateau"), diagnoses=("kl-too-weak",),
        interval=50, ga=1, warmup=800, max_iters=2000, seed=15, ts="20261128_195300",
        beta=0.02, fault=fault_kl_rising,
    ),
    Scenario(
        "update_ratio_zero", "mu_head optimizer group at lr 0: update_ratio/mu_head = 0, others healthy",
        "paramwise lr_mult=0.0 for mu_head: update_ratio/mu_head = 0.0 at every step while its "
        "has_grad and grad are normal",
        must=("update-ratio-zero",), text_log_not_evaluated=("update-ratio-zero",),
        interval=50, ga=2, warmup=600, max_iters=1500, seed=16, ts="20261128_203000",
        paramwise="mu_head", fault=fault_update_ratio_zero,
    ),
    Scenario(
        "loss_plateau", "flow saturates: total loss flat from step ~700 to 3000",
        "loss_flow flat (+0.4 %/1000 steps) from 700 to 3000 with grad_flow normal; dino weight 0.2",
        must=("loss-plateau",),
        interval=50, ga=1, warmup=600, max_iters=3000, seed=17, ts="20261128_210700",
        alpha=0.2, fault=fault_loss_plateau,
    ),
    Scenario(
        "non_finite_loss", "divergence: grad_flow inf at 730 (loss NaN via its shadow), all NaN from 740",
        "lr 3.6e-4: grad_flow grows from step 620; at 730 dbg/grad_flow = Infinity and "
        "loss_dbg_grad_flow = NaN (loss NaN, real losses finite); from 740 every loss, z, grad is NaN",
        must=("non-finite-loss",), may=("flow-unstable", "loss-spike"),
        diagnoses=("lr-too-high-or-unstable",),
        interval=10, ga=2, warmup=400, max_iters=1000, seed=18, ts="20261128_214400",
        lr=3.6e-4, fault=fault_non_finite,
    ),
    Scenario(
        "loss_spike", "two isolated bad batches: loss_flow spikes 4.2x and 3.6x",
        "loss_flow x4.2 at step 470 and x3.6 at 930 (single points), grad_flow x2 at 480",
        must=("loss-spike",),
        interval=10, ga=1, warmup=600, max_iters=1200, seed=19, ts="20261128_222100",
        fault=fault_loss_spike,
    ),
    Scenario(
        "missing_debug_keys", "no gradient taps: only losses, kl_raw, dino_global, z_init, dino_alpha",
        "debug_keys=False: no dbg/* key and no loss_dbg_* shadow at all; curves healthy",
        must=(), diagnoses=("missing-debug-keys",),
        interval=50, ga=2, warmup=800, max_iters=2000, seed=20, ts="20261128_225800",
        model={"debug_keys": False}, keyset="no_dbg",
    ),
    Scenario(
        "shadow_only", "a model returning only loss* keys: dbg/*, z_init, kl_raw appear only as 0 shadows",
        "every monitored key appears only as its loss_<sanitised> shadow (0.0): loss_dbg_grad_flow, "
        "loss_z_init_mean, loss_kl_raw, ...; no real value of them is logged",
        must=(), diagnoses=("missing-debug-keys",),
        interval=50, ga=1, warmup=600, max_iters=1500, seed=21, ts="20261128_233500",
        model={"return_loss_keys_only": True}, keyset="shadow_only",
    ),
    Scenario(
        "frozen_tag", "a frozen text_embed with a tap: trainable 0 -> info, not red",
        "extra tag text_embed frozen: dbg/text_embed_trainable = 0, has_grad 0, grad 0.0, update ratio 0.0",
        must=(), info=("grad-coverage-mismatch", "update-ratio-zero"),
        interval=50, ga=2, warmup=600, max_iters=1500, seed=22, ts="20261129_001200",
        model={"freeze_text_embed": True}, extra_tags=("text_embed",), frozen_tags=("text_embed",),
    ),
)


# ----------------------------------------------------------------------------------------------------------
# Derived keys and record layout
# ----------------------------------------------------------------------------------------------------------


def f32(x: np.ndarray) -> np.ndarray:
    """Round to float32 and back: the real values are float32 tensors turned into Python floats."""
    return x.astype(np.float32).astype(np.float64)


def timer(x: np.ndarray) -> np.ndarray:
    """Round a timing to the 4 decimals the text log prints.

    Timings are the only values written as float64: their last bit comes from `np.exp`, which differs between
    CPUs and numpy builds, so unrounded they made the committed samples unreproducible on another machine
    (float32 rounding absorbs that bit for every other value; tests/test_samples.py checks both).
    """
    return np.round(x, 4)


def dbg_keys(sc: Scenario) -> list[tuple[str, str]]:
    """(logged name, curve name) of the taps, in the real log's order.

    The grad/has_grad/trainable triples come sorted by tag, the update ratios in install order.
    """
    keys: list[tuple[str, str]] = []
    for tag in sorted(sc.tags()):
        keys += [(f"dbg/grad_{tag}", f"grad/{tag}"), (f"dbg/{tag}_has_grad", f"has_grad/{tag}"),
                 (f"dbg/{tag}_trainable", f"trainable/{tag}")]
    keys += [(f"dbg/update_ratio/{tag}", f"ur/{tag}") for tag in sc.tags()]
    return keys


def shadow_name(key: str) -> str:
    """The guide's zero-weight shadow of a key: `loss_` + the key with `/` sanitised to `_`."""
    return "loss_" + key.replace("/", "_")


def derive(c: Curves) -> list[tuple[str, np.ndarray]]:
    """Compute the model's output dict for every logged step, in MMEngine's logged order (without lr,
    data_time, time): `loss` first, then the losses and statistics, then the taps, then the shadows.
    """
    sc, v = c.sc, c.v
    alpha = f32(sc.alpha * alpha_fraction(sc, c.s))
    dino, kl = f32(v["dino_global"]), f32(v["kl_raw"])
    flow = f32(v["loss_flow"])
    loss_dino = f32(alpha * dino)
    loss_kl = f32(sc.beta * kl)
    stats = [("dino_global", dino), ("kl_raw", kl), ("z_init/mean", f32(v["z_init/mean"])),
             ("z_init/var", f32(v["z_init/var"])), ("dino_alpha", alpha)]
    losses = [("loss_flow", flow), ("loss_dino", loss_dino), ("loss_kl", loss_kl)]
    taps = [(name, f32(v[src])) for name, src in dbg_keys(sc)]
    if sc.keyset == "full":
        body = losses + stats + taps + [(shadow_name(k), shadow_of(a)) for k, a in taps]
    elif sc.keyset == "no_dbg":
        body = losses + stats
    else:  # shadow_only: the model hands the runner only its loss* keys
        body = losses + [(shadow_name(k), shadow_of(a)) for k, a in stats + taps]
    total = np.zeros(c.n, dtype=np.float32)
    for name, arr in body:
        if "loss" in name:
            total = total + arr.astype(np.float32)
    return [("loss", total.astype(np.float64)), *body]


def shadow_of(values: np.ndarray) -> np.ndarray:
    """`0 * value`: 0.0, or NaN where the value is inf or NaN."""
    return np.where(np.isfinite(values), 0.0, math.nan)


def record_order(items: list[tuple[str, np.ndarray]]) -> list[str]:
    """MMEngine's scalars.json key order: lr, data_time, the first iteration's outputs, time, then keys that
    appeared from the second iteration on (the taps flush one step late, so they come after `time`).
    """
    names = [name for name, _ in items]
    first_iter = [n for n in names if not n.startswith(("dbg/", "loss_dbg_"))]
    later = [n for n in names if n.startswith(("dbg/", "loss_dbg_"))]
    return ["lr", "data_time", *first_iter, "time", *later]


# ----------------------------------------------------------------------------------------------------------
# Rendering: scalars.json, config, text log, expect.yaml, README
# ----------------------------------------------------------------------------------------------------------


def json_line(values: dict[str, float], step: int) -> str:
    """One scalars.json line as LocalVisBackend writes it (json.dump: bare NaN/Infinity, repr floats)."""
    return json.dumps({**values, "iter": step, "step": step}) + "\n"


def fmt_value(key: str, value: float) -> str:
    """The text log's number format: lr in e-notation, everything else with 4 decimals (nan/inf as is)."""
    return f"{value:.4e}" if key == "lr" else f"{value:.4f}"


def render_model(sc: Scenario) -> str:
    """The `model = dict(...)` block, keys sorted as MMEngine's pretty_text prints them."""
    model: dict[str, object] = {
        "beta": float(sc.beta), "debug_keys": True, "dim": 8, "dino_alpha": float(sc.alpha),
        "dino_warmup_iters": sc.warmup, "emb_dim": 32, "feat_dim": 32, "flow_out_scale": 1.0,
        "flow_uses_cond": False, "flush_every_microstep": False, "hidden": 128, "logvar_init_bias": 0.0,
        "num_classes": 10, "teacher_rerandomise": False, "teacher_scale": 1.0, "type": "ToyFlowGen",
    }
    model.update(sc.model)
    lines = [f"    {k}={model[k]!r}," for k in sorted(model)]
    lines[-1] = lines[-1][:-1] + ")"
    return "model = dict(\n" + "\n".join(lines) + "\n"


def render_optim(sc: Scenario) -> str:
    """The optim_wrapper block, with a paramwise lr_mult=0 group when the scenario freezes one by LR."""
    paramwise = ""
    if sc.paramwise:
        paramwise = f"    paramwise_cfg=dict(custom_keys=dict({sc.paramwise}=dict(lr_mult=0.0))),\n"
    return (
        "optim_wrapper = dict(\n"
        f"    accumulative_counts={sc.ga},\n"
        f"    optimizer=dict(lr={sc.lr!r}, type='AdamW', weight_decay=0.0001),\n"
        f"{paramwise}"
        "    type='OptimWrapper')\n"
    )


def render_config(sc: Scenario, resume: bool) -> str:
    """vis_data/config.py, laid out as MMEngine's Config.pretty_text wrote the real one."""
    dataset = {"centre_offset": 0.0, "centre_scale": 1.0, "dim": 8, "num_classes": 10, "num_samples": 8192,
               "point_std": 0.5, "seed": 0, "type": "ToyMixtureDataset"}
    dataset.update(sc.dataset)
    ds_lines = "\n".join(f"        {k}={dataset[k]!r}," for k in sorted(dataset))[:-1] + "),"
    return (
        "custom_imports = dict(\n    allow_failed_imports=False, imports=[\n        'toy_fmgen',\n    ])\n"
        "default_hooks = dict(\n"
        "    checkpoint=dict(\n"
        f"        by_epoch=False, interval={sc.ckpt_interval}, max_keep_ckpts=1,\n"
        "        type='CheckpointHook'),\n"
        f"    logger=dict(interval={sc.interval}, type='LoggerHook'),\n"
        "    param_scheduler=dict(type='ParamSchedulerHook'),\n"
        "    sampler_seed=dict(type='DistSamplerSeedHook'),\n"
        "    timer=dict(type='IterTimerHook'))\n"
        "default_scope = None\n"
        "env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))\n"
        f"ga = {sc.ga}\n"
        "load_from = None\n"
        "log_level = 'INFO'\n"
        "log_processor = dict(by_epoch=False, type='LogProcessor', window_size=1)\n"
        f"max_iters = {sc.max_iters}\n"
        + render_model(sc)
        + render_optim(sc)
        + "param_scheduler = [\n"
        f"    dict(begin=0, by_epoch=False, end={sc.lr_warmup_end}, start_factor=0.1, type='LinearLR'),\n"
        "]\n"
        f"randomness = dict(deterministic=False, seed={sc.seed})\n"
        f"resume = {resume!r}\n"
        f"train_cfg = dict(max_iters={sc.max_iters}, type='IterBasedTrainLoop')\n"
        "train_dataloader = dict(\n"
        "    batch_size=256,\n"
        "    collate_fn=dict(type='default_collate'),\n"
        "    dataset=dict(\n"
        f"{ds_lines}\n"
        "    num_workers=0,\n"
        "    sampler=dict(shuffle=True, type='InfiniteSampler'))\n"
        "visualizer = dict(\n"
        "    type='Visualizer',\n"
        "    vis_backends=[\n"
        "        dict(type='LocalVisBackend'),\n"
        "        dict(type='TensorboardVisBackend'),\n"
        "    ])\n"
        f"work_dir = 'work_dirs/{sc.name}'\n"
    )


ENV_BLOCK = """
------------------------------------------------------------
System environment:
    sys.platform: linux
    Python: 3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]
    CUDA available: False
    MUSA available: False
    numpy_random_seed: {seed}
    GCC: gcc (Debian 12.2.0-14+deb12u1) 12.2.0
    PyTorch: 2.13.0+cpu
    PyTorch compiling details: PyTorch built with:
  - GCC 13.3
  - C++ Version: 202002
  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605 for Intel(R) 64 architecture \
applications
  - Intel(R) MKL-DNN v3.12.0 (Git Hash 80afa71049cd69a3df32adcccb623b12cd7baa22)
  - OpenMP 201511 (a.k.a. OpenMP 4.5)
  - LAPACK is enabled (usually provided by MKL)
  - NNPACK is enabled
  - CPU capability usage: AVX512
  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, CXX_COMPILER=/opt/rh/gcc-toolset-13/root/usr/bin/c++, \
LAPACK_INFO=mkl, PERF_WITH_AVX=1, PERF_WITH_AVX2=1, TORCH_VERSION=2.13.0, USE_CUDA=0, USE_CUDNN=OFF, \
USE_GLOO=ON, USE_MKL=ON, USE_MKLDNN=ON, USE_MPI=OFF, USE_NCCL=OFF, USE_NNPACK=ON, USE_OPENMP=ON,\x20

    OpenCV: 5.0.0
    MMEngine: 0.10.7

Runtime environment:
    cudnn_benchmark: False
    dist_cfg: {{'backend': 'gloo'}}
    seed: {seed}
    deterministic: False
    Distributed launcher: none
    Distributed training: False
    GPU number: 1
------------------------------------------------------------
"""

_R, _T, _L, _P, _C, _S = ("RuntimeInfoHook", "IterTimerHook", "LoggerHook", "ParamSchedulerHook",
                          "CheckpointHook", "DistSamplerSeedHook")
HOOK_STAGES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("before_run", (("VERY_HIGH", _R), ("BELOW_NORMAL", _L))),
    ("before_train", (("VERY_HIGH", _R), ("NORMAL", _T), ("VERY_LOW", _C))),
    ("before_train_epoch", (("VERY_HIGH", _R), ("NORMAL", _T), ("NORMAL", _S))),
    ("before_train_iter", (("VERY_HIGH", _R), ("NORMAL", _T))),
    ("after_train_iter", (("VERY_HIGH", _R), ("NORMAL", _T), ("BELOW_NORMAL", _L), ("LOW", _P),
                          ("VERY_LOW", _C))),
    ("after_train_epoch", (("NORMAL", _T), ("LOW", _P), ("VERY_LOW", _C))),
    ("before_val", (("VERY_HIGH", _R),)),
    ("before_val_epoch", (("NORMAL", _T),)),
    ("before_val_iter", (("NORMAL", _T),)),
    ("after_val_iter", (("NORMAL", _T), ("BELOW_NORMAL", _L))),
    ("after_val_epoch", (("VERY_HIGH", _R), ("NORMAL", _T), ("BELOW_NORMAL", _L), ("LOW", _P),
                         ("VERY_LOW", _C))),
    ("after_val", (("VERY_HIGH", _R),)),
    ("after_train", (("VERY_HIGH", _R), ("VERY_LOW", _C))),
    ("before_test", (("VERY_HIGH", _R),)),
    ("before_test_epoch", (("NORMAL", _T),)),
    ("before_test_iter", (("NORMAL", _T),)),
    ("after_test_iter", (("NORMAL", _T), ("BELOW_NORMAL", _L))),
    ("after_test_epoch", (("VERY_HIGH", _R), ("NORMAL", _T), ("BELOW_NORMAL", _L))),
    ("after_test", (("VERY_HIGH", _R),)),
    ("after_run", (("BELOW_NORMAL", _L),)),
)

PARAMS: tuple[tuple[str, str], ...] = (
    ("text_embed.weight", "10, 32"), ("mu_head.0.weight", "64, 32"), ("mu_head.0.bias", "64"),
    ("mu_head.2.weight", "8, 64"), ("mu_head.2.bias", "8"), ("logvar_head.0.weight", "64, 32"),
    ("logvar_head.0.bias", "64"), ("logvar_head.2.weight", "8, 64"), ("logvar_head.2.bias", "8"),
    ("fm_transformers.body.0.weight", "128, 24"), ("fm_transformers.body.0.bias", "128"),
    ("fm_transformers.body.2.weight", "128, 128"), ("fm_transformers.body.2.bias", "128"),
    ("fm_transformers.body.4.weight", "128, 128"), ("fm_transformers.body.4.bias", "128"),
    ("fm_transformers.out.weight", "8, 128"), ("fm_transformers.out.bias", "8"),
    ("dino_t_head.0.weight", "64, 128"), ("dino_t_head.0.bias", "64"), ("dino_t_head.2.weight", "32, 64"),
    ("dino_t_head.2.bias", "32"), ("teacher.0.weight", "64, 8"), ("teacher.0.bias", "64"),
    ("teacher.2.weight", "32, 64"), ("teacher.2.bias", "32"),
)


def hooks_block() -> str:
    """The 'Hooks will be executed in the following order' table of MMEngine 0.10."""
    out = []
    for stage, hooks in HOOK_STAGES:
        out.append(f"{stage}:")
        out += [f"({prio:<12}) {name:<35}" for prio, name in hooks]
        out.append(" -------------------- ")
    return "\n".join(out)


def init_block() -> str:
    """The parameter initialisation report MMEngine prints before training."""
    out = ["Name of parameter - Initialization information"]
    for name, shape in PARAMS:
        out += ["", f"{name} - torch.Size([{shape}]): ",
                "The value is the same before and after calling `init_weights` of ToyFlowGen  "]
    return "\n".join(out)


class TextLog:
    """Accumulates text-log lines with MMEngine's `YYYY/MM/DD HH:MM:SS - mmengine - LEVEL - ` prefix."""

    def __init__(self, start: datetime) -> None:
        self.clock = start
        self.parts: list[str] = []

    def log(self, msg: str, level: str = "INFO") -> None:
        """Append one record (a message may span lines, as the config and hook table do)."""
        self.parts.append(f"{self.clock:%Y/%m/%d %H:%M:%S} - mmengine - {level} - {msg}\n")

    def text(self) -> str:
        """The whole file."""
        return "".join(self.parts)


def iter_line(sc: Scenario, step: int, values: dict[str, float], eta_s: float) -> str:
    """`Iter(train) [ 20/800]  lr: ...  eta: ...  time: ...  data_time: ...  loss: ...  ...`."""
    width = len(str(sc.max_iters))
    head = [f"lr: {fmt_value('lr', values['lr'])}", f"eta: {timedelta(seconds=int(eta_s))}",
            f"time: {fmt_value('time', values['time'])}",
            f"data_time: {fmt_value('data_time', values['data_time'])}"]
    rest = [f"{k}: {fmt_value(k, x)}" for k, x in values.items() if k not in ("lr", "time", "data_time")]
    return f"Iter(train) [{step:>{width}}/{sc.max_iters}]  " + "  ".join(head + rest)


def launch_records(sc: Scenario, launch: Launch) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Build the curves of one launch and return its steps and one ordered record per logged step."""
    c = Curves(sc, launch)
    base_curves(c)
    if sc.fault is not None:
        sc.fault(c)
    items = derive(c)
    items += [("lr", c.v["lr"]), ("data_time", timer(c.v["data_time"])), ("time", timer(c.v["time"]))]
    by_name = dict(items)
    order = record_order(items[:-3])
    records = [{k: float(by_name[k][i]) for k in order} for i in range(c.n)]
    return c.steps, records


def render_text_log(sc: Scenario, launch: Launch, steps: np.ndarray, records: list[dict[str, float]],
                    config: str) -> str:
    """The `<ts>.log` of one launch: env header, config, hook table, init report, train lines, checkpoints."""
    start = datetime.strptime(launch.ts, "%Y%m%d_%H%M%S")
    out = TextLog(start)
    out.log(ENV_BLOCK.format(seed=sc.seed))
    out.log("Config:\n" + config)
    out.clock += timedelta(seconds=1)
    out.log("Distributed training is not used, all SyncBatchNorm (SyncBN) layers in the model will be "
            "automatically reverted to BatchNormXd layers if they are used.")
    out.log("Hooks will be executed in the following order:\n" + hooks_block())
    out.parts.append(init_block() + "\n")
    work_dir = f"work_dirs/{sc.name}"
    if launch.start_iter:
        ckpt = f"{work_dir}/iter_{launch.start_iter}.pth"
        out.log(f"Auto resumed from the latest checkpoint {ckpt}.")
        out.log(f"Load checkpoint from {ckpt}")
        out.log(f"resumed epoch: 0, iter: {launch.start_iter}")
    out.log('"FileClient" will be deprecated in future. Please use io functions in '
            "https://mmengine.readthedocs.io/en/latest/api/fileio.html#file-io", "WARNING")
    out.log('"HardDiskBackend" is the alias of "LocalBackend" and the former will be deprecated in future.',
            "WARNING")
    out.log(f"Checkpoints will be saved to {work_dir}.")
    for line in train_lines(sc, launch, steps, records, out):
        out.log(line)
    return out.text()


def train_lines(sc: Scenario, launch: Launch, steps: np.ndarray, records: list[dict[str, float]],
                out: TextLog) -> Iterator[str]:
    """The per-iteration records in step order, with the 'Exp name' and checkpoint lines where MMEngine
    puts them (Exp name at the end of the first dataloader pass and every 1000 iterations)."""
    exp_name = f"flowgen_{sc.name}_{launch.ts}"
    exp_steps = {EPOCH_LEN, *range(1000, sc.max_iters + 1, 1000)}
    ckpt_steps = {*range(sc.ckpt_interval, sc.max_iters + 1, sc.ckpt_interval), sc.max_iters}
    by_step = dict(zip(steps.tolist(), records, strict=True))
    mean_time = sc.iter_time
    for step in range(launch.start_iter + 1, launch.end_iter + 1):
        out.clock = datetime.strptime(launch.ts, "%Y%m%d_%H%M%S") + timedelta(
            seconds=2 + (step - launch.start_iter) * mean_time)
        if step in exp_steps:
            yield f"Exp name: {exp_name}"
        if step in by_step:
            yield iter_line(sc, step, by_step[step], (sc.max_iters - step) * mean_time)
        if step in ckpt_steps:
            yield f"Saving checkpoint at {step} iterations"


def write_launch(sc: Scenario, launch: Launch, root: Path) -> None:
    """Write `<ts>/<ts>.log`, `<ts>/vis_data/scalars.json` and `<ts>/vis_data/config.py`."""
    steps, records = launch_records(sc, launch)
    config = render_config(sc, resume=launch.start_iter > 0)
    folder = root / sc.name / launch.ts
    (folder / "vis_data").mkdir(parents=True, exist_ok=True)
    with open(folder / "vis_data" / "scalars.json", "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(json_line(rec, int(step)) for step, rec in zip(steps, records, strict=True))
    write_text(folder / "vis_data" / "config.py", config)
    write_text(folder / f"{launch.ts}.log", render_text_log(sc, launch, steps, records, config))


def write_text(path: Path, text: str) -> None:
    """Write with LF endings on every platform, so the files are byte-identical everywhere."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def yaml_list(items: tuple[str, ...]) -> str:
    """A flow-style YAML list of plain names (catalogue names need no quoting)."""
    return "[" + ", ".join(items) + "]"


def expect_yaml(sc: Scenario) -> str:
    """The scenario's answer: checks that must fire, may fire, diagnoses that must appear."""
    lines = [f"scenario: {sc.name}", f"description: {json.dumps(sc.description)}",
             f"must: {yaml_list(sc.must)}", f"may: {yaml_list(sc.may)}",
             f"diagnoses: {yaml_list(sc.diagnoses)}"]
    if sc.text_log_not_evaluated:
        lines.append(f"text_log_not_evaluated: {yaml_list(sc.text_log_not_evaluated)}")
    if sc.info:
        lines.append(f"info: {yaml_list(sc.info)}")
    return "\n".join(lines) + "\n"


README_HEAD = """# Sample logs

Generated by `make_samples.py` (deterministic: `python sample_logs/make_samples.py [--out DIR]`); do not edit
the files by hand, change the script and regenerate (`tests/test_samples.py` checks they match byte for byte).

Each `<scenario>/` is an MMEngine work dir modelled on a real MMEngine 0.10.7 run of the guide's training
(`shared/real_logs/mmengine_flowgen/flowgen_healthy`): `<ts>/<ts>.log` (text log, config on top, values with 4
decimals) and `<ts>/vis_data/scalars.json` (float32 values at full precision, `time`/`data_time` rounded to 4
decimals so no file depends on a CPU's last bit of `exp`, bare `NaN`/`Infinity`) + `vis_data/config.py`
(`accumulative_counts`, `dino_warmup_iters`, `beta`, `dino_alpha`, logger `interval`, `window_size=1`).
`<scenario>/expect.yaml` is the answer:

- `must`: checks that must fire (red or warn, as the catalogue grades them);
- `may`: collateral checks a real fault of this kind produces, allowed but not required (a diagnosis implied
  by a `may` check is allowed too);
- `diagnoses`: diagnoses that must appear;
- `text_log_not_evaluated`: rules the text log cannot decide (4 decimals are coarser than their ≈ 0 ε):
  on the text log they are reported as not evaluated instead of firing;
- `info` (frozen_tag only): checks that must appear at *info* severity only (a frozen tag), never red.

Any check not in `must` or `may` must not fire (red or warn).

| scenario | interval / GA / warmup / iters | what is planted | must | may | diagnoses |
|---|---|---|---|---|---|
"""


def readme(scenarios: tuple[Scenario, ...]) -> str:
    """The README table, generated from the scenario table so that it cannot drift from the samples."""
    rows = []
    for sc in scenarios:
        must = ", ".join(sc.must) or "–"
        if sc.info:
            must += " (info: " + ", ".join(sc.info) + ")"
        cfg = f"{sc.interval} / {sc.ga} / {sc.warmup} / {sc.max_iters}"
        planted = sc.planted.replace("|", "\\|")  # a literal pipe would end the table cell
        rows.append(f"| `{sc.name}` | {cfg} | {planted} | {must} | {', '.join(sc.may) or '–'} | "
                    f"{', '.join(sc.diagnoses) or '–'} |")
    return README_HEAD + "\n".join(rows) + "\n"


def generate(out: Path) -> None:
    """Write every scenario's work dir and expect.yaml, and the README, under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for sc in SCENARIOS:
        for launch in sc.all_launches():
            write_launch(sc, launch, out)
        write_text(out / sc.name / "expect.yaml", expect_yaml(sc))
    write_text(out / "README.md", readme(SCENARIOS))


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder to write the scenarios into (default: sample_logs/)")
    args = parser.parse_args(argv)
    generate(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
