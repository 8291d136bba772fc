"""Mutations of real logs and configs, for the fuzz test and `benchmarks/fuzz_inputs.py`.

A seed is a real file (the bundled samples, copies of /work/shared/real_logs); a mutation
is what an unlucky user or an attacker does to it: cut it, duplicate a piece, flip bytes,
nest a line a thousand brackets deep, make one line huge, spell a NaN differently, or
turn a config into a bomb. Every example is one file written where the seed was, so a
work dir keeps its shape (config.py beside scalars.json, the text log beside vis_data).
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from lossdoctor.cli import run

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "real_logs"


@dataclass(frozen=True)
class Seed:
    """A file to mutate, inside the folder (`tree`) copied around it; `target` is relative to `tree`."""

    tree: Path
    target: str


def seeds(max_bytes: int = 80_000) -> list[Seed]:
    """Real files no larger than `max_bytes` (the suite keeps to small ones; the benchmark takes more)."""
    found: list[Seed] = []
    healthy = ROOT / "sample_logs" / "healthy"
    for file in sorted(healthy.rglob("*")):
        if file.is_file() and file.name != "expect.yaml":
            found.append(Seed(healthy, str(file.relative_to(healthy))))
    if SHARED.is_dir():
        for file in sorted(SHARED.rglob("*")):
            if file.is_file() and file.suffix != ".md" and file.stat().st_size <= max_bytes:
                found.append(Seed(file.parent, file.name))
    return found


PROJECT_CONFIG = b"""fail_on: red
select: [flow, kl, dino]
ignore: [loss-plateau]
severity: {loss-spike: warn}
params: {ga: 2, warmup_steps: 1200}
aliases: {train/grad_norm_flow: dbg/grad_flow}
"""

Mutation = Callable[[bytes], bytes]


def _cut(at: float) -> Mutation:
    return lambda data: data[: int(len(data) * at)]


def _duplicate(at: float, length: int) -> Mutation:
    def apply(data: bytes) -> bytes:
        start = int(len(data) * at)
        return data[:start] + data[start : start + length] * 2 + data[start + length :]

    return apply


def _flip(positions: list[float], value: int) -> Mutation:
    def apply(data: bytes) -> bytes:
        out = bytearray(data)
        for at in positions:
            if out:
                out[min(int(len(out) * at), len(out) - 1)] ^= value
        return bytes(out)

    return apply


def _insert_line(at: float, line: bytes) -> Mutation:
    def apply(data: bytes) -> bytes:
        cut = data.find(b"\n", int(len(data) * at))
        cut = len(data) if cut < 0 else cut + 1
        return data[:cut] + line + b"\n" + data[cut:]

    return apply


def _respell(spelling: bytes) -> Mutation:
    """Every number after `"loss": ` (or `loss: `) spelled as a non-finite word, from the middle on."""

    def apply(data: bytes) -> bytes:
        half = len(data) // 2
        tail = data[half:]
        for key in (b'"loss": ', b"loss: "):
            start = tail.find(key)
            if start >= 0:
                value = start + len(key)
                end = value
                while end < len(tail) and tail[end : end + 1] in b"0123456789.-e":
                    end += 1
                tail = tail[:value] + spelling + tail[end:]
                break
        return data[:half] + tail

    return apply


def _exponential_names(levels: int) -> bytes:
    lines = [b"a0 = 1"] + [
        f"a{i} = [".encode() + b", ".join([f"a{i - 1}".encode()] * 10) + b"]" for i in range(1, levels + 1)
    ]
    return b"\n".join(lines) + b"\n"


def _laughs(levels: int) -> bytes:
    lines = [b'a0: &a0 ["lol"]'] + [
        f"a{i}: &a{i} [".encode() + b", ".join([f"*a{i - 1}".encode()] * 9) + b"]"
        for i in range(1, levels + 1)
    ]
    anchors = b"".join(b"    " + line + b"\n" for line in lines)
    return b"thresholds:\n  x:\n" + anchors + f"select: *a{levels}\n".encode()


def mutations(huge: int = 200_000) -> st.SearchStrategy[Mutation]:
    """Every kind of mutation; `huge` is the size of the one long line (the suite keeps it small)."""
    fraction = st.floats(0, 1)
    return st.one_of(
        st.builds(_cut, fraction),
        st.builds(_duplicate, fraction, st.integers(1, 5000)),
        st.builds(_flip, st.lists(fraction, min_size=1, max_size=8), st.integers(1, 255)),
        st.builds(_insert_line, fraction, st.sampled_from([b"[" * 1000, b'{"a":' * 1000, b"{" * 5000])),
        st.builds(_insert_line, fraction, st.sampled_from([
            b'{"step": 1, "x": "' + b"y" * huge + b'"}', b"loss: " + b"9" * huge, b"," * huge,
        ])),
        st.builds(_respell, st.sampled_from([b"nan", b"inf", b"-inf", b"null", b"NaN", b"Infinity", b"nAn"])),
        st.builds(lambda n: lambda data: data + _exponential_names(n), st.integers(3, 9)),
        st.builds(lambda n: lambda data: _laughs(n), st.integers(2, 9)),
        st.just(lambda data: data.replace(b"\n", b"\r\n")),
        st.just(lambda data: b"\x1f\x8b" + data),  # gzip's magic on something that is not gzip
    )


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def analyze_mutated(seed: Seed, mutation: Mutation, workdir: Path, *, project_config: bool) -> Outcome:
    """Mutate a copy of the seed (or a lossdoctor.yaml beside it) and run `analyze` on it in-process."""
    args = prepare(seed, mutation, workdir, project_config=project_config)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(args)
    return Outcome(code, out.getvalue(), err.getvalue())


def prepare(seed: Seed, mutation: Mutation, workdir: Path, *, project_config: bool) -> list[str]:
    """Copy the seed's folder into `workdir`, mutate the seed or a project config; the `analyze` arguments."""
    tree = workdir / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(seed.tree, tree)
    args = ["analyze", str(tree), "--format", "json", "--jobs", "1"]
    if project_config:
        config = workdir / "lossdoctor.yaml"
        config.write_bytes(mutation(PROJECT_CONFIG))
        args += ["--config", str(config)]
    else:
        target = tree / seed.target
        target.write_bytes(mutation(target.read_bytes()))
        if target.name != "config.py":
            args[1] = str(target)
    return args
