"""The session's reverse indexes, changed sheet by sheet, equal the cold build's after any sequence.

The reference below is the cold rule written out plainly (every sheet's result
added in id order); ``SiteIndexes.update`` must reach the same dictionaries,
in the same key order, with the same lists, after every step of a random
sequence of added, removed, replaced and unchanged results. Passages share
anchors and places across sheets on purpose, so that which sheet an anchor is
taken from, and the order of ties, are both exercised.
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.indexes import SiteIndexes
from sitegen.site import Passage, SheetLinks, SheetResult

SHEETS = ("a", "b", "c", "d", "e")
KEYS = ("k1", "k2", "k3")
SOURCES = ("s1", "s2")
ANCHORS = ("q1", "q2", "q3")


def cold(results: dict[str, SheetResult]) -> tuple[dict, ...]:
    """The cold build's indexes: every result in sheet-id order, first anchor wins, sorted by place."""
    by_topic, by_entity, cited, passages = defaultdict(list), defaultdict(list), defaultdict(set), defaultdict(dict)
    for sheet_id in sorted(results):
        result = results[sheet_id]
        for topic in result.topics:
            by_topic[topic].append(sheet_id)
        for entity in result.entities:
            by_entity[entity].append(sheet_id)
        for source_id in result.cited:
            cited[source_id].add(sheet_id)
        for source_id, passage in result.passages:
            passages[source_id].setdefault(passage.anchor, passage)
    return ({k: sorted(v) for k, v in sorted(by_topic.items())}, {k: sorted(v) for k, v in sorted(by_entity.items())},
            {k: sorted(v) for k, v in sorted(cited.items())},
            {k: sorted(v.values(), key=lambda p: (p.start, p.end)) for k, v in sorted(passages.items())})


passage = st.builds(lambda s, a, start, quote: (s, Passage(start, start + 5, a, quote)),
                    st.sampled_from(SOURCES), st.sampled_from(ANCHORS), st.sampled_from((0, 10, 20)),
                    st.sampled_from(("one", "two")))
result = st.builds(lambda topics, entities, cited, passages: SheetResult(
    SheetLinks(), topics, entities, cited, passages, []),
    st.lists(st.sampled_from(KEYS), max_size=3), st.lists(st.sampled_from(KEYS), max_size=2),
    st.lists(st.sampled_from(SOURCES), max_size=3), st.lists(passage, max_size=4))
step = st.dictionaries(st.sampled_from(SHEETS), st.one_of(result, st.just("same")), max_size=5)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(step, min_size=1, max_size=6))
def test_changed_sheet_by_sheet_the_indexes_equal_the_cold_ones(steps):
    indexes, current = SiteIndexes(), {}
    for wanted in steps:
        # "same": the very result object of the last step, if the sheet had one (else the sheet is left out)
        current = {i: current[i] if r == "same" else r for i, r in wanted.items() if r != "same" or i in current}
        indexes.update(dict(current))
        got = (indexes.by_topic, indexes.by_entity, indexes.cited_by, indexes.passages)
        expected = cold(current)
        for mine, theirs in zip(got, expected):
            assert mine == theirs
            assert list(mine) == list(theirs)  # the key order too
            assert all(p is q for k in mine for p, q in zip(mine[k], theirs[k]) if isinstance(p, Passage))


def test_a_list_handed_out_is_never_changed_afterwards():
    indexes = SiteIndexes()
    first = SheetResult(SheetLinks(), ["k1"], [], ["s1"], [("s1", Passage(0, 5, "q1", "one"))], [])
    indexes.update({"a": first})
    topic, cited, passages = indexes.by_topic["k1"], indexes.cited_by["s1"], indexes.passages["s1"]
    second = SheetResult(SheetLinks(), ["k1"], [], ["s1"], [("s1", Passage(10, 15, "q2", "two"))], [])
    indexes.update({"a": first, "b": second})
    assert (topic, cited, [p.anchor for p in passages]) == (["a"], ["a"], ["q1"])
    assert indexes.by_topic["k1"] == ["a", "b"] and [p.anchor for p in indexes.passages["s1"]] == ["q1", "q2"]
