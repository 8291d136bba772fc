"""`GradTaps`: gradient norms, coverage counts and update ratios per tagged module, without torch at import.

What it measures, per tag (a named module, e.g. `flow`, `dino_t_head`, `mu_head`, `logvar_head`):

- `dbg/grad_<tag>`: `sqrt(Σ ||g||²)` over every gradient the tag's parameters received between two
  optimizer steps (each micro-batch's gradient, as the guide's §9 hook sums `g.pow(2).sum()`), read by
  a tensor hook (`p.register_hook`) during the real backward. No extra backward, no `autograd.grad`:
  both break reentrant checkpointing and make DDP reduce a parameter twice ("already been reduced", §3, §5).
  The hook sees the gradient of this backward on this rank, before DDP's all-reduce and before it is
  added to `.grad`: under DDP each rank measures its local gradient (docs/taps.md, "Distributed").
- `dbg/<tag>_has_grad`: how many gradients arrived (hook calls) in that optimizer step, and
  `dbg/<tag>_trainable`: how many parameter tensors of the tag require grad. Their ratio is the number
  of backward passes per optimizer step: the gradient-accumulation steps (GA) when every trainable
  parameter is used. Both are floats: MMEngine's `parse_losses` calls `.mean()` on every value, which
  fails on the int64 tensors the guide's skeleton builds (`torch.tensor(int)`).
- `dbg/update_ratio/<tag>`: `||θ_after − θ_before|| / (||θ_after|| + eps)` across one
  optimizer step, from a copy of the tag's parameters taken just before the step (per-tag norms only,
  under `no_grad`). That copy and about four memory passes over the tagged parameters are the taps'
  main cost (benchmarks/bench_taps.py); `update_every=N` measures every N-th optimizer step only and
  keeps publishing the last measured ratio in between (each value is still one step's ratio; the
  key is absent until the first measured step).

When the numbers roll over: on real optimizer steps only. `watch(optimizer)` registers the optimizer's
step pre/post hooks, so micro-steps of gradient accumulation (no `optimizer.step()`) never flush; a loop
that cannot be watched calls `taps.step()` right after `optimizer.step()`. Flushing on every forward or
`train_step` instead (the guide's skeleton, called from `train_step`) gives has_grad/trainable = 1 under
GA: the accumulation-mismatch symptom the guide warns about. `metrics()` returns the last *completed*
optimizer step: called inside the next step's forward (as the guide does) it is one step late; called
after `optimizer.step()` it is that step. Before the first completed step it returns `{}` (after a
resume there is nothing to flush yet: the keys are absent, never a fake 0).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from torch import nn
    from torch.optim import Optimizer

__all__ = ["GradTaps", "metric_names", "shadow", "shadow_name", "with_shadows"]

_INSTALL_HINT = (
    "lossdoctor.taps needs PyTorch, which lossdoctor does not install: pip install torch "
    "(lossdoctor analyze itself does not need it)"
)


def _torch() -> Any:
    """Import torch on first use, with an actionable message when it is missing."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(_INSTALL_HINT) from exc
    return torch


def metric_names(tag: str) -> tuple[str, str, str, str]:
    """The catalogue's canonical names for one tag: grad, has_grad, trainable, update_ratio."""
    return (f"dbg/grad_{tag}", f"dbg/{tag}_has_grad", f"dbg/{tag}_trainable", f"dbg/update_ratio/{tag}")


def shadow_name(key: str) -> str:
    """The guide's zero-weight shadow name: `dbg/update_ratio/flow` → `loss_dbg_update_ratio_flow`."""
    return "loss_" + re.sub(r"[^0-9A-Za-z]+", "_", key).strip("_")


def shadow(value: Any) -> Any:
    """A zero that stands in for `value` in the loss dict, and is never NaN.

    The guide's shadow is `0 * value`; a gradient norm that overflowed is `inf`, `0 * inf` is NaN,
    and MMEngine sums every `loss*` key into the total `loss`, so one overflowing norm turns the
    logged (and, if the shadow were attached, the optimised) loss NaN. This returns a detached
    float32 zero on the value's device instead: it adds nothing, carries no gradient, and cannot be
    NaN. A shadow only makes a key *appear* in loggers that print `loss*` keys: its value is always 0
    (the catalogue: shadows carry no value), so log the real key as well.
    """
    if isinstance(value, int | float):
        return 0.0
    torch = _torch()
    return torch.zeros((), dtype=torch.float32, device=value.device)


def with_shadows(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """`metrics` plus a never-NaN zero shadow `loss_<key>` for each key (see `shadow`)."""
    out = dict(metrics)
    for key, value in metrics.items():
        out[shadow_name(key)] = shadow(value)
    return out


class _Tag:
    """One tagged module: its parameters, the gradient norms seen since the last step, the snapshot."""

    __slots__ = ("all_params", "armed", "handles", "name", "norms", "owners", "params", "prev")

    def __init__(self, name: str, params: list[torch.Tensor]) -> None:
        self.name = name
        self.all_params = params
        # Hooks can only be registered on tensors that require grad; a parameter frozen at attach
        # time is counted in `trainable` only if it is unfrozen later (then `refresh()` hooks it).
        self.params = [p for p in params if p.requires_grad]
        self.norms: list[torch.Tensor] = []
        self.handles: list[Any] = []
        self.owners: set[int] = set()
        self.prev: list[torch.Tensor] = []
        self.armed = False  # `prev` holds the parameters from just before the step being closed


class GradTaps:
    """Gradient taps on named modules: norms and counts from the real backward, update ratios per step.

    Typical use (plain PyTorch; `lossdoctor instrument` prints the variant for your setting)::

        taps = GradTaps({"flow": model.flow, "dino_t_head": model.dino_t_head}).watch(optimizer)
        for i, batch in enumerate(loader):
            (loss_fn(model, batch) / ga).backward()
            if (i + 1) % ga == 0:
                optimizer.step()          # the step hooks roll the taps over here, and only here
                optimizer.zero_grad()
            log({**losses, **taps.metrics()})

    It never changes training: the tensor hooks return None (the gradient is read, not replaced),
    the snapshot is a copy taken under `no_grad`, and nothing is added to the graph.
    """

    def __init__(
        self,
        modules: Mapping[str, nn.Module | Iterable[torch.Tensor]],
        *,
        update_ratio: bool = True,
        update_every: int = 1,
        eps: float = 1e-12,
    ) -> None:
        self._torch = _torch()
        if update_every < 1:
            raise ValueError("update_every must be >= 1")
        self.update_every = update_every
        if not modules:
            raise ValueError("GradTaps needs at least one tag: {'flow': model.flow, ...}")
        self.update_ratio = update_ratio
        self.eps = eps
        self._tags: dict[str, _Tag] = {}
        for name, module in modules.items():
            if not name or "/" in name:
                raise ValueError(f"tag {name!r}: use a non-empty name without '/', e.g. 'dino_t_head'")
            params = list(module.parameters()) if hasattr(module, "parameters") else list(module)
            self._tags[name] = _Tag(name, params)
        self._optimizers: dict[int, tuple[Any, Any]] = {}
        self._last: dict[str, float] = {}
        self._skip = 0
        self.steps = 0
        """Optimizer steps completed since the taps were built (or `reset()`)."""
        self._install()

    @classmethod
    def from_model(
        cls, model: nn.Module, tags: Mapping[str, str] | Sequence[str], **kwargs: Any
    ) -> GradTaps:
        """Tags by submodule name: `{"flow": "fm_transformers"}` or `["mu_head", "logvar_head"]`.

        A dotted name reaches nested modules (`"backbone.blocks.3"`); in a list, the tag is the name
        with dots turned into underscores. A DDP/MMEngine wrapper is unwrapped (`.module`).
        """
        torch = _torch()
        parallel = (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)
        inner = model.module if isinstance(model, parallel) else model
        named = dict(tags) if isinstance(tags, Mapping) else {t.replace(".", "_"): t for t in tags}
        modules = {}
        for tag, path in named.items():
            try:
                modules[tag] = inner.get_submodule(path)
            except AttributeError as exc:
                raise ValueError(f"tag {tag!r}: the model has no submodule {path!r}") from exc
        return cls(modules, **kwargs)

    # -- hooks ------------------------------------------------------------------------------------

    def _install(self) -> None:
        torch = self._torch
        for tag in self._tags.values():
            for p in tag.params:
                tag.handles.append(p.register_hook(self._grad_hook(tag.norms)))
            if self.update_ratio:
                with torch.no_grad():
                    tag.prev = [p.detach().clone() for p in tag.params]
                tag.armed = self._measures(0)

    def _grad_hook(self, norms: list[torch.Tensor]) -> Callable[[torch.Tensor], None]:
        vector_norm = self._torch.linalg.vector_norm
        float32 = self._torch.float32

        def hook(grad: torch.Tensor) -> None:
            # One small kernel per parameter and no `.item()`: no host sync inside the backward.
            g = grad.detach()
            if g.is_sparse:
                g = g.coalesce().values()
            norms.append(vector_norm(g, dtype=float32))

        return hook

    def watch(self, optimizer: Optimizer) -> GradTaps:
        """Roll over on this optimizer's real steps (its step pre/post hooks). Idempotent; chainable.

        Gradient accumulation skips `optimizer.step()` on micro-steps, so counts add up to GA. With
        several optimizers (a GAN, MMEngine's `OptimWrapperDict`), a tag rolls over on the steps of
        the optimizer that holds its parameters; a tag none holds (frozen) rolls on every step.
        """
        key = id(optimizer)
        if key in self._optimizers:
            return self
        held = {id(p) for group in optimizer.param_groups for p in group["params"]}
        for tag in self._tags.values():
            if any(id(p) in held for p in tag.params):
                tag.owners.add(key)
        pre = optimizer.register_step_pre_hook(lambda opt, args, kwargs: self._snapshot(key))
        post = optimizer.register_step_post_hook(lambda opt, args, kwargs: self._roll(key))
        self._optimizers[key] = (pre, post)
        return self

    def _due(self, key: int | None) -> list[_Tag]:
        if key is None:
            return list(self._tags.values())
        return [t for t in self._tags.values() if key in t.owners or not t.owners]

    def _snapshot(self, key: int | None) -> None:
        if not self.update_ratio or not self._measures(self.steps):
            return
        torch = self._torch
        with torch.no_grad():
            for tag in self._due(key):
                if tag.params:
                    torch._foreach_copy_(tag.prev, [p.detach() for p in tag.params])
                    tag.armed = True

    def _measures(self, index: int) -> bool:
        """Whether optimizer step `index` (0-based) gets an update ratio: the last of every
        `update_every` steps, so that with `update_every = logger interval / GA` the measured step is
        the one that closes on the logged iteration."""
        return (index + 1) % self.update_every == 0

    def step(self) -> None:
        """Roll over by hand, right after `optimizer.step()`, for a loop whose optimizer is not watched.

        Call it once per real optimizer step, never per micro-batch: under gradient accumulation a
        per-micro-batch call gives has_grad/trainable = 1, which `lossdoctor analyze` reports as
        `grad-coverage-mismatch`. The update ratio then compares with the parameters at the previous
        `step()` (or construction, or `reset()`): call `reset()` after loading a checkpoint.
        """
        if self._optimizers:
            raise RuntimeError("GradTaps.step(): an optimizer is watched, its step hook rolls over already")
        self._roll(None)

    def _roll(self, key: int | None) -> None:
        """Close one optimizer step: turn the accumulated norms and the snapshot into published numbers."""
        torch = self._torch
        tags = self._due(key)
        values: list[Any] = []  # 0-dim tensors (`torch` here is the runtime module)
        counts: list[tuple[float, float]] = []
        measured: list[bool] = []
        with torch.no_grad():
            for tag in tags:
                device = tag.params[0].device if tag.params else torch.device("cpu")
                if tag.norms:
                    norms = tag.norms
                    gsq = torch.stack([n.to(device) for n in norms]).square().sum()
                else:
                    gsq = torch.zeros((), dtype=torch.float32, device=device)
                counts.append((float(len(tag.norms)), float(sum(p.requires_grad for p in tag.all_params))))
                tag.norms.clear()
                ratio = torch.zeros((), dtype=torch.float32, device=device)
                measured.append(self.update_ratio and (tag.armed or not tag.params))  # frozen: 0
                params = [p.detach() for p in tag.params]
                if self.update_ratio and tag.armed and params:
                    torch._foreach_sub_(tag.prev, params)  # prev := θ_before − θ_after
                    delta = torch.stack(torch._foreach_norm(tag.prev)).float().square().sum().sqrt()
                    norm = torch.stack(torch._foreach_norm(params)).float().square().sum().sqrt()
                    ratio = delta / (norm + self.eps)
                    tag.armed = False
                if key is None and self.update_ratio and params and self._measures(self.steps + 1):
                    # no pre-step hook: snapshot now for the next step, which is measured
                    torch._foreach_copy_(tag.prev, params)
                    tag.armed = True
                values.append(torch.stack([gsq.sqrt(), ratio.to(device)]).to("cpu"))
            # One host transfer for all tags, once per optimizer step.
            numbers = torch.stack(values).tolist() if values else []
        self.steps += 1
        if self._skip:
            self._skip -= 1
            return
        rows = zip(tags, numbers, counts, measured, strict=True)
        for tag, (grad, ratio_value), (has, total), fresh in rows:
            k_grad, k_has, k_total, k_ratio = metric_names(tag.name)
            self._last[k_grad] = grad
            self._last[k_has] = has
            self._last[k_total] = total
            if fresh:  # with update_every > 1, a step not measured keeps the last measured ratio
                self._last[k_ratio] = ratio_value

    # -- results ----------------------------------------------------------------------------------

    def metrics(
        self, *, as_tensors: bool = False, device: Any = None, shadows: bool = False
    ) -> dict[str, Any]:
        """The last completed optimizer step, under the canonical names; `{}` before the first one.

        `as_tensors=True` gives 0-dim float32 tensors (on `device`, default the first tag's device):
        what an MMEngine `loss()` dict must hold, since `parse_losses` calls `.mean()` on each value.
        `shadows=True` adds a never-NaN zero `loss_dbg_*` shadow per key (see `shadow`).
        """
        out: dict[str, Any] = dict(self._last)
        if as_tensors:
            torch = self._torch
            if device is None:
                device = next((t.params[0].device for t in self._tags.values() if t.params), "cpu")
            out = {k: torch.tensor(v, dtype=torch.float32, device=device) for k, v in out.items()}
        return with_shadows(out) if shadows else out

    @property
    def tags(self) -> list[str]:
        """The tag names, in the order given."""
        return list(self._tags)

    # -- lifecycle --------------------------------------------------------------------------------

    def skip_next(self, n: int = 1) -> None:
        """Drop the next `n` completed steps' numbers (a resume in the middle of an accumulation cycle:
        the first step then sees fewer than GA backward passes and would read as a coverage fault)."""
        self._skip += n

    def reset(self) -> None:
        """Forget accumulated gradients, the published numbers and the snapshot (after loading weights)."""
        torch = self._torch
        self._last.clear()
        self.steps = 0
        with torch.no_grad():
            for tag in self._tags.values():
                tag.norms.clear()
                if self.update_ratio and tag.params:
                    torch._foreach_copy_(tag.prev, [p.detach() for p in tag.params])
                    tag.armed = True

    def refresh(self) -> None:
        """Re-hook after freezing or unfreezing parameters (hooks exist only on tensors needing grad)."""
        owners = {t.name: set(t.owners) for t in self._tags.values()}
        self._remove_hooks()
        for name, tag in list(self._tags.items()):
            self._tags[name] = _Tag(name, tag.all_params)
            self._tags[name].owners = owners[name]
        self._install()

    def _remove_hooks(self) -> None:
        for tag in self._tags.values():
            for handle in tag.handles:
                handle.remove()
            tag.handles.clear()

    def close(self) -> None:
        """Remove every gradient and optimizer hook (the model is as it was before the taps)."""
        self._remove_hooks()
        for pre, post in self._optimizers.values():
            pre.remove()
            post.remove()
        self._optimizers.clear()

    def __enter__(self) -> GradTaps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
