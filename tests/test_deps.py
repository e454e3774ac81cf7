"""The dependency graph: pages are current exactly while what they read is unchanged.

The graph is only as good as what the view layer records. These tests check
the freshness rule itself, that the graph carries over to a new process, and
that every kind of record a page reads must be recorded: with one kind's
reads dropped, a cache-equals-cold check fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TODAY, TinySite, snapshot
from sitegen.render import views
from sitegen.build import build
from sitegen.model.graph import FEW_READERS, Entry, Graph, Memo
from sitegen.session import Session
from sitegen.render.digests import LEAF_KINDS
from test_cache import CHANGES, edit

ROOT = Path(__file__).resolve().parent.parent


def graph_of(leaves: dict[str, str], previous: Memo | None = None) -> Graph:
    graph = Graph(lambda kind, key: leaves[f"{kind}:{key}"], previous)
    graph.builders["upper"] = lambda key: (graph.read("word", key), leaves[f"word:{key}"].upper())[1]
    return graph


def test_an_entry_is_current_while_every_digest_it_read_is_unchanged():
    first = graph_of({"word:a": "x", "word:b": "y"})
    with first.recording() as deps:
        first.read("word", "a")
        first.value("upper", "b")
    assert set(deps) == {"word:a", "upper:b"}
    assert graph_of({"word:a": "x", "word:b": "y"}, first.memo).current(deps)
    assert not graph_of({"word:a": "z", "word:b": "y"}, first.memo).current(deps)
    assert not graph_of({"word:a": "x", "word:b": "w"}, first.memo).current(deps)


def test_a_shared_value_is_made_once_and_every_reader_records_what_making_it_read():
    graph = graph_of({"word:a": "x", "word:b": "y"})
    made = []

    def make():
        made.append(1)
        graph.read("word", "a")
        return graph.value("upper", "b")
    with graph.recording() as first:
        one = graph.shared("ref", make)
    with graph.recording() as second:  # the reader that did not make it still depends on word:a
        two = graph.shared("ref", make)
    assert one is two == "Y" and made == [1]
    assert first == second == {"word:a": "x", "upper:b": graph.digest("upper:b")}
    assert "ref" not in graph.memo.entries


def test_a_view_only_its_own_page_reads_is_made_for_each_reader_and_never_kept():
    """A sheet's or source's whole view (BY_INPUTS) is not held from planning to rendering: its entry
    keeps what it read and its digest, and every reader gets a view made for it."""
    graph = graph_of({"word:a": "x"})
    made = []
    graph.builders["sheet-view"] = lambda key: (graph.read("word", key), made.append(key), {"text": "X"})[2]
    with graph.recording() as first:
        one = graph.value("sheet-view", "a")
    with graph.recording() as second:
        two = graph.value("sheet-view", "a")
    assert one == two == {"text": "X"} and one is not two and made == ["a", "a"]
    assert first == second and graph.memo.entries["sheet-view:a"].value is None
    assert graph.memo.entries["sheet-view:a"].deps == {"word:a": "x"}


def test_a_derived_value_that_comes_out_the_same_stops_the_change():
    """Early cut-off: a sheet body edit does not change its card, so listings stay current."""
    first = graph_of({"word:a": "Same"})
    first.builders["upper"] = lambda key: (first.read("word", key), "SAME")[1]
    with first.recording() as deps:
        first.value("upper", "a")
    second = graph_of({"word:a": "same"}, first.memo)
    second.builders["upper"] = lambda key: (second.read("word", key), "SAME")[1]
    assert second.current(deps)          # the value was made again, and came out equal


def test_the_graph_survives_a_round_trip_through_json_and_drops_what_is_malformed():
    graph = graph_of({"word:a": "x"})
    with graph.recording():
        graph.value("upper", "a")
    saved = graph.memo.to_json()
    assert Memo.from_json(saved).to_json() == saved
    assert Memo.from_json({"upper:a": ["d", {"word:a": 3}], "x": "y"}).entries == {}
    assert Memo.from_json("not a graph").entries == {}


def run_build(site: TinySite) -> str:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1717200000", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "sitegen", "build", "-f", str(site.root / "mkdocs.yml")],
                            capture_output=True, text=True, env=env, cwd=site.root)
    assert result.returncode == 0, result.stderr
    return result.stderr + result.stdout


def test_a_new_process_renders_only_the_pages_that_read_the_edited_sheet(small_site: TinySite):
    run_build(small_site)
    edit(small_site, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring.")
    said = run_build(small_site)
    assert "(1 rendered," in said, said       # the sheet's own page; its card, and so every listing, is unchanged
    edit(small_site, "content/sheets/bridge-repairs.md", "title: ", "title: Now, ")
    said = run_build(small_site)
    rendered = int(said.split("(", 1)[1].split(" rendered")[0])
    assert 1 < rendered < 20, said            # the card changed: its listings and related sheets, not the sources


# For each kind of record a page reads, a change that only that kind's recorded read carries.
CARRIED_BY = {
    "sheet": "sheet metadata",
    "source": "source metadata",
    "topic": "vocabulary",
    "page": "plain page",
    "list": "page title",   # every page's navigation lists the plain pages by title
}
CHANGES = {**CHANGES, "page title": lambda s: edit(s, "content/about.md", "title: About this site", "title: About us")}


@pytest.mark.parametrize("kind", sorted(CARRIED_BY))
def test_a_page_that_does_not_record_one_kind_of_read_is_served_stale(small_site: TinySite, monkeypatch, kind):
    """Drop the recording of one kind of read, and the cache-equals-cold check fails for a change
    of that kind: the recorded dependencies are what keeps incremental builds right."""
    recorded = views.Views._read
    monkeypatch.setattr(views.Views, "_read", lambda self, k, key: None if k == kind else recorded(self, k, key))
    session = Session(update_in_place=True)
    build(small_site.config(), today=TODAY, session=session)
    CHANGES[CARRIED_BY[kind]](small_site)
    build(small_site.config(), today=TODAY, session=session)
    build(small_site.config(site_dir=small_site.root / "cold"), today=TODAY, use_cache=False)
    incremental, cold = snapshot(small_site.site_dir), snapshot(small_site.root / "cold")
    assert incremental != cold, f"without recording '{kind}' reads the site should have gone stale"
    # With every read recorded, the same change gives the cold site: test_cache.CHANGES[...] pins that.


def test_every_leaf_kind_the_views_read_has_a_digest():
    source = Path(views.__file__).read_text(encoding="utf-8")
    read = {part.split('"')[1] for part in source.split("self._read(")[1:] if part.startswith('"')}
    read |= {"sheet", "source"}  # through sheet_record / source_record
    assert read <= set(LEAF_KINDS), read - set(LEAF_KINDS)


# --- a session's next build: only what an edit reaches is looked at ----------------------------

def _session_graph(leaves: dict[str, str], calls: list[str], previous: Graph | None = None) -> Graph:
    """A graph as the next build of a session makes it: the previous build's memo and the digests it saw."""
    def leaf(kind: str, key: str) -> str:
        calls.append(f"{kind}:{key}")
        return leaves[f"{kind}:{key}"]
    seen = previous.seen() if previous else None
    graph = Graph(leaf, previous.memo if previous else None, None, seen)
    graph.builders["upper"] = lambda key: (graph.read("word", key), leaves[f"word:{key}"].upper())[1]
    return graph


def _pages(graph: Graph, words: list[str]) -> dict[str, bool]:
    """One 'page' per word reading its view, and one listing reading them all: whether each was current."""
    found = {}
    for name, reads in [*((w, [w]) for w in words), ("all", words)]:
        entry = graph.previous.entries.get(f"page:{name}")
        if entry is not None and graph.current(entry.deps):
            graph.page(f"page:{name}", entry)
            found[name] = True
            continue
        with graph.recording() as deps:
            for word in reads:
                graph.value("upper", word)
        graph.page(f"page:{name}", Entry(deps, ""))
        found[name] = False
    graph.keep_unchanged()  # as build._remember does at the end of a build
    graph.memo.take_readers(graph.previous, graph.changed())
    graph.memo.pages = graph.pages
    return found


def test_a_session_build_looks_only_at_what_an_edit_reaches_and_finds_the_same_as_a_full_check():
    words = [f"w{i}" for i in range(50)]
    leaves = {f"word:{w}": w for w in words}
    first = _session_graph(leaves, [])
    assert not any(_pages(first, words).values())
    for step, (word, new) in enumerate([("w7", "w7"), ("w7", "W7"), ("w30", "other")]):
        leaves[f"word:{word}"] = new
        calls: list[str] = []
        graph = _session_graph(leaves, calls, first)
        found = _pages(graph, words)
        full = Graph(lambda kind, key: leaves[f"{kind}:{key}"], first.memo)  # every digest checked, no shortcut
        full.builders["upper"] = graph.builders["upper"]
        expected = {name: full.current(entry.deps) for name, entry in
                    ((n, first.memo.entries[f"page:{n}"]) for n in [*words, "all"])}
        assert found == expected, step
        changed_upper = new.upper() != word.upper()
        assert found[word] == (not changed_upper) and found["all"] == (not changed_upper)
        assert sum(found.values()) >= len(words) - 1
        # each leaf is hashed once to find what changed, and looked up again only if the edit reached it
        assert len(calls) == len(words) + (1 if found[word] is False or new != word else 0), calls
        first = graph


def test_a_session_whose_index_of_readers_misses_one_edge_serves_a_stale_page(small_site: TinySite, monkeypatch):
    """The shortcut is only as good as the index of who read what: drop the edges into one node and
    an edit that reaches the sheet page through it leaves that page stale."""
    session = Session(update_in_place=True)
    build(small_site.config(), today=TODAY, session=session)
    edit(small_site, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring.")
    build(small_site.config(), today=TODAY, session=session)  # a first build with the shortcut
    readers = Memo.readers

    def forgetful(self):
        index = readers(self)
        index.pop("sheet:bridge-repairs", None)
        return index
    monkeypatch.setattr(Memo, "readers", forgetful)
    edit(small_site, "content/sheets/bridge-repairs.md", "Reopens in spring.", "Reopens in May.")
    build(small_site.config(), today=TODAY, session=session)
    build(small_site.config(site_dir=small_site.root / "cold"), today=TODAY, use_cache=False)
    page = "sheets/bridge-repairs/index.html"
    assert b"Reopens in May" in snapshot(small_site.root / "cold")[page]
    assert b"Reopens in May" not in snapshot(small_site.site_dir)[page]


def test_a_session_keeps_its_index_of_readers_equal_to_one_made_afresh(small_site: TinySite):
    """The index a session carries from build to build (changed only for the entries a build
    replaced, added or dropped) is the one its entries give, through edits that add and drop pages."""
    session = Session(update_in_place=True)
    steps = [
        lambda: None,
        lambda: edit(small_site, "content/sheets/bridge-repairs.md", "Reopens in April.", "Reopens in spring."),
        lambda: small_site.write({"content/sheets/new-crossing.md": (
            "---\ntitle: A new crossing\nsummary: One more.\nas_of: 2024-03-02\ntopics: [ferries]\n---\n"
            "See [@harbour-gazette-2024-03-01].\n")}),
        lambda: (small_site.remove("content/sheets/bridge-repairs.md"),
                 edit(small_site, "content/sheets/overview.md", "related: [bridge-repairs, ferry-timetable]",
                      "related: [ferry-timetable]")),
        lambda: edit(small_site, "content/sheets/new-crossing.md", "title: A new crossing", "title: A crossing"),
    ]
    for step in steps:
        step()
        build(small_site.config(), today=TODAY, session=session)
        session.settle()
        kept = {name: set(found) for name, found in session.memo.readers().items() if found}
        fresh = {name: set(found) for name, found in Memo(dict(session.memo.entries)).readers().items() if found}
        assert kept == fresh


def test_the_index_of_readers_holds_few_readers_in_a_tuple_and_stays_exact_as_entries_come_and_go():
    """Most nodes have two or three readers: a tuple holds them (a set costs 216 bytes and more);
    a node read by many holds a set. Replacing and dropping entries keeps it equal to a fresh index."""
    many = {f"page:{i}": Entry({"list:sheets": "d", f"card:{i % 3}": "c"}, "p") for i in range(3 * FEW_READERS)}
    older = Memo(dict(many))
    index = older.readers()
    assert type(index["list:sheets"]) is set and type(index["card:0"]) is tuple
    assert set(index["card:0"]) == {f"page:{i}" for i in range(0, 3 * FEW_READERS, 3)}
    kept = {name: entry for name, entry in many.items() if int(name.split(":")[1]) % 4 == 0}
    kept["page:1"] = Entry({"card:2": "c"}, "p")  # reads another node now
    newer = Memo(kept)
    newer.take_readers(older)
    fresh = Memo(dict(kept)).readers()
    assert {n: set(r) for n, r in newer.readers().items() if r} == {n: set(r) for n, r in fresh.items()}
    assert "page:1" not in newer.readers()["card:1"] and "page:1" in newer.readers()["card:2"]
