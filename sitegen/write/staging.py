"""The staging folder's life: exclusive use of the site, a fresh folder, the swap, the spare.

A build never writes into ``site_dir`` itself. It fills a sibling staging
folder and, only when everything succeeded, exchanges it with ``site_dir`` in
one step, so a failed or killed build leaves the previous site as it was.

A build has exclusive use of its site: it holds :class:`SiteLock`, an
``flock`` on ``.<site>.sitegen-lock`` beside ``site_dir``, from its first look
at the cache until the new site is recorded; a second build of the same site
waits for it. The site the swap replaced is kept as ``.<site>.sitegen-spare``,
for the next build to bring up to date (:mod:`sitegen.write.spare`) instead of
deleting one tree and linking another. Leftovers of killed builds are siblings
named ``.<site>.sitegen-tmp-*`` (a build in progress, or the old site right
after an exchange) and ``.<site>.sitegen-old-*`` (an old site being deleted);
the next build removes them, and only while it holds the lock, so a folder
that a live build is filling is never one of them. The spare is not a leftover.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Callable

from ..errors import OutputError
from .output import MARKER, MARKER_TEXT, _absolute, _remove, _unlink_if_there, forget_folders, trust_folders

_AT_FDCWD = -100


_RENAME_EXCHANGE = 2


# renameat2 answers these when the kernel or the filesystem cannot exchange.
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP}


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


def start_staging(site_dir: Path, lock: SiteLock) -> Path:
    """Create a fresh empty sibling of site_dir, so the final swap is a rename on one filesystem."""
    site_dir = _require(lock, site_dir)
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(site_dir, lock)
        staging = _sibling(site_dir, "tmp")
        staging.mkdir()
        trust_folders(staging)  # made just now: what it holds is what this build puts there
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
    forget_folders(staging)
    shutil.rmtree(staging, ignore_errors=True)


def set_aside(staging: Path, site_dir: Path, lock: SiteLock) -> None:
    """After a failed build, keep its staging folder as the spare (the next build walks it and
    trusts nothing in it), or throw it away if a spare is already there."""
    site_dir = _require(lock, site_dir)
    forget_folders(staging)
    try:
        os.rename(staging, spare_path(site_dir))  # fails on a non-empty folder or a file: never replaces one
    except OSError:
        discard_staging(staging)


def spare_path(site_dir: Path) -> Path:
    """The replaced site, kept for the next build's staging folder; touched only under the lock."""
    return site_dir.with_name(f".{site_dir.name}.sitegen-spare")


def remove_spare(site_dir: Path, lock: SiteLock) -> None:
    """Delete the spare, for a site_dir that is itself about to go (``mkdocs serve``'s folder)."""
    _remove(spare_path(_require(lock, site_dir)))


def _sibling(site_dir: Path, kind: str) -> Path:
    return site_dir.with_name(f".{site_dir.name}.sitegen-{kind}-{secrets.token_hex(8)}")


def _keep_as_spare(old: Path, site_dir: Path) -> None:
    """The replaced site becomes the spare; if that name is taken, it is deleted as before."""
    try:
        os.rename(old, spare_path(site_dir))
        return
    except OSError:
        pass
    doomed = _sibling(site_dir, "old")
    try:
        os.rename(old, doomed)
    except OSError:  # the tmp name is a leftover too
        doomed = old
    _remove(doomed)


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
    """Make the finished staging folder the site in one step, then keep the old site as the spare.

    At every moment ``site_dir`` is the complete old site or the complete new
    one (with the fallback, it may also be briefly absent), never a mix. A
    kill after the step leaves the old site under a leftover name, which the
    next build removes. No fsync: this protects against killed builds, not
    against power loss.
    """
    staging, site_dir = _absolute(staging), _absolute(site_dir)
    forget_folders(staging)
    try:
        # Never write_file here: its mkdir would recreate a vanished staging
        # folder and the swap would publish an empty site.
        marker = staging / MARKER
        _unlink_if_there(marker)
        marker.write_bytes(MARKER_TEXT)
    except OSError as e:
        raise _swap_failed(staging, site_dir, e, "the previous site is untouched") from e
    try:
        if not os.path.lexists(site_dir):
            os.rename(staging, site_dir)
            return
        if _exchange(staging, site_dir):
            _keep_as_spare(staging, site_dir)  # the new site is live; staging's name holds the old one
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
    _keep_as_spare(old, site_dir)


def _swap_failed(staging: Path, site_dir: Path, e: OSError, kept: str) -> OutputError:
    return OutputError(
        f"could not move the new site from '{staging}' to '{site_dir}': {e.strerror}; {kept} — "
        f"check that you may write to '{site_dir.parent}' and build again"
    )
