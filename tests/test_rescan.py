"""serve's scans from file events: the files the events name are looked at again, and only they
(sitegen.read.scan.rescan, ChangeLog, sitegen.watch); anything that may change which files there
are makes the next build scan everything."""

from __future__ import annotations

import logging
import os
import time

import pytest
import watchdog.events

from conftest import TODAY, snapshot
from sitegen.build import build
from sitegen.read.scan import ChangeLog, rescan, scan
from sitegen.session import Session
from sitegen.watch import EventObserver, MissedEvents, NoteChanges, PollingObserver

FERRY = "content/sheets/ferry-timetable.md"


def _scanned(config, previous=None, changed=()):
    return scan(config, {}) if previous is None else rescan(config, previous, {str(p) for p in changed})


def _same(a, b) -> None:
    assert [(f.rel, f.path, f.shown, f.stat, f.sha, f.part) for f in a.files] == \
           [(f.rel, f.path, f.shown, f.stat, f.sha, f.part) for f in b.files]
    files = [f.path for f in b.files]  # folders' stats serve the check after a full scan's build only
    assert (a.parts, [a.stats[p] for p in files], a.known.keys()) == (b.parts, [b.stats[p] for p in files],
                                                                      b.known.keys())
    assert [d.format() for d in a.report.items] == [d.format() for d in b.report.items]


def test_a_rescan_of_an_edited_file_equals_a_full_scan_and_hashes_that_file_alone(small_site):
    config = small_site.config()
    before = _scanned(config)
    path = small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    again = _scanned(config, before, [path])
    assert again.from_events and again.hashed == 1
    _same(again, _scanned(config))
    assert again.parts != before.parts


def test_events_for_hidden_files_and_leftovers_change_nothing(small_site):
    config = small_site.config()
    before = _scanned(config)
    small_site.write({"content/.notes.md": "x", "content/sheets/ferry-timetable.md~": "x",
                      "content/.git/HEAD": "x", "content/sheets/ferry-timetable.md.swp": "x"})
    names = ["content/.notes.md", "content/sheets/ferry-timetable.md~", "content/.git/HEAD",
             "content/sheets/ferry-timetable.md.swp"]
    again = _scanned(config, before, [small_site.root / n for n in names])
    assert again is not None and again.hashed == 0
    _same(again, _scanned(config))


@pytest.mark.parametrize("change", ["new file", "removed file", "renamed file", "link", "outside docs_dir"])
def test_a_change_of_which_files_there_are_needs_a_full_scan(small_site, change):
    config = small_site.config()
    before = _scanned(config)
    ferry = small_site.root / FERRY
    if change == "new file":
        small_site.write({"content/sheets/new-sheet.md": "---\ntitle: x\n---\n"})
        named = [small_site.content / "sheets" / "new-sheet.md"]
    elif change == "removed file":
        ferry.unlink()
        named = [ferry]
    elif change == "renamed file":
        ferry.rename(ferry.with_name("ferry-times.md"))
        named = [ferry, ferry.with_name("ferry-times.md")]
    elif change == "link":
        target = small_site.content / "elsewhere.md"
        ferry.rename(target)
        ferry.symlink_to(target)
        named = [ferry]
    else:
        named = [small_site.root / "mkdocs.yml"]
    assert _scanned(config, before, named) is None


@pytest.mark.parametrize("alias", ["symbolic link", "hard link"])
def test_a_file_with_two_names_makes_every_rescan_a_full_scan(small_site, alias):
    """An edit through one name is an event for that name only: the other's bytes changed too."""
    config = small_site.config()
    ferry = small_site.root / FERRY
    second = small_site.content / "data" / "ferry-copy.txt"
    second.parent.mkdir(exist_ok=True)
    second.symlink_to(ferry) if alias == "symbolic link" else os.link(ferry, second)
    before = _scanned(config)
    assert before.aliased
    path = small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    assert _scanned(config, before, [path]) is None


def _site_with_log(small_site):
    session, log = Session(update_in_place=True), ChangeLog()
    session.changes = log
    config = small_site.config(search=False)
    return session, log, config


def _cold(small_site, tmp_path) -> dict[str, bytes]:
    where = tmp_path / "cold"
    build(small_site.config(site_dir=where / "site", cache_dir=where / "cache"), today=TODAY, use_cache=False)
    return snapshot(where / "site")


def test_a_session_with_a_change_log_scans_what_the_events_named(small_site, tmp_path):
    session, log, config = _site_with_log(small_site)
    build(config, today=TODAY, session=session)  # the log is unknown at first: everything is scanned
    session.settle()
    path = small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    log.add(str(path))
    result = build(config, today=TODAY, session=session)
    session.settle()
    assert result.stats["hashed"] == 1 and result.rendered >= 1
    assert session.last_scan.from_events
    assert snapshot(small_site.site_dir) == _cold(small_site, tmp_path)


def test_the_log_is_trusted_until_it_is_forgotten(small_site, tmp_path):
    """What shows that the events, not a walk, decide what is looked at: an edit no event named is
    not seen; once the log is forgotten (a watch began late, events were lost), it is."""
    session, log, config = _site_with_log(small_site)
    build(config, today=TODAY, session=session)
    session.settle()
    small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    assert build(config, today=TODAY, session=session).up_to_date
    session.settle()
    log.forget()
    result = build(config, today=TODAY, session=session)
    assert not result.up_to_date and not session.last_scan.from_events
    assert snapshot(small_site.site_dir) == _cold(small_site, tmp_path)


def test_a_new_file_is_found_by_the_full_scan_it_causes(small_site, tmp_path):
    session, log, config = _site_with_log(small_site)
    build(config, today=TODAY, session=session)
    session.settle()
    text = (small_site.root / FERRY).read_text(encoding="utf-8")
    small_site.write({"content/sheets/ferry-copy.md": text.replace("id: ferry-timetable", "id: ferry-copy")})
    log.add(str(small_site.content / "sheets" / "ferry-copy.md"))
    build(config, today=TODAY, session=session)
    assert not session.last_scan.from_events
    assert (small_site.site_dir / "sheets" / "ferry-copy" / "index.html").is_file()
    assert snapshot(small_site.site_dir) == _cold(small_site, tmp_path)


def _event(kind: str, path: str, directory: bool = False, dest: str = ""):
    classes = {("modified", False): watchdog.events.FileModifiedEvent,
               ("opened", False): watchdog.events.FileOpenedEvent,
               ("closed_no_write", False): watchdog.events.FileClosedNoWriteEvent,
               ("moved", False): watchdog.events.FileMovedEvent,
               ("created", True): watchdog.events.DirCreatedEvent,
               ("modified", True): watchdog.events.DirModifiedEvent}
    cls = classes[(kind, directory)]
    return cls(path, dest) if kind == "moved" else cls(path)


def test_the_watcher_notes_what_events_name_and_forgets_on_folder_changes_and_lost_events(tmp_path):
    log, heard = ChangeLog(), []
    handler = watchdog.events.FileSystemEventHandler()
    handler.on_any_event = heard.append
    dispatch = NoteChanges(handler, log).dispatch
    assert log.take() is None  # unknown before the first scan
    dispatch(_event("opened", "/d/a.md"))
    dispatch(_event("closed_no_write", "/d/a.md"))
    dispatch(_event("modified", "/d/a.md"))
    dispatch(_event("moved", "/d/.a.md.tmp", dest="/d/b.md"))
    dispatch(_event("modified", "/d", directory=True))
    assert log.take() == {"/d/a.md", "/d/.a.md.tmp", "/d/b.md"}
    assert len(heard) == 3  # the server hears of changes, not of reads
    dispatch(_event("created", "/d/new", directory=True))
    assert log.take() is None
    assert log.take() == set()
    MissedEvents.logs.add(log)
    logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; filesystem events were lost")
    assert log.take() is None


@pytest.mark.parametrize("observer_class", [EventObserver, PollingObserver])
def test_a_real_watch_names_the_saved_file(tmp_path, observer_class):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("one", encoding="utf-8")
    log = ChangeLog()
    observer = observer_class(log, timeout=0.1) if observer_class is PollingObserver else observer_class(log)
    observer.schedule(watchdog.events.FileSystemEventHandler(), str(folder), recursive=True)
    observer.start()
    try:
        time.sleep(0.3)
        log.take()
        (folder / "a.md").write_text("two", encoding="utf-8")
        deadline, named = time.monotonic() + 10, set()
        while time.monotonic() < deadline and os.path.join(str(folder), "a.md") not in named:
            time.sleep(0.05)
            named |= log.take() or set()
        assert os.path.join(str(folder), "a.md") in named
    finally:
        observer.stop()
        observer.join()


def test_a_serve_rebuild_after_one_edit_looks_at_that_file_and_the_pages_it_writes_only(small_site, monkeypatch):
    """The scan stats the file the events named; the manifest a session saved itself is believed
    for the pages left alone (serve's private folder, which nothing else writes)."""
    session, log, config = _site_with_log(small_site)
    build(config, today=TODAY, session=session)
    session.settle()
    path = small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    log.add(str(path))
    looked = []
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: looked.append(os.fspath(p)) or real_stat(p, *a, **k))
    result = build(config, today=TODAY, session=session)
    monkeypatch.undo()
    files = [p for p in looked if os.path.isfile(p)]
    content = {p for p in files if p.startswith(str(small_site.content))}
    pages = {p for p in files if p.startswith(str(small_site.site_dir)) and p.endswith(".html")}
    assert content == {str(path)}
    assert 1 <= len(pages) <= result.rendered, sorted(pages)


def test_serve_watches_before_its_first_build_so_the_second_scans_only_the_saved_file(small_site):
    """The preview as `sitegen serve` runs it, with the system's file events: the first save after
    the first build is looked at alone (no full scan), and the page shows it."""
    import socket
    import threading

    from sitegen.serve import Preview

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    preview = Preview(small_site.root / "mkdocs.yml", "127.0.0.1", port)
    running = threading.Thread(target=preview.run, daemon=True)
    running.start()

    def wait_for(condition) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not condition():
            time.sleep(0.05)
        assert condition()
    try:
        wait_for(lambda: preview._rebuilds == 1 and not preview._site_lock.locked())
        path = small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
        wait_for(lambda: preview._rebuilds == 2 and not preview._site_lock.locked())
        assert preview.session.last_scan is not None and preview.session.last_scan.from_events
        assert preview.session.last_scan.hashed == 1
        page = preview.site_dir / "sheets" / "ferry-timetable" / "index.html"
        assert "Mara Quill told us:" in page.read_text(encoding="utf-8")
        assert path.is_file()
    finally:
        preview.server.shutdown()
        running.join(timeout=30)
    assert not preview.workdir.exists()
