"""The dependency graph: what each page and view read, recorded while it was made.

A *node* is a name, ``"kind:id"``. Leaf nodes are the resolved site's records
(a sheet with its checked citations, a source, a topic, a list of ids); their
digests are computed from the site. Derived nodes are what the view layer
makes from them (a sheet's card, a sheet's view, a page); while one is made,
every node it reads is recorded with that node's digest, as Lektor's
``track_record_dependency`` and Sphinx's ``note_dependency`` do.

One freshness rule for everything: an entry is current when every digest it
recorded is still the digest of its node. A derived node's own digest is that
of its value, so an edit that leaves a sheet's card as it was (a word of its
body) stops there, and the listings that show the card stay current.

The same :class:`Memo` lives in a long-lived process (``sitegen serve``, where
entries keep their values, but for BY_INPUTS kinds) and on disk in the build manifest (digests only),
so a new process knows which pages are current without making their views.
"""

from __future__ import annotations

import hashlib
import json
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .packed import Packed

Deps = dict[str, str]  # node -> its digest when it was read
# Derived kinds whose values a new process fetches by digest (write/values.py) instead of making
# them again: a sheet's lines of the JSON exports, which would otherwise need every sheet's view.
PERSISTED = frozenset({"export"})
# Derived kinds whose digest is that of what they read, not of their value: nothing reads them
# but their own page (and a sheet's export lines, which have their own value digest), so
# hashing a whole sheet's or source's view would cost time and cut nothing off. Their values
# are not kept either: made again by each reader, they are never all held at once (at 10,000
# sheets that was a fifth of a build's memory).
BY_INPUTS = frozenset({"sheet-view", "source-view"})
# Derived kinds whose values are text that a long-lived session keeps packed between builds
# (Graph's ``pack``): only the few files made of them all read them.
PACKED = frozenset({"export", "feed-entry"})


def node(kind: str, key: str) -> str:
    """Interned: the same name is a key of many pages' recorded reads, and one string serves them all."""
    return sys.intern(f"{kind}:{key}")


def kind_of(name: str) -> str:
    return name.split(":", 1)[0]


def digest_of(value: Any) -> str:
    """A short, stable digest of a JSON-able value (128 bits); views inside it count by their own digests."""
    data = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=_part)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def _part(value: Any) -> str:
    own = getattr(value, "digest", None)
    return "view:" + own if isinstance(own, str) else str(value)


class Entry:
    """What making a node read (``deps``), the digest of what it made, and the value itself
    when this process made or kept it (``None`` for an entry read from disk)."""

    __slots__ = ("deps", "digest", "value")

    def __init__(self, deps: Deps, digest: str, value: Any = None):
        self.deps, self.digest, self.value = deps, digest, value


FEW_READERS = 8  # a node's readers are kept in a tuple up to this many, in a set beyond


class Memo:
    """Entries by node name; a build replaces the entries it checks, and keeps no others."""

    def __init__(self, entries: dict[str, Entry] | None = None, seen: dict[str, str] | None = None):
        self.entries: dict[str, Entry] = entries or {}
        self.seen = seen  # every node's digest in the build that made the entries, when known (from disk)
        self._readers: dict[str, tuple | set] | None = None  # node -> the entries that read it, once asked
        self.pages: set[str] | None = None  # the page nodes among the entries, when the graph that made them says

    def readers(self) -> dict[str, tuple | set]:
        """For each node, the names of the entries that recorded reading it: a tuple while they are
        few (most nodes have two or three readers; a set costs 216 bytes and more), then a set."""
        if self._readers is None:
            self._readers = {}
            for name, entry in self.entries.items():
                self._link(name, entry)
        return self._readers

    def _link(self, name: str, entry: Entry, add: bool = True) -> None:
        readers = self._readers
        for dep in entry.deps:
            found = readers.get(dep, ())
            if type(found) is set:
                if add:
                    found.add(name)
                else:
                    found.discard(name)
            elif add and name not in found:
                readers[dep] = found + (name,) if len(found) < FEW_READERS else {*found, name}
            elif not add and name in found:
                readers[dep] = tuple(reader for reader in found if reader != name)

    def take_readers(self, older: "Memo", changed: set[str] | None = None) -> None:
        """Take over ``older``'s index of readers, changed for the entries this memo replaced, added
        or dropped (all among ``changed``, when the graph that made it knows them): a session's next
        build finds what an edit reaches without reading every entry."""
        if older._readers is None:
            return
        self._readers, older._readers = older._readers, None
        names = changed if changed is not None else older.entries.keys() | self.entries.keys()
        for name in names:
            old, new = older.entries.get(name), self.entries.get(name)
            if old is not new:
                if old is not None:
                    self._link(name, old, add=False)
                if new is not None:
                    self._link(name, new)

    def to_json(self) -> dict:
        """Compact: each node's name and digest once, each entry as the indexes of what it read
        (:meth:`json_parts` as a value)."""
        return json.loads("".join(self.json_parts()))

    def json_parts(self) -> Iterator[str]:
        """The text of :meth:`to_json`, a thousand entries at a time: never held whole.

        Every digest an entry of one build recorded is its node's digest in that build
        (entries are checked or made against it), so one digest per node says it all;
        an entry that disagrees (it cannot) is left out rather than saved wrong."""
        index: dict[str, int] = {}
        names: list[str] = []
        digests: list[str] = []

        def at(name: str, digest: str) -> int | None:
            found = index.get(name)
            if found is None:
                found = index[name] = len(names)
                names.append(name)
                digests.append(digest)
            return found if digests[found] == digest else None

        chunk: list[list] = []
        separator = ""
        yield '{"entries": ['
        for name, entry in sorted(self.entries.items()):
            deps = [at(dep, seen) for dep, seen in entry.deps.items()]
            own = at(name, entry.digest)
            if own is not None and None not in deps:
                chunk.append([own, deps])
            if len(chunk) == 1000:
                yield separator + json.dumps(chunk)[1:-1]
                chunk, separator = [], ", "
        if chunk:
            yield separator + json.dumps(chunk)[1:-1]
        yield f'], "names": {json.dumps(names)}, "digests": {json.dumps(digests)}}}'

    @classmethod
    def from_json(cls, data: object) -> "Memo":
        """Entries as saved by :meth:`to_json`; anything malformed makes an empty memo (a cache costs
        time, never truth)."""
        try:
            names, digests = data["names"], data["digests"]
            if not (len(names) == len(digests) and all(isinstance(x, str) for x in (*names, *digests))):
                return cls()
            # The digests are those the saving build saw (to_json keeps no entry that disagrees).
            return cls({names[own]: Entry({names[i]: digests[i] for i in deps}, digests[own])
                        for own, deps in data["entries"]}, dict(zip(names, digests)))
        except (TypeError, KeyError, IndexError, ValueError):
            return cls()


class Graph:
    """One build's view of the graph: current digests of leaves, the memo of derived nodes,
    and the stack of nodes being made, to which every read is recorded."""

    def __init__(self, leaf: Callable[[str, str], str], memo: Memo | None = None, store=None,
                 seen: dict[str, str] | None = None, pack: bool = False):
        self._leaf = leaf                      # (kind, key) -> digest, for leaf kinds
        self.pack = pack                       # keep the values of PACKED kinds compressed
        self.store = store                     # values.ValueStore of the PERSISTED kinds, or None
        self.previous = memo or Memo()         # entries of the last build (or of this session)
        self._seen = seen                      # every node's digest in the build that made ``memo``
        self._may_differ: set[str] | None = None
        self.memo = Memo()                     # entries checked or made by this build
        self.made: set[str] = set()            # nodes this build gave a new entry
        self.pages: set[str] = set()           # the page nodes of this build
        self.builders: dict[str, Callable[[str], Any]] = {}  # derived kind -> key -> value
        self._current: dict[str, str] = {}     # node -> digest, once known in this build
        self._frames: list[Deps] = []
        self._shared: dict[Any, tuple[Any, tuple]] = {}  # key -> (value, what making it read), this build's

    # -- reading ---------------------------------------------------------------
    def read(self, kind: str, key: str) -> None:
        """Record, in the node being made, that it read this leaf."""
        if self._frames:
            name = node(kind, key)
            self._frames[-1][name] = self.digest(name)

    def value(self, kind: str, key: str) -> Any:
        """A derived node's value: kept if current, else made (recording what it reads).
        Either way the reader records the node, with the digest of its value."""
        value = self.kept(kind, key)
        return value.text() if type(value) is Packed else value

    def kept(self, kind: str, key: str) -> Any:
        """:meth:`value` as its entry holds it: a packed text stays packed, for a reader that
        unpacks them one at a time (the exports of a serve session)."""
        name = node(kind, key)
        entry = self._checked(name)
        if entry is not None and entry.value is None and kind in PERSISTED and self.store is not None:
            entry.value = self._kept(kind, self.store.get(entry.digest, kind))
        if entry is None or entry.value is None:
            entry, value = self._make(name, kind, key)
            if type(entry.value) is Packed:
                value = entry.value  # the text just made is not held beside it
        else:
            value = entry.value
        if self._frames:
            self._frames[-1][name] = entry.digest
        return value

    def shared(self, key: Any, make: Callable[[], Any]) -> Any:
        """A small value made once in this build and handed to every reader (a source's reference
        in each of its notes), which records what making it read, as if it had made it. Unlike
        :meth:`value` it has no node: it is never checked, kept or found by its readers."""
        found = self._shared.get(key)
        if found is None:
            with self.recording() as deps:
                value = make()
            found = self._shared[key] = (value, tuple(deps.items()))  # a tuple: there are many, each small
        if self._frames:
            self._frames[-1].update(found[1])
        return found[0]

    @contextmanager
    def recording(self) -> Iterator[Deps]:
        """Collect every read inside the block (for a page, made outside of any node)."""
        deps: Deps = {}
        self._frames.append(deps)
        try:
            yield deps
        finally:
            self._frames.pop()

    # -- checking --------------------------------------------------------------
    def digest(self, name: str) -> str:
        """The node's digest in this build."""
        found = self._current.get(name)
        if found is None:
            kind, key = name.split(":", 1)
            if kind in self.builders:
                entry = self._checked(name) or self._make(name, kind, key)[0]
                found = entry.digest
            else:
                found = self._leaf(kind, key)
            self._current[name] = found
        return found

    def current(self, deps: Deps, name: str | None = None) -> bool:
        """Whether everything recorded in ``deps`` (the entry of ``name``, if given) still has the
        digest it had."""
        if self._seen is not None:  # only what may differ needs looking at (see _changed_since)
            if self._may_differ is None:
                self._may_differ = self._changed_since(self._seen)
            may = self._may_differ
            if name is not None and name not in may:
                return True  # it read nothing that may differ, or it would be a reader reached
            suspects = [n for n in may if n in deps] if len(may) < len(deps) else [n for n in deps if n in may]
            return all(self.digest(suspect) == deps[suspect] for suspect in suspects)
        return all(self.digest(name) == seen for name, seen in deps.items())

    def page(self, name: str, entry: Entry) -> None:
        """Record a page's entry: the previous build's (the page is current) or a new one."""
        if entry is not self.previous.entries.get(name):
            self.made.add(name)
        self.memo.entries[name] = entry
        self.pages.add(name)

    def keep_unchanged(self) -> None:
        """Carry over the previous build's views that nothing may have changed: the pages found
        current without looking read them, and the next build must find them (and who reads them).
        Its pages are this build's only."""
        if self._seen is None or self._may_differ is None:
            return
        carried = dict(self.previous.entries)
        for name in self._may_differ:
            carried.pop(name, None)
        for name in self._previous_pages() - self.pages:
            carried.pop(name, None)
            self.made.add(name)  # dropped: for take_readers
        carried.update(self.memo.entries)
        self.memo.entries = carried

    def _previous_pages(self) -> set[str]:
        if self.previous.pages is not None:
            return self.previous.pages
        return {name for name in self.previous.entries if name.startswith("page:")}

    def changed(self) -> set[str] | None:
        """The nodes whose entry this build replaced, added or dropped, when the shortcut knows them."""
        if self._seen is None or self._may_differ is None:
            return None
        return self._may_differ | self.made

    def seen(self) -> dict[str, str]:
        """Every node's digest in this build (for :meth:`_changed_since` in the next build of a
        session): those it looked up, and the previous build's for the nodes it found unchanged
        without looking (none of them may differ; the others were all looked up, or nothing
        this build kept read them)."""
        if self._seen is None or self._may_differ is None:
            return self._current  # every entry was checked in full, or none was carried over
        kept = dict(self._seen)
        for name in self._may_differ:
            kept.pop(name, None)
        kept.update(self._current)
        return kept

    def _changed_since(self, seen: dict[str, str]) -> set[str]:
        """The nodes whose digest may differ from the build that made ``previous``: the leaves whose
        digest did, and every derived node that read one of them, or one of those, and so on.

        ``seen`` must come from that same build: every digest its entries recorded is then the
        one in ``seen``, so an entry is current when the digests of those of these nodes it read
        are unchanged: only they are looked up (early cut-off included)."""
        made, builders, leaf = self.previous.entries, self.builders, self._leaf  # made: pages and views, never leaves
        changed = set()
        for name, old in seen.items():
            if name not in made:
                kind, _, key = name.partition(":")
                if kind not in builders and leaf(kind, key) != old:
                    changed.add(name)
        readers, reached = self.previous.readers(), list(changed)
        while reached:
            for reader in readers.get(reached.pop(), ()):
                if reader not in changed:
                    changed.add(reader)
                    reached.append(reader)
        return changed

    def _checked(self, name: str) -> Entry | None:
        """The entry of this build, or the previous one if it is still current (then carried over)."""
        entry = self.memo.entries.get(name)
        if entry is not None:
            return entry
        entry = self.previous.entries.get(name)
        if entry is not None and self.current(entry.deps, name):
            self.memo.entries[name] = entry
            self._current[name] = entry.digest
            return entry
        return None

    def _kept(self, kind: str, value: Any) -> Any:
        """The value as its entry holds it: packed when it is the text of a PACKED kind and ``pack``."""
        return Packed(value) if self.pack and kind in PACKED and type(value) is str else value

    def _make(self, name: str, kind: str, key: str) -> tuple[Entry, Any]:
        """The node's new entry (holding its value unless it is of a BY_INPUTS kind), and its value."""
        with self.recording() as deps:
            value = self.builders[kind](key)
        by_inputs = kind in BY_INPUTS
        own = digest_of(sorted(deps.items())) if by_inputs else value_digest(value)
        entry = self.memo.entries[name] = Entry(deps, own, None if by_inputs else self._kept(kind, value))
        self.made.add(name)
        self._current[name] = entry.digest
        return entry, value


def persisted_values(memo: Memo) -> tuple[set[str], dict[str, tuple[str, Any]]]:
    """(the digests of the memo's PERSISTED entries, those of them with a value at hand) for ValueStore.keep."""
    wanted, new = set(), {}
    prefixes = tuple(node(kind, "") for kind in PERSISTED)
    for name, entry in memo.entries.items():
        if name.startswith(prefixes):
            kind = kind_of(name)
            wanted.add(entry.digest)
            if entry.value is not None:
                new[entry.digest] = (kind, entry.value)
    return wanted, new


def value_digest(value: Any) -> str:
    """The digest of a view's value: a View has its own; anything else is JSON."""
    own = getattr(value, "digest", None)
    return own if isinstance(own, str) else digest_of(value)
