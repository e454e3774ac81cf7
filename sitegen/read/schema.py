"""Check parsed YAML against the content contract and build model records.

One small reader (:class:`Fields`) pulls typed values out of a mapping and
records a diagnostic, with the value's line and column, for each problem; the
``*_from_yaml`` functions list the fields of each kind of record. Nothing here
raises on a content problem: every problem of the site is collected.

A field that wants text takes the characters the editor typed (yamlload reads
plain values as text); a value YAML read as something else is shown in the
message as it was written, with the quoted form to write instead.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from .. import countries
from ..errors import Collector, did_you_mean
from ..model import (ENTITY_KINDS, ID_RE, RIGHTS, SOURCE_KINDS, STATUSES, Cite, Entity, Event, Figure, KeyFact,
                     PartialDate, Pos, Positions, Sheet, Source, Topic, is_id)
from .yamlload import YList, YMap

SHEET_FIELDS = ("title", "summary", "as_of", "review_by", "status", "topics", "countries",
                "entities", "key_facts", "figures", "timeline", "related")
SOURCE_FIELDS = ("title", "publisher", "published", "url", "language", "kind", "rights",
                 "retrieved", "sha256")
FACT_FIELDS = ("text", "cite", "quote")
FIGURE_FIELDS = ("label", "value", "cite", "quote")
EVENT_FIELDS = ("date", "text", "cite", "quote")
TOPIC_FIELDS = ("name", "description")
ENTITY_FIELDS = ("name", "kind", "role", "organization", "country", "aliases")
PAGE_FIELDS = ("title", "summary")

PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
LANGUAGE_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
URL_SCHEMES = ("http://", "https://")

_MISSING = object()


class Fields:
    """Typed access to one YAML mapping, reporting problems at their position."""

    def __init__(self, data: YMap, path: str, report: Collector, known: tuple[str, ...], what: str):
        self.data, self.path, self.report, self.what = data, path, report, what
        self.positions: dict[str, Pos] = {}
        for key in data:
            if key not in known:
                line, col = data.mark(key, of_value=False)
                hint = did_you_mean(str(key), known) or f"the fields of {what} are: {', '.join(known)}"
                report.error(path, line, col, f"unknown field '{key}' in {what}", hint)

    def pos(self, key: str) -> Pos:
        line, col = self.data.mark(key)
        return Pos(self.path, line, col)

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                line, col = self.data.start
                self.report.error(self.path, line, col, f"missing required field '{key}' in {self.what}",
                                  f"add a line '{key}: ...'")
            return _MISSING
        self.positions[key] = self.pos(key)
        return value

    def problem(self, key: str, message: str, hint: str | None = None, index: int | None = None) -> None:
        if index is not None and isinstance(self.data.get(key), YList):
            line, col = self.data[key].mark(index)
        else:
            line, col = self.data.mark(key)
        self.report.error(self.path, line, col, message, hint)

    def written(self, key: str) -> str:
        """How the value of ``key`` was typed, for a message."""
        value = self.data.get(key)
        return value if isinstance(value, str) else _written(self.data, key, value)

    def text(self, key: str, required: bool = False, default: str = "") -> str:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        value = _as_text(value, self.written(key))
        if value is None:
            what, hint = _not_text(self.data[key], self.written(key))
            self.problem(key, f"'{key}' must be text{what}", hint)
            return default
        value = value.strip()
        if required and not value:
            self.problem(key, f"'{key}' must not be empty")
        return value

    def date(self, key: str, required: bool = False) -> dt.date | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if isinstance(value, dt.datetime):
            self.problem(key, f"'{key}' must be a date without a time", "write it as YYYY-MM-DD")
            return None
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(key, f"'{key}' must be a real date written YYYY-MM-DD, not '{self.written(key)}'",
                     "check the day exists in that month, e.g. 2024-12-20")
        return None

    def partial_date(self, key: str, required: bool = False) -> PartialDate | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return PartialDate.from_date(value)
        match = isinstance(value, str) and PARTIAL_DATE_RE.match(value.strip())
        if match:
            year, month, day = (int(g) if g else 0 for g in match.groups())
            try:
                dt.date(year, month or 1, day or 1)
                return PartialDate(year, month, day)
            except ValueError:
                pass
        self.problem(key, f"'{key}' must be a date written YYYY, YYYY-MM or YYYY-MM-DD, not '{self.written(key)}'",
                     "check that the month and the day exist, e.g. 2019-05 or 2019-05-01")
        return None

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or value not in choices:
            written = self.written(key)
            hint = did_you_mean(written, choices) or f"use one of: {', '.join(choices)}"
            self.problem(key, f"'{key}' must be one of {', '.join(choices)}, not '{written}'", hint)
            return default
        return value

    def matching(self, key: str, pattern: re.Pattern | None, describe: str, required: bool = False,
                 check: Callable[[str], str | None] | None = None) -> str:
        """Text that fits ``pattern``; ``check`` returns a hint for a value it refuses."""
        value = self.text(key, required)
        hint = check(value) if check and value else None
        if value and ((pattern and not pattern.fullmatch(value)) or hint is not None):
            self.problem(key, f"'{key}' must be {describe}, not '{value}'", hint)
            return ""
        return value

    def url(self, key: str) -> str:
        value = self.text(key)
        if value and (not value.lower().startswith(URL_SCHEMES) or any(c in value for c in ' <>"\\\n')):
            self.problem(key, f"'{key}' must be an http or https URL, not '{value}'",
                         "write the full address, starting with https://")
            return ""
        return value

    def strings(self, key: str, pattern: re.Pattern | None = None, describe: str = "",
                check: Callable[[str], str | None] | None = None) -> tuple[str, ...]:
        """A list of text entries (one entry alone may stand without brackets); ``check``
        returns a hint for an entry it refuses."""
        value = self._get(key, False)
        if value is _MISSING:
            return ()
        alone = None if isinstance(value, (list, dict)) else _as_text(value, self.written(key))
        if alone is not None:
            value = YList([alone])
            value.marks, value.start, value.written_as = [self.data.mark(key)], self.data.mark(key), {}
        if not isinstance(value, list):
            self.problem(key, f"'{key}' must be a list, such as [a, b]")
            return ()
        result = []
        for index, item in enumerate(value):
            line, col = value.mark(index)
            text = _as_text(item, _written(value, index, item))
            if text is None:
                what, hint = _not_text(item, _written(value, index, item))
                self.report.error(self.path, line, col, f"'{key}' entries must be {describe or 'text'}{what}", hint)
                continue
            item = text
            hint = check(item) if check else None
            if (pattern and not pattern.fullmatch(item)) or hint is not None:
                self.report.error(self.path, line, col, f"'{key}' entry '{item}' must be {describe or 'text'}", hint)
                continue
            self.positions[f"{key}.{index}"] = Pos(self.path, line, col)
            result.append(item)
        return tuple(result)

    def items(self, key: str, known: tuple[str, ...], what: str, build: Callable[["Fields"], Any]) -> tuple:
        value = self._get(key, False)
        if value is _MISSING:
            return ()
        if not isinstance(value, list):
            self.problem(key, f"'{key}' must be a list of entries, each starting with '- '")
            return ()
        result = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                line, col = value.mark(index)
                self.report.error(self.path, line, col, f"each entry of '{key}' must be a mapping with {', '.join(known[:2])}")
                continue
            record = build(Fields(item, self.path, self.report, known, what))
            if record is not None:
                result.append(record)
        return tuple(result)

    def cite(self) -> Cite | None:
        source = self.matching("cite", ID_RE, "a source id such as xinhua-2024-12-20-fm-briefing", required=True)
        # A 'quote:' that is there but empty (or null) is kept as "", for the check to refuse.
        quote = self.text("quote") if "quote" in self.data else None
        if not source:
            return None
        return Cite(source, quote, self.pos("cite"), self.pos("quote") if quote is not None else None)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


def _written(container: Any, where: Any, value: Any) -> str:
    """How a value that YAML did not read as text was typed (kept by yamlload)."""
    written = container.written(where) if isinstance(container, (YMap, YList)) else None
    return written if written is not None else str(value)


def _as_text(value: Any, written: str) -> str | None:
    """A value as the text the editor typed, or None where YAML read it as something else.

    A date typed plainly (``value: 2019-05-01``) is its own characters; true, false,
    a list, a mapping, or a value with an explicit tag (``!!float 3.50``) is not text."""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date) and not written.startswith("!"):
        return written
    return None


def _not_text(value: Any, written: str) -> tuple[str, str]:
    """For a value that cannot be taken as text: what YAML read, as it was typed
    (", not true/false: true"), and the hint that makes it text."""
    if written.startswith("!"):
        return f", not {written}", f"remove the tag '{written.split(None, 1)[0]}': sitegen reads plain values as text"
    if "\n" in written or len(written) > 80:
        return f", not {_kind(value)}", "write the whole text on one line, in quotes"
    return f", not {_kind(value)}: {written}", f"put it in quotes: {_quoted(written)}"


def _quoted(text: str) -> str:
    """``text`` as a quoted YAML scalar that reads back as exactly ``text``."""
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fact(f: Fields) -> KeyFact | None:
    text, cite = f.text("text", required=True), f.cite()
    return KeyFact(text, cite) if text and cite else None


def _figure(f: Fields) -> Figure | None:
    label, value, cite = f.text("label", required=True), f.text("value", required=True), f.cite()
    return Figure(label, value, cite) if label and value and cite else None


def _event(f: Fields) -> Event | None:
    date, text, cite = f.partial_date("date", required=True), f.text("text", required=True), f.cite()
    return Event(date, text, cite) if date and text and cite else None


def sheet_from_yaml(sheet_id: str, path: str, data: YMap, body: str, body_line: int, report: Collector) -> Sheet | None:
    f = Fields(data, path, report, SHEET_FIELDS, "a sheet")
    before = len(report.errors)
    sheet = Sheet(
        id=sheet_id, path=path, body=body, body_line=body_line,
        title=f.text("title", required=True),
        summary=f.text("summary", required=True),
        as_of=f.date("as_of", required=True),
        review_by=f.date("review_by"),
        status=f.choice("status", STATUSES, "published"),
        topics=f.strings("topics", ID_RE, "a topic id"),
        countries=f.strings("countries", None, "an ISO 3166-1 alpha-2 code such as CN", countries.problem),
        entities=f.strings("entities", ID_RE, "an entity id"),
        key_facts=f.items("key_facts", FACT_FIELDS, "a key fact", _fact),
        figures=f.items("figures", FIGURE_FIELDS, "a figure", _figure),
        timeline=f.items("timeline", EVENT_FIELDS, "a timeline event", _event),
        related=f.strings("related", ID_RE, "a sheet id"),
        positions=Positions.of(f.positions),
    )
    return sheet if len(report.errors) == before else None


def source_from_yaml(source_id: str, path: str, data: YMap, report: Collector) -> Source | None:
    f = Fields(data, path, report, SOURCE_FIELDS, "a source")
    before = len(report.errors)
    source = Source(
        id=source_id, path=path,
        title=f.text("title", required=True),
        publisher=f.text("publisher", required=True),
        published=f.partial_date("published", required=True),
        url=f.url("url"),
        language=f.matching("language", LANGUAGE_RE, "a BCP 47 language tag such as en or zh-Hans") or "en",
        kind=f.choice("kind", SOURCE_KINDS, "news"),
        rights=f.choice("rights", RIGHTS, "excerpts"),
        retrieved=f.date("retrieved"),
        sha256=f.matching("sha256", SHA256_RE, "64 lowercase hexadecimal digits"),
        positions=Positions.of(f.positions),
    )
    return source if len(report.errors) == before else None


def vocabulary_from_yaml(kind: str, path: str, data: Any, report: Collector) -> tuple[dict, dict[str, Pos]]:
    """Read topics.yml or entities.yml: a mapping of id to its fields."""
    records, positions = {}, {}
    if data is None:
        return records, positions
    if not isinstance(data, YMap):
        report.error(path, 1, 1, f"{path} must be a mapping of id to fields")
        return records, positions
    for key, value in data.items():
        line, col = data.mark(key, of_value=False)
        if not is_id(key):
            report.error(path, line, col, f"'{key}' is not a valid id", "use lowercase letters, digits and single hyphens")
            continue
        if not isinstance(value, YMap):
            report.error(path, line, col, f"'{key}' must be a mapping with at least 'name'")
            continue
        if kind == "topics":
            f = Fields(value, path, report, TOPIC_FIELDS, "a topic")
            record = Topic(key, f.text("name", required=True), f.text("description"))
        else:
            f = Fields(value, path, report, ENTITY_FIELDS, "an entity")
            record = Entity(key, f.text("name", required=True), f.choice("kind", ENTITY_KINDS, "person"),
                            f.text("role"), f.text("organization"),
                            f.matching("country", None, "an ISO 3166-1 alpha-2 code", check=countries.problem),
                            f.strings("aliases"))
            if "kind" not in value:
                report.error(path, line, col, "missing required field 'kind' in an entity",
                             "add 'kind: person' or 'kind: organization'")
        records[key], positions[key] = record, Pos(path, line, col)
    return records, positions
