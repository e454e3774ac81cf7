"""The search index: only findable pages, the same bytes every time, an edit re-indexes its shard only."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from sitegen.write import search
from sitegen.build import build

from conftest import TODAY, leftovers, snapshot

# The base site's findable pages: one sheet, two sources, a topic, a person, and more sheets
# below, so that with two pages a shard the index has several shards.
MORE_SHEETS = {
    f"content/sheets/{name}.md": (
        f"---\ntitle: The {name} story\nsummary: About the {name}.\nas_of: 2024-05-03\ntopics: [piers]\n---\n"
        f"The {name} is mentioned in the minutes [@council-minutes].\n")
    for name in ("harbour", "lighthouse", "ferry", "market", "bridge", "quay")
}


def indexed_urls(site_dir) -> set[str]:
    """The URL of every page in every bundle of the index (its fragments are gzipped JSON)."""
    urls = set()
    for fragment in site_dir.glob("pagefind/**/fragment/*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        urls.add(json.loads(data[len(b"pagefind_dcd"):])["url"])
    return urls


@pytest.fixture
def sharded(monkeypatch):
    """Two findable pages a shard, so that a tiny site's index has several."""
    monkeypatch.setattr(search, "PAGES_PER_SHARD", 2)


@pytest.fixture
def indexed(tiny_site):
    return tiny_site(MORE_SHEETS, search=True)


def test_shard_count_is_a_power_of_two_and_one_for_a_small_site():
    assert [search.shard_count(n) for n in (0, 1, 255, 256, 511, 512, 1221, 10**6)] == [1, 1, 1, 2, 2, 4, 8, 32]


def test_only_findable_pages_are_indexed(indexed, sharded):
    indexed.build()
    expected = {"/sheets/pier/", "/sources/gazette-pier/", "/sources/council-minutes/", "/topics/piers/",
                "/entities/ada-pike/", *(f"/sheets/{name}/" for name in ("harbour", "lighthouse", "ferry",
                                                                          "market", "bridge", "quay"))}
    assert indexed_urls(indexed.site_dir) == expected  # no home, listings, timeline, figures, search or 404
    shards = json.loads((indexed.site_dir / "pagefind" / search.SHARDS_FILE).read_text())["bundles"]
    assert shards == ["s1/", "s2/", "s3/"]
    for name in shards:  # merged bundles carry only their index: the scripts come from the primary
        assert not list((indexed.site_dir / "pagefind" / name).glob("*.js"))
    assert not (indexed.site_dir / search.WORK).exists() and leftovers(indexed.site_dir) == []


def test_two_cold_builds_give_the_same_bytes(tiny_site, sharded):
    one, two = tiny_site(MORE_SHEETS, search=True), tiny_site(MORE_SHEETS, search=True)
    one.build()
    build(two.config(), today=TODAY, use_cache=False)
    assert snapshot(one.site_dir) == snapshot(two.site_dir)


def test_an_edit_reindexes_only_its_shard_and_equals_a_cold_build(indexed, sharded, monkeypatch, tmp_path):
    indexed.build()
    count = search.shard_count(11)
    runs = []
    real = search.run_pagefind
    monkeypatch.setattr(search, "run_pagefind", lambda work, jobs: (runs.append(len(work)), real(work, jobs)))
    sheet = indexed.content / "sheets" / "lighthouse.md"
    sheet.write_text(sheet.read_text().replace("is mentioned", "is named twice"))
    build(indexed.config(), today=TODAY)
    assert runs == [1], f"{runs} of {count} shards indexed again"
    cold = tmp_path / "cold"
    shutil.copytree(indexed.root, cold, ignore=shutil.ignore_patterns("site", ".sitegen-cache"))
    build(indexed.config(site_dir=cold / "site"), today=TODAY, use_cache=False)
    assert snapshot(indexed.site_dir) == snapshot(cold / "site")
    assert "/sheets/lighthouse/" in indexed_urls(indexed.site_dir)


def test_a_shard_changed_on_disk_is_indexed_again(indexed, sharded, monkeypatch):
    """A reused shard must be the file recorded: one edited by hand is rebuilt, not linked."""
    indexed.build()
    entry = next((indexed.site_dir / "pagefind" / "s2" / "fragment").iterdir())
    entry.write_bytes(b"not a fragment")
    sheet = indexed.content / "sheets" / "pier.md"
    sheet.write_text(sheet.read_text() + "\nMore.\n")
    build(indexed.config(), today=TODAY)
    assert entry.name not in {p.name for p in (indexed.site_dir / "pagefind" / "s2" / "fragment").iterdir()} \
        or entry.read_bytes() != b"not a fragment"


def test_pagefind_failure_leaves_the_previous_site_untouched(indexed, tmp_path):
    first = indexed.run("build")
    assert first.returncode == 0, first.stderr
    before = snapshot(indexed.site_dir)
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'Error: the index is on fire' >&2\nexit 3\n")
    broken.chmod(0o755)
    sheet = indexed.content / "sheets" / "pier.md"
    sheet.write_text(sheet.read_text() + "\nMore.\n")
    failed = indexed.run("build", PAGEFIND_BINARY_PATH=str(broken))
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[0] == (
        "search index failed (pagefind exit 3: Error: the index is on fire); the previous site is untouched "
        "— set 'search: false' under the sitegen plugin to build without it")
    assert snapshot(indexed.site_dir) == before
    assert leftovers(indexed.site_dir) == []


def test_serve_indexes_its_folder_in_place_as_a_build_does(indexed, sharded, tmp_path):
    """``sitegen serve`` builds without search, then indexes the served folder: the same index."""
    indexed.build()
    built = snapshot(indexed.site_dir)
    plain = tmp_path / "plain"
    build(indexed.config(site_dir=plain, search=False), today=TODAY, use_cache=False)
    search.index_search(plain)
    assert {k: v for k, v in snapshot(plain).items() if k.startswith("pagefind/")} == \
        {k: v for k, v in built.items() if k.startswith("pagefind/")}


def test_no_bundle_is_ever_empty():
    """Pagefind refuses an empty folder: fewer bundles rather than an empty one."""
    for n in (1, 3, 255, 256, 300, 1221):
        groups = [pages for _, pages in search.split({f"sheets/s{i}/index.html": "k" for i in range(n)}, "v")]
        assert all(groups) and sum(map(len, groups)) == n
        assert len(groups) & (len(groups) - 1) == 0  # a power of two: the hash split stays stable
