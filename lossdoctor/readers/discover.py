"""A folder finds its runs, at any depth, the way their tools lay them out, and says what it skipped.

One run per:
- MMEngine work dir: a folder whose `<timestamp>/` subfolders hold a launch's log (also nested,
  `experiments/<model>/<schedule>/<variant>/<ts>/`), or one such launch folder;
- MLflow file-store run: `mlruns/<experiment>/<run>/` with `metrics/` beside `meta.yaml`;
- HF Trainer output dir: its `trainer_state.json`, else the one of its latest `checkpoint-N/`;
- Lightning `version_N/` with a CSVLogger `metrics.csv` (or event files: a TensorBoard run);
- TensorBoard: every folder holding event files is a run, as TensorBoard itself treats it
  (`runs/<date_host>/`, `<run>/<ts>/`, Keras' `train/`; Keras' `validation/` is not training);
- a folder of TensorBoard exports (one CSV/JSON per tag) is one run;
- any other log file, found by its content, is a run of its own.
Everything else that looks like a log, and every folder that a layout makes redundant
(earlier checkpoints, event files beside MMEngine launches), is listed as skipped with why.
The walk is bounded: tool folders (`.git`, MLflow's `.trash`) are not entered, symlinked folders are not
followed, and it stops after `MAX_ENTRIES` entries or `MAX_DEPTH` levels, saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lossdoctor.errors import InputError
from lossdoctor.readers import keras_tb, mlflow, tfevents
from lossdoctor.readers.base import LAUNCH_STAMP
from lossdoctor.readers.registry import TB_EXPORTS, detect

MAX_ENTRIES = 20000
MAX_DEPTH = 32
MAX_PROBED = 500  # files whose first bytes are read to find their format
NOT_ENTERED = frozenset({".git", ".trash", "__pycache__", ".ipynb_checkpoints", "node_modules", ".venv"})
LOG_SUFFIXES = (".log", ".json", ".jsonl", ".csv", ".txt", ".gz")
_CHECKPOINT = re.compile(r"checkpoint-(\d+)")
_VERSION = re.compile(r"version_\d+")
_EVENTS = re.compile(r"events\.out\.tfevents\.")
NO_LAUNCH_LOG = "launch folder without a log (no vis_data/scalars.json or <ts>.log)"
VALIDATION_NAMES = frozenset({"validation", "val", "eval"})


@dataclass(frozen=True)
class Found:
    """A run: its folder (or file), what layout it is, and the paths `read_paths` takes for it."""

    path: Path
    kind: str
    inputs: tuple[Path, ...]


@dataclass(frozen=True)
class Skipped:
    """A folder or file not read, and why."""

    path: Path
    reason: str


@dataclass
class Discovery:
    """The runs found under a folder and what was skipped, in walk order."""

    root: Path
    runs: list[Found] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    entries: int = 0
    probed: int = 0


def discover(root: Path) -> Discovery:
    """Every run under `root` (itself included) and what was skipped."""
    found = Discovery(root)
    _visit(root, found, 0)
    return found


def _visit(folder: Path, found: Discovery, depth: int) -> None:
    """Classify one folder; descend only where its layout may hold more runs."""
    if depth > MAX_DEPTH:
        found.skipped.append(Skipped(folder, f"not searched: deeper than {MAX_DEPTH} folders"))
        return
    try:
        entries = sorted(folder.iterdir(), key=_natural)
    except OSError as exc:
        found.skipped.append(Skipped(folder, f"cannot list: {exc.strerror or exc}"))
        return
    found.entries += len(entries)
    if found.entries > MAX_ENTRIES:
        found.skipped.append(Skipped(folder, f"not searched: the walk stops after {MAX_ENTRIES} entries"))
        return
    dirs = [p for p in entries if p.is_dir() and not p.is_symlink()]
    files = [p for p in entries if p.is_file()]
    for layout in (_mmengine, _mmcv, _mlflow, _hf_trainer, _lightning_csv, _keras_logdir):
        if layout(folder, dirs, files, found):
            return
    _tensorboard_and_files(folder, dirs, files, found)
    for sub in dirs:
        if sub.name in NOT_ENTERED:
            continue
        _visit(sub, found, depth + 1)


def _natural(path: Path) -> tuple[tuple[int, int | str], ...]:
    """`version_2` before `version_10`."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", path.name))


def launch_file(folder: Path) -> Path | None:
    """The file to read in one launch folder: `vis_data/scalars.json`, else its twin, else the event file
    (when the tensorboard extra is installed), else the text log."""
    for candidate in (folder / "vis_data" / "scalars.json", folder / "scalars.json"):
        if candidate.is_file():
            return candidate
    twins = sorted(p for p in (folder / "vis_data").glob("*.json") if LAUNCH_STAMP.fullmatch(p.stem))
    if twins:
        return twins[-1]
    events = tfevents.launch_order(list((folder / "vis_data").glob(tfevents.FILE_GLOB)))
    if events and tfevents.available():  # float32 values: finer than the text log's 4 decimals
        return events[-1]
    own_log = folder / f"{folder.name}.log"
    if own_log.is_file():
        return own_log
    logs = sorted(p for p in folder.glob("*.log") if LAUNCH_STAMP.fullmatch(p.stem))
    return logs[-1] if logs else None


def _mmengine(folder: Path, dirs: list[Path], files: list[Path], found: Discovery) -> bool:
    """A launch folder, or a work dir holding launch folders: one run, its launches stitched or split."""
    is_launch = LAUNCH_STAMP.fullmatch(folder.name) is not None or (folder / "vis_data").is_dir()
    if is_launch and launch_file(folder) is not None:
        found.runs.append(Found(folder, "MMEngine launch", (folder,)))
        return True
    launches = [d for d in dirs if LAUNCH_STAMP.fullmatch(d.name) and launch_file(d) is not None]
    if not launches:
        return False
    plural = "es" if len(launches) > 1 else ""
    found.runs.append(Found(folder, f"MMEngine work dir ({len(launches)} launch{plural})", (folder,)))
    for d in dirs:
        if LAUNCH_STAMP.fullmatch(d.name) and d not in launches:
            found.skipped.append(Skipped(d, NO_LAUNCH_LOG))
    events = [f for f in files if _EVENTS.match(f.name)]
    if events:
        found.skipped.append(Skipped(folder, f"{len(events)} event file(s) beside the launches: "
                                     "the launches' own logs are read"))
    return True


def mmcv_launches(folder: Path) -> list[Path]:
    """An MMCV 1.x work dir's launches, oldest first: `<ts>.log.json` files (else their `<ts>.log` text twins)
    right in the folder, as MMCV's loggers write them. Empty when the folder is not one."""
    if LAUNCH_STAMP.fullmatch(folder.name):
        return []  # an MMEngine launch folder holds `<ts>.log` too
    found: dict[str, Path] = {}
    for file in sorted(folder.glob("*.log.json")):
        if LAUNCH_STAMP.fullmatch(file.name[: -len(".log.json")]):
            found[file.name[: -len(".log.json")]] = file
    if not found:
        return []
    for file in sorted(folder.glob("*.log")):
        if LAUNCH_STAMP.fullmatch(file.stem) and file.stem not in found:
            found[file.stem] = file
    return [found[stamp] for stamp in sorted(found)]


def _mmcv(folder: Path, dirs: list[Path], files: list[Path], found: Discovery) -> bool:
    """An MMCV 1.x work dir: one run, its `<ts>.log.json` launches stitched or split like MMEngine's."""
    launches = mmcv_launches(folder)
    if not launches:
        return False
    plural = "es" if len(launches) > 1 else ""
    found.runs.append(Found(folder, f"MMCV work dir ({len(launches)} launch{plural})", tuple(launches)))
    for file in files:
        if file not in launches and file.name.endswith(LOG_SUFFIXES) and LAUNCH_STAMP.search(file.name):
            what = "text twin of its .log.json" if file.name.endswith(".log") else "not a launch log"
            found.skipped.append(Skipped(file, what))
    return True


def _mlflow(folder: Path, dirs: list[Path], files: list[Path], found: Discovery) -> bool:
    if not mlflow.is_run(folder):
        return False
    name = mlflow.run_name(folder)
    found.runs.append(Found(folder, f"MLflow run {name!r}" if name else "MLflow run", (folder,)))
    return True


def _hf_trainer(folder: Path, dirs: list[Path], files: list[Path], found: Discovery) -> bool:
    """An HF Trainer output dir: its own `trainer_state.json`, else its latest checkpoint's."""
    checkpoints = sorted((int(m.group(1)), d) for d in dirs if (m := _CHECKPOINT.fullmatch(d.name))
                         and (d / "trainer_state.json").is_file())
    own = folder / "trainer_state.json"
    if own.is_file():
        chosen, kind = own, "HF Trainer output"
    elif checkpoints:
        latest = checkpoints[-1][1]
        chosen, kind = latest / "trainer_state.json", f"HF Trainer output ({latest.name})"
    else:
        return False
    found.runs.append(Found(folder, kind, (chosen,)))
    for _, d in checkpoints:
        if d != chosen.parent:
            found.skipped.append(Skipped(d, f"earlier checkpoint: its log_history is part of {chosen}"))
    for d in dirs:
        if d.name == "runs" and _holds_runs(d):
            found.skipped.append(Skipped(d, "TensorBoard copy of the same training: "
                                            "trainer_state.json is read"))
    return True


def _holds_runs(folder: Path) -> bool:
    """Event files in `folder` or one level below (HF's `runs/<date_host>/`), without a deep walk."""
    try:
        children = list(folder.iterdir())[:MAX_ENTRIES]
        return any(_EVENTS.match(p.name) for p in children) or any(
            _EVENTS.match(q.name) for p in children if p.is_dir() for q in p.iterdir())
    except OSError:
        return False


def _keras_logdir(folder: Path, dirs: list[Path], files: list[Path], found: Discovery) -> bool:
    """Keras' TensorBoard logdir: `train/` and `validation/` event files are one run on the epoch axis."""
    if not keras_tb.is_logdir(folder):
        return False
    inputs = tuple(f for split in keras_tb.split_files(folder).values() for f in split)
    found.runs.append(Found(folder, "Keras TensorBoard logdir", inputs))
    return True


def _lightning_csv(folder: Path, dirs: list[Path], files: list[Path], found: Discovery) -> bool:
    """A Lightning `version_N/`: its CSVLogger `metrics.csv`; an empty one is skipped with why."""
    if not _VERSION.fullmatch(folder.name):
        return False
    metrics = folder / "metrics.csv"
    if metrics.is_file():
        found.runs.append(Found(folder, "Lightning CSVLogger", (metrics,)))
        if any(_EVENTS.match(f.name) for f in files):
            found.skipped.append(Skipped(folder, "event files beside metrics.csv: the same logging, "
                                         "metrics.csv is read"))
        return True
    if not any(_EVENTS.match(f.name) for f in files) and not dirs:
        names = ", ".join(f.name for f in files) or "nothing"
        found.skipped.append(Skipped(folder, f"Lightning version without metrics.csv or event files "
                                     f"({names})"))
        return True
    return False


def _tensorboard_and_files(folder: Path, dirs: list[Path], files: list[Path], found: Discovery) -> None:
    """Event files make the folder a run; TensorBoard exports make it one run; other logs one run each."""
    events = [f for f in files if _EVENTS.match(f.name)]
    if events:
        sibling_train = folder.parent / "train"
        if folder.name in VALIDATION_NAMES and sibling_train.is_dir() and any(
                _EVENTS.match(p.name) for p in sibling_train.iterdir()):
            found.skipped.append(Skipped(folder, "validation run beside train/ (Keras): not training steps"))
        else:
            found.runs.append(Found(folder, "TensorBoard run", tuple(tfevents.launch_order(events))))
    exports: list[Path] = []
    for file in files:
        if _EVENTS.match(file.name) or not file.name.lower().endswith(LOG_SUFFIXES):
            continue
        if found.probed >= MAX_PROBED:
            found.skipped.append(Skipped(file, f"not probed: at most {MAX_PROBED} files are read "
                                         "to find logs"))
            continue
        found.probed += 1
        try:
            fmt = detect(file)
        except InputError as exc:  # the list of known formats is for one file's error, not for a tree
            found.skipped.append(Skipped(file, exc.message.split(" (known formats")[0]))
            continue
        if fmt in TB_EXPORTS:
            exports.append(file)
        else:
            found.runs.append(Found(file, f"{fmt} log", (file,)))
    if exports:
        found.runs.append(Found(folder, f"TensorBoard exports ({len(exports)} files)", tuple(exports)))
