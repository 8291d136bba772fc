"""The incremental tail behind `watch --follow`: only the bytes appended since the last poll.

Why polling (`os.stat` every `interval` seconds) and not a change-notification library
such as `watchfiles` (inotify / FSEvents): training logs live on NFS, Lustre and other
network file systems, where inotify never fires for writes made on another node, and
logs get rotated or recreated, which a watch on the old inode misses. A stat per poll
works everywhere, costs microseconds, and keeps the latency under one interval (1 s by
default), which is what the user asked for; it also keeps the tool free of a compiled
dependency. The price is a stat per second while idle, which the benchmark measures.

What live files do, and what `Tail` does about it:

- the file does not exist yet: wait, and say so once (`waiting`), then `appeared`;
- a partly written last line: keep the bytes until its newline arrives;
- truncation (size below what was read) or rotation (a new inode under the name):
  start over from the new file's first byte and say so (`truncated`, `rotated`);
- the file deleted: say so (`deleted`); the caller decides whether that ends the watch;
- a slow or flaky disk: an `OSError` other than "not found" is reported once and retried.

A work dir (`<work_dir>/<timestamp>/…`) is followed by `LaunchFollower`: it reads the
older launches once, tails the newest, and rescans each poll for a newer `<timestamp>/`
folder (a resumed run), exactly the launches `lossdoctor analyze` would stitch.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# Bytes read per poll at most: a 200k-line log (~170 MB) is caught up in a few polls, each bounded.
MAX_READ = 32 * 1024 * 1024
# The longest line kept while waiting for its end: past it the line is dropped (as a bad line) up to
# its newline, so a writer that never ends a line cannot grow the buffer without bound.
MAX_LINE = 16 * 1024 * 1024
TOO_LONG = b"<a line longer than the bound: skipped>"
LAUNCH_NAME = re.compile(r"\d{8}_\d{6}")


@dataclass(frozen=True)
class Notice:
    """Something the file did that the user should hear about (`waiting`, `rotated`, …)."""

    kind: str
    file: str
    message: str


@dataclass
class Chunk:
    """What one poll of one file brought: complete lines (without newline) and notices.

    `restart` is True when the file was truncated or replaced: the lines start over at
    its first line, and whatever was read from it before no longer holds.
    """

    file: str
    lines: list[str] = field(default_factory=list)
    first_line: int = 1  # 1-based number of lines[0] in the file
    notices: list[Notice] = field(default_factory=list)
    restart: bool = False
    more: bool = False  # more bytes are waiting than one poll reads: poll again at once
    replaces: str | None = None  # a launch now read from this file instead of that one


class Tail:
    """One append-only file, read from where the last poll stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.line_no = 0
        self.partial = b""
        self.skipping = False  # inside a line longer than MAX_LINE: drop bytes until its newline
        self.identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the file being read
        self.state = "new"  # new | waiting | present | deleted
        self.error: str | None = None

    def poll(self) -> Chunk:
        """Read what was appended since the last poll (complete lines only)."""
        chunk = Chunk(str(self.path), first_line=self.line_no + 1)
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            if self.state in ("present",):
                self._note(chunk, "deleted", "the file was deleted")
                self.state = "deleted"
            elif self.state == "new":
                self._note(chunk, "waiting", "the file does not exist yet: waiting for it")
                self.state = "waiting"
            return chunk
        except OSError as exc:
            return self._failed(chunk, exc)
        identity = (stat.st_dev, stat.st_ino)
        if self.state in ("waiting", "deleted"):
            kind = "appeared" if self.state == "waiting" else "recreated"
            self._note(
                chunk, kind, "the file appeared" if kind == "appeared" else "the file was created again"
            )
            if self.identity is not None:
                self._restart(chunk)
        elif self.identity is not None and identity != self.identity:
            self._note(
                chunk, "rotated", "the file was replaced (rotated): reading the new one from its start"
            )
            self._restart(chunk)
        elif stat.st_size < self.offset:
            self._note(chunk, "truncated", "the file was truncated: reading it again from its start")
            self._restart(chunk)
        self.state = "present"
        self.identity = identity
        if stat.st_size > self.offset:
            try:
                data = self._read(stat.st_size)
            except OSError as exc:
                return self._failed(chunk, exc)
            chunk.more = self.offset < stat.st_size
            self._split(chunk, data)
        self.error = None
        return chunk

    def resume(self, offset: int, line_no: int, identity: tuple[int, int]) -> None:
        """Start tailing after bytes already read another way (the history read whole when a watch starts)."""
        self.offset, self.line_no, self.partial = offset, line_no, b""
        self.identity, self.state = identity, "present"

    def _read(self, size: int) -> bytes:
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read(min(size - self.offset, MAX_READ))
        self.offset += len(data)
        return data

    def _split(self, chunk: Chunk, data: bytes) -> None:
        """Complete lines out, the unfinished last one kept for the next poll."""
        pieces = (self.partial + data).split(b"\n")
        self.partial = pieces.pop()
        if self.skipping and pieces:  # the over-long line ends here: one bad line in its place
            pieces[0] = TOO_LONG
            self.skipping = False
        if self.skipping or len(self.partial) > MAX_LINE:
            self.partial = b""
            self.skipping = True
        chunk.first_line = self.line_no + 1
        chunk.lines = [p.decode("utf-8", errors="replace").rstrip("\r") for p in pieces]
        self.line_no += len(pieces)

    def _restart(self, chunk: Chunk) -> None:
        self.offset = 0
        self.line_no = 0
        self.partial = b""
        self.skipping = False
        chunk.restart = True
        chunk.first_line = 1

    def _failed(self, chunk: Chunk, exc: OSError) -> Chunk:
        message = f"cannot read the file ({exc.strerror or exc}): retrying"
        if self.error != message:  # a slow or flaky disk: say it once, keep trying
            self._note(chunk, "read-error", message)
            self.error = message
        return chunk

    def _note(self, chunk: Chunk, kind: str, message: str) -> None:
        chunk.notices.append(Notice(kind, str(self.path), message))


def line_end(path: Path, line: int, block: int = 1 << 24) -> tuple[int, bytes]:
    """The byte offset just past line `line` (1-based) and that line's bytes, found by counting newlines.

    A file with fewer newlines (its last line not finished yet) ends where it ends now.
    """
    seen = base = 0
    with path.open("rb") as handle:
        while data := handle.read(block):
            count = data.count(b"\n")
            if seen + count >= line:
                end = -1
                for _ in range(line - seen):
                    end = data.index(b"\n", end + 1)
                offset = base + end + 1
                break
            seen, base = seen + count, base + len(data)
        else:
            offset = base
        handle.seek(max(0, offset - (1 << 20)))
        text = handle.read(offset - handle.tell())
    return offset, text.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]


def launch_file(folder: Path) -> Path | None:
    """The file `analyze` reads in a launch: `vis_data/scalars.json`, else its twin, else the text log."""
    for candidate in (folder / "vis_data" / "scalars.json", folder / "scalars.json"):
        if candidate.is_file():
            return candidate
    twins = sorted(p for p in (folder / "vis_data").glob("*.json") if LAUNCH_NAME.fullmatch(p.stem))
    if twins:
        return twins[-1]
    own_log = folder / f"{folder.name}.log"
    return own_log if own_log.is_file() else None


def launches(work_dir: Path) -> list[Path]:
    """The `<timestamp>/` launch folders of a work dir, oldest first (their names sort by time).

    A `<timestamp>/` folder given itself is its own one launch, as `analyze` reads it: waiting
    for a launch folder inside it would wait forever.
    """
    try:
        entries = sorted(p for p in work_dir.iterdir() if p.is_dir() and LAUNCH_NAME.fullmatch(p.name))
    except OSError:
        return []
    if not entries and LAUNCH_NAME.fullmatch(work_dir.name):
        return [work_dir]
    return entries


class LaunchFollower:
    """An MMEngine work dir: older launches read once, the newest tailed, newer ones picked up.

    The file chosen in a launch is the one `analyze` would read; when a better one appears
    in the newest launch (its `scalars.json` is written only at the first logged step, after
    the text log), the follower switches to it and that launch starts over, so what is judged
    stays what `analyze` would judge.
    """

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.tails: dict[Path, Tail] = {}  # launch folder -> its tail
        self.files: dict[Path, Path] = {}  # launch folder -> file being read
        self.waiting_said = False

    def poll(self) -> list[Chunk]:
        """One chunk per launch that has something new, oldest launch first."""
        chunks: list[Chunk] = []
        found = launches(self.work_dir)
        if not found and not self.waiting_said:
            self.waiting_said = True
            chunks.append(
                Chunk(
                    str(self.work_dir),
                    notices=[
                        Notice(
                            "waiting",
                            str(self.work_dir),
                            "no <timestamp>/ launch folder yet: waiting for one",
                        )
                    ],
                )
            )
        for folder in found:
            best = launch_file(folder)
            if best is None:
                continue
            current = self.files.get(folder)
            if current is None:
                notice = self._adopt(folder, best)
                if notice is not None:
                    chunks.append(Chunk(str(best), notices=[notice]))
            elif best != current and best.suffix == ".json" and current.suffix == ".log":
                message = f"{best.name} appeared in {folder.name}: reading it instead of the text log"
                chunks.append(
                    Chunk(str(best), notices=[Notice("switched", str(best), message)], replaces=str(current))
                )
                self.files[folder], self.tails[folder] = best, Tail(best)
        for tail in self.tails.values():
            chunk = tail.poll()
            if chunk.lines or chunk.notices or chunk.restart:
                chunks.append(chunk)
        return _merge_notices(chunks)

    def _adopt(self, folder: Path, best: Path) -> Notice | None:
        """Start following a launch's file; a launch after the first is announced."""
        notice = None
        if self.tails:
            message = f"new launch {folder.name}: following {best.relative_to(self.work_dir)}"
            notice = Notice("launch", str(best), message)
        self.files[folder], self.tails[folder] = best, Tail(best)
        return notice

    def adopt_all(self) -> list[tuple[Tail, Notice | None]]:
        """Every launch there is now, adopted as `poll` would (for reading the history whole first)."""
        adopted = []
        for folder in launches(self.work_dir):
            best = launch_file(folder)
            if best is not None and folder not in self.files:
                notice = self._adopt(folder, best)
                adopted.append((self.tails[folder], notice))
        return adopted

    def forget(self) -> None:
        """Undo `adopt_all`: the launches are read by `poll` from their first line."""
        self.files.clear()
        self.tails.clear()


def _merge_notices(chunks: list[Chunk]) -> list[Chunk]:
    """Fold a notice-only chunk into the next one of the same file: a switch and its lines travel together."""
    out: list[Chunk] = []
    for chunk in chunks:
        if out and out[-1].file == chunk.file and not out[-1].lines:
            previous = out.pop()
            chunk.notices = previous.notices + chunk.notices
            chunk.restart = chunk.restart or previous.restart
            chunk.replaces = chunk.replaces or previous.replaces
        out.append(chunk)
    return out
