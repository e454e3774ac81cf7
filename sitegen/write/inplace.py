"""``sitegen serve``'s private folder, updated in place: only the files that changed are replaced.

A real build writes a fresh folder and swaps it in (write/staging.py). serve's folder is its
own, so an edit replaces a few files there instead, each by a rename: a reader sees the old
file or the new. The new files are first written, straight from the renderer, into one
scratch folder inside site_dir, and only once all are written are they renamed into place:
a template error on the way leaves the site as it was, and no file is held in memory whole
(a title edit at 10,000 sheets rewrites 37 MB of listings and 67 MB of exports).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import OutputError
from .output import BUFFER, _raise_if_no_space, _remove, safe_path

SCRATCH = ".sitegen-new"  # inside site_dir, so that a rename moves a file into place


class Update:
    """The files of one in-place update: :meth:`write` each, then :meth:`commit`. Used as a context,
    whatever was written aside and not committed is discarded when the block ends."""

    def __init__(self, site_dir: Path):
        self.site_dir, self.scratch = site_dir, site_dir / SCRATCH
        self.ready: list[tuple[Path, Path, bool]] = []  # (written, where it goes, only if its bytes differ)
        _remove(self.scratch)  # a killed run's
        try:
            self.scratch.mkdir(parents=True)
        except OSError as e:
            raise OutputError(f"could not write into '{site_dir}': {e.strerror}; build again once the problem "
                              "is fixed") from e

    def write(self, relpath: str, data: bytes | Iterable[bytes], only_if_changed: bool = False) -> None:
        """Write one new file aside; ``data`` is its bytes, or its bytes in parts, written as they come."""
        path = safe_path(self.site_dir, relpath)
        temp = self.scratch / str(len(self.ready))
        try:
            with temp.open("wb", buffering=BUFFER) as file:
                if isinstance(data, bytes):
                    file.write(data)
                else:
                    file.writelines(data)
        except OSError as e:
            _raise_if_no_space(e, relpath)
            raise OutputError(f"could not write '{relpath}': {e.strerror}; build again once the problem is fixed") from e
        self.ready.append((temp, path, only_if_changed))

    def commit(self) -> None:
        """Rename every file written into place (one whose bytes are those there already stays unwritten)."""
        for temp, path, only_if_changed in self.ready:
            if only_if_changed and _same_bytes(temp, path):
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, path)
            except OSError as e:
                raise OutputError(f"could not write '{path.relative_to(self.site_dir).as_posix()}': {e.strerror}; "
                                  "build again once the problem is fixed") from e
        self.discard()

    def discard(self) -> None:
        _remove(self.scratch)

    def __enter__(self) -> "Update":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def _same_bytes(new: Path, old: Path, chunk: int = 1 << 20) -> bool:
    """Whether two files hold the same bytes, read a MiB at a time (facts.json is 51 MB at 10,000 sheets)."""
    try:
        if new.stat().st_size != old.stat().st_size:
            return False
        with new.open("rb") as a, old.open("rb") as b:
            while True:
                part = a.read(chunk)
                if part != b.read(chunk):
                    return False
                if not part:
                    return True
    except OSError:
        return False
