"""One scan of docs_dir: every file with its stat, and its sha256 and bytes when they are needed.

A file whose stat is the one recorded with its sha256 (in the session or the
record cache) is not opened; hidden files, editors' leftovers and symlinks that
leave docs_dir are left out, the last with an error.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import records
from ..config import SiteConfig
from ..errors import Collector

SKIPPED_SUFFIXES = ("~", ".swp", ".swx", ".tmp")


@dataclass(slots=True)
class SourceFile:
    """One file under docs_dir as the scan found it; ``raw`` only when the scan had to read it."""

    rel: str                    # path relative to docs_dir, with '/'
    path: str                   # path as walked
    shown: str                  # path as messages show it
    stat: tuple                 # (size, mtime_ns, ctime_ns, inode), () when it could not be stat'ed
    sha: str | None             # sha256 of its bytes; None when too large to hash, or unreadable
    raw: bytes | None = None
    part: tuple = ()            # what it adds to the build's fingerprint


@dataclass
class Scan:
    """The one walk of docs_dir a build makes: the files, what it found wrong, and what to trust next time."""

    files: list[SourceFile]
    report: Collector
    parts: list                                        # names and hashes, for the build's fingerprint
    stats: dict[str, tuple]                            # path -> stat, folders too: for the re-check after the build
    known: dict[str, tuple] = field(default_factory=dict)  # path -> (stat, sha, when hashed), for the next scan
    hashed: int = 0                                    # files read to hash them
    from_events: bool = False                          # the last scan again, with only the files events named
    aliased: bool = False                              # a file read through a link, or two names of one file

    def drop_bytes(self) -> None:
        """Let the files' bytes go once they are loaded: what remains (names, stats, hashes) is all
        the rest of a build reads, and a later scan reads again only the files that changed."""
        for file in self.files:
            file.raw = None


class ChangeLog:
    """The files changed since the last scan, as file events name them (serve's watcher), so that
    the next scan looks at those alone (:func:`rescan`). Unknown — the next scan looks at every
    file — until the first take, and again after :meth:`forget`: when a watch starts after the
    scan it should have covered, or the watcher may have missed events."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: set[str] | None = None

    def add(self, path: str) -> None:
        with self._lock:
            if self._paths is not None:
                self._paths.add(path)

    def forget(self) -> None:
        with self._lock:
            self._paths = None

    def take(self) -> set[str] | None:
        """The paths named since the last take (None: unknown); a scan follows at once."""
        with self._lock:
            paths, self._paths = self._paths, set()
        return paths


def scan(config: SiteConfig, known: dict, keep: int = 0, limit: int | None = None, hashing: bool = True) -> Scan:
    """Walk docs_dir once: a folder's files by name, then its sub-folders by name; hidden files,
    editors' leftovers and symlinks that leave docs_dir are skipped as the loader always has.
    A file whose stat matches ``known`` (and was not racily clean) is not opened; the others are
    hashed, and their bytes kept when at most ``keep`` (without ``hashing``, only stat'ed)."""
    limit = read_limit(config) if limit is None else limit
    found = Scan([], Collector(), [], {})

    def visit(folder: str, prefix: str) -> None:
        try:
            found.stats[folder] = records.file_stat(os.stat(folder))
        except OSError:
            found.stats[folder] = ()
        with os.scandir(folder) as listing:
            entries = sorted((e for e in listing if not e.name.startswith(".")), key=lambda e: e.name)
        folders, files = [], []
        for entry in entries:
            try:
                (folders if entry.is_dir() else files).append(entry)  # symlinked folders too
            except OSError:  # a symlink loop: _inside reports it
                files.append(entry)
        folders = [e for e in folders if not e.is_symlink() or _inside(config, found.report, Path(e.path))]
        for entry in files:
            if not entry.name.endswith(SKIPPED_SUFFIXES):
                link = entry.is_symlink()
                if (not link or _inside(config, found.report, Path(entry.path))) and entry.is_file():
                    found.aliased = found.aliased or link
                    found.files.append(_source_file(config, found, known, prefix + entry.name, entry.path,
                                                    keep, limit, hashing))
        for entry in folders:
            visit(entry.path, prefix + entry.name + "/")

    visit(str(config.docs_dir), "")
    found.parts = [part for file in found.files for part in file.part]
    inodes = [file.stat[3] for file in found.files if file.stat]
    found.aliased = found.aliased or len(set(inodes)) < len(inodes)  # hard links
    return found


def rescan(config: SiteConfig, previous: Scan, changed: set[str], keep: int = 0) -> Scan | None:
    """``previous`` again, with only the files that file events named stat'ed and hashed (serve).
    None when the events may have changed which files there are — a file made, removed or
    renamed, a link, anything outside docs_dir — or when a file has two names (a link, a hard
    link: an edit through one is an event for that name only): then only a full scan will do.
    Events for hidden files and editors' leftovers, which no scan reads, change nothing."""
    if previous.aliased:
        return None
    root = os.path.join(str(config.docs_dir), "")
    places = {file.path: place for place, file in enumerate(previous.files)}
    wanted = []
    for path in changed:
        if not path.startswith(root):
            return None
        rel = path[len(root):]
        if rel.endswith(SKIPPED_SUFFIXES) or any(name.startswith(".") for name in rel.split(os.sep)):
            continue
        if path not in places or os.path.islink(path) or not os.path.isfile(path):
            return None
        wanted.append(path)
    limit = read_limit(config)
    found = Scan(list(previous.files), previous.report, [], dict(previous.stats), dict(previous.known),
                 from_events=True)
    for path in wanted:
        found.known.pop(path, None)
        old = previous.files[places[path]]
        found.files[places[path]] = _source_file(config, found, {}, old.rel, path, keep, limit)
    found.parts = [part for file in found.files for part in file.part]
    return found


def _source_file(config: SiteConfig, found: Scan, known: dict, rel: str, path: str, keep: int, limit: int,
                 hashing: bool = True) -> SourceFile:
    """Stat one file (through a symlink: its target is what is read), and hash it unless known."""
    try:
        stat = records.file_stat(os.stat(path))
    except OSError:
        stat = ()
    sha, raw, when, part = records.known_sha(known, path, stat), None, 0, ()
    if sha is not None:
        when = known[path][2]
    elif not hashing:
        pass
    elif stat and stat[0] > limit:  # not even opened: the loader refuses it, or never reads it
        part = (rel, f"more than {limit} bytes")
    elif stat:
        try:
            when = records.now_ns()
            raw, hashed = fingerprint_file(path, keep, limit)
            sha = hashed.hex() if len(hashed) == 32 else None
            found.hashed += 1
            if sha is None:
                part = (rel, hashed.decode("ascii"))
        except OSError as exc:
            part = (rel, f"unreadable: {exc.errno}")
    if sha is not None:
        part = (rel, sha)
        found.known[path] = (stat, sha, when)
    found.stats[path] = stat
    return SourceFile(rel, path, config.shown(path), stat, sha, raw, part)


def read_limit(config: SiteConfig) -> int:
    """Bytes beyond which a file is not hashed: the loader refuses it, or never reads it."""
    return max(config.max_file_size, config.max_asset_size)


def fingerprint_file(path: str | Path, keep: int, limit: int) -> tuple[bytes | None, bytes]:
    """(the file's bytes if it has at most ``keep`` of them, else None; their sha256).

    Read in chunks, so a file costs memory only up to ``keep``; a file of more
    than ``limit`` bytes is not hashed to its end: the loader refuses it as too
    large, or never publishes it, so its size stands for its bytes.
    """
    hasher, kept, total = hashlib.sha256(), [], 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            total += len(chunk)
            if total > limit:
                return None, f"more than {limit} bytes".encode("ascii")
            hasher.update(chunk)
            if kept is not None and total <= keep:
                kept.append(chunk)
            else:
                kept = None
    return (b"".join(kept) if kept is not None else None), hasher.digest()


def restat(stats: dict[str, tuple]) -> dict[str, tuple]:
    """The stats of the files and folders a scan saw, again: equal when nothing changed since."""
    again = {}
    for path in stats:
        try:
            again[path] = records.file_stat(os.stat(path))
        except OSError:
            again[path] = ()
    return again


def _inside(config: SiteConfig, report: Collector, path: Path) -> bool:
    """Refuse symlinks that leave docs_dir, and loops."""
    if not path.is_symlink():
        return True
    shown = config.shown(path)
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        report.error(shown, 1, 1, "broken or looping symlink", "remove the link or point it at a file inside docs_dir")
        return False
    if not target.is_relative_to(config.docs_dir):
        report.error(shown, 1, 1, f"symlink points outside docs_dir (to {target})",
                 "copy the file into docs_dir instead of linking to it")
        return False
    if target.is_dir():
        report.error(shown, 1, 1, "symlinked folders are not followed", "move the folder into place instead")
        return False
    return True
