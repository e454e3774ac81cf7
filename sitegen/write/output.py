"""Writing the site's files: safe paths under a root, new files, copies, links, in-place replacements.

Every folder sitegen builds carries :data:`MARKER`; a folder without it is not
ours to replace (:func:`check_site_dir`). Paths come from the build but are
checked all the same (:func:`safe_path`), and a full disk is reported as such.
A file is put into a staging folder as a new file, never written into one
already at its name: a staging folder made from the spare holds hard links to
the live site's files. The staging folder and the swap are in
:mod:`sitegen.write.staging`.
"""

from __future__ import annotations

import errno
import filecmp
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from .. import workers
from ..errors import OutputError, UsageError

MARKER = ".sitegen-build"
MARKER_TEXT = (
    b"This folder was written by sitegen. The next build replaces all of it,\n"
    b"so keep nothing here that is not generated.\n"
)

_DOCS_HINT = "set site_dir in mkdocs.yml to a folder of its own, such as site/"


# --- stage 6: where we may write ---------------------------------------------


def check_site_dir(site_dir: Path, docs_dir: Path, project_root: Path) -> None:
    """Refuse a site_dir whose replacement would destroy something that is not a build.

    The swap deletes whatever ``site_dir`` held before, so it must never be the
    content, the project, the home folder or a folder we did not write.
    """
    site = Path(site_dir).resolve()
    docs = Path(docs_dir).resolve()
    root = Path(project_root).resolve()
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home folder can be determined
        home = None
    shown = _show(site_dir, project_root)
    docs_shown = _show(docs_dir, project_root).rstrip("/") + "/"

    def refuse(why: str) -> UsageError:
        return UsageError(f"refusing to build into '{shown}': {why}")

    if site == Path(site.anchor):
        raise refuse(f"it is the filesystem root; {_DOCS_HINT}")
    if site == home:
        raise refuse(f"it is your home folder; {_DOCS_HINT}")
    if site == root:
        raise refuse(f"it is the project root; {_DOCS_HINT}")
    if site == docs:
        raise refuse(f"it is the docs_dir ({docs_shown}); {_DOCS_HINT}")
    if site in docs.parents:
        raise refuse(f"it contains the docs_dir ({docs_shown}); {_DOCS_HINT}")
    if docs in site.parents:
        raise refuse(f"it lies inside the docs_dir ({docs_shown}); {_DOCS_HINT}")
    if not site.exists():
        return
    if not site.is_dir():
        raise refuse("it exists and is not a folder; remove it, or set site_dir to another folder")
    if (site / MARKER).is_file():
        return
    try:
        empty = next(os.scandir(site), None) is None
    except OSError as e:
        raise refuse(f"it cannot be read ({e.strerror}); fix its permissions, or set site_dir to another folder")
    if not empty:
        raise refuse(
            f"it is not empty and holds no {MARKER} marker, so it does not look like a "
            "previous build; empty it, or set site_dir to another folder"
        )


def _show(path: Path, project_root: Path) -> str:
    """The path as an editor thinks of it: relative to the project when inside it."""
    path, root = os.path.abspath(path), os.path.abspath(project_root)
    rel = os.path.relpath(path, root)
    if rel == "." or rel == ".." or rel.startswith(".." + os.sep):
        return Path(path).as_posix()
    return Path(rel).as_posix()


# --- stage 6: the staging folder ---------------------------------------------


def _absolute(path: Path) -> Path:
    """An absolute path with a real last name, so '.' or 'site/' still has proper siblings."""
    return Path(os.path.abspath(path))


# --- stage 6: writing files --------------------------------------------------


def safe_path(root: Path, relpath: str) -> Path:
    """Join an output path under root, refusing anything that could land outside it."""
    problem = None
    if not relpath:
        problem = "it is empty"
    elif "\x00" in relpath:
        problem = "it contains a NUL character"
    elif "\\" in relpath:
        problem = "it contains a backslash; use '/'"
    elif relpath.startswith("/"):
        problem = "it is absolute"
    elif any(part in ("", ".", "..") for part in relpath.split("/")):
        problem = "it has an empty, '.' or '..' segment"
    if problem:
        raise OutputError(f"refusing to write output path {relpath!r}: {problem}")
    path = Path(root, *relpath.split("/"))
    if _trusted_parent(root, path):
        return path
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        raise OutputError(
            f"refusing to write output path {relpath!r}: it resolves to '{real}', "
            f"outside the site folder (a symbolic link?)"
        )
    return path


# --- folders this build made or walked ---------------------------------------
#
# A build writes each file's folders, and checks each path against symbolic
# links (safe_path's realpath, a stat per component). In a staging folder the
# build trusts (trust_folders) that work is done once per folder, not once per
# file. Why that is safe: its root was made by this build (start_staging) or
# is the spare, taken and walked by it (sitegen.write.spare), and only the
# holder of the site's lock touches it; a folder in the set was made here by
# mkdir, or lstat'ed by that walk as a real directory, so it is not a link. A
# path whose parent is such a folder lies inside root component by component,
# and its last component is never followed: there every write first removes
# what is at the name (_make_room), and os.link does not follow it. Every other
# path keeps the full check: serve's in-place writes into site_dir, the
# search's scratch folders, a folder this build did not make or walk (the
# spare's, until the walk is done). Forked workers inherit the set as it was
# at the fork; what they add stays theirs.

_TRUSTED: dict[str, set[str]] = {}  # staging root -> absolute paths of its trusted folders


def trust_folders(root: Path, folders=()) -> None:
    """From now on, skip the per-file checks for ``folders`` (absolute paths under ``root``) and
    for those make_parents creates; only for a root this build made or walked, under the site's lock."""
    _TRUSTED[os.fspath(root)] = set(map(os.fspath, folders))


def forget_folders(root: Path) -> None:
    _TRUSTED.pop(os.fspath(root), None)


def _trusted_parent(root: Path, path: Path) -> bool:
    root_name = os.fspath(root)
    known = _TRUSTED.get(root_name)
    if known is None:
        return False
    folder = os.path.dirname(os.fspath(path))
    return folder == root_name or folder in known


def _unlink_if_there(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _make_room(root: Path, path: Path) -> None:
    """In a staging folder, remove what is at the name (perhaps a hard link shared with the
    live site, or a symbolic link), so that the file written next is a new one. Other roots
    (none in a build) are written as they always were."""
    if os.fspath(root) in _TRUSTED:
        _unlink_if_there(path)


# Bytes a file in parts is written by at a time: facts.json comes in 110,000 parts at 10,000
# sheets, and each write to the system lets serve's other threads take the interpreter, then
# waits to have it back (8 KiB at a time, a title edit in serve took a second longer).
BUFFER = 1 << 20


def write_file(root: Path, relpath: str, data: bytes | Iterable[bytes]) -> None:
    """Write one output file under root (the staging folder), a new file; no fsync, the swap is what
    counts. ``data`` is its bytes, or its bytes in parts (a large export, never joined in memory)."""
    path = safe_path(root, relpath)
    try:
        make_parents(root, path, relpath)
        _make_room(root, path)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            with path.open("wb", buffering=BUFFER) as file:
                file.writelines(data)
    except OSError as e:
        _raise_if_no_space(e, relpath)
        _raise_if_root_vanished(e, root, relpath)
        raise OutputError(
            f"could not write '{relpath}': {e.strerror}; the previous site is untouched — "
            "fix the problem and build again"
        ) from e


def make_parents(root: Path, path: Path, relpath: str) -> None:
    """Create the folders between root and path, never root itself.

    If root (the staging folder) vanished, writing must fail: recreating it
    would fill a fresh folder with only the files still to come, and the
    swap would publish that partial site.
    """
    if _trusted_parent(root, path):
        return  # made or walked by this build; a write there fails if root vanished since
    root, missing = Path(root), []
    known = _TRUSTED.get(os.fspath(root))
    folder = path.parent
    while folder != root and not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    try:
        if not missing and not os.path.isdir(root):
            raise FileNotFoundError
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:  # another worker made it meanwhile
                continue
            if known is not None:
                known.add(os.fspath(folder))
    except FileNotFoundError:
        raise _vanished(root, relpath) from None


def _vanished(root: Path, relpath: str) -> OutputError:
    return OutputError(
        f"could not write '{relpath}': the folder being built, '{root}', was deleted while the site "
        "was being built; the previous site is untouched — build again"
    )


def _raise_if_root_vanished(error: OSError, root: Path, relpath: str) -> None:
    if isinstance(error, FileNotFoundError) and not os.path.isdir(root):
        raise _vanished(root, relpath) from error


def _raise_if_no_space(error: OSError, relpath: str) -> None:
    if error.errno == errno.ENOSPC:
        raise OutputError(
            f"no space left on device while writing '{relpath}'; the previous site "
            "is untouched — free some space and build again"
        ) from error


def copy_file(root: Path, relpath: str, source: Path) -> None:
    """Copy an asset (the theme's, or a file of docs_dir) under root, failing as write_file does.

    The source was listed when the build started; if it vanished since (an
    editor deleted it), say so rather than end in a traceback.
    """
    path = safe_path(root, relpath)
    try:
        make_parents(root, path, relpath)
        _make_room(root, path)
        shutil.copyfile(source, path)
    except OSError as e:
        _raise_if_no_space(e, relpath)
        if not os.path.exists(source):
            raise OutputError(
                f"'{source}' disappeared while the site was being built; the previous site is "
                "untouched — build again"
            ) from e
        _raise_if_root_vanished(e, root, relpath)
        raise OutputError(
            f"could not copy '{source}' to '{relpath}': {e.strerror}; the previous site is untouched — "
            "fix the problem and build again"
        ) from e


def replace_copy(root: Path, relpath: str, source: Path) -> None:
    """Put a copy of an asset into a live site by a rename (a reader sees the old file or the new),
    unless the file there already has the same bytes; both are compared and copied in chunks,
    never read whole. Only for ``sitegen serve``'s private folder (write/inplace.py)."""
    path = safe_path(root, relpath)
    try:
        if filecmp.cmp(source, path, shallow=False):
            return
    except OSError:
        pass
    try:
        _put_by_rename(path, lambda temp: shutil.copyfile(source, temp))
    except OSError as e:
        raise OutputError(f"could not copy '{source}' to '{relpath}': {e.strerror}; build again once the "
                          "problem is fixed") from e


def _put_by_rename(path: Path, write) -> None:
    """Write a sibling temporary file, then rename it over ``path``: a reader sees the old file or the new."""
    temp = path.with_name(f".{path.name}.sitegen-tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    _unlink_if_there(temp)  # a killed run's: write a new file, whatever it is
    write(temp)
    os.replace(temp, path)


def remove_output(root: Path, relpath: str) -> None:
    """Remove a file an earlier build wrote, and the folders it leaves empty."""
    path = safe_path(root, relpath)
    try:
        path.unlink()
    except OSError:
        return
    folder = path.parent
    while folder != root:
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent


def _remove(path: Path) -> None:
    """Delete the replaced site; failures only leave a leftover that the next build removes."""
    if os.path.islink(path) or not os.path.isdir(path):
        try:
            os.unlink(path)
        except OSError:
            pass
    else:
        shutil.rmtree(path, ignore_errors=True)


def link_or_copy(previous: str | Path, root: Path, relpath: str) -> None:
    """Put an unchanged file of the previous build into the new one.

    A hard link costs no copy; it is safe because no build ever writes into an
    existing file (each write removes the name first and makes a new file, then
    folders are swapped). Falls back to a copy across filesystems or where links
    are not allowed.
    """
    target = safe_path(root, relpath)
    make_parents(root, target, relpath)
    try:
        try:
            os.link(previous, target)
        except FileExistsError:
            if os.fspath(root) not in _TRUSTED:
                raise
            os.unlink(target)  # in a staging folder: replace the name, never the file it names
            os.link(previous, target)
    except OSError:
        try:
            _make_room(root, target)
            shutil.copyfile(previous, target)
        except OSError as exc:
            _raise_if_root_vanished(exc, root, relpath)
            raise OutputError(f"could not write '{relpath}': {exc.strerror}; the previous site is untouched") from None


PARALLEL_THRESHOLD = 48  # pages; below it a worker pool costs more than it saves


def render_pages(renderer, pending: list, jobs: int, staging: Path) -> None:
    """Render pages straight into the staging folder, on several cores when there are
    many. Each page depends only on its own context, so the bytes are the same
    whatever the split, and no page is held in memory longer than it takes to write."""
    def render(start: int, end: int) -> None:
        for job in pending[start:end]:
            write_file(staging, job.path, renderer.render_parts(job))

    if len(pending) >= PARALLEL_THRESHOLD and workers.can_fork(jobs):
        renderer.compile_templates()
        if workers.forked_map(render, len(pending), jobs, 8) is not None:
            return
    render(0, len(pending))
