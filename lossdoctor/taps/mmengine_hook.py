"""`GradTapsHook`: the taps as an MMEngine hook, so the model's code does not change.

In the config::

    custom_imports = dict(imports=['lossdoctor.taps.mmengine_hook'], allow_failed_imports=False)
    custom_hooks = [dict(type='GradTapsHook', tags=dict(flow='fm_transformers', mu_head='mu_head'))]
    log_processor = dict(type='LogProcessor', window_size=1, by_epoch=False)   # the guide's §0

Why a hook and not code in `train_step`: under DDP, MMEngine's `MMDistributedDataParallel.train_step`
calls the wrapped model's `data_preprocessor`, forward and `parse_losses` but not its `train_step`,
so an override there silently does nothing in multi-GPU runs. The hook instead

- builds the taps at `before_train`, i.e. after `load_or_resume()` (the taps' state is not in the
  checkpoint: a resumed run starts with nothing to flush, and its keys appear after the first real
  optimizer step; a resume in the middle of an accumulation cycle drops that first, partial step);
- watches the optimizer(s) of `runner.optim_wrapper`, so it rolls over on real optimizer steps only:
  `OptimWrapper(accumulative_counts=N)` calls `optimizer.step()` once per N iterations;
- writes the numbers into the message hub as `train/dbg/...` after each iteration (priority NORMAL,
  before `LoggerHook`), as Python floats: no `parse_losses`, no int64 `.mean()` failure, no shadow
  summed into `loss`, and the logger writes every `train/` key to the text log and `scalars.json`.
  They are marked not-resumable, so a checkpoint does not carry them into the resumed run.

Importing this module imports mmengine and registers `GradTapsHook` in its `HOOKS` registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from lossdoctor.taps.core import GradTaps

__all__ = ["GradTapsHook"]

DEFAULT_TAGS = {"flow": "fm_transformers", "dino_t_head": "dino_t_head", "mu_head": "mu_head",
                "logvar_head": "logvar_head"}


def _optimizers(optim_wrapper: Any) -> list[Any]:
    """The torch optimizers behind an `OptimWrapper` or an `OptimWrapperDict`."""
    wrappers = getattr(optim_wrapper, "optim_wrappers", None)
    if isinstance(wrappers, Mapping):
        return [w.optimizer for w in wrappers.values()]
    return [optim_wrapper.optimizer]


def _logged_every(runner: Any, ga: int) -> int:
    """Optimizer steps between two logged iterations, when the logger interval is a multiple of GA."""
    interval = next((int(h.interval) for h in runner.hooks if type(h).__name__ == "LoggerHook"), 0)
    return interval // ga if interval and interval % ga == 0 and runner.iter % ga == 0 else 1


@HOOKS.register_module()
class GradTapsHook(Hook):
    """Log `dbg/grad_<tag>`, `dbg/<tag>_has_grad`, `dbg/<tag>_trainable`, `dbg/update_ratio/<tag>`.

    Args:
        tags: tag → submodule name of the model (dotted for nested modules), or a list of submodule
            names used as tags. Default: the guide's four (`flow` is `fm_transformers`).
        update_ratio: also measure `||Δθ|| / (||θ|| + eps)` per step (costs one copy of the tagged
            parameters in memory and about four memory passes over them per measured step).
        update_every: measure the update ratio on every N-th optimizer step only (in between, the
            last measured ratio is logged). Default: `LoggerHook.interval / GA` when GA divides the
            interval (else 1), so the measured step is exactly the one that closes on each logged
            iteration: the log shows the same numbers as with N = 1, for a fraction of the cost.
        eps: the ε of the update ratio.
        strict: raise when a tag names no submodule; otherwise skip it with a warning.
    """

    priority = "NORMAL"

    def __init__(
        self,
        tags: Mapping[str, str] | Sequence[str] | None = None,
        update_ratio: bool = True,
        update_every: int | None = None,
        eps: float = 1e-12,
        strict: bool = True,
    ) -> None:
        self.tags = dict(tags) if isinstance(tags, Mapping) else (list(tags) if tags else dict(DEFAULT_TAGS))
        self.update_ratio = update_ratio
        self.update_every = update_every
        self.eps = eps
        self.strict = strict
        self.taps: GradTaps | None = None

    def before_train(self, runner: Any) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        tags: Mapping[str, str] | Sequence[str] = self.tags
        if not self.strict:
            named = tags if isinstance(tags, Mapping) else {t.replace(".", "_"): t for t in tags}
            found = {}
            for tag, path in named.items():
                try:
                    model.get_submodule(path)
                    found[tag] = path
                except AttributeError:
                    runner.logger.warning(f"GradTapsHook: no submodule {path!r} for tag {tag!r}; skipped")
            tags = found
        ga = int(getattr(runner.optim_wrapper, "_accumulative_counts", 1) or 1)
        every = self.update_every or _logged_every(runner, ga)
        self.taps = GradTaps.from_model(
            model, tags, update_ratio=self.update_ratio, update_every=every, eps=self.eps
        )
        for optimizer in _optimizers(runner.optim_wrapper):
            self.taps.watch(optimizer)
        if runner.iter % ga:
            # Resumed mid-cycle: the first step sees fewer than GA backward passes.
            self.taps.skip_next()

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if self.taps is None:
            return
        hub = runner.message_hub
        for key, value in self.taps.metrics().items():
            # resumed=False: kept out of the checkpoint's message hub, or a resumed run would log
            # the last pre-resume values again until the taps publish (stale numbers, not a gap).
            hub.update_scalar(f"train/{key}", value, resumed=False)

    def after_train(self, runner: Any) -> None:
        if self.taps is not None:
            self.taps.close()
            self.taps = None
