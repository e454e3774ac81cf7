"""What a build lets go of: the files' bytes once they are parsed (in serve's session too), and
the freed pages of the C heap, given back to the system between stages (sitegen.memory)."""

from __future__ import annotations

import os
import platform

import pytest

from conftest import TODAY, snapshot
from sitegen import memory
from sitegen.build import build
from sitegen.read.scan import ChangeLog
from sitegen.session import Session

FERRY = "content/sheets/ferry-timetable.md"


def _resident() -> int:
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="malloc_trim is glibc's: elsewhere release() does nothing")
def test_release_gives_the_pages_of_freed_objects_back_to_the_system():
    blocks = [os.urandom(4000) for _ in range(25_000)]  # 100 MB in the C heap, not in CPython's arenas
    guard = os.urandom(4000)  # above them: free() alone cannot shrink the heap from its top
    del blocks
    before = _resident()
    memory.release()
    assert before - _resident() > 50_000_000
    assert guard


def test_a_session_keeps_no_files_bytes_between_builds_and_parses_an_edit_from_its_new_bytes(small_site, tmp_path):
    session, log = Session(update_in_place=True), ChangeLog()
    session.changes = log
    config = small_site.config(search=False)
    build(config, today=TODAY, session=session)
    session.settle()
    assert session.last_scan.files and all(f.raw is None for f in session.last_scan.files)
    log.add(str(small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")))
    result = build(config, today=TODAY, session=session)
    session.settle()
    assert (result.stats["hashed"], result.stats["parsed"]) == (1, 1)
    assert all(f.raw is None for f in session.last_scan.files)
    where = tmp_path / "cold"
    build(small_site.config(site_dir=where / "site", cache_dir=where / "cache"), today=TODAY, use_cache=False)
    assert snapshot(small_site.site_dir) == snapshot(where / "site")
    assert "Mara Quill told us:" in (small_site.site_dir / "sheets/ferry-timetable/index.html").read_text()
