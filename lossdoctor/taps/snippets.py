"""The code `lossdoctor instrument` prints: the taps wired for one setting (MMEngine or plain PyTorch,
with or without gradient accumulation, with or without DDP).

Pure text, no torch: the CLI must answer without it. The snippets are tested by running them
(tests/test_taps_mmengine.py builds a Runner from the MMEngine one; tests/test_taps.py executes the
PyTorch one), so what users paste is what the tests ran.
"""

from __future__ import annotations

from collections.abc import Mapping

GUIDE_TAGS: dict[str, str] = {
    "flow": "fm_transformers",
    "dino_t_head": "dino_t_head",
    "mu_head": "mu_head",
    "logvar_head": "logvar_head",
}
"""The guide's §9 skeleton: tag → the model attribute it hooks (`add_hooks(self.fm_transformers, 'flow')`)."""

FRAMEWORKS = ("mmengine", "pytorch")


def _mm_tags(tags: Mapping[str, str]) -> str:
    return "".join(f"        {tag}='{module}',\n" for tag, module in tags.items())


def mmengine(tags: Mapping[str, str], ga: int, ddp: bool) -> str:
    """A config fragment: the hook, the guide's log processor, and where GA goes."""
    ga_line = (
        "# gradient accumulation: set it in optim_wrapper, so that MMEngine calls optimizer.step() (where\n"
        "# the taps roll over) once per GA iterations and `lossdoctor analyze` reads GA from\n"
        f"# vis_data/config.py; has_grad/trainable will then read {ga}\n"
        f"# optim_wrapper = dict(type='OptimWrapper', optimizer=..., accumulative_counts={ga})\n"
        if ga > 1
        else "# no gradient accumulation: has_grad/trainable will read 1\n"
    )
    ddp_note = (
        "# DDP: every rank runs the hook on its own local gradients; MMEngine writes rank 0's values\n"
        "# (text log and vis_data/scalars.json): dbg/grad_* is rank 0's local, pre-all-reduce norm.\n"
        if ddp
        else ""
    )
    return (
        "# lossdoctor taps for MMEngine: paste into your training config (append to existing\n"
        "# custom_hooks). The model's code does not change. Needs torch >= 2.0 (optimizer step hooks).\n"
        "custom_imports = dict(imports=['lossdoctor.taps.mmengine_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [\n"
        "    dict(type='GradTapsHook', tags=dict(\n"
        f"{_mm_tags(tags)}"
        "    )),\n"
        "]\n"
        "# the guide's §0: log raw values, not window means\n"
        "log_processor = dict(type='LogProcessor', window_size=1, by_epoch=False)\n"
        + ga_line
        + ddp_note
        + "# then: lossdoctor analyze work_dirs/<your experiment>/\n"
    )


def pytorch(tags: Mapping[str, str], ga: int, ddp: bool) -> str:
    """A training loop: the taps built once, rolled over by the optimizer's step, logged as JSON lines."""
    owner = "model.module" if ddp else "model"
    every = "max(1, LOG_EVERY // GA)" if ga > 1 else "LOG_EVERY"
    tag_lines = "".join(f'    "{tag}": {owner}.{module},\n' for tag, module in tags.items())
    head = (
        "# lossdoctor taps for a plain PyTorch loop (torch >= 2.0). Your names: model, optimizer, loader,\n"
        "# compute_losses(model, batch) -> dict of loss_flow, loss_dino, loss_kl, ... (0-dim tensors).\n"
        "import json\n"
    )
    if ddp:
        head += "from contextlib import nullcontext\n\nimport torch.distributed as dist\n"
    head += "\nfrom lossdoctor.taps import GradTaps\n\n"
    if ga > 1:
        head += f"GA = {ga}  # gradient-accumulation steps: backward passes per optimizer step\n"
    head += "LOG_EVERY = 10  # iterations between log lines\n"
    log_to = "open(\"train_log.jsonl\", \"a\")"
    if ddp:
        log_to = 'open("train_log.jsonl", "a") if dist.get_rank() == 0 else None  # rank 0 logs'
    body = (
        f"log_file = {log_to}\n\n"
        "# Once, after the model, the optimizer and any checkpoint are loaded. The step hooks roll the taps\n"
        "# over on real optimizer steps only; the tensor hooks read each gradient during your backward.\n"
        "taps = GradTaps({\n"
        f"{tag_lines}"
        f"}}, update_every={every}).watch(optimizer)  # update ratio on the step each log line shows\n\n"
        "for i, batch in enumerate(loader):\n"
        "    losses = compute_losses(model, batch)\n"
        '    loss = sum(v for k, v in losses.items() if k.startswith("loss"))\n'
    )
    if ga > 1:
        if ddp:
            body += (
                "    stepping = (i + 1) % GA == 0\n"
                "    # DDP all-reduces on the last micro-batch only\n"
                "    with nullcontext() if stepping else model.no_sync():\n"
                "        (loss / GA).backward()\n"
                "    if stepping:\n"
            )
        else:
            body += "    (loss / GA).backward()\n    if (i + 1) % GA == 0:\n"
        body += (
            "        optimizer.step()  # the taps close this step here (never on micro-batches)\n"
            "        optimizer.zero_grad()\n"
        )
    else:
        body += (
            "    loss.backward()\n"
            "    optimizer.step()  # the taps close this step here\n"
            "    optimizer.zero_grad()\n"
        )
    body += (
        "    if (i + 1) % LOG_EVERY == 0" + (" and log_file" if ddp else "") + ":\n"
        "        # taps.metrics(): the last completed optimizer step, as floats; {} before the first one\n"
        '        row = {"step": i + 1, "loss": float(loss), **{k: float(v) for k, v in losses.items()}}\n'
        '        log_file.write(json.dumps({**row, **taps.metrics()}) + "\\n")\n'
        "        log_file.flush()\n"
    )
    tail = (
        "\ntaps.close()\n"
        f"# then: lossdoctor analyze train_log.jsonl --ga {ga}\n"
    )
    return head + body + tail


def snippet(framework: str, tags: Mapping[str, str] | None = None, ga: int = 1, ddp: bool = False) -> str:
    """The code for one setting; `tags` defaults to the guide's four."""
    chosen = dict(tags) if tags else dict(GUIDE_TAGS)
    if framework == "mmengine":
        return mmengine(chosen, ga, ddp)
    if framework == "pytorch":
        return pytorch(chosen, ga, ddp)
    raise ValueError(f"unknown framework {framework!r}; known: {', '.join(FRAMEWORKS)}")
