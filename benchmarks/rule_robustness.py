"""How often the rules get it right on runs they were not tuned on: every scenario, many seeds.

Each sample scenario of `sample_logs/make_samples.py` is regenerated with other seeds
(the same fault, fresh noise) and, for the healthy ones, also with stronger noise; each
variant is analysed and compared with the scenario's declaration: the checks that must
fire (recall), and red or warn findings it does not declare (false alarms).

    .venv/bin/python benchmarks/rule_robustness.py [--seeds 20] [--noise 1.5]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "sample_logs"))

import make_samples  # noqa: E402

from lossdoctor.engine import analyze, load_default  # noqa: E402
from lossdoctor.readers import read_paths  # noqa: E402

HEALTHY = ("healthy", "noisy_healthy", "resumed_healthy")


def variants(scenario: make_samples.Scenario, seeds: int, noise: float) -> list[make_samples.Scenario]:
    """The scenario with fresh seeds; healthy ones also with `noise` times their noise."""
    out = [dataclasses.replace(scenario, seed=1000 + 37 * k + scenario.seed) for k in range(seeds)]
    if scenario.name in HEALTHY:
        out += [dataclasses.replace(v, noise=v.noise * noise) for v in out]
    return out


def judge(scenario: make_samples.Scenario, root: Path) -> tuple[bool, set[str]]:
    """(every `must` fired, the undeclared red/warn checks that fired)."""
    for launch in scenario.all_launches():
        make_samples.write_launch(scenario, launch, root)
    report = analyze(read_paths([root / scenario.name]), load_default())
    fired = {f.rule for f in report.findings if f.severity in ("red", "warn")}
    return set(scenario.must) <= fired, fired - set(scenario.must) - set(scenario.may)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--noise", type=float, default=1.5, help="noise factor of the extra healthy variants")
    args = parser.parse_args(argv)
    print(f"{'scenario':26} {'variants':>8} {'recall':>7} {'false-alarm runs':>17}  undeclared checks")
    for scenario in make_samples.SCENARIOS:
        hits = alarms = 0
        undeclared: dict[str, int] = {}
        runs = variants(scenario, args.seeds, args.noise)
        for variant in runs:
            with tempfile.TemporaryDirectory() as tmp:
                ok, extra = judge(variant, Path(tmp))
            hits += ok
            alarms += bool(extra)
            for rule in extra:
                undeclared[rule] = undeclared.get(rule, 0) + 1
        shown = ", ".join(f"{r} ×{n}" for r, n in sorted(undeclared.items())) or "–"
        recall = f"{hits / len(runs):.0%}" if scenario.must else "–"
        row = f"{scenario.name:26} {len(runs):8d} {recall:>7} {alarms:>10}/{len(runs):<6}  {shown}"
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
