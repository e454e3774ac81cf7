"""Reading one content file: its bytes (capped, strict UTF-8), its YAML or front matter, its record.

Each parse is remembered by the file's sha256, in the session's memo and in the
record cache, with the problems it reported, and replayed when the bytes recur.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import astuple, replace
from typing import Any, Callable

from . import frontmatter, mdbounds, records, schema, yamlload
from .citations import citation_key, inline_citations
from ..config import SiteConfig
from ..errors import Collector, ContentError, utf8_problem
from ..model.hashing import digest
from ..model import Page, Pos, Sheet
from .scan import SourceFile, scan
from .yamlload import YMap

def _with_digest(result: Any, kind: str, shown: str, sha: str) -> Any:
    """Mark a parsed record with what it was made from: equal digests, equal records.
    A vocabulary's records are marked by their fields; a source when its text is joined."""
    if isinstance(result, (Sheet, Page)):
        return replace(result, digest=digest(kind, shown, sha))
    if kind == "vocabulary" and isinstance(result, tuple):
        found, positions = result
        return {k: replace(r, digest=digest(type(r).__name__, repr(astuple(r)))) for k, r in found.items()}, positions
    return result


def _cites_from(stored, path: str) -> list | None:
    """A sheet's inline citations as :meth:`Reader._value` stored them, or None if they are not."""
    if not isinstance(stored, list) or not all(
            type(c) is list and len(c) == 4 and type(c[0]) is str and (c[1] is None or type(c[1]) is str)
            and type(c[2]) is int and type(c[3]) is int for c in stored):
        return None
    return [(sys.intern(source), quote, Pos(path, line, col)) for source, quote, line, col in stored]


class Reader:
    """Reads files safely (or takes the bytes the scan read) and parses them, each parse remembered
    by the file's sha256: in ``memo`` (a session's, in memory) and in ``store`` (on disk)."""

    def __init__(self, config: SiteConfig, report: Collector, memo: dict | None = None,
                 contents: dict[str, bytes] | None = None, store: records.RecordStore | None = None,
                 citations: dict | None = None, shas: dict[str, str | None] | None = None):
        self.config, self.report = config, report
        self.failed: set[str] = set()
        self.memo = memo
        self.contents = contents or {}
        self.store, self.citations, self.shas = store, citations, shas or {}
        self.parsed = 0

    def _parsed(self, kind: str, path: str, shown: str, parse: Callable[[bytes], Any]):
        """``parse(raw)`` of the file's bytes, with the problems it reports, replayed when the
        same bytes recur; see :meth:`_entry`."""
        entry = self._entry(kind, path, shown, parse)
        if entry is None:
            return None
        _, result, problems, failed = entry
        self.report.extend(problems)
        if failed:
            self.failed.add(path)
        return result

    def _entry(self, kind: str, path: str, shown: str, parse: Callable[[bytes], Any]) -> tuple | None:
        """(sha256, result, problems, failed): from memory, from disk, or parsed now."""
        sha = self.shas.get(path)
        entry = self.memo.get((kind, shown)) if self.memo is not None else None
        if sha is None or entry is None or entry[0] != sha:
            entry = self._stored(kind, shown, sha) if sha else None
        if entry is None:
            raw = self.read_bytes(path, shown)
            if raw is None:
                return None
            sha = hashlib.sha256(raw).hexdigest()  # what is parsed is what is recorded
            outer, self.report = self.report, Collector()
            self.failed.discard(path)
            try:
                result = _with_digest(parse(raw), kind, shown, sha)
            finally:
                problems, self.report = self.report.items, outer
            entry = (sha, result, problems, path in self.failed)
            self.failed.discard(path)
            self.parsed += 1
        if self.memo is not None:
            self.memo[(kind, shown)] = entry
        if self.store is not None and self.store.wants(kind, shown, entry[0]):
            self.store.put(kind, shown, entry[0], self._value(kind, entry))
        return entry

    def _stored(self, kind: str, shown: str, sha: str) -> tuple | None:
        value = self.store.get(kind, shown, sha) if self.store is not None else None
        if value is None:
            return None
        result, problems, failed, cites = value if isinstance(value, list) and len(value) == 4 else (None, 0, 0, 0)
        is_sheet = kind == "sheet" and isinstance(result, Sheet)
        cites = _cites_from(cites, result.path) if is_sheet else None
        if not isinstance(problems, list) or (is_sheet and cites is None):
            self.store.reject(kind, shown, sha)  # of an older shape: this build's entry replaces it
            return None
        if is_sheet and self.citations is not None:
            self.citations[citation_key(result)] = cites
        return (sha, result, problems, bool(failed))

    def _value(self, kind: str, entry: tuple) -> list:
        """What the store keeps of an entry; for a sheet, its inline citations too."""
        _, result, problems, failed = entry
        cites = None
        if kind == "sheet" and isinstance(result, Sheet):
            cites = (self.citations or {}).get(citation_key(result))
            cites = inline_citations(result) if cites is None else cites
            cites = [[source, quote, pos.line, pos.col] for source, quote, pos in cites]  # all in the sheet's file
        return [result, problems, failed, cites]

    def ok(self, path: str) -> bool:
        return path not in self.failed

    def walk(self) -> list[SourceFile]:
        """Every file to read (see :func:`scan`), its problems reported here."""
        found = scan(self.config, {}, hashing=False)
        self.report.extend(found.report.items)
        return found.files


    def read_bytes(self, path: str, shown: str) -> bytes | None:
        try:
            raw = self.contents.get(path)
            if raw is None:
                with open(path, "rb") as handle:
                    raw = handle.read(self.config.max_file_size + 1)
        except OSError as exc:
            self.failed.add(path)
            self.report.error(shown, 1, 1, f"cannot read file: {exc.strerror}", "check that it exists and is readable")
            return None
        if len(raw) > self.config.max_file_size:
            self.failed.add(path)
            self.report.error(shown, 1, 1, f"file is larger than max_file_size ({self.config.max_file_size:,} bytes)",
                              "split it, or raise max_file_size under the sitegen plugin in mkdocs.yml")
            return None
        return raw

    def decode(self, raw: bytes, shown: str) -> str | None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.report.error(shown, *utf8_problem(raw, exc), "save the file as UTF-8")
            return None
        return text.removeprefix("\ufeff")

    def _text(self, raw: bytes, path: str, shown: str) -> str | None:
        text = self.decode(raw, shown)
        if text is None:
            self.failed.add(path)
            return None
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def yaml_file(self, path: str, shown: str):
        return self._parsed("yaml", path, shown, lambda raw: self._yaml(raw, path, shown))

    def text(self, path: str, shown: str) -> tuple | None:
        """(sha256, the stored text decoded or None) of a source's .txt."""
        entry = self._entry("text", path, shown, lambda raw: self.decode(raw, shown))
        if entry is None:
            return None
        self.report.extend(entry[2])
        return entry[0], entry[1]

    def source(self, source_id: str, path: str, shown: str) -> tuple | None:
        """(the Source or None, where its mapping starts) of a source's .yml."""
        return self._parsed("source", path, shown, lambda raw: self._source(raw, source_id, path, shown))

    def _source(self, raw: bytes, source_id: str, path: str, shown: str) -> tuple:
        data = self._yaml(raw, path, shown)
        if not isinstance(data, YMap):
            if path not in self.failed:
                self.report.error(shown, 1, 1, "a source file must be a mapping of fields", "start with 'title: ...'")
            return (None, None)
        return (schema.source_from_yaml(source_id, shown, data, self.report), tuple(data.start))

    def vocabulary(self, kind: str, path: str, shown: str) -> tuple | None:
        """(records by id, their positions) of data/topics.yml or data/entities.yml."""
        return self._parsed("vocabulary", path, shown,
                            lambda raw: schema.vocabulary_from_yaml(kind, shown, self._yaml(raw, path, shown),
                                                                    self.report))

    def _yaml(self, raw: bytes, path: str, shown: str):
        text = self._text(raw, path, shown)
        if text is None:
            return None
        try:
            return yamlload.load(text, shown)
        except ContentError as exc:
            self.failed.add(path)
            self.report.extend(exc.diagnostics)
            return None

    def _front(self, raw: bytes, path: str, shown: str, required: bool):
        text = self._text(raw, path, shown)
        if text is None:
            return None
        try:
            parts = frontmatter.split(text, shown)
            if parts.front is None:
                if required and not text.strip():
                    self.report.error(shown, 1, 1, "the file is empty: a sheet needs front matter",
                                      "fill it in, or delete it and run: sitegen new sheet \"Its title\"")
                    return None
                if required:
                    self.report.error(shown, 1, 1, "no front matter",
                                      "start the file with a '---' line, the YAML fields, and another '---' line")
                    return None
                return YMap.empty(), parts
            data = yamlload.load(parts.front, shown, line_offset=parts.front_line - 1)
        except ContentError as exc:
            self.report.extend(exc.diagnostics)
            return None
        if data is None:
            data = YMap.empty((parts.front_line, 1))
        if not isinstance(data, YMap):
            self.report.error(shown, parts.front_line, 1, "front matter must be a mapping of fields",
                              "write one 'field: value' per line between the '---' lines")
            return None
        return data, parts

    def _check_body(self, parts: frontmatter.Split, shown: str) -> None:
        """Refuse Markdown that would take Python-Markdown minutes, or crash it (markup's bounds)."""
        problem = mdbounds.check_markdown(parts.body)
        if problem:
            self.report.error(shown, parts.body_line + problem.line - 1, problem.col, problem.message, problem.hint)

    def sheet(self, sheet_id: str, path: str, shown: str) -> Sheet | None:
        return self._parsed("sheet", path, shown, lambda raw: self._sheet(raw, sheet_id, path, shown))

    def _sheet(self, raw: bytes, sheet_id: str, path: str, shown: str) -> Sheet | None:
        loaded = self._front(raw, path, shown, required=True)
        if loaded is None:
            return None
        data, parts = loaded
        self._check_body(parts, shown)
        return schema.sheet_from_yaml(sheet_id, shown, data, parts.body, parts.body_line, self.report)

    def page(self, slug: str, path: str, shown: str) -> Page | None:
        return self._parsed(f"page {slug}", path, shown, lambda raw: self._page(raw, slug, path, shown))

    def _page(self, raw: bytes, slug: str, path: str, shown: str) -> Page | None:
        loaded = self._front(raw, path, shown, required=False)
        if loaded is None:
            return None
        data, parts = loaded
        self._check_body(parts, shown)
        f = schema.Fields(data, shown, self.report, schema.PAGE_FIELDS, "a page")
        title = f.text("title") or _first_heading(parts.body) or (slug.rsplit("/", 1)[-1].replace("-", " ").capitalize() or "Home")
        return Page(slug, shown, title, f.text("summary"), parts.body, parts.body_line)


def _first_heading(body: str) -> str:
    for line in body.split("\n"):
        if line.startswith("# "):
            return line[2:].strip()
    return ""
