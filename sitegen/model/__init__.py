"""The content model: plain, frozen records that every later stage reads.

Records carry the file positions of their fields (``Pos``) so that resolving
and rendering can still point an editor at the line that caused a problem.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field

# The id rule, defined once: runs of ID_WORD joined by single hyphens. `$` would also
# accept a trailing newline ("evil\n"), so the pattern is anchored with \A and \Z and
# applied whole, through is_id. ID_WORD_RE finds the runs an id can be made of.
_ID_WORD = "[a-z0-9]+"
ID_RE = re.compile(rf"\A{_ID_WORD}(?:-{_ID_WORD})*\Z")
ID_WORD_RE = re.compile(_ID_WORD)
# A source's kinds (its `kind:` values), each with the name pages show; SOURCE_KINDS in order.
SOURCE_KIND_NAMES = {"news": "News article", "statement": "Statement", "readout": "Readout",
                     "announcement": "Announcement", "report": "Report", "regulation": "Regulation",
                     "other": "Other"}
SOURCE_KINDS = tuple(SOURCE_KIND_NAMES)
# How much of a source's text the site may show (its `rights:`), each with the name pages show.
RIGHTS_NAMES = {"full-text": "Full text shown", "excerpts": "Cited excerpts shown",
                "metadata-only": "Metadata only"}
RIGHTS = tuple(RIGHTS_NAMES)
STATUSES = ("published", "draft")
ENTITY_KINDS = ("person", "organization")


def is_id(text: object) -> bool:
    """Whether ``text`` is an id: lowercase letters and digits in runs joined by single hyphens."""
    return isinstance(text, str) and ID_RE.fullmatch(text) is not None


@dataclass(frozen=True, order=True, slots=True)
class Pos:
    path: str
    line: int
    col: int


class Positions(Mapping):
    """Where each field of one record is written (field -> Pos, all in the record's own file), kept
    compact: the lines and columns in one array, the field names in a tuple that every record with
    the same fields shares; a Pos is made when asked for. As a dict of Pos objects, the positions
    were a tenth of a build's memory at 10,000 sheets."""

    __slots__ = ("path", "names", "_index", "_at")
    _shared: dict[tuple[str, ...], tuple[tuple[str, ...], dict[str, int]]] = {}  # names -> (names, index)

    def __init__(self, path: str, names: tuple[str, ...], at: array):
        if len(at) != 2 * len(names):
            raise ValueError("a line and a column for each field")
        found = self._shared.get(names)
        if found is None:
            names = tuple(sys.intern(n) for n in names)
            found = self._shared[names] = (names, {n: i for i, n in enumerate(names)})
        self.path, (self.names, self._index), self._at = path, found, at

    @classmethod
    def of(cls, positions: Mapping) -> Mapping:
        """The compact form of ``positions`` (field -> Pos), when they are all in one file."""
        if not positions or len({p.path for p in positions.values()}) != 1:
            return positions
        return cls(next(iter(positions.values())).path, tuple(positions),
                   array("i", [n for p in positions.values() for n in (p.line, p.col)]))

    def __getitem__(self, key: str) -> Pos:
        i = self._index[key]
        return Pos(self.path, self._at[2 * i], self._at[2 * i + 1])

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __reduce__(self):
        return (Positions, (self.path, self.names, self._at))

    def raw(self) -> list[list]:
        """[[field, line, col], ...]: the record cache's form."""
        return [[n, self._at[2 * i], self._at[2 * i + 1]] for i, n in enumerate(self.names)]


@dataclass(frozen=True, order=True, slots=True)
class PartialDate:
    """A date known to the year, the month or the day: 2019, 2019-05, 2019-05-01."""

    year: int
    month: int = 0
    day: int = 0

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
            if self.day:
                text += f"-{self.day:02d}"
        return text

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def human(self) -> str:
        """'1 May 2019', 'May 2019' or '2019': unambiguous in any locale."""
        if not self.month:
            return str(self.year)
        month = _MONTHS[self.month - 1]  # not strftime: its names follow the locale
        return f"{self.day} {month} {self.year}" if self.day else f"{month} {self.year}"

    @classmethod
    def from_date(cls, value: dt.date) -> "PartialDate":
        return cls(value.year, value.month, value.day)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def human_date(value: dt.date) -> str:
    return PartialDate.from_date(value).human()


@dataclass(frozen=True, slots=True)
class Cite:
    """A pointer from a claim to a source, optionally with a verbatim quote."""

    source: str
    quote: str | None
    pos: Pos          # where the cite is written
    quote_pos: Pos | None = None


@dataclass(frozen=True, slots=True)
class KeyFact:
    text: str
    cite: Cite


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: str
    cite: Cite


@dataclass(frozen=True, slots=True)
class Event:
    date: PartialDate
    text: str
    cite: Cite


@dataclass(frozen=True, slots=True)
class Sheet:
    id: str
    path: str                  # path shown in messages, relative to the project root
    title: str
    summary: str
    as_of: dt.date
    body: str
    body_line: int
    review_by: dt.date | None = None
    status: str = "published"
    topics: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    key_facts: tuple[KeyFact, ...] = ()
    figures: tuple[Figure, ...] = ()
    timeline: tuple[Event, ...] = ()
    related: tuple[str, ...] = ()
    positions: Mapping = field(default_factory=dict, compare=False, hash=False)  # field -> Pos (and "topics.0" etc.)
    digest: str = field(default="", compare=False)  # set by the loader: equal digest, equal record

    def pos(self, key: str) -> Pos:
        return self.positions.get(key) or Pos(self.path, 1, 1)


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    path: str
    title: str
    publisher: str
    published: PartialDate
    kind: str = "news"
    rights: str = "excerpts"
    language: str = "en"
    url: str = ""
    retrieved: dt.date | None = None
    sha256: str = ""
    text: str | None = None    # the stored text, decoded, when a .txt exists
    text_path: str = ""
    positions: Mapping = field(default_factory=dict, compare=False, hash=False)
    digest: str = field(default="", compare=False)  # set by the loader: equal digest, equal record

    def pos(self, key: str) -> Pos:
        return self.positions.get(key) or Pos(self.path, 1, 1)


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    name: str
    description: str = ""
    digest: str = field(default="", compare=False)  # set by the loader: equal digest, equal record


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    kind: str
    role: str = ""
    organization: str = ""
    country: str = ""
    aliases: tuple[str, ...] = ()
    digest: str = field(default="", compare=False)  # set by the loader: equal digest, equal record


@dataclass(frozen=True, slots=True)
class Page:
    """A plain Markdown page (home, about, methodology...)."""

    slug: str          # '' for the home page, else e.g. 'about' or 'guides/printing'
    path: str
    title: str
    summary: str
    body: str
    body_line: int
    digest: str = field(default="", compare=False)  # set by the loader: equal digest, equal record


@dataclass(frozen=True)
class Content:
    """Everything loaded from docs_dir, validated, before cross-references."""

    sheets: dict[str, Sheet]
    sources: dict[str, Source]
    topics: dict[str, Topic]
    entities: dict[str, Entity]
    pages: dict[str, Page]
    topic_positions: dict[str, Pos] = field(default_factory=dict)
    entity_positions: dict[str, Pos] = field(default_factory=dict)
    # ids of files that exist but failed to load (already reported), so that
    # citing or relating to them is not reported a second time as "unknown"
    broken_sheets: frozenset[str] = frozenset()
    broken_sources: frozenset[str] = frozenset()
    # "topics" or "entities" when that vocabulary file could not be read at all
    broken_vocabularies: frozenset[str] = frozenset()
