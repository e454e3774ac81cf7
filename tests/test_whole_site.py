"""Whole outputs: the small site file by file against its expected build, and determinism.

``tests/fixtures/small-site`` is built with search off (so Pagefind's files are
not involved) and compared with ``tests/fixtures/small-site-expected``; nothing
else is excluded. After a deliberate change to templates or views, rewrite the
expected tree and review the diff:

    SITEGEN_REGENERATE=1 python -m pytest tests/test_whole_site.py -k small_site
"""

from __future__ import annotations

import difflib
import os
import posixpath
import re
import shutil
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sitegen.build import build

from conftest import FIXTURES, REGENERATE, REPO, TODAY, TinySite, leftovers, run_sitegen, sitegen_env, snapshot

EXPECTED = FIXTURES / "small-site-expected"


def describe_differences(actual: dict[str, bytes], expected: dict[str, bytes]) -> str:
    lines = []
    for path in sorted(set(actual) | set(expected)):
        if path not in expected:
            lines.append(f"new file: {path}")
        elif path not in actual:
            lines.append(f"missing file: {path}")
        elif actual[path] != expected[path]:
            try:
                diff = difflib.unified_diff(expected[path].decode().splitlines(), actual[path].decode().splitlines(),
                                            f"expected/{path}", f"actual/{path}", lineterm="", n=1)
                lines.extend(list(diff)[:40])
            except UnicodeDecodeError:
                lines.append(f"binary file differs: {path}")
    return "\n".join(lines)


def test_small_site_matches_expected_output(small_site):
    build(small_site.config(), today=TODAY)
    actual = snapshot(small_site.site_dir)
    if REGENERATE:
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(small_site.site_dir, EXPECTED)
    expected = snapshot(EXPECTED)
    assert not any(p.startswith("pagefind/") for p in actual)
    assert actual.keys() == expected.keys(), describe_differences(actual, expected)
    assert actual == expected, describe_differences(actual, expected)


def test_small_site_builds_the_same_from_the_command_line(small_site):
    """`python -m sitegen build` and the in-process build write the same bytes."""
    result = run_sitegen("build", cwd=small_site.root)
    assert result.returncode == 0, result.stderr
    in_process = small_site.root.parent / "in-process"
    shutil.copytree(small_site.root, in_process, ignore=shutil.ignore_patterns("site"))
    build(TinySite(in_process).config(), today=TODAY)
    assert snapshot(small_site.site_dir) == snapshot(in_process / "site")


LINK_RE = re.compile(r'(?:href|src)="([^"]*)"')
ID_RE = re.compile(r'\sid="([^"]*)"')


def broken_links(site: dict[str, bytes]) -> list[str]:
    """Every relative link or asset reference of every page that leads nowhere (file or #anchor)."""
    problems = []
    for path, data in sorted(site.items()):
        if not path.endswith(".html"):
            continue
        html = data.decode("utf-8")
        for raw in LINK_RE.findall(html):
            href = unescape(raw)
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("/"):
                continue
            target = path if not parts.path else posixpath.normpath(posixpath.join(posixpath.dirname(path), parts.path))
            if target.startswith("../"):
                problems.append(f"{path}: {href} leaves the site")
                continue
            if target in site:
                pass
            elif posixpath.join(target, "index.html") in site:
                target = posixpath.join(target, "index.html")
            elif target == "." and "index.html" in site:
                target = "index.html"
            else:
                problems.append(f"{path}: {href} leads nowhere")
                continue
            if parts.fragment and target.endswith(".html"):
                if parts.fragment not in ID_RE.findall(site[target].decode("utf-8")):
                    problems.append(f"{path}: {href} has no #{parts.fragment} in {target}")
    return problems


def test_small_site_has_no_broken_links(small_site):
    """Every relative link and #anchor of every page leads somewhere (search on, so its files exist)."""
    build(small_site.config(search=True), today=TODAY)
    site = snapshot(small_site.site_dir)
    assert sum(p.endswith(".html") for p in site) > 10
    assert "pagefind/pagefind.js" in site
    assert broken_links(site) == []


def copy_shipped_site(root: Path) -> None:
    root.mkdir(parents=True)
    for name in ("content",):
        shutil.copytree(REPO / name, root / name)
    shutil.copyfile(REPO / "mkdocs.yml", root / "mkdocs.yml")
    assert "search: true" in (root / "mkdocs.yml").read_text()


def scramble_mtimes(folder: Path) -> None:
    """Give every file a different, unrelated modification time (some in the far past)."""
    for index, path in enumerate(sorted(p for p in folder.rglob("*") if p.is_file())):
        stamp = 946684800 + (index * 7919 % 1000) * 86400 if index % 2 else 1893456000 - index * 3600
        os.utime(path, (stamp, stamp))


def test_builds_are_byte_identical_across_environments(tmp_path):
    """The shipped site, search index included, whatever the time zone, locale, hash seed or mtimes."""
    first, second = tmp_path / "one", tmp_path / "elsewhere" / "two"
    copy_shipped_site(first)
    copy_shipped_site(second)
    scramble_mtimes(second)
    results = [
        run_sitegen("build", cwd=first, env=sitegen_env(TZ="UTC", LC_ALL="C.UTF-8", LANG="C.UTF-8",
                                                        PYTHONHASHSEED="0", SOURCE_DATE_EPOCH=None)),
        run_sitegen("build", cwd=second, env=sitegen_env(TZ="Pacific/Kiritimati", LC_ALL="C", LANG="C",
                                                         PYTHONHASHSEED="4242", SOURCE_DATE_EPOCH=None)),
    ]
    for result in results:
        assert result.returncode == 0, result.stderr
    one, two = snapshot(first / "site"), snapshot(second / "site")
    assert any(p.startswith("pagefind/fragment/") for p in one), "the search index was not built"
    assert one.keys() == two.keys(), describe_differences(two, one)
    assert one == two, describe_differences(two, one)
    assert leftovers(first / "site") == [] and leftovers(second / "site") == []


@pytest.mark.parametrize("epoch", ["1736899200", "4102444800"])  # 2025-01-15 and 2100-01-01
def test_source_date_epoch_sets_today(tiny_site, epoch):
    """Review dates are judged against SOURCE_DATE_EPOCH when it is set, so CI can pin 'today'."""
    site = tiny_site({"content/sheets/later.md": "---\ntitle: L\nsummary: S\nas_of: 2024-01-01\nreview_by: 2099-12-31\n---\n"})
    result = site.run("check", SOURCE_DATE_EPOCH=epoch)
    assert result.returncode == 0
    stale = "warning: sheet is past its review date (2099-12-31)" in result.stderr
    assert stale == (epoch == "4102444800")
