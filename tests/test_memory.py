"""What a build lets go of: the files' bytes once they are parsed (in serve's session too), and
the freed pages of the C heap, given back to the system between stages (sitegen.memory)."""

from __future__ import annotations

import os
import platform

import pytest

from conftest import TODAY, snapshot
from sitegen import memory
from sitegen.build import build
from sitegen.model.graph import PACKED, kind_of
from sitegen.model import packed
from sitegen.model.packed import Packed
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


def test_serve_keeps_export_lines_and_feed_entries_packed_and_a_title_edit_gives_the_cold_site(small_site, tmp_path):
    """Between builds, serve's session holds each sheet's export lines and feed entry compressed
    (65 MB of text at 10,000 sheets); a title edit, which makes the exports and the feed again
    from them, still gives the cold build's bytes. A one-off build packs nothing."""
    session = Session(update_in_place=True)
    config = small_site.config(search=False)
    build(config, today=TODAY, session=session)
    kept = {name: entry.value for name, entry in session.memo.entries.items() if kind_of(name) in PACKED}
    assert {kind_of(name) for name in kept} == PACKED and all(type(v) is Packed for v in kept.values())
    small_site.edit(FERRY, "title: The harbour ferry's winter timetable", "title: Winter ferries")
    build(config, today=TODAY, session=session)
    where = tmp_path / "cold"
    build(small_site.config(site_dir=where / "site", cache_dir=where / "cache"), today=TODAY, use_cache=False)
    assert snapshot(small_site.site_dir) == snapshot(where / "site")
    assert "Winter ferries" in (small_site.site_dir / "data/sheets.json").read_text("utf-8")
    one_off = Session()
    build(small_site.config(site_dir=where / "again", cache_dir=where / "cache"), today=TODAY, session=one_off)
    assert all(type(e.value) is not Packed for e in one_off.memo.entries.values())


@pytest.mark.parametrize("text", ["", "one line", "héllo\nwörld\n", "中" * 5000 + "\nrest", "x" * 20000 + "\n" + "y" * 9])
def test_a_packed_text_gives_back_its_text_and_its_first_line(text):
    """sheets.json takes each sheet's first export line from the packed text, unpacking little more."""
    kept = packed.Packed(text)
    assert kept.text() == packed.text(kept) == packed.text(text) == text
    assert kept.first_line() == packed.first_line(kept) == packed.first_line(text) == text.split("\n", 1)[0]
