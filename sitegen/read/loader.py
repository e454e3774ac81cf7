"""Walk ``docs_dir`` once and turn its files into validated model records.

Files are read as bytes, size-capped, decoded strictly as UTF-8 (a BOM is
dropped, CRLF becomes LF) and parsed; every problem is collected with its
position. Nothing outside ``docs_dir`` is ever read: symlinks that leave it
are refused. Other files (images, PDFs) are passed through as assets, within
``max_asset_size``, as long as they take no path that sitegen writes itself
(a page, a theme asset) and are not of a type that can run script on the
site's origin (.html, .js, .svg...) unless ``allow_assets`` names them.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import records
from .. import workers
from .assets import check_assets
from .citations import citation_key, inline_citations
from ..config import SiteConfig
from ..errors import Collector
from ..model.hashing import digest
from ..model import Content, Page, Sheet, Source, is_id
from ..model.routes import RESERVED
from .names import difference, unsafe_page_name, unusable_name, valid_id
from .reader import Reader
from .scan import Scan, SourceFile


@dataclass
class Loaded:
    """What the loader hands on: the content, the assets and the files read."""

    content: Content
    assets: dict[str, Path] = field(default_factory=dict)    # output path -> file to copy
    parsed: int = 0                                          # files parsed (not found in a memo or the store)
    scan: "Scan | None" = None                               # the build's scan, when it made one


def load_content(config: SiteConfig, report: Collector, session: records.ReadMemo | None = None,
                 contents: dict[str, bytes] | None = None, found: Scan | None = None,
                 store: records.RecordStore | None = None) -> Loaded:
    """Read everything under docs_dir; problems go to ``report``. ``found`` is the build's scan
    (else docs_dir is scanned here); a file whose bytes a session or the ``store`` has parsed
    before is not read or parsed again. ``contents`` holds files already read, used as read."""
    reader = Reader(config, report, session.parsed if session else {}, contents, store,
                     session.citations if session else {})
    if found is None:  # nothing to compare with: every file is read when it is parsed
        files = reader.walk()
    else:
        files = found.files
        reader.contents.update((f.path, f.raw) for f in files if f.raw is not None)
        reader.shas = {f.path: f.sha for f in files}
        last = session.last_load if session is not None else None
        again = _sheets_again(last, found, reader) if last is not None else None
        if again is not None:
            session.last_load = again
            report.extend(again.problems())
            return again.loaded
        report.extend(found.report.items)
    ahead = _parse_sheets_ahead(config, files, reader.memo, reader.contents, reader.citations, store)
    collected = _Collected(config, report, reader)
    per_file = []
    for file in files:
        start = len(report.items)
        collected.add(file)
        per_file.append(report.items[start:])
    tail = len(report.items)
    check_assets(config, collected.assets, collected.pages, report)
    collected.report_bad_names()
    loaded = Loaded(collected.content(), collected.assets, reader.parsed + ahead, found)
    if session is not None and found is not None:
        session.last_load = LastLoad(loaded, [(f.rel, f.sha) for f in files], list(found.report.items),
                                     per_file, report.items[tail:])
    return loaded


@dataclass
class LastLoad:
    """What a session keeps of its last load from a scan: enough to load again, without going
    through every file, when the only files whose bytes changed are sheets that still parse."""

    loaded: Loaded
    files: list[tuple[str, str | None]]   # (path in docs_dir, sha256), in the scan's order
    scanned: list                         # what the scan reported
    per_file: list[list]                  # each file's problems, in the same order
    tail: list                            # the problems found after every file was added

    def problems(self) -> list:
        return [*self.scanned, *(item for items in self.per_file for item in items), *self.tail]


def _sheets_again(last: LastLoad, found: Scan, reader: Reader) -> LastLoad | None:
    """The last load with the changed sheets parsed again, if that is what loading every file
    would give: the same files in the same order, the same scan report, and only sheets of the
    last load changed, each of which still parses (else None: the whole load is made again)."""
    if len(found.files) != len(last.files) or found.report.items != last.scanned:
        return None
    content, per_file, sheets = last.loaded.content, list(last.per_file), None
    for place, (file, (rel, sha)) in enumerate(zip(found.files, last.files)):
        if file.rel != rel:
            return None
        if file.sha == sha and sha is not None:
            continue
        stem = rel[len("sheets/"):-len(".md")]
        if not (rel.startswith("sheets/") and rel.endswith(".md") and stem in content.sheets and file.sha):
            return None
        outer, reader.report = reader.report, Collector()
        try:
            sheet = reader.sheet(stem, file.path, file.shown)
        finally:
            problems, reader.report = reader.report.items, outer
        if sheet is None:
            return None
        sheets = sheets if sheets is not None else dict(content.sheets)
        sheets[stem], per_file[place] = sheet, problems
    if sheets is None:
        return None  # nothing changed here: the fingerprint would have said so; load as usual
    loaded = replace(last.loaded, content=replace(content, sheets=sheets), parsed=reader.parsed, scan=found)
    return LastLoad(loaded, [(f.rel, f.sha) for f in found.files], last.scanned, per_file, last.tail)


class _Collected:
    """The records of one load, file by file, with the URLs they claim and what is broken."""

    def __init__(self, config: SiteConfig, report: Collector, reader: "Reader"):
        self.config, self.report, self.reader = config, report, reader
        self.sheets: dict[str, Sheet] = {}
        self.pages: dict[str, Page] = {}
        self.vocab: dict[str, tuple[dict, dict]] = {"topics": ({}, {}), "entities": ({}, {})}
        self.texts: dict[str, tuple[str, str, str]] = {}          # id -> text, sha256, shown path
        self.source_yml: dict[str, tuple] = {}                    # id -> shown path, (source, start), sha256
        self.assets: dict[str, Path] = {}
        self.seen_urls: dict[str, tuple[str, str]] = {}
        self.bad_names: list[tuple[str, str, str, str | None]] = []  # stem, shown, what, url: checked last
        self.broken: dict[str, set[str]] = {"sheet": set(), "source": set(), "vocabulary": set()}

    def claim(self, url: str, shown: str) -> bool:
        key = unicodedata.normalize("NFC", url).casefold()
        if key in self.seen_urls:
            other, other_url = self.seen_urls[key]
            self.report.error(shown, 1, 1, f"'{shown}' would be published at the same URL as '{other}' "
                                           f"(/{url}): {difference(url, other_url)}",
                              "rename or remove one of them; servers and file systems that ignore case "
                              "or Unicode form would serve one in place of the other")
            return False
        self.seen_urls[key] = (shown, url)
        return True

    def add(self, file: SourceFile) -> None:
        parts = file.rel.split("/")
        stem, suffix = os.path.splitext(parts[-1])
        unusable = unusable_name(parts)
        if unusable:
            self.report.error(file.shown, 1, 1, unusable, "rename the file")
            if parts[0] in ("sheets", "sources") and len(parts) == 2:
                self.broken["sheet" if parts[0] == "sheets" else "source"].add(stem)
        elif parts[0] == "sheets" and suffix == ".md":
            self._sheet(file, parts, stem)
        elif parts[0] == "sources" and len(parts) == 2 and suffix in (".yml", ".yaml", ".txt"):
            self._source(file, stem, suffix)
        elif parts[0] == "data" and len(parts) == 2 and stem in self.vocab and suffix in (".yml", ".yaml"):
            self.vocab[stem] = self.reader.vocabulary(stem, file.path, file.shown) or ({}, {})
            if not self.reader.ok(file.path):
                self.broken["vocabulary"].add(stem)
        elif parts[0] in ("sheets", "sources", "data"):
            self.report.warning(file.shown, 1, 1, "file ignored: it is not a kind of content sitegen knows here",
                                "sheets are sheets/*.md, sources sources/*.yml with an optional .txt, "
                                "vocabularies data/topics.yml and data/entities.yml")
        elif suffix == ".md":
            self._page(file)
        elif parts[0].lower() in RESERVED - {"assets"}:
            # assets/ may override the theme's files; everything else there is sitegen's own output
            where = f"be published under /{parts[0]}/" if len(parts) > 1 else f"replace /{parts[0]}"
            self.report.error(file.shown, 1, 1, f"the file '{file.rel}' would {where}, which sitegen writes itself",
                              "rename or move the file")
        elif self.claim(file.rel, file.shown):
            self.assets[file.rel] = Path(file.path)

    def _sheet(self, file: SourceFile, parts: list[str], stem: str) -> None:
        if len(parts) != 2:
            self.report.error(file.shown, 1, 1, "sheets must sit directly in the sheets folder",
                              f"move it to {self.config.shown(self.config.docs_dir / 'sheets' / parts[-1])}")
        elif not is_id(stem):
            self.bad_names.append((stem, file.shown, "sheet", f"sheets/{stem}/"))
        elif self.claim(f"sheets/{stem}/", file.shown):
            sheet = self.reader.sheet(stem, file.path, file.shown)
            if sheet:
                self.sheets[stem] = sheet
            else:
                self.broken["sheet"].add(stem)

    def _source(self, file: SourceFile, stem: str, suffix: str) -> None:
        if not is_id(stem):
            self.bad_names.append((stem, file.shown, "source", None if suffix == ".txt" else f"sources/{stem}/"))
        elif suffix == ".txt":
            entry = self.reader.text(file.path, file.shown)
            if entry is not None and entry[1] is not None:
                self.texts[stem] = (entry[1], entry[0], file.shown)
            else:
                self.broken["source"].add(stem)
        elif self.claim(f"sources/{stem}/", file.shown):
            parsed = self.reader.source(stem, file.path, file.shown)
            if parsed is not None and parsed[1] is not None:
                self.source_yml[stem] = (file.shown, parsed, self.reader.shas.get(file.path) or "")
            else:
                self.broken["source"].add(stem)

    def _page(self, file: SourceFile) -> None:
        rel = file.rel
        slug = "" if rel == "index.md" else rel[:-3].removesuffix("/index")
        first = slug.split("/")[0]  # 'sheets.md' takes /sheets/ just as 'sheets/x.md' would
        unsafe = unsafe_page_name(rel)
        if unsafe:
            self.report.error(file.shown, 1, 1, *unsafe)
        elif first in RESERVED or first.lower() in RESERVED:
            self.report.error(file.shown, 1, 1, f"the page '{rel}' would take the URL /{first}/, which sitegen "
                                                "uses itself", "rename the file")
        elif self.claim(f"{slug}/" if slug else "", file.shown):
            page = self.reader.page(slug, file.path, file.shown)
            if page:
                self.pages[slug] = page

    def report_bad_names(self) -> None:
        """Names that are not valid ids are reported last, when every valid file has
        claimed its URL, so that a clash with one of them is reported too."""
        for stem, shown, what, url in self.bad_names:
            taken = self.seen_urls.get(unicodedata.normalize("NFC", url).casefold()) if url else None
            valid_id(stem, shown, what, self.report, taken[0] if taken else None)
            if taken:
                self.claim(url, shown)

    def content(self) -> Content:
        sources = {}
        for source_id, (shown, (source, start), yml_sha) in sorted(self.source_yml.items()):
            source = self._with_text(source_id, shown, source, start, yml_sha)
            if source is not None:
                sources[source_id] = source
            else:
                self.broken["source"].add(source_id)
        for source_id, (_, _, text_shown) in sorted(self.texts.items()):
            if source_id in self.broken["source"]:
                continue  # its .yml exists but could not be read: reported already
            self.report.error(text_shown, 1, 1, f"stored text without metadata: {source_id}.yml is missing",
                              "run 'sitegen import' to create both, or write the .yml by hand")
        (topics, topic_positions), (entities, entity_positions) = self.vocab["topics"], self.vocab["entities"]
        broken = {kind: frozenset(ids) for kind, ids in self.broken.items()}
        return Content(self.sheets, sources, topics, entities, self.pages, topic_positions, entity_positions,
                       broken["sheet"], broken["source"], broken["vocabulary"])

    def _with_text(self, source_id: str, shown: str, source, start, yml_sha: str) -> Source | None:
        """The source with its stored text, if both check out (else None, the problem reported)."""
        text_info = self.texts.pop(source_id, None)
        if source is None or source_id in self.broken["source"]:
            return None
        if not text_info:
            if source.sha256:
                pos = source.pos("sha256")
                self.report.error(shown, pos.line, pos.col, f"'sha256' is set but there is no stored text "
                                                            f"{source_id}.txt", "add the .txt beside the .yml, or remove sha256")
                return None
            return replace(source, digest=digest("source", shown, yml_sha))
        text, sha, text_shown = text_info
        if not source.sha256:
            line, col = start
            self.report.error(shown, line, col, f"missing required field 'sha256': {text_shown} exists",
                              f"add 'sha256: {sha}' after checking that the stored text is the one received")
            return None
        if source.sha256 != sha:
            pos = source.pos("sha256")
            self.report.error(shown, pos.line, pos.col,
                              f"the stored text {text_shown} does not match its sha256 (it has {sha})",
                              "stored texts are kept byte for byte as received: undo the edit to the .txt; "
                              "if the new text is genuinely a new version, update sha256")
            return None
        return replace(source, text=text, text_path=text_shown, digest=digest("source", shown, yml_sha, text_shown, sha))


PARALLEL_PARSE = 200  # sheets; below it a worker pool costs more than it saves


def _parse_sheets_ahead(config: SiteConfig, files: list[SourceFile], memo: dict,
                        contents: dict[str, bytes] | None = None, citations: dict | None = None,
                        store: records.RecordStore | None = None) -> int:
    """Parse the sheets that neither the memo nor the store knows, on every core, into the memo
    where the loader then finds them (with their inline citations, for the resolver).

    Each worker returns its memo entries (records and problems, which pickle as plain
    data between the processes, never to disk), keyed by the bytes they were parsed from,
    so the result is the same as parsing one file after another.
    """
    def known(f: SourceFile) -> bool:
        entry = memo.get(("sheet", f.shown))
        return (entry is not None and entry[0] == f.sha) or (
            store is not None and ("sheet", f.shown, f.sha) in store.present)

    sheets = [(f.rel[len("sheets/"):-3], f) for f in files
              if f.rel.startswith("sheets/") and f.rel.endswith(".md") and f.rel.count("/") == 1 and not known(f)]

    def parse(start: int, end: int) -> tuple[list, list]:
        reader = Reader(config, Collector(), {}, contents, shas={f.path: f.sha for _, f in sheets[start:end]})
        found = [reader.sheet(stem, f.path, f.shown) for stem, f in sheets[start:end]]
        return list(reader.memo.items()), [(citation_key(s), inline_citations(s)) for s in found if s]

    if len(sheets) >= PARALLEL_PARSE:
        for entries, cited in workers.forked_map(parse, len(sheets), workers.default_jobs()) or []:
            memo.update(entries)
            if citations is not None:
                citations.update(cited)
        return len(sheets)
    return 0


