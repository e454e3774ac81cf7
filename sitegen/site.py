"""The resolved site: every sheet with its numbered notes, every located passage, and the indexes
(who cites what, which sheets share a topic) that listings and backlinks are built from."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from .folding import normalize
from .model import Content, Sheet, Source


@dataclass(frozen=True, slots=True)
class Note:
    """One numbered citation of a sheet: a source, and maybe a located quote."""

    number: int
    source: Source
    quote: str | None
    anchor: str | None  # id of the highlighted passage on the source page, if shown there


@dataclass(frozen=True, slots=True)
class Passage:
    """A located quote in a source's stored text."""

    start: int
    end: int
    anchor: str
    quote: str


@dataclass
class SheetLinks:
    """What a sheet's page needs beyond the sheet itself."""

    notes: list[Note] = field(default_factory=list)
    note_index: dict[tuple[str, str | None], Note] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)
    stale: bool = False

    def note(self, source: str, quote: str | None) -> Note:
        return self.note_index[(source, normalize(quote) if quote else None)]


@dataclass
class Site:
    content: Content
    sheets: list[Sheet]                        # published (and drafts when asked), newest first
    links: dict[str, SheetLinks]
    passages: dict[str, list[Passage]]         # source id -> located passages, in text order
    cited_by: dict[str, list[str]]             # source id -> ids of sheets citing it
    by_topic: dict[str, list[str]]
    by_entity: dict[str, list[str]]
    today: dt.date
    # sheet id -> the key its error-free check result is kept by (resolve.check_key): the
    # result, its notes included, is the same while the key is
    check_keys: dict[str, str] = field(default_factory=dict)


def anchor_for(quote: str) -> str:
    """A stable anchor for a quote: the same words always get the same id."""
    return "q-" + hashlib.sha1(normalize(quote).encode("utf-8")).hexdigest()[:10]


@dataclass
class SheetResult:
    """What checking one sheet contributes to the site, replayed as is while its inputs are unchanged."""

    links: SheetLinks
    topics: list[str]
    entities: list[str]
    cited: list[str]                            # ids of the sources it cites
    passages: list[tuple[str, Passage]]         # (source id, located quote), in the order found
    problems: list                              # its diagnostics
