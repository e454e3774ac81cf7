"""The leaves of the dependency graph: a digest for each record of a resolved site.

Every kind the view layer reads is listed in :data:`LEAF_KINDS`, and each
digest covers all of what that read returns: a sheet with its checked
citations, a source with its stored text, a list of ids in its order. Settings
and templates are not here: they are in the build's salt, which empties the
graph when it changes.
"""

from __future__ import annotations

from typing import Callable

from ..model.graph import digest_of
from ..site import Site

ABSENT = "absent"


def _record(record) -> str:
    """A record's digest from the loader (of the bytes it was read from), else of its fields."""
    if record is None:
        return ABSENT
    own = getattr(record, "digest", "")
    return own or digest_of(repr(record))


def _sheet(site: Site, sheet_id: str) -> str:
    links = site.links.get(sheet_id)
    if links is None:  # a draft left out, or a sheet that is gone
        return ABSENT
    key = site.check_keys.get(sheet_id)  # it stands for the notes, which its check gave: cheaper to hash
    notes = key or [(n.number, n.source.id, n.quote, n.anchor) for n in links.notes]
    return digest_of([_record(site.content.sheets.get(sheet_id)), notes, links.related, links.stale])


def _lists(site: Site) -> dict[str, Callable[[], object]]:
    content = site.content
    return {
        "sheets": lambda: [s.id for s in site.sheets],  # newest first, as listed
        "sources": lambda: sorted(content.sources),
        "topics": lambda: sorted(content.topics),
        "entities": lambda: sorted(content.entities),
        "pages": lambda: [(p.title, slug) for slug, p in sorted(content.pages.items())],
    }


def leaf_digests(site: Site) -> Callable[[str, str], str]:
    """(kind, key) -> digest, for every leaf kind the views read."""
    content = site.content
    lists = _lists(site)
    kinds: dict[str, Callable[[str], object]] = {
        "sheet": lambda key: _sheet(site, key),
        "source": lambda key: _record(content.sources.get(key)),
        "topic": lambda key: _record(content.topics.get(key)),
        "entity": lambda key: _record(content.entities.get(key)),
        "page": lambda key: _record(content.pages.get(key)),
        "passages": lambda key: digest_of([(p.start, p.end, p.anchor, p.quote) for p in site.passages.get(key, [])]),
        "cited-by": lambda key: digest_of([s for s in site.cited_by.get(key, []) if s in site.links]),
        "by-topic": lambda key: digest_of(site.by_topic.get(key, [])),
        "by-entity": lambda key: digest_of(site.by_entity.get(key, [])),
        "list": lambda key: digest_of(lists[key]()),
    }

    def leaf(kind: str, key: str) -> str:
        make = kinds.get(kind)
        if make is None:
            return "unknown kind"  # never a recorded digest: whatever recorded it is made again
        if kind == "list" and key not in lists:
            return "unknown list"
        found = make(key)
        return found if isinstance(found, str) else digest_of(found)

    return leaf


LEAF_KINDS = ("sheet", "source", "topic", "entity", "page", "passages", "cited-by", "by-topic", "by-entity", "list")
