"""The pipeline end to end: what a build writes, and that a failed build changes nothing."""

from __future__ import annotations

import gc
import hashlib
import json
import shutil

import pytest

import sitegen.build as build_module
from sitegen.build import build, static_files
from sitegen.errors import ContentError, UsageError
from sitegen.session import RESUME_AT, Session
from sitegen.write.output import MARKER

from conftest import REPO, TEMPLATES, TinySite, leftovers, snapshot


def test_built_site_has_every_page(built_site):
    files = set(snapshot(built_site))
    for path in ("index.html", "404.html", "feed.xml", "sitemap.xml", "robots.txt", MARKER,
                 "sheets/index.html", "sheets/pier/index.html",
                 "sources/index.html", "sources/gazette-pier/index.html", "sources/council-minutes/index.html",
                 "topics/index.html", "topics/piers/index.html", "entities/index.html", "entities/ada-pike/index.html",
                 "timeline/index.html", "figures/index.html", "search/index.html",
                 "data/sheets.json", "data/facts.json"):
        assert path in files, path
    assert not any(p.startswith("pagefind/") for p in files)  # search: false


def test_static_assets_and_docs_files_are_copied(site_root):
    site_root.write({"content/img/map.png": b"\x89PNG fake", "content/files/report.pdf": b"%PDF fake"})
    site_root.build()
    out = snapshot(site_root.site_dir)
    assert out["img/map.png"] == b"\x89PNG fake" and out["files/report.pdf"] == b"%PDF fake"
    for path, source in static_files(site_root.config(), {}).items():
        assert out[path] == source.read_bytes()
    assert "assets/site.css" in out


def test_sheet_page_links_its_citations(built_site):
    html = (built_site / "sheets" / "pier" / "index.html").read_text()
    assert "The new pier" in html
    assert 'class="cite"' in html
    assert "sources/gazette-pier/" in html


def test_data_exports_carry_every_fact(built_site):
    facts = json.loads((built_site / "data" / "facts.json").read_text())
    assert [(f["sheet"], f["kind"], f["citation"]["source"], f["citation"]["quote"]) for f in facts["facts"]] == [
        ("pier", "key_fact", "gazette-pier", "opened on Friday, two weeks late")]
    sheets = json.loads((built_site / "data" / "sheets.json").read_text())
    assert [s["id"] for s in sheets["sheets"]] == ["pier"]


def test_drafts_are_built_only_when_asked(tiny_site):
    site = tiny_site({"content/sheets/later.md": "---\ntitle: Later\nsummary: S\nas_of: 2024-01-01\nstatus: draft\n---\n"})
    site.build()
    assert not (site.site_dir / "sheets" / "later").exists()
    site.build(drafts=True)
    assert (site.site_dir / "sheets" / "later" / "index.html").exists()


def test_failed_build_leaves_the_previous_site_untouched(site_root):
    """Build, break a quote, build again: exit 1, the old site byte for byte, no leftovers."""
    first = site_root.run("build")
    assert first.returncode == 0, first.stderr
    before = snapshot(site_root.site_dir)
    assert MARKER in before
    sheet = site_root.content / "sheets" / "pier.md"
    sheet.write_text(sheet.read_text().replace("two weeks late", "three weeks late"))
    failed = site_root.run("build")
    assert failed.returncode == 1
    assert "error: quote not found in source 'gazette-pier'" in failed.stderr
    assert snapshot(site_root.site_dir) == before
    assert leftovers(site_root.site_dir) == []


def test_failure_while_writing_leaves_the_previous_site_untouched(site_root, monkeypatch):
    """A failure after staging started (here: a template error) leaves the previous site as it was;
    the staging folder is set aside as the spare, which the next build trusts in nothing."""
    site_root.build()
    before = snapshot(site_root.site_dir)
    templates = site_root.root / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "sheet.html").write_text("{{ no_such_name.attribute }}")
    config = site_root.config(templates_dir=templates)
    with pytest.raises(ContentError) as info:
        build(config)
    assert "templates/sheet.html:1:1: error: template error while rendering sheets/pier/index.html" in info.value.format_message()
    assert snapshot(site_root.site_dir) == before
    assert leftovers(site_root.site_dir) == []
    assert (site_root.root / ".site.sitegen-spare").is_dir()


def test_leftovers_of_a_killed_build_are_removed(site_root):
    site_root.build()
    stale = site_root.root / ".site.sitegen-tmp-0123456789abcdef"
    (stale / "sheets").mkdir(parents=True)
    site_root.build()
    assert leftovers(site_root.site_dir) == []


def test_site_dir_problems_come_before_content_problems(site_root):
    """A folder that is not a previous build is refused (exit 2) even when the content has errors too."""
    site_root.site_dir.mkdir()
    (site_root.site_dir / "precious.txt").write_text("mine")
    site_root.write({"content/sheets/broken.md": "no front matter"})
    result = site_root.run("build")
    assert result.returncode == 2
    assert result.stderr == ("refusing to build into 'site': it is not empty and holds no .sitegen-build marker, "
                             "so it does not look like a previous build; empty it, or set site_dir to another folder\n")
    assert (site_root.site_dir / "precious.txt").read_text() == "mine"


def test_search_index_is_built_when_enabled(tiny_site):
    site = tiny_site(search=True)
    site.build()
    files = snapshot(site.site_dir)
    assert "pagefind/pagefind.js" in files
    assert any(p.startswith("pagefind/fragment/") for p in files)
    assert leftovers(site.site_dir) == []


def test_usage_error_for_site_dir_is_docs_dir(tiny_site):
    site = tiny_site()
    config = site.config(site_dir=site.content)
    with pytest.raises(UsageError) as info:
        build(config)
    assert info.value.exit_code == 2
    assert "it is the docs_dir" in str(info.value)


# --- the Engine issue's "Done when" checks, on a copy of the shipped site -----------------------


@pytest.fixture
def shipped_site(tmp_path):
    root = tmp_path / "shipped"
    for name in ("content",):
        shutil.copytree(REPO / name, root / name)
    text = (REPO / "mkdocs.yml").read_text().replace("search: true", "search: false")
    (root / "mkdocs.yml").write_text(text)
    return TinySite(root)


def test_done_when_the_shipped_site_builds(shipped_site):
    result = shipped_site.run("build")
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith("0 errors, 0 warnings\n")


def test_done_when_one_changed_character_in_a_stored_text_fails(shipped_site):
    txt = shipped_site.content / "sources" / "xinhua-2024-12-20-fm-briefing.txt"
    raw = txt.read_bytes()
    assert raw.count(b"scheduled over 50 controlled substances") == 1  # a quoted passage
    txt.write_bytes(raw.replace(b"scheduled over 50 controlled", b"scheduled over 60 controlled"))
    result = shipped_site.run("build")
    assert result.returncode == 1
    digest = hashlib.sha256(txt.read_bytes()).hexdigest()
    yml = txt.with_suffix(".yml").read_text()
    line = yml[:yml.index("sha256:")].count("\n") + 1
    assert result.stderr == (
        f"content/sources/xinhua-2024-12-20-fm-briefing.yml:{line}:9: error: the stored text "
        f"content/sources/xinhua-2024-12-20-fm-briefing.txt does not match its sha256 (it has {digest})\n"
        "  hint: stored texts are kept byte for byte as received: undo the edit to the .txt; if the new text is "
        "genuinely a new version, update sha256\n"
        "1 error, 0 warnings\n")
    assert not shipped_site.site_dir.exists()


def test_done_when_a_changed_quote_fails_with_the_closest_passage(shipped_site):
    sheet = shipped_site.content / "sheets" / "december-2024-assessments.md"
    text = sheet.read_text()
    assert 'quote: "scheduled over 50 controlled substances"' in text
    sheet.write_text(text.replace('quote: "scheduled over 50 controlled substances"',
                                  'quote: "scheduled over 60 controlled substances"'))
    line = text[:text.index("scheduled over 50")].count("\n") + 1
    result = shipped_site.run("build")
    assert result.returncode == 1
    assert result.stderr == (
        f"content/sheets/december-2024-assessments.md:{line}:12: error: quote not found in source "
        "'xinhua-2024-12-20-fm-briefing' (content/sources/xinhua-2024-12-20-fm-briefing.txt)\n"
        "  hint: the closest passage (97% similar) is: \"scheduled over 50 controlled substances\"\n"
        "1 error, 0 warnings\n")


# --- loading: what is read, and what is refused ---------------------------------------------


def load_problems(site, **options) -> list[str]:
    with pytest.raises(ContentError) as info:
        site.check(**options)
    return [d.format() for d in info.value.diagnostics]


def test_symlink_out_of_docs_dir_is_refused(tiny_site, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nnot for publishing\n")
    site = tiny_site()
    (site.content / "leak.md").symlink_to(secret)
    [message] = load_problems(site)
    assert message == (f"content/leak.md:1:1: error: symlink points outside docs_dir (to {secret})\n"
                       "  hint: copy the file into docs_dir instead of linking to it")


def test_symlink_inside_docs_dir_is_followed(tiny_site):
    site = tiny_site({"content/about.md": "---\ntitle: About\n---\nText.\n"})
    (site.content / "about-us.md").symlink_to(site.content / "about.md")
    assert sorted(site.check().site.content.pages) == ["", "about", "about-us"]


def test_file_larger_than_max_file_size_is_refused(tiny_site):
    site = tiny_site({"content/big.md": "x" * 2000})
    assert load_problems(site, max_file_size=1000) == [
        "content/big.md:1:1: error: file is larger than max_file_size (1,000 bytes)\n"
        "  hint: split it, or raise max_file_size under the sitegen plugin in mkdocs.yml"]


def test_bom_is_dropped_and_editor_backups_are_skipped(tiny_site):
    site = tiny_site({"content/about.md": "\ufeff---\ntitle: About\n---\nText.\n",
                      "content/about.md~": "junk", "content/.about.md.swp": "junk", "content/.hidden/x.md": "junk"})
    pages = site.check().site.content.pages
    assert sorted(pages) == ["", "about"] and pages["about"].title == "About"


@pytest.mark.parametrize("rel, message", [
    ("content/sheets.md", "the page 'sheets.md' would take the URL /sheets/, which sitegen uses itself\n"
                          "  hint: rename the file"),
    ("content/Timeline.md", "the page 'Timeline.md' would take the URL /Timeline/, which sitegen uses itself\n"
                            "  hint: rename the file"),
    ("content/data.md", "the page 'data.md' would take the URL /data/, which sitegen uses itself\n"
                        "  hint: rename the file"),
    ("content/feed.xml", "the file 'feed.xml' would replace /feed.xml, which sitegen writes itself\n"
                         "  hint: rename or move the file"),
    ("content/pagefind/x.js", "the file 'pagefind/x.js' would be published under /pagefind/, which sitegen "
                              "writes itself\n  hint: rename or move the file"),
])
def test_content_may_not_take_the_engine_s_urls(tiny_site, rel, message):
    site = tiny_site({rel: "---\ntitle: Mine\n---\nText.\n"})
    assert load_problems(site) == [f"{rel}:1:1: error: {message}"]


def test_assets_colliding_by_case_are_refused(tiny_site):
    site = tiny_site({"content/img/Map.png": b"a", "content/img/map.png": b"b"})
    assert load_problems(site) == [
        "content/img/map.png:1:1: error: 'content/img/map.png' would be published at the same URL as "
        "'content/img/Map.png' (/img/map.png): the two names differ only in case\n"
        "  hint: rename or remove one of them; servers and file systems that ignore case or Unicode form "
        "would serve one in place of the other"]


def test_unknown_files_in_content_folders_are_warned_about(tiny_site):
    site = tiny_site({"content/sheets/notes.txt": "scratch"})
    assert [d.format() for d in site.check().warnings] == [
        "content/sheets/notes.txt:1:1: warning: file ignored: it is not a kind of content sitegen knows here\n"
        "  hint: sheets are sheets/*.md, sources sources/*.yml with an optional .txt, vocabularies "
        "data/topics.yml and data/entities.yml"]


def test_missing_templates_folder_is_a_usage_error(tiny_site):
    site = tiny_site(config="site_name: T\ndocs_dir: content\ntheme:\n  custom_dir: my-theme\n")
    result = site.run("build")
    assert (result.returncode, result.stderr) == (
        2, "the templates folder 'my-theme' does not exist; set theme.custom_dir in mkdocs.yml to the folder "
           "that holds the site's templates\n")
    assert site.run("check").returncode == 0  # checking needs no templates


@pytest.mark.parametrize("enabled, frozen", [(True, False), (False, False), (True, True)])
def test_a_build_pauses_automatic_collection_and_gives_the_callers_setting_back(small_site, monkeypatch, enabled,
                                                                                frozen):
    """Automatic collection is off while a build (one of a new process too) loads and checks the
    site; the caller's setting is back after the build and after a failed one, and what the
    caller froze stays frozen."""
    seen = []
    resolve = build_module.resolve

    def noting(*args, **kwargs):
        seen.append(gc.isenabled())
        return resolve(*args, **kwargs)
    monkeypatch.setattr(build_module, "resolve", noting)
    was = gc.isenabled()
    gc.unfreeze()  # what an earlier test's session froze (Session.settle) is not this caller's
    try:
        (gc.enable if enabled else gc.disable)()
        if frozen:
            gc.freeze()
        build(small_site.config())
        assert seen == [False] and gc.isenabled() is enabled and (gc.get_freeze_count() > 0) is frozen
        small_site.edit("content/sheets/ferry-timetable.md", "title:", "title: [")
        with pytest.raises(ContentError):
            build(small_site.config())
        assert gc.isenabled() is enabled and (gc.get_freeze_count() > 0) is frozen
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()


def test_automatic_collection_runs_while_a_large_change_is_rendered():
    """Hundreds of pages may make cyclic garbage in proportion to them; a few pages are rendered
    with collection still off."""
    session, was = Session(), gc.isenabled()
    try:
        gc.enable()
        with session.collection_paused():
            with session.collection_resumed(RESUME_AT + 1):
                assert gc.isenabled()
            assert not gc.isenabled()
            with session.collection_resumed(RESUME_AT):
                assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
