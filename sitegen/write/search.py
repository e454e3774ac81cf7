"""The search index (Pagefind), in shards, so that an edit re-indexes only what changed.

Pagefind cannot update an index, so a site with many findable pages is split
into a fixed number of bundles by a stable hash of each page's path; the
search page merges them (``mergeIndex``). Each shard is a separate Pagefind
run over its pages alone, so its bytes depend only on those pages: a shard
whose pages all kept their keys is hard-linked from the previous site, the
others are indexed again, and the result is the cold build's, byte for byte.
Only pages whose HTML carries ``data-pagefind-body`` go in (sheets, sources,
topics, entities, plain pages; the theme leaves listings, home, 404 and the
search page out). Everything is written into the staging folder before the
swap, so a failed index leaves the previous site as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import output
from .cache import digest
from ..errors import OutputError

FORMAT = 1
BUNDLE = "pagefind"                 # the primary bundle: shard 0 and Pagefind's scripts
SHARDS_FILE = "sitegen-shards.json"  # in the primary bundle: the other bundles, for search.js
WORK = ".sitegen-search"            # scratch folder inside staging, removed before the swap
PAGES_PER_SHARD = 128
MAX_SHARDS = 32
TIMEOUT = 600
_BODY = re.compile(rb"<[A-Za-z][^>]*?\sdata-pagefind-body(?=[\s=/>])")
_INDEX_PARTS = ("pagefind-entry.json", "index", "fragment", "filter")  # what a merged bundle needs


def shard_count(findable: int) -> int:
    """A power of two, about PAGES_PER_SHARD pages each; one bundle for a small site, so
    its ranking is exactly Pagefind's own (merged bundles rank by their own statistics)."""
    count = 1
    while count * 2 <= MAX_SHARDS and findable >= count * 2 * PAGES_PER_SHARD:
        count *= 2
    return count


def shard_of(path: str, count: int) -> int:
    return int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "big") % count


def shard_dir(number: int) -> str:
    return BUNDLE if number == 0 else f"{BUNDLE}/s{number}"


def is_findable(html: bytes) -> bool:
    return _BODY.search(html) is not None


def pagefind_version() -> str:
    from importlib import metadata  # here: its import costs a new process 20 ms, searched or not

    for name in ("pagefind_bin_extended", "pagefind_bin", "pagefind"):
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


@dataclass
class Record:
    """What the previous build indexed (in cache_dir, JSON with its own checksum): each
    page's key and whether it is findable, each shard's key and its files' signatures."""

    path: Path | None
    pages: dict[str, list] = field(default_factory=dict)    # page path -> [key, findable]
    shards: dict[str, list] = field(default_factory=dict)   # shard number -> [key, {file: signature}]

    @classmethod
    def load(cls, path: Path | None, version: str) -> "Record":
        record = cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            body = raw["body"]
            if raw["check"] == digest(json.dumps(body, sort_keys=True)) and body["version"] == version:
                record.pages, record.shards = dict(body["pages"]), dict(body["shards"])
        except (AttributeError, OSError, ValueError, KeyError, TypeError):
            pass
        return record

    def save(self, version: str) -> None:
        if self.path is None:
            return
        body = {"version": version, "pages": self.pages, "shards": self.shards}
        data = json.dumps({"check": digest(json.dumps(body, sort_keys=True)), "body": body}, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            temp.write_text(data, encoding="utf-8")
            os.replace(temp, self.path)
        except OSError:
            pass  # a record that cannot be written only costs time


def record_path(cache_dir: Path, site_dir: Path) -> Path:
    return cache_dir / f"search-{digest(str(site_dir))[:16]}.json"


def _files(folder: Path, skip_shards: bool) -> dict[str, list[int]]:
    """Every file of one bundle (size, mtime, inode), by path inside it; the primary's nested
    bundles left out. Links are not followed: one would not match the record, so is rebuilt."""
    found: dict[str, list[int]] = {}

    def walk(path: str, prefix: str) -> None:
        with os.scandir(path) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if not (skip_shards and not prefix and re.fullmatch(r"s\d+", entry.name)):
                        walk(entry.path, rel + "/")
                elif entry.is_file(follow_symlinks=False) and not (skip_shards and rel == SHARDS_FILE):
                    st = entry.stat(follow_symlinks=False)
                    found[rel] = [st.st_size, st.st_mtime_ns, st.st_ino]

    walk(str(folder), "")
    return found


def findable_pages(pages: dict[str, str], staging: Path, record: Record) -> dict[str, str]:
    """The findable pages (path -> key), in path order; a page whose key is unchanged is
    known from the record, any other is read from staging."""
    found, known = {}, {}
    for path in sorted(p for p in pages if p.endswith(".html")):
        key, previous = pages[path], record.pages.get(path)
        if isinstance(previous, list) and len(previous) == 2 and previous[0] == key:
            flag = bool(previous[1])
        else:
            flag = is_findable((staging / path).read_bytes())
        known[path] = [key, flag]
        if flag:
            found[path] = key
    record.pages = known
    # No page marked at all (a theme of one's own): Pagefind's own rule, every page whole.
    return found or {path: key for path, (key, _) in known.items()}


def split(pages: dict[str, str], version: str) -> list[tuple[str, list[str]]]:
    """(key, pages) of each shard; the key covers Pagefind's version and the pages' keys."""
    count = shard_count(len(pages)) * 2
    members: list[list[str]] = [[]]
    while count > 1 and any(not group for group in members):  # Pagefind refuses an empty folder
        count //= 2
        members = [[] for _ in range(count)]
        for path in pages:
            members[shard_of(path, count)].append(path)
    return [(digest(f"search {FORMAT} {version} {count}", *(f"{p} {pages[p]}" for p in group)), group)
            for group in members]


def reusable(number: int, key: str, record: Record, site_dir: Path | None) -> dict | None:
    """The previous site's files of an unchanged shard, if every one is the file recorded."""
    entry = record.shards.get(str(number))
    if site_dir is None or not isinstance(entry, list) or len(entry) != 2 or entry[0] != key:
        return None
    previous = site_dir / shard_dir(number)
    try:
        return entry[1] if previous.is_dir() and _files(previous, number == 0) == entry[1] else None
    except OSError:
        return None


def _link(number: int, files: dict, site_dir: Path, staging: Path) -> None:
    """Hard-link an unchanged shard's files (listed from the previous site, so real files
    inside it) into staging, as unchanged pages are."""
    source, target = f"{site_dir / shard_dir(number)}/", staging / shard_dir(number)
    for folder in sorted({rel.rpartition("/")[0] for rel in files}):  # never staging itself
        output.make_parents(staging, target / folder / "-", f"{shard_dir(number)}/{folder}")
    for rel in files:
        try:
            os.link(source + rel, f"{target}/{rel}")
        except OSError:
            output.link_or_copy(source + rel, staging, f"{shard_dir(number)}/{rel}")


def _command(site: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "pagefind", "--site", str(site), "--output-path", str(out), "--silent"]


def _failure(exc_or_code, detail: str = "") -> OutputError:
    """Today's message, whichever shard failed: what failed, and how to build without it."""
    if not isinstance(exc_or_code, int):
        return OutputError(f"search index failed: {exc_or_code}; the previous site is untouched")
    line = detail.strip().splitlines()[-1:] or ["no output"]
    return OutputError(f"search index failed (pagefind exit {exc_or_code}: {line[0]}); the previous site is "
                       "untouched — set 'search: false' under the sitegen plugin to build without it")


def run_pagefind(work: list[tuple[Path, Path]], jobs: int) -> None:
    """Run Pagefind over each (pages folder, output folder), ``jobs`` at a time."""
    pending, running = list(work), []
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                site, out = pending.pop(0)
                running.append(subprocess.Popen(_command(site, out), stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT, text=True))
            process = running.pop(0)
            detail, _ = process.communicate(timeout=TIMEOUT)
            if process.returncode != 0:
                raise _failure(process.returncode, detail or "")
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _failure(exc) from None
    finally:
        for process in running:
            process.kill()
            process.wait()


def _stage_pages(staging: Path, folder: Path, pages: list[str]) -> None:
    """Hard-link a shard's pages into its own folder, at the same paths, for Pagefind."""
    folder.mkdir(parents=True)
    for path in pages:
        output.link_or_copy(staging / path, folder, path)


def _place(out: Path, staging: Path, number: int) -> None:
    """Move a shard's bundle into the site; a merged bundle keeps only its index."""
    target = staging / shard_dir(number)
    target.parent.mkdir(parents=True, exist_ok=True)
    if number:
        for child in out.iterdir():
            if not (child.name in _INDEX_PARTS or child.name.endswith(".pf_meta")):
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    os.rename(out, target)


def index_site(pages: dict[str, str], staging: Path, *, site_dir: Path | None = None,
               record_file: Path | None = None, jobs: int = 1) -> list[int]:
    """Write the index into staging/pagefind/; return the shards indexed again.

    ``pages`` maps each output path to its key (build.Plan.keys). With ``site_dir``
    and ``record_file`` (the cache), unchanged shards come from the previous site."""
    version = pagefind_version()
    record = Record.load(record_file, version) if record_file else Record(None)
    shards = split(findable_pages(pages, staging, record), version)
    scratch = staging / WORK
    kept = {n: reusable(n, key, record, site_dir) for n, (key, _) in enumerate(shards)}
    todo = [n for n, files in kept.items() if files is None]
    try:
        for n in todo:
            _stage_pages(staging, scratch / str(n) / "site", shards[n][1])
        run_pagefind([(scratch / str(n) / "site", scratch / str(n) / "out") for n in todo], jobs)
        for n in range(len(shards)):  # shard 0 first: the others go inside its folder
            if kept[n] is None:
                _place(scratch / str(n) / "out", staging, n)
            else:
                _link(n, kept[n], site_dir, staging)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    bundles = [f"s{n}/" for n in range(1, len(shards))]
    output.write_file(staging, f"{BUNDLE}/{SHARDS_FILE}", json.dumps({"bundles": bundles}).encode("utf-8") + b"\n")
    record.shards = {str(n): [key, _files(staging / shard_dir(n), n == 0)] for n, (key, _) in enumerate(shards)}
    record.save(version)
    return todo


def index_search(folder: Path, jobs: int = 1) -> None:
    """Index a finished site in place (``sitegen serve``'s folder): every shard, built
    aside and then put in place of folder/pagefind/."""
    work = folder / WORK
    shutil.rmtree(work, ignore_errors=True)  # a killed run's
    pages = {p.relative_to(folder).as_posix(): "" for p in folder.rglob("*.html")
             if p.relative_to(folder).parts[0] != BUNDLE}
    try:
        _stage_pages(folder, work, list(pages))
        index_site(pages, work, jobs=jobs)
        shutil.rmtree(folder / BUNDLE, ignore_errors=True)
        os.rename(work / BUNDLE, folder / BUNDLE)
    finally:
        shutil.rmtree(work, ignore_errors=True)
