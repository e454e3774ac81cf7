"""The build cache is never wrong: an incremental build equals a cold one, byte for byte.

Each test builds the small fixture site with the cache, makes one kind of
change, builds again with the cache, and compares the result with a cold
build (``use_cache=False``) of the same input. Corrupt, foreign and stale
caches must be ignored, never trusted.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from conftest import TEMPLATES, TODAY, TinySite, snapshot
from sitegen.write import inplace, output
from sitegen import workers
from sitegen.build import build, check
from sitegen.errors import ContentError, OutputError
from sitegen.session import Session


@pytest.fixture
def site(small_site: TinySite, monkeypatch) -> TinySite:
    """The small site with a private copy of the templates, so tests may edit them."""
    shutil.copytree(TEMPLATES, small_site.root / "templates")
    monkeypatch.setenv("SITEGEN_TEST_TEMPLATES", str(small_site.root / "templates"))
    return small_site


def edit(site: TinySite, rel: str, old: str, new: str) -> None:
    path = site.root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def incremental_equals_cold(site: TinySite, session: Session | None = None) -> tuple[dict[str, bytes], object]:
    """Build with the cache (through ``session`` when given, as `serve` does), and cold into a
    folder of its own; both trees must be equal.

    The cold build must not touch site/: it would reset the cache's record of it.
    """
    result = build(site.config(), today=TODAY, session=session)
    incremental = snapshot(site.site_dir)
    cold_dir = site.root / "site-cold"
    build(site.config(site_dir=cold_dir), today=TODAY, use_cache=False)
    cold = snapshot(cold_dir)
    assert sorted(incremental) == sorted(cold)
    assert [p for p in cold if incremental[p] != cold[p]] == []
    return incremental, result


def change_source_text(site: TinySite) -> None:
    txt = site.content / "sources" / "harbour-gazette-2024-03-01.txt"
    data = txt.read_bytes() + b"\r\nA later paragraph added to the stored text.\r\n"
    txt.write_bytes(data)
    yml = site.content / "sources" / "harbour-gazette-2024-03-01.yml"
    text = yml.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("sha256:"))
    yml.write_text(text.replace(old, f"sha256: {hashlib.sha256(data).hexdigest()}"), encoding="utf-8")


def rename_sheet(site: TinySite) -> None:
    sheets = site.content / "sheets"
    (sheets / "bridge-repairs.md").rename(sheets / "bridge-works.md")
    edit(site, "content/sheets/overview.md", "related: [bridge-repairs,", "related: [bridge-works,")


CHANGES = {
    "sheet body": lambda s: edit(s, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring."),
    "sheet metadata": lambda s: edit(s, "content/sheets/ferry-timetable.md",
                                     "title: The harbour ferry's winter timetable", "title: The ferry's winter timetable"),
    "source metadata": lambda s: edit(s, "content/sources/harbour-gazette-2024-03-01.yml",
                                      "publisher: Harbour Gazette", "publisher: The Harbour Gazette"),
    "source text": change_source_text,
    "vocabulary": lambda s: edit(s, "content/data/topics.yml", "name: Ferries", "name: Harbour ferries"),
    "template": lambda s: edit(s, "templates/sheet.html", "{% block content %}", "{% block content %}<!-- edited -->"),
    "static asset": lambda s: (s.root / "templates/static/site.css").write_text("body { color: red }\n"),
    "mkdocs.yml": lambda s: edit(s, "mkdocs.yml", "site_name: Harbourton Facts", "site_name: Harbourton Facts Desk"),
    "deleted sheet": lambda s: (
        (s.content / "sheets/ferry-timetable.md").unlink(),
        edit(s, "content/sheets/overview.md", "related: [bridge-repairs, ferry-timetable]", "related: [bridge-repairs]")),
    "renamed sheet": rename_sheet,
    "plain page": lambda s: (s.content / "about.md").write_text(
        (s.content / "about.md").read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_incremental_build_equals_cold_build(site: TinySite, change: str):
    first, _ = incremental_equals_cold(site)
    CHANGES[change](site)
    after, _ = incremental_equals_cold(site)
    assert after != first, "the change must show in the output"


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_session_build_equals_cold_build(site: TinySite, change: str):
    """What a session remembers (parses, quotes, views, exports) never outlives a change."""
    session = Session(update_in_place=True)
    first, _ = incremental_equals_cold(site, session)
    CHANGES[change](site)
    assert incremental_equals_cold(site, session)[0] != first, "the change must show in the output"


def test_one_session_through_every_change(site: TinySite):
    session = Session(update_in_place=True)
    incremental_equals_cold(site, session)
    # Each change on its own is tested above; here they pile up in one session
    # (the rename is left out: it rewrites the line the deletion edits).
    order = [c for c in CHANGES if c not in ("renamed sheet", "deleted sheet")] + ["deleted sheet"]
    for change in order:
        CHANGES[change](site)
        incremental_equals_cold(site, session)


def test_session_updates_only_the_changed_page_in_place(site: TinySite):
    session = Session(update_in_place=True)
    build(site.config(), today=TODAY, session=session)
    before = {p: p.stat().st_ino for p in site.site_dir.rglob("*") if p.is_file()}
    edit(site, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring.")
    result = build(site.config(), today=TODAY, session=session)
    after = {p: p.stat().st_ino for p in site.site_dir.rglob("*") if p.is_file()}
    assert result.rendered == 1 and "swap" not in result.timings
    assert [p.relative_to(site.site_dir).as_posix() for p in after if after[p] != before.get(p)] == [
        "sheets/bridge-repairs/index.html"]


def test_session_replaces_a_changed_asset_in_place_and_keeps_an_unchanged_one(site: TinySite):
    """`serve`'s in-place update copies assets (in chunks, never read whole) only when their bytes changed."""
    photo, plan = site.content / "img" / "photo.png", site.content / "img" / "plan.png"
    photo.parent.mkdir()
    photo.write_bytes(b"\x89PNG first")
    plan.write_bytes(b"\x89PNG plan")
    session = Session(update_in_place=True)
    build(site.config(), today=TODAY, session=session)
    kept = (site.site_dir / "img" / "plan.png").stat().st_ino
    photo.write_bytes(b"\x89PNG second")
    edit(site, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring.")
    _, result = incremental_equals_cold(site, session)
    assert "swap" not in result.timings
    assert (site.site_dir / "img" / "photo.png").read_bytes() == b"\x89PNG second"
    assert (site.site_dir / "img" / "plan.png").stat().st_ino == kept


def test_session_reports_what_a_fresh_build_reports(site: TinySite):
    """Remembered warnings move with their lines: a field pushed down is reported where it now is."""
    session = Session(update_in_place=True)
    edit(site, "content/sheets/bridge-repairs.md", "review_by: 2099-06-30", "review_by: 2020-01-01")
    first = build(site.config(), today=TODAY, session=session).warnings
    assert [w.line for w in first if "review date" in w.message] == [5]
    edit(site, "content/sheets/bridge-repairs.md", "review_by: 2020-01-01\ntopics: [bridges]\n",
         "topics: [bridges]\nreview_by: 2020-01-01\n")  # the same sheet, the field a line lower
    again = build(site.config(), today=TODAY, session=session).warnings
    assert again == check(site.config(), today=TODAY).warnings
    assert [w.line for w in again if "review date" in w.message] == [6]


def test_session_template_error_leaves_the_site_as_it_was(site: TinySite):
    session = Session(update_in_place=True)
    build(site.config(), today=TODAY, session=session)
    before = snapshot(site.site_dir)
    edit(site, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring.")
    edit(site, "templates/sheet.html", "{% block content %}", "{% block content %}{{ sheet.missing_field }}")
    with pytest.raises(ContentError, match="missing_field"):
        build(site.config(), today=TODAY, session=session)
    assert snapshot(site.site_dir) == before


def test_one_body_edit_renders_only_its_page(site: TinySite):
    build(site.config(), today=TODAY)
    edit(site, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring.")
    result = build(site.config(), today=TODAY)
    assert result.rendered == 1 and result.pages > 15
    assert "Reopens in spring." in (site.site_dir / "sheets/bridge-repairs/index.html").read_text()


def test_nothing_changed_means_nothing_written(site: TinySite):
    build(site.config(), today=TODAY)
    before = {p: p.stat().st_ino for p in site.site_dir.rglob("*")}
    result = build(site.config(), today=TODAY)
    assert result.up_to_date
    assert {p: p.stat().st_ino for p in site.site_dir.rglob("*")} == before


def test_a_new_day_is_a_change(site: TinySite):
    """Review dates depend on the day of the build, so a new day is a new input."""
    build(site.config(), today=TODAY)
    assert not build(site.config(), today=TODAY.replace(year=2030)).up_to_date


def test_corrupt_manifest_is_ignored(site: TinySite):
    build(site.config(), today=TODAY)
    for manifest in (site.root / ".sitegen-cache").glob("pages-*.json"):
        manifest.write_text('{"check": "0", "body": {"salt": "x"')
    edit(site, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring.")
    _, result = incremental_equals_cold(site)
    assert result.rendered == result.pages  # nothing was trusted


def test_tampered_manifest_is_ignored(site: TinySite):
    """A manifest whose body no longer matches its checksum is not trusted."""
    build(site.config(), today=TODAY)
    manifest = next((site.root / ".sitegen-cache").glob("pages-*.json"))
    manifest.write_text(manifest.read_text().replace('"fingerprint": "', '"fingerprint": "0'))
    result = build(site.config(), today=TODAY)
    assert not result.up_to_date and result.rendered == result.pages


def test_foreign_markdown_entry_is_ignored(site: TinySite):
    build(site.config(), today=TODAY)
    for entry in (site.root / ".sitegen-cache" / "markdown").rglob("*.html"):
        entry.write_text("<!-- sitegen markdown not-this-key -->\n<p>foreign</p>")
    (site.root / ".sitegen-cache").joinpath(next(iter(
        p.name for p in (site.root / ".sitegen-cache").glob("pages-*.json")))).unlink()
    incremental, _ = incremental_equals_cold(site)
    assert not any(b"foreign" in data for data in incremental.values())


EVIL = '<img src="x" onerror="alert(document.domain)"><script>alert(1)</script>'


def test_a_hand_edited_markdown_entry_is_not_published(site: TinySite):
    """An entry edited in place, its first line (the key) left as it was: ignored, since its
    HTML no longer matches the digest the entry carries; the site equals a cold build."""
    build(site.config(), today=TODAY)
    entries = sorted((site.root / ".sitegen-cache" / "markdown").rglob("*.html"))
    assert entries
    for entry in entries:
        header, _, html = entry.read_text(encoding="utf-8").partition("\n")
        entry.write_text(f"{header}\n{html.replace('</p>', EVIL + '</p>', 1)}", encoding="utf-8")
    next((site.root / ".sitegen-cache").glob("pages-*.json")).unlink()  # so that every page is rendered
    incremental, _ = incremental_equals_cold(site)
    assert not any(b"onerror" in data or b"alert(" in data for data in incremental.values())


def test_a_forged_markdown_entry_cannot_put_script_into_a_page(site: TinySite):
    """Whoever can write the cache can also forge an entry's digest: what comes out of
    the cache is sanitised all the same."""
    from sitegen.write.cache import BuildCache, config_salt
    from sitegen.render.markup import MarkdownBodies, MarkdownRenderer

    config = site.config()
    cache = BuildCache(config, config_salt(config))
    bodies = MarkdownBodies(MarkdownRenderer(config.markdown_extensions), cache)
    body = bodies.body("Plain *words*.", source_path="about.md", page_url="about/")
    cache.markdown_put(body.key, f"<p>Forged words.{EVIL}</p>")
    assert cache.markdown_get(body.key) is not None  # a valid entry, as far as the cache can tell
    assert str(body) == '<p>Forged words.<img src="x"></p>'


def test_markdown_entries_of_other_markdown_settings_are_not_used(site: TinySite):
    """A body's HTML depends on the Markdown extensions: without 'tables', a table is a paragraph."""
    build(site.config(), today=TODAY)
    assert b"<table" in (site.site_dir / "about" / "index.html").read_bytes()
    edit(site, "mkdocs.yml", "  - tables\n", "")
    incremental, _ = incremental_equals_cold(site)
    assert b"<table" not in incremental["about/index.html"]


def test_cache_of_another_configuration_is_not_used(site: TinySite):
    """Same content, other settings (a new salt): every page is rendered again."""
    build(site.config(), today=TODAY)
    result = build(site.config(site_name="Another name"), today=TODAY)
    assert result.rendered == result.pages


def test_hand_edited_output_is_rendered_again(site: TinySite):
    build(site.config(), today=TODAY)
    page = site.site_dir / "sheets/overview/index.html"
    page.write_text("edited by hand")
    edit(site, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring.")
    incremental, _ = incremental_equals_cold(site)
    assert incremental["sheets/overview/index.html"] != b"edited by hand"


def test_parallel_rendering_gives_the_same_bytes(site: TinySite, monkeypatch):
    build(site.config(), today=TODAY, use_cache=False, jobs=1)
    serial = snapshot(site.site_dir)
    monkeypatch.setattr(output, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)  # the browser tests' threads
    build(site.config(), today=TODAY, use_cache=False, jobs=2)
    assert snapshot(site.site_dir) == serial


def test_cache_folder_is_outside_the_site(site: TinySite):
    build(site.config(), today=TODAY)
    assert (site.root / ".sitegen-cache").is_dir()
    assert not any(".sitegen-cache" in p.as_posix() for p in site.site_dir.rglob("*"))
    assert Path(site.config().cache_dir) == site.root / ".sitegen-cache"


def test_an_in_place_update_writes_everything_aside_before_it_replaces_anything(site: TinySite):
    """A title edit rewrites the sheets list before the sheet; the sheet's template fails: the
    list written aside is dropped with it, and serve's folder is as it was, with nothing left over.
    A good update leaves nothing aside either."""
    session = Session(update_in_place=True)
    build(site.config(), today=TODAY, session=session)
    before = snapshot(site.site_dir)
    edit(site, "content/sheets/bridge-repairs.md", "title: ", "title: Renamed, ")
    edit(site, "templates/sheet.html", "{% block content %}", "{% block content %}{{ sheet.missing_field }}")
    with pytest.raises(ContentError, match="missing_field"):
        build(site.config(), today=TODAY, session=session)
    assert snapshot(site.site_dir) == before
    assert not (site.site_dir / inplace.SCRATCH).exists()
    edit(site, "templates/sheet.html", "{% block content %}{{ sheet.missing_field }}", "{% block content %}")
    incremental_equals_cold(site, session)
    assert "Renamed, " in (site.site_dir / "sheets/index.html").read_text("utf-8")
    assert not (site.site_dir / inplace.SCRATCH).exists()


@pytest.mark.parametrize("old, new, same", [(b"", b"", True), (b"abc", b"abd", False), (b"abc", b"abcd", False),
                                            (b"x" * 3_000_000, b"x" * 3_000_000, True),
                                            (b"x" * 3_000_000, b"x" * 2_999_999 + b"y", False)])
def test_an_unchanged_export_is_found_so_by_comparing_its_bytes_a_chunk_at_a_time(tmp_path, old, new, same):
    (tmp_path / "old").write_bytes(old)
    (tmp_path / "new").write_bytes(new)
    assert inplace._same_bytes(tmp_path / "new", tmp_path / "old") is same
    assert inplace._same_bytes(tmp_path / "new", tmp_path / "missing") is False


def test_a_full_disk_during_an_in_place_update_leaves_serves_folder_as_it_was(tmp_path):
    site = tmp_path / "site"
    (site / "sheets").mkdir(parents=True)
    (site / "index.html").write_bytes(b"old home")

    def parts():
        yield b"new home, half written"
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OutputError) as info, inplace.Update(site) as update:
        update.write("sheets/index.html", b"a new list")
        update.write("index.html", parts())
        update.commit()
    assert str(info.value) == ("no space left on device while writing 'index.html'; the previous site is "
                               "untouched — free some space and build again")
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == ["index.html", "sheets"]
    assert (site / "index.html").read_bytes() == b"old home"
