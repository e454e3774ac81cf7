"""The leaves of the dependency graph: a digest for each record of a resolved site.

Every kind the view layer reads is listed in :data:`LEAF_KINDS`, and each
digest covers all of what that read returns: a sheet with its checked
citations, a source with its stored text, a list of ids in its order. Settings
and templates are not here: they are in the build's salt, which empties the
graph when it changes.
"""

from __future__ import annotations

from operator import is_
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


class LeafMemo:
    """What a session's builds hashed, with the very objects each digest was made from: a leaf
    made of the same (immutable) objects as last time has the same digest, found without
    hashing. Held objects stay alive, so an identity is never another object's; only the
    entries the last build used are kept."""

    def __init__(self) -> None:
        self.last: dict[str, tuple] = {}
        self.now: dict[str, tuple] = {}

    def turn(self) -> None:
        """Start a build: what the previous one used is what this one may find."""
        if self.now:
            self.last, self.now = self.now, {}

    def known(self, name: str, parts: tuple) -> str | None:
        """The digest made of these very objects before, if it was (kept for the next build)."""
        kept = self.now.get(name) or self.last.get(name)
        if kept is not None and len(kept[0]) == len(parts) and all(map(is_, kept[0], parts)):
            self.now[name] = kept
            return kept[1]
        return None

    def keep(self, name: str, parts: tuple, found: str) -> str:
        self.now[name] = (parts, found)
        return found

    def digest(self, name: str, parts: tuple, make: Callable[[], str]) -> str:
        found = self.known(name, parts)
        return found if found is not None else self.keep(name, parts, make())


def _sheet(site: Site, sheet_id: str, memo: LeafMemo | None) -> str:
    links = site.links.get(sheet_id)
    if links is None:  # a draft left out, or a sheet that is gone
        return ABSENT
    key = site.check_keys.get(sheet_id)  # it stands for the notes, which its check gave: cheaper to hash
    record = site.content.sheets.get(sheet_id)
    # The same links object (resolve keeps it while its notes are the very same and the rest equal)
    # and the same record: the same digest. Lists in it are never changed once the site is made.
    remembered = memo is not None and bool(key)
    if remembered:
        name, parts = "sheet:" + sheet_id, (record, key, links)
        found = memo.known(name, parts)
        if found is not None:
            return found
    notes = key or [(n.number, n.source.id, n.quote, n.anchor) for n in links.notes]
    found = digest_of([_record(record), notes, links.related, links.stale])
    return memo.keep(name, parts, found) if remembered else found


def _passages(site: Site, source_id: str, memo: LeafMemo | None) -> str:
    found = site.passages.get(source_id, [])

    def make() -> str:
        return digest_of([(p.start, p.end, p.anchor, p.quote) for p in found])
    # A source's list of passages is a new list whenever it changes (indexes.SiteIndexes).
    return make() if memo is None else memo.digest(f"passages:{source_id}", (found,), make)


def _ids(name: str, found: list[str], memo: LeafMemo | None, keep=None) -> str:
    """The digest of a list of sheet ids (those ``keep`` accepts), by the list's identity in a session."""
    def make() -> str:
        return digest_of(found if keep is None else [s for s in found if keep(s)])
    if memo is None or keep is not None and not all(keep(s) for s in found):
        return make()
    return memo.digest(name, (found,), make)


def _lists(site: Site) -> dict[str, Callable[[], object]]:
    content = site.content
    return {
        "sheets": lambda: [s.id for s in site.sheets],  # newest first, as listed
        "sources": lambda: sorted(content.sources),
        "topics": lambda: sorted(content.topics),
        "entities": lambda: sorted(content.entities),
        "pages": lambda: [(p.title, slug) for slug, p in sorted(content.pages.items())],
    }


def leaf_digests(site: Site, memo: LeafMemo | None = None) -> Callable[[str, str], str]:
    """(kind, key) -> digest, for every leaf kind the views read (``memo``: a session's)."""
    content = site.content
    lists = _lists(site)
    kinds: dict[str, Callable[[str], object]] = {
        "sheet": lambda key: _sheet(site, key, memo),
        "source": lambda key: _record(content.sources.get(key)),
        "topic": lambda key: _record(content.topics.get(key)),
        "entity": lambda key: _record(content.entities.get(key)),
        "page": lambda key: _record(content.pages.get(key)),
        "passages": lambda key: _passages(site, key, memo),
        "cited-by": lambda key: _ids(f"cited-by:{key}", site.cited_by.get(key, []), memo, site.links.__contains__),
        "by-topic": lambda key: _ids(f"by-topic:{key}", site.by_topic.get(key, []), memo),
        "by-entity": lambda key: _ids(f"by-entity:{key}", site.by_entity.get(key, []), memo),
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
