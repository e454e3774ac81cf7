"""Cross-references and citations: the stage that makes the site trustworthy.

Every id a sheet names must exist, and every quote must be found in its
source's stored text (see :mod:`sitegen.quotes`). The result, a
:class:`Site`, holds what the pages need: numbered notes per sheet, the
located passages per source, and the reverse indexes (who cites what, which
sheets share a topic) that listings and backlinks are built from.
"""

from __future__ import annotations

import datetime as dt
import sys

from . import __version__, workers
from .read.citations import citation_key, inline_citations
from .errors import ERROR, Collector
from .model.hashing import digest
from .indexes import SiteIndexes
from .model import Content, Sheet
from .quotes import SourceText
from .read.records import ReadMemo
from .sheetcheck import check_sheet
from .site import Note, Passage, SheetLinks, SheetResult, Site


class CheckMemo(ReadMemo):
    """What a long-lived process keeps of its citation checks: each stored text's searchable
    form, and each sheet's result by its check key (:func:`check_key`)."""

    def clear_check(self) -> None:
        self.clear_read()
        self.texts: dict[str, SourceText] = {}         # stored text -> its searchable form
        self.resolved: dict[str, tuple] = {}           # sheet id -> (check key, what checking it gave)
        self.check_keys: dict[str, tuple] = {}         # sheet id -> (its digest, the world's, its check key)
        self.checked = 0                               # sheets checked by the last build (not remembered)
        self.indexes = SiteIndexes()                   # the site's reverse indexes, as the last build left them
        self.links: dict[str, SheetLinks] = {}         # sheet id -> what the last build gave its page
        self.related: tuple[dict, dict] = ({}, {})     # see _relate

    def __init__(self) -> None:
        self.clear_check()

    def source_text(self, text: str) -> SourceText:
        found = self.texts.get(text)
        if found is None:
            found = self.texts[text] = SourceText(text)
        return found

    def keep_links(self, links: dict[str, SheetLinks]) -> dict[str, SheetLinks]:
        """``links``, with the last build's own object for each sheet whose links are those very
        notes and equal otherwise: what was made of it is then known current by identity."""
        for sheet_id, new in links.items():
            old = self.links.get(sheet_id)
            if old is not None and old.notes is new.notes and old.note_index is new.note_index and (
                    old.stale == new.stale and old.related == new.related):
                links[sheet_id] = old
        self.links = links
        return links

    def keep_texts(self, used: set[str]) -> None:
        """Forget stored texts no source has any more (an edited or removed .txt)."""
        self.texts = {t: s for t, s in self.texts.items() if t in used}


def resolve(content: Content, report: Collector, *, drafts: bool, today: dt.date,
            session: CheckMemo | None = None, store=None) -> Site:
    """Check every reference of every sheet, and build the indexes the pages use.

    Each sheet's result is remembered by a digest of everything its check reads
    (:func:`check_key`): in the session (in memory) and in ``store`` (a
    records.RecordStore, on disk), so only sheets whose inputs changed are checked.
    """
    session = session or CheckMemo()
    sheets = sorted((s for s in content.sheets.values() if drafts or s.status == "published"), key=lambda s: s.id)
    included = {s.id for s in sheets}
    links: dict[str, SheetLinks] = {}
    results: dict[str, SheetResult] = {}
    world = _world(content, included, today)
    found = {s.id: _remembered(s, content, included, today, session, store, world) for s in sheets}
    session.check_keys = {s.id: (s.digest, world, found[s.id][0]) for s in sheets}
    _index_texts(content, session, [s for s in sheets if found[s.id][1] is None])
    checked: dict[str, tuple] = {}
    session.checked = 0
    for sheet in sheets:
        key, result = found[sheet.id]
        if result is None:
            result = check_sheet(sheet, _inline_citations(sheet, session), content, included, today, session)
            session.checked += 1
            if key and store is not None and not any(p.severity == ERROR for p in result.problems):
                store.put_check(sheet.id, key, _result_value(result))
        if key and not any(p.severity == ERROR for p in result.problems):  # hints of errors name other ids
            checked[sheet.id] = (key, result)
        report.extend(result.problems)
        # Its notes are shared with the result (nothing changes them); its related sheets are this build's.
        links[sheet.id] = SheetLinks(result.links.notes, result.links.note_index, [], result.links.stale)
        results[sheet.id] = result
    session.resolved = checked
    indexes = session.indexes
    indexes.update(results)

    session.related = _relate(sheets, links, session.related)
    links = session.keep_links(links)
    session.keep_texts({s.text for s in content.sources.values() if s.text is not None})
    current = {citation_key(s) for s in content.sheets.values()}
    session.citations = {k: v for k, v in session.citations.items() if k in current}
    newest_first = sorted(sheets, key=lambda s: (s.as_of, s.id), reverse=True)
    return Site(
        content=content,
        sheets=newest_first,
        links=links,
        passages=dict(indexes.passages),  # copies: the session's next build changes its own
        cited_by=dict(indexes.cited_by),
        by_topic=dict(indexes.by_topic),
        by_entity=dict(indexes.by_entity),
        today=today,
        check_keys={sheet_id: key for sheet_id, (key, _) in checked.items()},
    )


def _relate(sheets: list[Sheet], links: dict[str, SheetLinks], last: tuple[dict, dict]) -> tuple[dict, dict]:
    """Related sheets work both ways. Returns (each included sheet's own related ids, what they
    gave): a session's next build takes the same lists again while the first is equal."""
    own = {sheet.id: sheet.related for sheet in sheets}
    if own == last[0]:
        for sheet_id, related in last[1].items():
            links[sheet_id].related = related  # never changed once made
        return own, last[1]
    for sheet in sheets:
        for other in sheet.related:
            if other in links and other != sheet.id:
                for a, b in ((sheet.id, other), (other, sheet.id)):
                    if b not in links[a].related:
                        links[a].related.append(b)
    for sheet_links in links.values():
        sheet_links.related.sort()
    return own, {sheet_id: sheet_links.related for sheet_id, sheet_links in links.items()}


PARALLEL_TEXTS = 50  # stored texts; below it a worker pool costs more than it saves


def _index_texts(content: Content, session: CheckMemo, sheets: list[Sheet] | None = None) -> None:
    """Normalise the stored texts the session has not seen that ``sheets`` (all, if None) cite,
    on every core: on a first build that is the longest part of checking quotes."""
    wanted = None if sheets is None else {i for s in sheets for i in _cited(s, _inline_citations(s, session))}
    texts = sorted({s.text for s in content.sources.values() if s.text is not None and s.text not in session.texts
                    and (wanted is None or s.id in wanted)})
    if len(texts) < PARALLEL_TEXTS:
        return
    found = workers.forked_map(lambda start, end: [SourceText(t, indexed=True) for t in texts[start:end]],
                               len(texts), workers.default_jobs())
    for chunk in found or []:
        for text in chunk:
            session.texts[text.text] = text


def _inline_citations(sheet: Sheet, session: CheckMemo) -> list:
    key = citation_key(sheet)
    found = session.citations.get(key)
    if found is None:
        found = session.citations[key] = inline_citations(sheet)
    return found


def _cited(sheet: Sheet, inline: list) -> list[str]:
    cited = [item.cite.source for item in (*sheet.key_facts, *sheet.figures, *sheet.timeline)]
    return cited + [source_id for source_id, _, _ in inline]


CHECK_FORMAT = "sitegen check 1"


def check_key(sheet: Sheet, inline: list, content: Content, included: set[str], today: dt.date) -> str:
    """A digest of everything :func:`_check_sheet` reads: the sheet (its digest covers its
    positions), today, the cited sources and whether they are broken, which of its topics,
    entities and related sheets exist. '' when a record has no digest (not from the loader).

    A hint that names the closest other id is only in an error, and results with errors are not kept.
    """
    cited = _cited(sheet, inline)
    sources = [content.sources.get(i) for i in cited]
    if not sheet.digest or any(s is not None and not s.digest for s in sources):
        return ""
    parts = [CHECK_FORMAT, __version__, sheet.digest, today.isoformat(),
             *(f"{i} {s.digest if s else '-'} {i in content.broken_sources}" for i, s in zip(cited, sources)),
             repr([t in content.topics for t in sheet.topics]), repr([e in content.entities for e in sheet.entities]),
             repr(sorted(content.broken_vocabularies)),
             repr([(o, o in content.sheets, o in content.broken_sheets, o in included) for o in sheet.related])]
    return digest(*parts)


def _world(content: Content, included: set[str], today: dt.date) -> str:
    """A digest of everything :func:`check_key` reads besides the sheet itself: a sheet whose
    digest and the world's are as they were has the check key it had."""
    return digest(today.isoformat(), *(f"{i} {s.digest}" for i, s in sorted(content.sources.items())),
                  repr(sorted(content.broken_sources)), repr(sorted(content.topics)), repr(sorted(content.entities)),
                  repr(sorted(content.broken_vocabularies)), repr(sorted(content.sheets)),
                  repr(sorted(content.broken_sheets)), repr(sorted(included)))


def _remembered(sheet: Sheet, content: Content, included: set[str], today: dt.date, session: CheckMemo,
                store, world: str) -> tuple[str, "SheetResult | None"]:
    """(the sheet's check key, its result if remembered in the session or the store)."""
    known = session.check_keys.get(sheet.id)
    if known is not None and known[0] == sheet.digest and known[1] == world and sheet.digest:
        key = known[2]
    else:
        key = check_key(sheet, _inline_citations(sheet, session), content, included, today)
    if not key:
        return key, None
    entry = session.resolved.get(sheet.id)
    if entry is not None and entry[0] == key:
        return key, entry[1]
    value = store.get_check(sheet.id, key) if store is not None else None
    return key, _result_from(value, content) if value is not None else None


def _result_value(result: SheetResult) -> list:
    """A result as plain data for the store: notes name their source by id."""
    notes = [[n.number, n.source.id, n.quote, n.anchor] for n in result.links.notes]
    index = [[s, q, n.number] for (s, q), n in result.links.note_index.items()]
    passages = [[i, p.start, p.end, p.anchor, p.quote] for i, p in result.passages]
    return [notes, index, result.links.stale, result.topics, result.entities, result.cited, passages,
            result.problems]


def _result_from(value, content: Content) -> "SheetResult | None":
    """The result :func:`_result_value` stored, rebuilt on this content's sources; None if it does not fit.

    JSON gives a new string for each occurrence: a quote is in its note, the index and its
    passage, a source's id in every note and citation of it. Each result shares one object per
    text, and each id is the source's own (stored checks were 9.7 MB of a session's 61 MB at
    1,000 sheets, two thirds of it such copies)."""
    try:
        notes_v, index_v, stale, topics, entities, cited, passages_v, problems = value
        if not all(isinstance(x, list) for x in (topics, entities, cited, problems)):
            return None
        sources, texts = content.sources, {}
        one = texts.setdefault
        notes = [Note(n, sources[i], one(q, q), one(a, a)) for n, i, q, a in notes_v]
        by_number = {note.number: note for note in notes}
        index = {(sources[s].id, one(q, q)): by_number[n] for s, q, n in index_v}
        passages = [(sources[i].id, Passage(s, e, one(a, a), one(q, q))) for i, s, e, a, q in passages_v]
        cited = [sources[i].id for i in cited]
        topics, entities = [sys.intern(t) for t in topics], [sys.intern(e) for e in entities]
        return SheetResult(SheetLinks(notes, index, [], bool(stale)), topics, entities, cited, passages, problems)
    except (KeyError, TypeError, ValueError):
        return None
