"""Logs beyond the local disk: `s3://`, `gs://`, `az://`, `hf://` and `https://` inputs, through fsspec.

Why staging: every reader takes a local `Path` (pyarrow parses files, detection reads heads,
discovery walks folders), so a remote file or folder is copied into a private temporary folder
(mode 0700, removed on exit, whatever happens) and read there as local; the report and every
error name the URL, never the temporary path. One copy, then the same readers as for local logs:
no second code path to keep in step with the local one.

A folder is a listing of objects. Files up to `SMALL_BYTES` are copied whole; of larger ones
(checkpoints beside the logs) only the first `HEAD_BYTES`, enough for format detection. The local
folder discovery is then run on that copy, the files it picks are copied whole, and the heads it
did not pick are deleted, so no truncated file is ever read. Everything copied counts against a
budget (`LOSSDOCTOR_REMOTE_MAX_BYTES`, default 2 GiB): beyond it the input is refused (exit 2).
Object names are untrusted: one with an empty, `.` or `..` part, a backslash or a control
character is not copied (said on stderr), and files are created exclusively (`xb`) under the
private folder, so no name can write, or link, outside it, or drive a terminal.

fsspec is the optional `remote` extra, imported only when a URL is given. Credentials are whatever
the user's environment already holds (AWS_* variables or profiles, gcloud's default credentials,
AZURE_STORAGE_* variables, HF_TOKEN); nothing here reads or asks for them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from lossdoctor.errors import InputError, LossdoctorError, UsageError

HEAD_BYTES = 1 << 20  # detection reads 64 KiB (inflated, for gzip): 1 MiB of compressed head covers it
SMALL_BYTES = 8 << 20
DEFAULT_MAX_BYTES = 2 << 30
MAX_OBJECTS = 20_000  # a listing larger than this is not a run's folder
MAX_DEPTH = 6  # a folder of work dirs: sweep/run/<timestamp>/vis_data/scalars.json is 4 deep
CHUNK = 1 << 20
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
# scheme -> the package fsspec needs for it (the remote extra brings fsspec and s3fs)
PACKAGES = {
    "s3": "s3fs", "s3a": "s3fs",
    "gs": "gcsfs", "gcs": "gcsfs",
    "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs",
    "hf": "huggingface_hub",
    "https": "aiohttp", "http": "aiohttp",
}
EXTRA = "pip install 'lossdoctor[remote]'"


def is_url(text: str) -> bool:
    return _URL.match(text) is not None


def max_bytes() -> int:
    """The staging budget: `LOSSDOCTOR_REMOTE_MAX_BYTES` (bytes), else 2 GiB."""
    raw = os.environ.get("LOSSDOCTOR_REMOTE_MAX_BYTES", "")
    if not raw:
        return DEFAULT_MAX_BYTES
    if not raw.isdigit() or int(raw) <= 0:
        raise UsageError(f'LOSSDOCTOR_REMOTE_MAX_BYTES must be a positive number of bytes, not "{raw}"')
    return int(raw)


@dataclass
class Staging:
    """The local stand-ins of the URLs given, and how to name them back."""

    root: Path
    paths: list[Path]
    names: dict[str, str] = field(default_factory=dict)  # local path -> URL
    budget: int = DEFAULT_MAX_BYTES
    used: int = 0
    heads: dict[Path, tuple[Any, str]] = field(default_factory=dict)  # head-only file -> (fs, remote path)

    def text(self, value: str) -> str:
        """`value` with every staged path replaced by its URL (messages, file names, parameter sources)."""
        for local, url in sorted(self.names.items(), key=lambda item: -len(item[0])):
            value = value.replace(local, url)
        return value

    def relabel(self, value: Any) -> Any:
        """`value` (a RunData, Report, SweepRun, dict…) with staged paths named by their URLs, in place
        where it is mutable; frames and arrays are left alone."""
        if not self.names:
            return value
        return _swap(value, self.text)


def _swap(value: Any, text: Any) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list):
        return [_swap(v, text) for v in value]
    if isinstance(value, tuple):
        return tuple(_swap(v, text) for v in value)
    if isinstance(value, (set, frozenset)):
        return type(value)(_swap(v, text) for v in value)
    if isinstance(value, dict):
        return {_swap(k, text): _swap(v, text) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _swap(getattr(value, f.name), text) for f in fields(value)}
        if type(value).__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return replace(value, **changes)
        for name, new in changes.items():
            setattr(value, name, new)
        return value
    return value  # frames, arrays, numbers


@contextmanager
def staged(args: Sequence[str]) -> Iterator[Staging]:
    """The inputs as local paths (URLs staged); errors raised inside name URLs, not the stand-ins."""
    if not any(is_url(a) for a in args):
        yield Staging(Path(), [Path(a) for a in args])
        return
    import shutil
    import tempfile

    budget = max_bytes()
    root = Path(tempfile.mkdtemp(prefix="lossdoctor-remote-"))
    staging = Staging(root, [], budget=budget)
    try:
        for index, arg in enumerate(args):
            staging.paths.append(_stage(staging, arg, root / str(index)) if is_url(arg) else Path(arg))
        yield staging
    except LossdoctorError as exc:
        exc.message = staging.text(exc.message)
        exc.file = staging.text(exc.file) if exc.file else exc.file
        raise
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _stage(staging: Staging, url: str, slot: Path) -> Path:
    """One URL copied under `slot`; its local stand-in (a file or a folder)."""
    fs, path = _filesystem(url)
    slot.mkdir()
    try:
        info = fs.info(path)
        name = _safe_part(path.rstrip("/").rsplit("/", 1)[-1]) or "log"
        local = slot / name
        staging.names[str(local)] = url.rstrip("/")
        if info.get("type") == "directory" or _index_page(url):
            local.mkdir()
            _stage_folder(staging, fs, path, local, url)
        else:
            _copy(staging, fs, path, local, url, info.get("size"), whole=True)
    except LossdoctorError:
        raise
    except Exception as exc:  # any client's error (botocore, aiohttp, azure…): the URL and why, exit 2
        raise _remote_error(url, exc) from None
    return local


def _index_page(url: str) -> bool:
    """An http(s) URL ending in `/`: a server's index page, whose links under it are the folder."""
    return url.endswith("/") and url.lower().startswith(("http://", "https://"))


def _filesystem(url: str) -> tuple[Any, str]:
    """fsspec's filesystem for the URL's scheme, or an error naming the package to install."""
    scheme = _URL.match(url).group(1).lower()  # type: ignore[union-attr]
    if scheme not in PACKAGES:
        known = ", ".join(f"{s}://" for s in ("s3", "gs", "az", "hf", "https"))
        raise UsageError(f"unsupported URL scheme {scheme}:// (supported: {known})", file=url)
    try:
        import fsspec
    except ImportError:
        raise UsageError(f"reading URLs needs the remote extra: {EXTRA}", file=url) from None
    try:
        return fsspec.core.url_to_fs(url, skip_instance_cache=True)
    except ImportError:
        package = PACKAGES[scheme]
        raise UsageError(f"{scheme}:// URLs need the {package} package: pip install {package}",
                         file=url) from None


def _stage_folder(staging: Staging, fs: Any, path: str, local: Path, url: str) -> None:
    """The folder's objects: small ones whole, large ones as heads (see the module's docstring)."""
    base = path.rstrip("/") + "/"
    skipped: list[str] = []
    for key, info in _listing(fs, path, url):
        if key.endswith("/") and not info.get("size"):
            continue  # a console's "folder" marker object, not a file
        parts = key[len(base):].split("/")
        if not key.startswith(base) or not all(_safe_part(p) == p for p in parts):
            skipped.append(key[len(base):])
            continue
        target = local.joinpath(*parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):  # `a` and `a/b` both objects: the file wins
            skipped.append(key[len(base):])
            continue
        size = info.get("size")
        whole = size is not None and size <= SMALL_BYTES
        _copy(staging, fs, key, target, url, size, whole=whole)
        if not whole:
            staging.heads[target] = (fs, key)
    if skipped:
        sys.stderr.write(f"lossdoctor: {_printable(url)}: not copied (unsafe object names): "
                         f"{_printable(', '.join(skipped[:5]))}{' …' if len(skipped) > 5 else ''}\n")


def _listing(fs: Any, path: str, url: str) -> list[tuple[str, dict[str, Any]]]:
    """The files under `path`, sorted, folder by folder: refused past MAX_OBJECTS (a bucket's root, not a
    run's folder) before the rest is listed."""
    found: list[tuple[str, dict[str, Any]]] = []
    for _root, _dirs, files in fs.walk(path, maxdepth=MAX_DEPTH, detail=True):
        found.extend((info["name"], info) for info in files.values())
        if len(found) > MAX_OBJECTS:
            raise InputError(f"more than {MAX_OBJECTS} objects under this folder: point at the run's folder",
                             file=url)
    return sorted(found, key=lambda item: item[0])


def _safe_part(part: str) -> str:
    """An object-name part usable as a local name, else "" (`..`, `.`, empty, a backslash, or a character
    that is not printable: a name is shown in the report, and must not drive a terminal)."""
    if part in ("", ".", "..") or "\\" in part or not part.isprintable():
        return ""
    return part


def _copy(
    staging: Staging, fs: Any, key: str, target: Path, url: str, size: int | None, *, whole: bool
) -> None:
    """Copy an object (or its head) into a new file, counting every byte against the budget."""
    limit = None if whole else HEAD_BYTES
    if whole and size is not None and staging.used + size > staging.budget:
        raise _over_budget(staging, url)
    with fs.open(key, "rb") as source, target.open("xb") as sink:
        copied = 0
        while limit is None or copied < limit:
            chunk = source.read(CHUNK if limit is None else min(CHUNK, limit - copied))
            if not chunk:
                break
            copied += len(chunk)
            staging.used += len(chunk)
            if staging.used > staging.budget:
                raise _over_budget(staging, url)
            sink.write(chunk)


def _over_budget(staging: Staging, url: str) -> InputError:
    return InputError(f"more than {staging.budget} bytes to copy (LOSSDOCTOR_REMOTE_MAX_BYTES): point at "
                      "the run's log or folder, or raise the limit", file=url)


def complete(staging: Staging) -> None:
    """Copy whole the head-only files that folder discovery picks; delete the heads it does not."""
    if not staging.heads:
        return
    from lossdoctor.readers import expand_paths, split_runs

    picked: set[Path] = set()
    for path in staging.paths:
        if path.is_dir() and any(path in head.parents for head in staging.heads):
            for run in split_runs([path]):
                try:
                    picked.update(expand_paths(list(run)))
                except LossdoctorError:
                    continue  # reading this run fails the same way, and says why
    for head, (fs, key) in staging.heads.items():
        head.unlink()
        if head in picked:
            url = staging.text(str(head))
            try:
                _copy(staging, fs, key, head, url, None, whole=True)
            except LossdoctorError:
                raise
            except Exception as exc:
                raise _remote_error(url, exc) from None
    staging.heads.clear()


def _remote_error(url: str, exc: Exception) -> LossdoctorError:
    """What went wrong reading a URL, as the user can act on it."""
    if isinstance(exc, FileNotFoundError):
        return InputError("no such file or folder (or no permission to list it)", file=url)
    if isinstance(exc, PermissionError):
        return InputError("permission denied: the credentials in this environment cannot read it", file=url)
    name = type(exc).__name__
    if "Credentials" in name or "credential" in str(exc).lower():
        return InputError(f"no usable credentials in this environment ({name}: {_printable(str(exc))})",
                          file=url)
    return InputError(f"cannot read it: {name}: {_printable(str(exc))}", file=url)


def _printable(text: str, limit: int = 300) -> str:
    """Remote text (object names, server messages) made safe for a terminal or CI log: one short line."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return clean if len(clean) <= limit else clean[:limit] + "…"
