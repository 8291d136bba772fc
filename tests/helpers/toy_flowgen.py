"""A tiny Flow Matching + DINO + KL generator for MMEngine's Runner on the CPU (the guide's kind of training).

Importing it registers `ToyFlowGen` and `ToyMixture` in MMEngine's registries. The model has the guide's
submodules (`fm_transformers` tagged `flow`, `dino_t_head`, `mu_head`, `logvar_head`) and logs the guide's
keys (`loss_flow`, `loss_dino`, `loss_kl`, `kl_raw`, `dino_global`, `z_init/mean`, `z_init/var`,
`dino_alpha`). `taps` chooses how the gradient taps are wired:

- `"hook"`: none in the model; the config's `GradTapsHook` does it (the documented MMEngine way);
- `"train_step"`: the three lines inside `train_step` (watch the optimizer, merge `metrics()`);
- `"every_microstep"`: a planted fault, the guide skeleton's timing: the taps are flushed by hand at
  every `train_step`, so under gradient accumulation has_grad/trainable reads 1 instead of GA.
"""

from __future__ import annotations

from typing import Any

import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.registry import DATASETS, MODELS
from torch import nn
from torch.nn import functional as F

from lossdoctor.taps import GradTaps


@DATASETS.register_module(force=True)
class ToyMixture(torch.utils.data.Dataset):
    """Points around `num_classes` fixed centres in `dim` dimensions, with their class."""

    def __init__(self, num_samples: int = 4096, dim: int = 8, num_classes: int = 10, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        centres = torch.randn(num_classes, dim, generator=g) * 1.5
        self.labels = torch.randint(0, num_classes, (num_samples,), generator=g)
        self.points = centres[self.labels] + 0.5 * torch.randn(num_samples, dim, generator=g)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x1": self.points[i], "label": self.labels[i]}


@MODELS.register_module(force=True)
class ToyFlowGen(BaseModel):
    def __init__(
        self,
        dim: int = 8,
        hidden: int = 128,
        num_classes: int = 10,
        emb_dim: int = 32,
        feat_dim: int = 32,
        beta: float = 3.0,
        dino_alpha: float = 1.0,
        dino_warmup_iters: int = 300,
        taps: str = "hook",
    ) -> None:
        super().__init__()
        self.beta = beta
        self.dino_alpha = dino_alpha
        self.dino_warmup_iters = dino_warmup_iters
        self.taps_mode = taps
        self.embed = nn.Embedding(num_classes, emb_dim)
        self.mu_head = nn.Linear(emb_dim, dim)
        self.logvar_head = nn.Linear(emb_dim, dim)
        self.fm_transformers = nn.Sequential(
            nn.Linear(2 * dim + 1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, dim),
        )
        self.dino_t_head = nn.Sequential(nn.Linear(dim, feat_dim), nn.Tanh(), nn.Linear(feat_dim, feat_dim))
        self.teacher = nn.Linear(dim, feat_dim)
        self.teacher.requires_grad_(False)
        self.taps: GradTaps | None = None

    def forward(self, x1: torch.Tensor, label: torch.Tensor, mode: str = "loss") -> Any:
        e = self.embed(label)
        mu, logvar = self.mu_head(e), self.logvar_head(e).clamp(-6, 6)
        z_text = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        kl_raw = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean()
        x0 = torch.randn_like(x1)
        t = torch.rand(len(x1), 1)
        xt = (1 - t) * x0 + t * x1
        v = self.fm_transformers(torch.cat([xt, t, z_text], dim=1))
        loss_flow = F.mse_loss(v, x1 - x0)
        x1_hat = xt + (1 - t) * v
        dino_global = 1 - F.cosine_similarity(self.dino_t_head(x1_hat), self.teacher(x1), dim=1).mean()
        it = MessageHub.get_current_instance().get_info("iter", 0)
        alpha = self.dino_alpha * min(1.0, it / self.dino_warmup_iters)
        return {
            "loss_flow": loss_flow,
            "loss_dino": alpha * dino_global,
            "loss_kl": self.beta * kl_raw,
            "dino_global": dino_global.detach(),
            "kl_raw": kl_raw.detach(),
            "z_init/mean": z_text.detach().mean(),
            "z_init/var": z_text.detach().var(),
            "dino_alpha": torch.tensor(alpha),
        }

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, Any]:
        if self.taps_mode == "hook":
            return super().train_step(data, optim_wrapper)
        tags = {"flow": "fm_transformers", "dino_t_head": "dino_t_head", "mu_head": "mu_head",
                "logvar_head": "logvar_head"}
        if self.taps is None:
            self.taps = GradTaps.from_model(self, tags)
            if self.taps_mode == "train_step":
                self.taps.watch(optim_wrapper.optimizer)
        log_vars = super().train_step(data, optim_wrapper)
        if self.taps_mode == "every_microstep":
            self.taps.step()  # the fault: a flush per train_step, not per optimizer step
        return {**log_vars, **self.taps.metrics()}
