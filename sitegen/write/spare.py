"""The next staging folder made from the spare, so that publishing costs what changed.

The swap keeps the site it replaced as ``.<site>.sitegen-spare``; most of its
files are hard links shared with the live site. The next build renames it to
a fresh staging name (a build killed from then on leaves an ordinary
leftover), walks it once, and keeps only what it can check there and then: a
file this build reuses that is already the live file (same device and inode),
and real folders, with the mode a new one would get, that hold a file the build
publishes. Everything else is removed, links and foreign files included, never
followed. Nothing recorded about the spare is trusted: it may have been edited,
or half updated by a killed build. Nothing is written into a file of the spare
either (:mod:`sitegen.write.output` makes every file new), so a shared inode,
and with it the live site, never changes.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from . import output, staging as stages


@dataclass
class Wanted:
    """What a build will publish: files it takes from the live site, and files it writes anew."""

    keep: dict[str, tuple[int, int]]                  # reused path -> (st_dev, st_ino) of the live file
    write: list[str] = field(default_factory=list)    # paths of pages, feeds, exports, assets it writes


def staging_for(site_dir: Path, lock: stages.SiteLock, wanted: Wanted) -> tuple[Path, set[str]]:
    """The staging folder for this build and the reused files already in it: the spare brought
    up to date when there is one and it can be, else a fresh empty folder (nothing in it)."""
    site_dir = stages._require(lock, site_dir)
    folder = None
    try:
        stages.clean_leftovers(site_dir, lock)
        folder = _take(site_dir)
        if folder is not None:
            kept, folders = reconcile(folder, wanted, _new_folder_stat(site_dir))
            output.trust_folders(folder, folders)
            return folder, kept
    except (OSError, RecursionError):  # an odd spare: a fresh folder, as without one
        if folder is not None:
            stages.discard_staging(folder)
    return stages.start_staging(site_dir, lock), set()


def _new_folder_stat(site_dir: Path) -> os.stat_result:
    """Type, mode and owners of a folder made now beside site_dir, as every staging folder is:
    what a folder of the spare must have to be kept (umask, setgid and owner included)."""
    probe = stages._sibling(site_dir, "tmp")
    probe.mkdir()
    try:
        return os.lstat(probe)
    finally:
        probe.rmdir()


def _take(site_dir: Path) -> Path | None:
    """Rename the spare to a fresh staging name; a spare that is not a folder is removed (a link
    is never followed)."""
    spare = stages.spare_path(site_dir)
    try:
        mode = os.lstat(spare).st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(mode):
        os.unlink(spare)
        return None
    folder = stages._sibling(site_dir, "tmp")
    os.rename(spare, folder)
    return folder


def _folders(paths) -> set[str]:
    """Every folder (relative, '/'-separated) that holds one of the paths, at any depth."""
    needed: set[str] = set()
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder and folder not in needed:
            needed.add(folder)
            folder = folder.rpartition("/")[0]
    return needed


def reconcile(folder: Path, wanted: Wanted, like: os.stat_result) -> tuple[set[str], list[str]]:
    """Walk the taken spare once and make it hold only what this build may keep; returns the
    reused files kept and the folders kept (absolute), all checked by ``lstat`` in this walk."""
    needed = _folders([*wanted.keep, *wanted.write])
    kept: set[str] = set()
    same = (like.st_mode, like.st_uid, like.st_gid)
    root = os.lstat(folder)
    if (root.st_mode, root.st_uid, root.st_gid) != same:
        raise NotADirectoryError(f"the spare '{folder}' is not a folder as sitegen makes them")
    folders, stack = [], [(os.fspath(folder), "")]
    while stack:
        path, prefix = stack.pop()
        with os.scandir(path) as found:
            entries = list(found)
        for entry in entries:
            rel = prefix + entry.name
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                if rel in needed and (st.st_mode, st.st_uid, st.st_gid) == same:
                    stack.append((entry.path, rel + "/"))
                    folders.append(entry.path)
                else:
                    _drop(entry.path, folder=True)
            elif stat.S_ISREG(st.st_mode) and wanted.keep.get(rel) == (st.st_dev, st.st_ino):
                kept.add(rel)
            else:
                _drop(entry.path, folder=False)
    return kept, folders


def _drop(path: str, folder: bool) -> None:
    """Remove one entry of the spare: a folder with all it holds (links inside are removed, not
    followed), anything else by its name."""
    if folder:
        shutil.rmtree(path)
    else:
        os.unlink(path)
