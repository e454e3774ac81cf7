"""``sitegen new sheet``: the new file is a valid sheet, and nothing is ever overwritten."""

from __future__ import annotations

import pytest

from sitegen.errors import UsageError
from sitegen.scaffold import new_sheet, slugify


def test_new_sheet_keeps_the_site_valid(tiny_site):
    site = tiny_site()
    result = site.run("new", "sheet", "Ferries: the \"night\" crossings")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ("created content/sheets/ferries-the-night-crossings.md; next: fill in its facts, "
                             "then run 'sitegen check'\n")
    path = site.content / "sheets" / "ferries-the-night-crossings.md"
    assert path.exists()
    checked = site.run("check")
    assert (checked.returncode, checked.stderr) == (0, "checked 1 sheet and 2 sources: 0 errors, 0 warnings\n")
    # as a draft it is left out; with --drafts it is loaded and checked like any other sheet
    drafts = site.check(drafts=True)
    sheet = drafts.site.content.sheets["ferries-the-night-crossings"]
    assert sheet.title == 'Ferries: the "night" crossings'
    assert sheet.status == "draft"
    assert "ferries-the-night-crossings" in [s.id for s in drafts.site.sheets]
    assert drafts.warnings == []
    # published as it stands, it still checks
    path.write_text(path.read_text().replace("status: draft", "status: published"))
    assert "ferries-the-night-crossings" in [s.id for s in site.check().site.sheets]
    path.write_text(path.read_text().replace("status: published", "status: draft"))
    built = site.run("build", "--drafts")
    assert built.returncode == 0, built.stderr
    assert (site.site_dir / "sheets" / "ferries-the-night-crossings" / "index.html").exists()


def test_new_sheet_with_an_id_and_unicode_title(tiny_site):
    site = tiny_site()
    path = new_sheet(site.config(), "Überblick — 概要", "overview")
    assert path == site.content / "sheets" / "overview.md"
    assert site.check(drafts=True).site.content.sheets["overview"].title == "Überblick — 概要"


def test_refuses_to_overwrite(tiny_site):
    site = tiny_site()
    before = (site.content / "sheets" / "pier.md").read_bytes()
    result = site.run("new", "sheet", "Pier")
    assert (result.returncode, result.stderr) == (2, "'content/sheets/pier.md' already exists; choose another --id\n")
    result = site.run("new", "sheet", "Another title", "--id", "pier")
    assert (result.returncode, result.stderr) == (2, "'content/sheets/pier.md' already exists; choose another --id\n")
    assert (site.content / "sheets" / "pier.md").read_bytes() == before


@pytest.mark.parametrize("title, sheet_id, message", [
    ("   ", None, "the title is empty: sitegen new sheet \"China's 2019 class-wide control\""),
    ("T", "Bad_Id", "'Bad_Id' is not a valid sheet id: use lowercase letters, digits and single hyphens, or pass --id"),
    ("概要", None, "'' is not a valid sheet id: use lowercase letters, digits and single hyphens, or pass --id"),
    ("T", "pier-2\n", "'pier-2\n' is not a valid sheet id: use lowercase letters, digits and single hyphens, "
                      "or pass --id"),  # `$` in the id pattern accepted a trailing newline
])
def test_refuses_bad_titles_and_ids(tiny_site, title, sheet_id, message):
    site = tiny_site()
    with pytest.raises(UsageError) as info:
        new_sheet(site.config(), title, sheet_id)
    assert (info.value.exit_code, str(info.value)) == (2, message)
    assert sorted(p.name for p in (site.content / "sheets").iterdir()) == ["pier.md"]


@pytest.mark.parametrize("title, slug", [
    ("China's 2019 class-wide control", "china-s-2019-class-wide-control"),
    ("Café au lait", "cafe-au-lait"),
    ("  --Spaces--  ", "spaces"),
])
def test_slugify(title, slug):
    assert slugify(title) == slug
