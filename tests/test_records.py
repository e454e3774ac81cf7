"""The record cache (sitegen.read.records): a new process reuses what it can, and never trusts a bad entry."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import time
from array import array

import pytest

from conftest import TODAY, snapshot
from sitegen.read import codec, records
from sitegen.render import feeds
from sitegen.model.graph import digest_of
from sitegen.model.packed import Packed
from sitegen.write.values import ValueStore
from sitegen.build import build
from sitegen.errors import ContentError
from sitegen.model import Cite, KeyFact, Pos, Positions, Sheet
from sitegen.session import Session

FERRY = "content/sheets/ferry-timetable.md"
GAZETTE = "content/sources/harbour-gazette-2024-03-01.yml"


def _age_inputs(site, seconds: int = 60) -> None:
    """Move every input's mtime into the past, so no file is racily clean when first hashed."""
    past = time.time() - seconds
    for path in site.content.rglob("*"):
        os.utime(path, (past, past))


def _db(site) -> sqlite3.Connection:
    return sqlite3.connect(site.root / ".sitegen-cache" / "records.sqlite")


def _counters(stderr: str) -> dict[str, int]:
    found = {}
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("hashed", "parsed", "checked", "scanned") and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


def _cold(site) -> dict[str, bytes]:
    """The site a build without any cache writes, from the same content (the cached one is kept aside)."""
    cached = snapshot(site.site_dir)
    build(site.config(), today=TODAY, use_cache=False)
    cold = snapshot(site.site_dir)
    assert cached == cold
    return cold


def test_a_new_process_after_a_one_sheet_edit_parses_one_file_and_checks_one_sheet(small_site):
    _age_inputs(small_site)
    first = small_site.run("build", "--timings")
    assert first.returncode == 0, first.stderr
    assert _counters(first.stderr)["parsed"] >= 8
    small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told the gazette:")
    second = small_site.run("build", "--timings")
    assert second.returncode == 0, second.stderr
    assert _counters(second.stderr) == {"hashed": 1, "parsed": 1, "checked": 1, "scanned": 1}
    assert "told the gazette" in (small_site.site_dir / "sheets/ferry-timetable/index.html").read_text("utf-8")


EDITS = {
    "body": lambda s: s.edit(FERRY, "Mara Quill said:", "Mara Quill told us:"),
    "front matter": lambda s: s.edit(FERRY, "title: The harbour ferry's winter timetable", "title: Winter ferries"),
    "source yml": lambda s: s.edit(GAZETTE, "title: Old stone bridge to reopen in April",
                                  "title: The old bridge reopens in April"),
    "topics.yml": lambda s: s.edit("content/data/topics.yml", "name: Ferries", "name: Harbour ferries"),
    "delete a sheet": lambda s: (s.remove("content/sheets/bridge-repairs.md"),
                                 s.edit("content/sheets/overview.md", "related: [bridge-repairs, ferry-timetable]",
                                       "related: [ferry-timetable]")),
    "add a sheet": lambda s: s.write({"content/sheets/new-crossing.md": (
        "---\ntitle: A new crossing\nsummary: One more.\nas_of: 2024-03-02\ntopics: [ferries]\n---\n"
        "See [@harbour-gazette-2024-03-01].\n")}),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_the_site_built_with_the_record_cache_equals_a_cold_build(small_site, edit):
    """Each build here is a fresh Session, as in a new process: only the disk cache carries over."""
    build(small_site.config(), today=TODAY)
    total = _db(small_site).execute("SELECT count(*) FROM records").fetchone()[0]
    EDITS[edit](small_site)
    result = build(small_site.config(), today=TODAY)
    assert result.stats["parsed"] <= 2 < total, result.stats  # the cache was used, not bypassed
    _cold(small_site)
    shown = {s for (s,) in _db(small_site).execute("SELECT shown FROM records")}
    assert all((small_site.root / s).is_file() for s in shown)  # entries of deleted files are dropped


def test_breaking_a_quote_then_fixing_it_gives_the_cold_site(small_site):
    build(small_site.config(), today=TODAY)
    small_site.edit(FERRY, '"We will not cut a single crossing,"', '"We will cut every crossing,"')
    with pytest.raises(ContentError):
        build(small_site.config(), today=TODAY)
    small_site.edit(FERRY, '"We will cut every crossing,"', '"We will not cut a single crossing,"')
    small_site.edit("content/sheets/overview.md", "---\n", "---\n\n")  # else the first build's site is current
    result = build(small_site.config(), today=TODAY)
    # the ferry's record of the failed build is replaced; its check was not kept, the first build's is used
    assert (result.stats["parsed"], result.stats["checked"]) == (2, 1)
    _cold(small_site)


def _corrupt(path):
    data = bytearray(path.read_bytes())
    for at in range(100, len(data), 997):
        data[at] ^= 0x5A
    path.write_bytes(bytes(data))


def _foreign(path):
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE records (x)")
    db.execute("INSERT INTO records VALUES ('not ours')")
    db.commit()
    db.close()


def _other_version(path):
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = 'sitegen-records 0' WHERE key = 'format'")
    db.commit()
    db.close()


DAMAGE = {
    "corrupt": _corrupt,
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 3]),
    "not a database": lambda p: p.write_bytes(b"this is not SQLite\n" * 100),
    "foreign": _foreign,
    "other version": _other_version,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_database_is_rebuilt_and_the_site_is_the_cold_one(small_site, damage):
    build(small_site.config(), today=TODAY)
    path = small_site.root / ".sitegen-cache" / "records.sqlite"
    DAMAGE[damage](path)
    small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    build(small_site.config(), today=TODAY)
    _cold(small_site)
    db = _db(small_site)
    assert db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() == (records.FORMAT,)
    assert db.execute("SELECT count(*) FROM records WHERE kind = 'sheet'").fetchone() == (3,)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    result = build(small_site.config(), today=TODAY, use_cache=True)
    assert result.up_to_date or result.stats["parsed"] == 0


def test_a_hand_edited_entry_is_ignored(small_site):
    build(small_site.config(), today=TODAY)
    db = _db(small_site)
    value = db.execute("SELECT value FROM records WHERE kind = 'sheet' AND shown = ?", (FERRY,)).fetchone()[0]
    forged = value.replace("The harbour ferry's winter timetable", "Forged title")
    assert forged != value and json.loads(forged)
    db.execute("UPDATE records SET value = ? WHERE kind = 'sheet' AND shown = ?", (forged, FERRY))
    db.commit()
    small_site.edit("content/sheets/overview.md", "---\n", "---\n\n")  # something to build
    result = build(small_site.config(), today=TODAY)
    assert result.stats["parsed"] == 2  # the edited sheet, and the forged entry's
    assert "Forged title" not in str(snapshot(small_site.site_dir))
    _cold(small_site)


def test_a_racily_clean_file_is_hashed_again(small_site):
    """A file rewritten with the same size in the same second as it was hashed can keep its stat
    on coarse file systems: its recorded sha256 is not trusted while the two times are close."""
    build(small_site.config(), today=TODAY)
    path = small_site.root / FERRY
    small_site.edit(FERRY, "Mara Quill said:", "Mara Quill sayd:")  # same size
    st = path.stat()
    db = _db(small_site)  # as a coarse clock would have it: the stat recorded is the stat now
    db.execute("UPDATE files SET stat = ?, recorded = ? WHERE path = ?",
               (json.dumps(list(records.file_stat(st))), st.st_mtime_ns + 500_000_000, str(path)))
    assert db.total_changes == 1
    db.commit()
    result = build(small_site.config(), today=TODAY)
    assert result.stats["hashed"] >= 1 and result.stats["parsed"] == 1
    assert "sayd" in (small_site.site_dir / "sheets/ferry-timetable/index.html").read_text("utf-8")


def test_a_file_hashed_long_after_its_last_change_is_not_opened(small_site, monkeypatch):
    """The other side of the rule above: a stat that matches, recorded well after, is trusted."""
    _age_inputs(small_site)
    build(small_site.config(), today=TODAY)
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k))
    small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    opened.clear()
    result = build(small_site.config(), today=TODAY)
    content = [p for p in opened if str(small_site.content) in p]
    assert content == [str(small_site.root / FERRY)], content
    assert result.stats["hashed"] == 1


def test_a_database_another_process_writes_is_read_but_not_written(small_site):
    """The cache is in WAL mode: while another process holds the write lock, a build still reads
    the stored records (one file parsed), skips its own save, and makes the same site."""
    build(small_site.config(), today=TODAY)
    database = small_site.root / ".sitegen-cache" / "records.sqlite"
    holder = sqlite3.connect(database, isolation_level=None)
    assert holder.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    holder.execute("BEGIN EXCLUSIVE")
    try:
        small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
        result = build(small_site.config(), today=TODAY)
        assert result.stats["parsed"] == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _cold(small_site)
    small_site.edit(FERRY, "Mara Quill told us:", "Mara Quill said:")
    # The records of the first build are all there still: the sheet as it was is not parsed again.
    assert build(small_site.config(), today=TODAY).stats["parsed"] == 0


def _shown_rows(site) -> set[str]:
    with _db(site) as db:
        return {s for (s,) in db.execute("SELECT shown FROM records")}


def test_a_session_keeps_its_store_open_and_still_drops_the_rows_of_files_gone(small_site):
    session = Session(update_in_place=True)
    config = small_site.config(site_dir=small_site.root / "preview")
    build(config, today=TODAY, session=session)
    store = session.records
    EDITS["delete a sheet"](small_site)
    build(config, today=TODAY, session=session)
    assert session.records is store and store.db is not None  # the same connection, not reopened
    assert "content/sheets/bridge-repairs.md" not in _shown_rows(small_site)
    with _db(small_site) as db:
        assert "bridge-repairs" not in {i for (i,) in db.execute("SELECT sheet FROM checks")}


def test_a_session_looks_at_every_row_again_when_another_process_wrote_the_store(small_site):
    """The session skips looking for rows of files gone while its files are the ones it saved;
    a row another process added meanwhile (a file since removed) must still go."""
    session = Session(update_in_place=True)
    config = small_site.config(site_dir=small_site.root / "preview")
    build(config, today=TODAY, session=session)
    extra = "content/sheets/new-crossing.md"
    EDITS["add a sheet"](small_site)
    build(small_site.config(), today=TODAY)  # another process: its own connection
    assert extra in _shown_rows(small_site)
    small_site.remove(extra)
    small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    build(config, today=TODAY, session=session)
    assert extra not in _shown_rows(small_site)


def test_the_codec_builds_only_known_classes():
    sheet = Sheet("a", "content/sheets/a.md", "A", "S", TODAY, "body", 5, positions={"title": Pos("p", 2, 3)},
                  digest="d")
    text = json.dumps(codec.encode([sheet, ("x", 1), {("k", None): [1]}]))
    assert codec.decode(text) == [sheet, ("x", 1), {("k", None): [1]}]
    assert codec.decode(text)[0].positions == sheet.positions
    for bad in ('{"#": "Popen", "args": "sh"}', '{"#": "Pos", "path": "p"}', '{"#os": "x"}', '{"a": 1}'):
        with pytest.raises(codec.CodecError):
            codec.decode(bad)


def test_field_positions_are_kept_compact_and_read_back_as_the_positions_written():
    """A record's positions (a tenth of the memory at 10,000 sheets as Pos objects) are one array and
    a names tuple shared by records with the same fields; they cross from the parse workers intact."""
    written = {"title": Pos("content/sheets/a.md", 2, 3), "topics.0": Pos("content/sheets/a.md", 40000, 1)}
    one, two = Positions.of(written), Positions.of(dict(written))
    assert isinstance(one, Positions) and one == written and dict(one) == written and one.names is two.names
    assert one.get("summary") is None and list(one) == ["title", "topics.0"] and len(one) == 2
    back = pickle.loads(pickle.dumps(one))
    assert back == written and back.names is one.names
    mixed = {"title": Pos("a.md", 1, 1), "text": Pos("a.txt", 1, 1)}
    assert Positions.of(mixed) is mixed and Positions.of({}) == {}  # not all in one file: kept as they are
    with pytest.raises(ValueError):
        Positions("a.md", ("title",), array("i", [1]))


def test_the_codec_keeps_field_positions_compact_and_refuses_bad_ones():
    sheet = Sheet("a", "content/sheets/a.md", "A", "S", TODAY, "body", 5,
                  positions={"title": Pos("content/sheets/a.md", 2, 3), "topics.0": Pos("content/sheets/a.md", 4, 1)})
    stored = codec.decode(json.dumps(codec.encode(sheet)))
    assert isinstance(stored.positions, Positions) and stored.positions.names == ("title", "topics.0")
    assert stored.pos("topics.0") == Pos("content/sheets/a.md", 4, 1) and stored.pos("summary") == Pos(sheet.path, 1, 1)
    assert dict(stored.positions) == sheet.positions
    assert json.loads(json.dumps(codec.encode(stored))) == json.loads(json.dumps(codec.encode(sheet)))
    for bad in ('{"#ps": ["p", [["title", "2", 3]]]}', '{"#ps": [1, []]}', '{"#ps": ["p", [["title", 2]]]}',
                '{"#ps": ["p", [["title", 2, 3], ["title", 4, 1]]]}', '{"#ps": ["p", [["title", 2, 99999999999]]]}',
                '{"#C": [1, null, "p", 1, 1, null, null]}', '{"#C": ["s", null, "p", "1", 1, null, null]}'):
        with pytest.raises(codec.CodecError):
            codec.decode(bad)


def test_a_stored_link_scan_of_the_wrong_shape_is_scanned_again(small_site):
    """Link scans are kept by a digest of the body; one edited by hand is not believed."""
    _age_inputs(small_site)
    assert build(small_site.config(), today=TODAY).stats["scanned"] >= 3
    db = _db(small_site)
    db.execute("UPDATE scans SET value = '[[[\"nowhere.md\", 1, 1]], [], []]'")  # checksums no longer match
    (key, value), = db.execute("SELECT key, value FROM scans LIMIT 1").fetchall()
    forged = '[[[1, "x", 1]], [], []]'  # a checksum that matches, a shape that does not
    db.execute("UPDATE scans SET value = ?, checksum = ? WHERE key = ?", (forged, records.digest("scan", key, forged), key))
    db.commit()
    small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    result = build(small_site.config(), today=TODAY)
    assert result.stats["scanned"] == db.execute("SELECT count(*) FROM scans").fetchone()[0]
    assert not result.warnings
    _cold(small_site)


def test_new_rows_are_written_a_batch_at_a_time_and_wait_for_the_save_while_the_store_is_busy(tmp_path, monkeypatch):
    """At 10,000 sheets the new rows' text would be held through resolve (150 MB); they go to the
    store ROWS_HELD at a time. A store another process holds is tried once, then left to save()."""
    monkeypatch.setattr(records, "ROWS_HELD", 2)
    store = records.RecordStore(tmp_path, "salt")
    rows = lambda: sqlite3.connect(tmp_path / "records.sqlite").execute("SELECT sheet FROM checks").fetchall()  # noqa: E731
    store.put_check("a", "k1", [1])
    assert rows() == []
    store.put_check("b", "k2", [2])
    assert sorted(rows()) == [("a",), ("b",)] and store.new_checks == {}
    other = sqlite3.connect(tmp_path / "records.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another build writes
    store.put_check("c", "k3", [3])
    started = time.monotonic()
    store.put_check("d", "k4", [4])  # tried, found busy
    store.put_check("e", "k5", [5])  # not tried again
    assert time.monotonic() - started < 1.5 and not store.write_early and not store.broken
    other.execute("COMMIT")
    store.save({}, set(), {"a", "b", "c", "d", "e"})
    assert sorted(rows()) == [("a",), ("b",), ("c",), ("d",), ("e",)]
    assert store.get_check("e", "k5") == [5] and store.get_check("a", "k1") == [1]
    fresh = records.RecordStore(tmp_path / "again", "salt")  # the records a cold build loaded go the same way
    fresh.put("sheet", "a.md", "sha-a", ["a"])
    fresh.write_pending()
    assert fresh.new_records  # one is not worth a write of its own: it waits for the save
    fresh.put("sheet", "b.md", "sha-b", ["b"])
    fresh.write_pending()
    assert fresh.new_records == {} and fresh.get("sheet", "b.md", "sha-b") == ["b"]


def test_decoded_records_share_one_string_for_each_short_one_they_repeat():
    """JSON makes a new string for every occurrence; two sheets citing one source, and the
    citations of one sheet, hold one object each for the source's id, the path and the status,
    as one parse in a process gives (38 MB at 10,000 sheets built from the record cache)."""
    def sheet(name: str) -> Sheet:
        path = f"content/sheets/{name}.md"
        cites = tuple(KeyFact(f"fact {i}", Cite("harbour-gazette", "q", Pos(path, i, 1), Pos(path, i, 9)))
                      for i in range(1, 3))
        return Sheet(name, path, "T", "S", TODAY, "body", 5, topics=("ferries",), key_facts=cites,
                     positions={"title": Pos(path, 2, 3)})
    one, two = codec.decode(json.dumps(codec.encode([sheet("a"), sheet("b")])))
    assert one.key_facts[0].cite.source is two.key_facts[1].cite.source
    assert one.key_facts[0].cite.pos.path is one.key_facts[1].cite.quote_pos.path is one.path is one.positions.path
    assert one.status is two.status and one.topics[0] is two.topics[0]
    title, again = codec.decode(json.dumps(codec.encode(("x" * (codec.SHORT + 1),) * 2)))
    assert title == again and title is not again  # a long text is not kept in the interned table


def test_a_check_read_from_the_store_shares_its_texts_and_its_sources_ids(small_site):
    """A stored check gives each quote once for its note, index entry and passage, and names each
    source by the source's own id string (9.7 → 2.5 MB of a session at 1,000 sheets)."""
    build(small_site.config(), today=TODAY)
    session = Session()
    small_site.edit("content/sheets/overview.md", "related:", "related: ")
    build(small_site.config(), today=TODAY, session=session)  # a new process: checks come from the store
    assert session.resolved, "the edit did not make the build check anything"
    result = session.resolved["ferry-timetable"][1]
    quoted = [n for n in result.links.notes if n.quote]
    assert quoted and result.passages
    by_quote = {p.quote: (i, p) for i, p in result.passages}
    for note in quoted:
        source_id, passage = by_quote[note.quote]
        assert note.quote is passage.quote and source_id is note.source.id
    for (source_id, quote), note in result.links.note_index.items():  # keyed by the quote as cited
        assert source_id is note.source.id and (quote != note.quote or quote is note.quote)
    assert all(any(c is n.source.id for n in result.links.notes) for c in result.cited)


def test_a_new_process_takes_the_unchanged_sheets_export_lines_from_the_value_store(small_site, monkeypatch):
    """A title edit makes the exports again; a new process makes the lines of the sheets whose
    view it changed (the edited one, and the one that lists it as related) and reads the others
    back from values.sqlite, each checked against its digest."""
    build(small_site.config(), today=TODAY)
    made = []
    records = feeds._sheet_records
    monkeypatch.setattr(feeds, "_sheet_records", lambda view: (made.append(view["id"]), records(view))[1])
    small_site.edit(FERRY, "title: The harbour ferry's winter timetable", "title: Winter ferries")
    build(small_site.config(), today=TODAY)
    assert sorted(made) == ["ferry-timetable", "overview"]
    assert "Winter ferries" in (small_site.site_dir / "data/sheets.json").read_text("utf-8")
    _cold(small_site)


@pytest.mark.parametrize("value", ['{"id":"a"}\n{"fact":"caf\\u00e9"}', "one line", ["a", ["b"]]])
def test_the_value_store_gives_back_what_it_kept_packed_or_not(tmp_path, value):
    digest = digest_of(value)
    for kept in (value, Packed(value)) if isinstance(value, str) else (value,):
        store = ValueStore(tmp_path / type(kept).__name__)
        store.keep({digest}, {digest: ("export", kept)})
        store.close()
        assert ValueStore(tmp_path / type(kept).__name__).get(digest, "export") == value
