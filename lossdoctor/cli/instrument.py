"""`lossdoctor instrument`: print the gradient-taps code for the user's setting.

The guide's §3/§9 skeleton has traps (int64 counts, NaN shadows, a flush per `train_step`, nothing to
flush after a resume); `lossdoctor.taps` avoids them, and this command prints the few lines that wire
it into an MMEngine config or a plain PyTorch loop. It is what the `missing-debug-keys` remedy points
to. Nothing here imports torch.
"""

from __future__ import annotations

from enum import Enum

import typer

from lossdoctor.cli.app import app
from lossdoctor.errors import OK, UsageError


class Framework(str, Enum):
    mmengine = "mmengine"
    pytorch = "pytorch"


@app.command()
def instrument(
    framework: Framework = typer.Option(
        Framework.mmengine, "--framework", "-f", help="mmengine (a config fragment) or pytorch (a loop)."
    ),
    ga: int = typer.Option(1, "--ga", min=1, help="Gradient-accumulation steps (backward passes per step)."),
    ddp: bool = typer.Option(False, "--ddp", help="Distributed data parallel: no_sync and rank-0 logging."),
    tags: list[str] = typer.Option(
        [],
        "--tag",
        "-t",
        help="TAG=MODULE: a tag and the model attribute it hooks (dotted for nested). Repeatable. "
        "Default: the guide's flow=fm_transformers, dino_t_head, mu_head, logvar_head.",
    ),
) -> int:
    """Print the code that logs dbg/grad_<tag>, has_grad, trainable and update_ratio (guide §3, §4, §9)."""
    from lossdoctor.taps.snippets import snippet

    chosen: dict[str, str] = {}
    for item in tags:
        tag, sep, module = item.partition("=")
        tag, module = tag.strip(), (module.strip() if sep else tag.strip())
        if not tag or "/" in tag or not module.replace(".", "").replace("_", "").isalnum():
            raise UsageError(f'bad tag "{item}": use TAG=MODULE, e.g. flow=fm_transformers', field="--tag")
        chosen[tag] = module
    typer.echo(snippet(framework.value, chosen or None, ga=ga, ddp=ddp), nl=False)
    return OK
