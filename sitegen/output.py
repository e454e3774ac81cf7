"""Stages 6 and 8: write the site into a staging folder, then swap it into place.

A build never writes into ``site_dir`` itself. It fills a fresh sibling folder
and, only when everything succeeded, exchanges it with ``site_dir`` in one
step, so a failed or killed build leaves the previous site as it was. Every
folder sitegen builds carries :data:`MARKER`; a folder without it is not ours
to replace.

A build has exclusive use of its site: it holds :class:`SiteLock`, an
``flock`` on ``.<site>.sitegen-lock`` beside ``site_dir``, from its first look
at the cache until the new site is recorded; a second build of the same site
waits for it. Leftovers of killed builds are siblings named
``.<site>.sitegen-tmp-*`` (a build in progress, or the old site right after
an exchange) and ``.<site>.sitegen-old-*`` (an old site being deleted); the
next build removes them, and only while it holds the lock, so a folder that a
live build is filling is never one of them.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import filecmp
import os
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Callable

from .errors import OutputError, UsageError

MARKER = ".sitegen-build"
MARKER_TEXT = (
    b"This folder was written by sitegen. The next build replaces all of it,\n"
    b"so keep nothing here that is not generated.\n"
)

_DOCS_HINT = "set site_dir in mkdocs.yml to a folder of its own, such as site/"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# renameat2 answers these when the kernel or the filesystem cannot exchange.
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP}


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


# --- stage 6: exclusive use of the site ---------------------------------------


class SiteLock:
    """Exclusive use of one site_dir by one build, for as long as the ``with`` block runs.

    An ``flock`` on a file beside site_dir: the kernel releases it when the
    build ends in any way, a SIGKILL included, so a lock is never stale. A
    second build of the same site waits, saying on stderr which process it
    waits for. The holder deletes the file when it is done; whoever locks a
    file that is no longer the one at the path (deleted meanwhile) tries
    again, so two builds never hold two different files.
    """

    def __init__(self, site_dir: Path):
        self.site_dir = _absolute(site_dir)
        self.path = self.site_dir.with_name(f".{self.site_dir.name}.sitegen-lock")
        self._fd: int | None = None
        self._owner = 0

    @property
    def held(self) -> bool:
        return self._fd is not None and self._owner == os.getpid()

    def __enter__(self) -> "SiteLock":
        try:
            self.site_dir.parent.mkdir(parents=True, exist_ok=True)
            while self._fd is None:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    self._lock(fd)
                    if self._still_at_path(fd):
                        os.ftruncate(fd, 0)
                        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
                        self._fd, self._owner = fd, os.getpid()
                except BaseException:
                    os.close(fd)
                    raise
                if self._fd is None:
                    os.close(fd)  # the holder deleted it after we opened it: take the new one
        except OSError as e:
            raise OutputError(
                f"could not lock '{self.path}' for this build: {e.strerror}; "
                f"check that you may write to '{self.site_dir.parent}'"
            ) from e
        return self

    def _lock(self, fd: int) -> None:
        """Take the lock, waiting (and saying so once) while another build holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        pid = b""
        for _ in range(50):  # the holder writes its pid just after locking
            pid = os.pread(fd, 32, 0).strip()
            if pid:
                break
            time.sleep(0.01)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
        shown = pid.decode("ascii", "replace") if pid.isdigit() else "unknown"
        print(f"another build of this site is running (pid {shown}); waiting for it to finish",
              file=sys.stderr, flush=True)
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _still_at_path(self, fd: int) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def __exit__(self, *exc) -> None:
        if not self.held:  # a forked worker never releases its parent's lock
            return
        fd, self._fd = self._fd, None
        try:
            if self._still_at_path(fd):
                os.unlink(self.path)  # while still locked: a waiter then sees a deleted file and retries
        except OSError:
            pass  # a lock file left behind costs nothing: the next build locks and deletes it
        finally:
            os.close(fd)


def _require(lock: SiteLock, site_dir: Path) -> Path:
    site_dir = _absolute(site_dir)
    if not lock.held or lock.site_dir != site_dir:
        raise RuntimeError(f"the staging folders of '{site_dir}' are touched only under its SiteLock")
    return site_dir


# --- stage 6: the staging folder ---------------------------------------------


def start_staging(site_dir: Path, lock: SiteLock) -> Path:
    """Create a fresh empty sibling of site_dir, so the final swap is a rename on one filesystem."""
    site_dir = _require(lock, site_dir)
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(site_dir, lock)
        staging = _sibling(site_dir, "tmp")
        staging.mkdir()
    except OSError as e:
        raise OutputError(
            f"could not create a staging folder next to '{site_dir}': {e.strerror}; "
            f"check that you may write to '{site_dir.parent}'"
        ) from e
    return staging


def clean_leftovers(site_dir: Path, lock: SiteLock) -> list[Path]:
    """Delete the staging and old-site folders that killed builds left next to site_dir.

    Only sibling folders named ``.<name>.sitegen-tmp-*`` or
    ``.<name>.sitegen-old-*`` are touched, and only by the holder of the
    site's lock: every other build of this site has ended, so none of them
    is a folder that a live build is filling.
    """
    site_dir = _require(lock, site_dir)
    prefixes = tuple(f".{site_dir.name}.sitegen-{kind}-" for kind in ("tmp", "old"))
    removed = []
    try:
        entries = list(os.scandir(site_dir.parent))
    except FileNotFoundError:
        return []
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.name.startswith(prefixes) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def discard_staging(staging: Path) -> None:
    """Throw away a staging folder after a failed build; the previous site was never touched."""
    shutil.rmtree(staging, ignore_errors=True)


def _absolute(path: Path) -> Path:
    """An absolute path with a real last name, so '.' or 'site/' still has proper siblings."""
    return Path(os.path.abspath(path))


def _sibling(site_dir: Path, kind: str) -> Path:
    return site_dir.with_name(f".{site_dir.name}.sitegen-{kind}-{secrets.token_hex(8)}")


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
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        raise OutputError(
            f"refusing to write output path {relpath!r}: it resolves to '{real}', "
            f"outside the site folder (a symbolic link?)"
        )
    return path


def write_file(root: Path, relpath: str, data: bytes) -> None:
    """Write one output file under root (the staging folder); no fsync, the swap is what counts."""
    path = safe_path(root, relpath)
    try:
        make_parents(root, path, relpath)
        path.write_bytes(data)
    except OSError as e:
        _raise_if_no_space(e, relpath)
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
    root, missing = Path(root), []
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
                pass
    except FileNotFoundError:
        raise OutputError(
            f"could not write '{relpath}': the folder being built, '{root}', was deleted while the site "
            "was being built; the previous site is untouched — build again"
        ) from None


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
        shutil.copyfile(source, path)
    except OSError as e:
        _raise_if_no_space(e, relpath)
        if not os.path.exists(source):
            raise OutputError(
                f"'{source}' disappeared while the site was being built; the previous site is "
                "untouched — build again"
            ) from e
        raise OutputError(
            f"could not copy '{source}' to '{relpath}': {e.strerror}; the previous site is untouched — "
            "fix the problem and build again"
        ) from e


# --- stage 8: the swap -------------------------------------------------------


def _load_renameat2() -> Callable[[bytes, bytes, int], int] | None:
    """libc's renameat2, or None where the C library does not offer it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    if not hasattr(libc, "renameat2"):
        return None
    func = libc.renameat2
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return lambda old, new, flags: func(_AT_FDCWD, old, _AT_FDCWD, new, flags)


_RENAMEAT2 = _load_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths; False when the system cannot, OSError on real failures."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(os.fsencode(a), os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def swap_into_place(staging: Path, site_dir: Path) -> None:
    """Make the finished staging folder the site in one step, then delete the old site.

    At every moment ``site_dir`` is the complete old site or the complete new
    one (with the fallback, it may also be briefly absent), never a mix. A
    kill after the step leaves the old site under a leftover name, which the
    next build removes. No fsync: this protects against killed builds, not
    against power loss.
    """
    staging, site_dir = _absolute(staging), _absolute(site_dir)
    try:
        # Never write_file here: its mkdir would recreate a vanished staging
        # folder and the swap would publish an empty site.
        (staging / MARKER).write_bytes(MARKER_TEXT)
    except OSError as e:
        raise _swap_failed(staging, site_dir, e, "the previous site is untouched") from e
    try:
        if not os.path.lexists(site_dir):
            os.rename(staging, site_dir)
            return
        if _exchange(staging, site_dir):
            old = _sibling(site_dir, "old")
            try:
                os.rename(staging, old)
            except OSError:  # the new site is live; the tmp name is a leftover too
                old = staging
            _remove(old)
            return
    except OSError as e:
        raise _swap_failed(staging, site_dir, e, "the previous site is untouched") from e
    _swap_by_two_renames(staging, site_dir)


def _swap_by_two_renames(staging: Path, site_dir: Path) -> None:
    """Fallback without RENAME_EXCHANGE: site_dir is briefly absent, never half-written."""
    old = _sibling(site_dir, "old")
    try:
        os.rename(site_dir, old)
    except OSError as e:
        raise _swap_failed(staging, site_dir, e, "the previous site is untouched") from e
    try:
        os.rename(staging, site_dir)
    except OSError as e:
        try:
            os.rename(old, site_dir)
            kept = "the previous site is untouched"
        except OSError:
            kept = f"the previous site is kept in '{old}'; rename it back to '{site_dir.name}'"
        raise _swap_failed(staging, site_dir, e, kept) from e
    _remove(old)


def _swap_failed(staging: Path, site_dir: Path, e: OSError, kept: str) -> OutputError:
    return OutputError(
        f"could not move the new site from '{staging}' to '{site_dir}': {e.strerror}; {kept} — "
        f"check that you may write to '{site_dir.parent}' and build again"
    )


def replace_file(root: Path, relpath: str, data: bytes, only_if_changed: bool = False) -> None:
    """Replace one file of a live site by a rename, so a reader sees the old bytes or the new.

    Used only to update ``sitegen serve``'s private folder in place; a real build
    always writes a fresh folder and swaps it in.
    """
    path = safe_path(root, relpath)
    if only_if_changed:
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return
        except OSError:
            pass
    try:
        _put_by_rename(path, lambda temp: temp.write_bytes(data))
    except OSError as e:
        raise OutputError(f"could not write '{relpath}': {e.strerror}; build again once the problem is fixed") from e


def replace_copy(root: Path, relpath: str, source: Path) -> None:
    """Put a copy of an asset into a live site by a rename, as replace_file does, unless the
    file there already has the same bytes; both are compared and copied in chunks, never read whole."""
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
    existing file (each build writes fresh files, then swaps folders). Falls back
    to a copy across filesystems or where links are not allowed.
    """
    target = safe_path(root, relpath)
    make_parents(root, target, relpath)
    try:
        os.link(previous, target)
    except OSError:
        try:
            shutil.copyfile(previous, target)
        except OSError as exc:
            raise OutputError(f"could not write '{relpath}': {exc.strerror}; the previous site is untouched") from None
