"""A session loads again only the sheets whose bytes changed, and gets what a whole load gets.

``loader._sheets_again`` takes the last load and parses the edited sheets again
when nothing else changed; anything else (a file added or removed, a source or
page edited, a sheet that no longer parses) loads every file as before. Either
way the content and the problems, in their order, are those of a load from
nothing, which the one-off builds here make.
"""

from __future__ import annotations

import pytest

from conftest import TODAY
from sitegen.build import build
from sitegen.errors import ContentError
from sitegen.read import loader
from sitegen.session import Session

FERRY = "content/sheets/ferry-timetable.md"


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """The files the loader went through one by one."""
    added: list[str] = []
    add = loader._Collected.add

    def counting(self, file):
        added.append(file.rel)
        return add(self, file)
    monkeypatch.setattr(loader._Collected, "add", counting)
    return added


def _outcome(site, session=None, **options):
    """(the problems, in order, or the content's sheets) of a build: in the session, or from nothing."""
    config = site.config(**options)
    try:
        result = build(config, today=TODAY, session=session, use_cache=session is not None)
    except ContentError as exc:
        return "failed", [d.format() for d in exc.diagnostics]
    return "built", [w.format() for w in result.warnings], sorted(result.site.content.sheets)


def test_an_edited_sheet_is_loaded_alone_and_gives_what_a_whole_load_gives(small_site, counted):
    session = Session(update_in_place=True)
    preview = {"site_dir": small_site.root / "preview"}
    _outcome(small_site, session, **preview)
    assert len(counted) > 8
    steps = [
        lambda: small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:"),
        lambda: small_site.edit(FERRY, "---\n", "---\ncolour: red\n"),  # still a sheet, with an error
        lambda: (small_site.edit(FERRY, "colour: red\n", ""),          # fixed, and one more word
                 small_site.edit(FERRY, "told us:", "told the gazette:")),
    ]
    for step in steps:
        step()
        counted.clear()
        mine = _outcome(small_site, session, **preview)
        assert counted == [], "the session went through every file"
        assert mine == _outcome(small_site)  # a one-off build: every file loaded
    assert mine[0] == "built"


@pytest.mark.parametrize("change", ["a sheet that no longer parses", "a new file", "a removed file", "a source"])
def test_anything_else_loads_every_file(small_site, counted, change):
    session = Session(update_in_place=True)
    preview = {"site_dir": small_site.root / "preview"}
    _outcome(small_site, session, **preview)
    if change == "a sheet that no longer parses":
        small_site.edit(FERRY, "title:", "title: [unclosed")
    elif change == "a new file":
        small_site.write({"content/notes.md": "# Notes\n\nA page.\n"})
    elif change == "a removed file":
        small_site.remove("content/about.md")
    else:
        small_site.edit("content/sources/harbour-gazette-2024-03-01.yml", "title: Old stone bridge",
              "title: The old stone bridge")
    counted.clear()
    mine = _outcome(small_site, session, **preview)
    assert len(counted) > 8
    assert mine == _outcome(small_site)


def test_a_problem_the_scan_finds_is_reported_even_when_only_a_sheet_changed(small_site, tmp_path):
    """A symlink out of docs_dir is not among the files (the scan reports it): the same files,
    one sheet edited, and still the whole load, so that its error is there."""
    session = Session(update_in_place=True)
    preview = {"site_dir": small_site.root / "preview"}
    _outcome(small_site, session, **preview)
    outside = tmp_path / "outside.md"
    outside.write_text("# Outside\n", encoding="utf-8")
    (small_site.content / "outside.md").symlink_to(outside)
    small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    mine = _outcome(small_site, session, **preview)
    assert mine[0] == "failed" and any("symlink points outside docs_dir" in d for d in mine[1])
    assert mine == _outcome(small_site)


def test_a_sheet_edited_back_while_another_is_edited_is_loaded_as_it_now_is(small_site, counted):
    """Each quick load must remember the bytes it loaded: edit one sheet, then undo that edit
    while editing another, and both sheets are what their files now say."""
    session = Session(update_in_place=True)
    preview = {"site_dir": small_site.root / "preview"}
    _outcome(small_site, session, **preview)
    small_site.edit(FERRY, "Mara Quill said:", "Mara Quill told us:")
    _outcome(small_site, session, **preview)
    small_site.edit(FERRY, "Mara Quill told us:", "Mara Quill said:")
    small_site.edit("content/sheets/overview.md", "---\n", "---\n\n")
    counted.clear()
    build(small_site.config(**preview), today=TODAY, session=session)
    assert counted == []
    page = (small_site.root / "preview/sheets/ferry-timetable/index.html").read_text(encoding="utf-8")
    assert "Mara Quill said:" in page and "told us" not in page
