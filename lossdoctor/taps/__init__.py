"""The stethoscope: the guide's gradient taps (§3, §9) and update ratios (§4) as a library.

`GradTaps` hooks named modules, accumulates gradient norms and counts during the real backward,
measures `||Δθ|| / (||θ|| + ε)` across each optimizer step, and hands back the last completed
optimizer step's numbers under the catalogue's canonical names (`dbg/grad_<tag>`,
`dbg/<tag>_has_grad`, `dbg/<tag>_trainable`, `dbg/update_ratio/<tag>`), which `lossdoctor analyze`
reads. See docs/taps.md, or `lossdoctor instrument` for the code to paste.

Importing this package does not import torch: the CLI (and users who only analyse logs) must not
pay for, or need, a 700 MB dependency. torch is imported when a `GradTaps` is built or a shadow is
made. The MMEngine hook lives in `lossdoctor.taps.mmengine_hook` (it imports mmengine).
"""

from __future__ import annotations

from lossdoctor.taps.core import GradTaps, metric_names, shadow, shadow_name, with_shadows

__all__ = ["GradTaps", "metric_names", "shadow", "shadow_name", "with_shadows"]
