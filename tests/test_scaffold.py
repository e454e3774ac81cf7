"""``sitegen new sheet`` and ``new site``: what they write checks and builds, and nothing is ever overwritten."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sitegen.errors import UsageError
from sitegen.scaffold import new_sheet, slugify

from conftest import BASE_FILES, run_sitegen, sha256, sitegen_env, snapshot, write_tree


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


# --- sitegen new site ------------------------------------------------------------------

NO_CONFIG = ("mkdocs.yml:1:1: error: configuration file not found\n"
             "  hint: run sitegen in the folder that holds mkdocs.yml, pass --config-file, "
             "or start a new site here with: sitegen new site .\n")


def run_mkdocs(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", *args], cwd=cwd, env=sitegen_env(),
                          capture_output=True, text=True, timeout=300)


def test_new_site_builds_at_once_with_sitegen_and_mkdocs(tmp_path):
    made = run_sitegen("new", "site", "mysite", cwd=tmp_path)
    assert (made.returncode, made.stderr) == (0, "created a new site in mysite (16 files); next: cd mysite && sitegen serve\n")
    site = tmp_path / "mysite"
    assert sorted(snapshot(site)) == [
        ".github/dependabot.yml", ".github/workflows/pages.yml", ".gitignore", ".vscode/schemas/entities.schema.json",
        ".vscode/schemas/sheet.schema.json", ".vscode/schemas/source.schema.json", ".vscode/schemas/topics.schema.json",
        ".vscode/settings.json", "content/about.md", "content/data/entities.yml",
        "content/data/topics.yml", "content/index.md", "content/sheets/example.md",
        "content/sources/example-note.txt", "content/sources/example-note.yml", "mkdocs.yml"]
    # the example source is pinned by the sha256 of its stored text, and its quotes are checked
    stored = (site / "content/sources/example-note.txt").read_bytes()
    assert f"sha256: {sha256(stored)}" in (site / "content/sources/example-note.yml").read_text()
    built = run_sitegen("build", "--strict", cwd=site)
    assert built.returncode == 0, built.stderr
    assert built.stderr.startswith("built 14 pages ")
    pages = snapshot(site / "site")
    sheet = pages["sheets/example/index.html"].decode()
    assert "a quotation must appear word for word in the stored text" in sheet
    assert "<q>the words differ from the source</q>" in sheet  # an inline quoted citation shows its words
    assert "pagefind/pagefind.js" in pages
    mk = run_mkdocs("build", "-q", "-d", str(tmp_path / "by-mkdocs"), cwd=site)
    assert mk.returncode == 0, mk.stderr
    assert snapshot(tmp_path / "by-mkdocs") == pages
    # a changed quote is caught: the example really is checked
    sheet_md = site / "content/sheets/example.md"
    sheet_md.write_text(sheet_md.read_text().replace("word for word in the stored", "word for word in a stored"))
    assert run_sitegen("check", cwd=site).returncode == 1


def test_new_site_in_the_current_empty_folder(tmp_path):
    made = run_sitegen("new", "site", ".", cwd=tmp_path)
    assert (made.returncode, made.stderr) == (0, "created a new site in . (16 files); next: sitegen serve\n")
    assert run_sitegen("check", cwd=tmp_path).stderr == "checked 1 sheet and 1 source: 0 errors, 0 warnings\n"


def test_new_site_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    for folder in (".", str(tmp_path)):
        made = run_sitegen("new", "site", folder, cwd=tmp_path)
        assert (made.returncode, made.stderr) == (2, (
            f"'{folder}' is not empty; sitegen new site writes a whole site into a new or empty folder, so it never "
            "mixes with or overwrites other files: choose another folder\n"))
    made = run_sitegen("new", "site", "notes.txt", cwd=tmp_path)
    assert (made.returncode, made.stderr) == (
        2, "'notes.txt' is a file; sitegen new site writes a whole site into a new or empty folder\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


@pytest.mark.parametrize("args", [
    ("build",), ("check",), ("serve",), ("deploy", "--no-push"), ("new", "sheet", "A title"), ("import", "a.txt"),
])
def test_every_command_in_a_folder_without_mkdocs_yml_says_how_to_start(tmp_path, args):
    (tmp_path / "a.txt").write_text("A text.\n")
    result = run_sitegen(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", NO_CONFIG)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_minimal_mkdocs_yml_means_the_same_to_sitegen_and_mkdocs(tmp_path):
    """No docs_dir, no theme: both read docs/ (MkDocs' default) and give the same site."""
    write_tree(tmp_path, {
        "mkdocs.yml": "site_name: Minimal\nplugins:\n  - sitegen:\n      search: false\n",
        **{"docs/" + rel[len("content/"):]: data for rel, data in BASE_FILES.items()},
    })
    built = run_sitegen("build", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    mk = run_mkdocs("build", "-q", "-d", str(tmp_path / "by-mkdocs"), cwd=tmp_path)
    assert mk.returncode == 0, mk.stderr
    pages = snapshot(tmp_path / "site")
    assert "sheets/pier/index.html" in pages and snapshot(tmp_path / "by-mkdocs") == pages
