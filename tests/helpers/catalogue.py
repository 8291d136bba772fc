"""The rule-catalogue's names: a contract the tests hold the pack, samples and reports to."""

from __future__ import annotations

#: check names of rule-catalogue.md ("Checks" table)
CATALOGUE_CHECKS = frozenset({
    "grad-coverage-mismatch", "flow-stalled", "flow-unstable", "flow-stuck-high-grad", "grad-flow-dead",
    "dino-not-improving", "dino-share-early-high", "dino-grad-early-large", "z-mean-drift",
    "z-var-out-of-range", "kl-rising", "update-ratio-zero", "loss-plateau", "non-finite-loss", "loss-spike",
    # issue 18: the metrics every run logs (rules/common.yaml)
    "val-loss-diverging", "accuracy-not-improving", "loss-magnitude-absurd",
})  # fmt: skip
#: checks on metrics the guide's MMEngine runs never log (validation loss, accuracy): planted not in
#: sample_logs/ but in per-epoch histories (rules/tests/default.yaml, tests/test_epoch_real.py)
EPOCH_CHECKS = frozenset({"val-loss-diverging", "accuracy-not-improving", "loss-magnitude-absurd"})
#: diagnosis names of rule-catalogue.md ("Diagnoses" table)
CATALOGUE_DIAGNOSES = frozenset({
    "lr-too-low-or-over-regularised", "lr-too-high-or-unstable", "semantic-branch-too-strong", "kl-too-weak",
    "accumulation-mismatch", "missing-debug-keys",
})  # fmt: skip
