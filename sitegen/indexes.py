"""The site's reverse indexes, kept by a session and changed only where a sheet's result changed.

A cold build adds every sheet's check result to the indexes in id order. A
session's next build reaches the same indexes by taking out the contribution of
each sheet whose result is not the very one it added last time and putting in
the new one, which costs what the edit changed instead of every passage of
every sheet. The cold build's rules are kept exactly: a topic's or entity's
sheets sorted by id (repeats kept), a source's citing sheets once each, each
passage anchor of a source taken from the lowest sheet id that has it (its
first in that sheet), a source's passages in text order, ties in the order a
cold build first met them. A list handed out is never changed afterwards: a
changed key gets a new list, so an earlier build's site keeps its own.
"""

from __future__ import annotations

from bisect import bisect_left, insort

from .site import Passage, SheetResult


class SiteIndexes:
    """Sheets by topic, by entity and by cited source, and each source's located passages."""

    def __init__(self) -> None:
        self.results: dict[str, SheetResult] = {}       # sheet id -> the result its contribution came from
        self._lists: dict[str, dict[str, list[str]]] = {"topic": {}, "entity": {}}  # sorted ids, repeats kept
        self._cited: dict[str, set[str]] = {}
        self._anchors: dict[str, dict[str, dict[str, tuple[int, Passage]]]] = {}  # source -> anchor -> sheet -> first
        self.by_topic: dict[str, list[str]] = {}
        self.by_entity: dict[str, list[str]] = {}
        self.cited_by: dict[str, list[str]] = {}
        self.passages: dict[str, list[Passage]] = {}

    def update(self, results: dict[str, SheetResult]) -> None:
        """Bring the indexes to ``results``: every included sheet's result, by id."""
        touched: dict[str, set[str]] = {"topic": set(), "entity": set(), "cited": set(), "passages": set()}
        for sheet_id in [i for i in self.results if i not in results]:
            self._take(sheet_id, self.results.pop(sheet_id), touched)
        for sheet_id, result in results.items():
            old = self.results.get(sheet_id)
            if old is result:
                continue
            if old is not None:
                self._take(sheet_id, old, touched)
            self._put(sheet_id, result, touched)
            self.results[sheet_id] = result
        self._hand_out(touched)

    def _take(self, sheet_id: str, result: SheetResult, touched: dict[str, set[str]]) -> None:
        for kind, keys in (("topic", result.topics), ("entity", result.entities)):
            found = self._lists[kind]
            for key in keys:
                ids = found[key]
                del ids[bisect_left(ids, sheet_id)]
                if not ids:
                    del found[key]
                touched[kind].add(key)
        for source_id in set(result.cited):
            self._cited[source_id].discard(sheet_id)
            if not self._cited[source_id]:
                del self._cited[source_id]
            touched["cited"].add(source_id)
        for source_id, passage in result.passages:
            anchors = self._anchors.get(source_id, {})
            by_sheet = anchors.get(passage.anchor, {})
            by_sheet.pop(sheet_id, None)
            if not by_sheet:
                anchors.pop(passage.anchor, None)
            if not anchors:
                self._anchors.pop(source_id, None)
            touched["passages"].add(source_id)

    def _put(self, sheet_id: str, result: SheetResult, touched: dict[str, set[str]]) -> None:
        for kind, keys in (("topic", result.topics), ("entity", result.entities)):
            found = self._lists[kind]
            for key in keys:
                insort(found.setdefault(key, []), sheet_id)
                touched[kind].add(key)
        for source_id in result.cited:
            self._cited.setdefault(source_id, set()).add(sheet_id)
            touched["cited"].add(source_id)
        for place, (source_id, passage) in enumerate(result.passages):
            by_sheet = self._anchors.setdefault(source_id, {}).setdefault(passage.anchor, {})
            by_sheet.setdefault(sheet_id, (place, passage))
            touched["passages"].add(source_id)

    def _hand_out(self, touched: dict[str, set[str]]) -> None:
        """New lists for the keys that changed (kept in sorted key order, as a cold build gives them)."""
        for kind, out in (("topic", self.by_topic), ("entity", self.by_entity)):
            found = self._lists[kind]
            _replace(out, touched[kind], lambda key: list(found[key]) if key in found else None)
        _replace(self.cited_by, touched["cited"], lambda key: sorted(self._cited[key]) if key in self._cited else None)
        _replace(self.passages, touched["passages"], self._passages_of)

    def _passages_of(self, source_id: str) -> list[Passage] | None:
        anchors = self._anchors.get(source_id)
        if not anchors:
            return None
        chosen = []
        for by_sheet in anchors.values():
            first = min(by_sheet)
            place, passage = by_sheet[first]
            chosen.append(((passage.start, passage.end, first, place), passage))
        chosen.sort(key=lambda item: item[0])
        return [passage for _, passage in chosen]


def _replace(out: dict[str, list], keys: set[str], make) -> None:
    """Give each key its new list (or drop it), keeping ``out`` in sorted key order."""
    if not keys:
        return
    added = False
    for key in keys:
        value = make(key)
        if value is None:
            out.pop(key, None)
        else:
            added = added or key not in out
            out[key] = value
    if added:
        ordered = sorted(out.items(), key=lambda item: item[0])
        out.clear()
        out.update(ordered)
