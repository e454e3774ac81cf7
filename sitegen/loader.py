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

import hashlib
import os
import re
import unicodedata
from dataclasses import astuple, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from . import frontmatter, mdbounds, records, schema, workers, yamlload
from .config import SiteConfig
from .hashing import digest
from .errors import Collector, ContentError, utf8_problem
from .model import Content, Page, Sheet, Source, is_id
from .citations import citation_key, inline_citations
from .yamlload import YMap

# First URL segments the engine itself writes; a plain page may not take them.
RESERVED = frozenset({"sheets", "sources", "topics", "entities", "timeline", "figures", "data",
                      "assets", "pagefind", "404.html", "feed.xml", "sitemap.xml", "robots.txt",
                      "index.html", "search"})
SKIPPED_SUFFIXES = ("~", ".swp", ".swx", ".tmp")
# Files a browser runs script from when they are served from the site's own origin.
SCRIPT_CAPABLE = frozenset({".html", ".htm", ".shtml", ".xhtml", ".xht", ".js", ".mjs", ".svg", ".svgz",
                            ".xml", ".xsl", ".xslt"})


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
    reader = _Reader(config, report, session.parsed if session else {}, contents, store,
                     session.citations if session else {})
    if found is None:  # nothing to compare with: every file is read when it is parsed
        files = reader.walk()
    else:
        report.extend(found.report.items)
        files = found.files
        reader.contents.update((f.path, f.raw) for f in files if f.raw is not None)
        reader.shas = {f.path: f.sha for f in files}
    ahead = _parse_sheets_ahead(config, files, reader.memo, reader.contents, reader.citations, store)
    collected = _Collected(config, report, reader)
    for file in files:
        collected.add(file)
    _check_assets(config, collected.assets, collected.pages, report)
    collected.report_bad_names()
    return Loaded(collected.content(), collected.assets, reader.parsed + ahead, found)


class _Collected:
    """The records of one load, file by file, with the URLs they claim and what is broken."""

    def __init__(self, config: SiteConfig, report: Collector, reader: "_Reader"):
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
                                           f"(/{url}): {_difference(url, other_url)}",
                              "rename or remove one of them; servers and file systems that ignore case "
                              "or Unicode form would serve one in place of the other")
            return False
        self.seen_urls[key] = (shown, url)
        return True

    def add(self, file: SourceFile) -> None:
        parts = file.rel.split("/")
        stem, suffix = os.path.splitext(parts[-1])
        unusable = _unusable_name(parts)
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
        unsafe = _unsafe_page_name(rel)
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
            _valid_id(stem, shown, what, self.report, taken[0] if taken else None)
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


def theme_assets(config: SiteConfig) -> dict[str, Path]:
    """The theme's static files by output path (<theme>/static/x is published as assets/x;
    custom_dir's replace the packaged theme's, name by name)."""
    found: dict[str, Path] = {}
    for folder in reversed(config.theme_dirs):
        static = folder / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found["assets/" + path.relative_to(static).as_posix()] = path
    return found


def _check_assets(config: SiteConfig, assets: dict[str, Path], pages: dict[str, Page], report: Collector) -> None:
    """Refuse assets that would replace what sitegen writes, that are too large, or that can run script.

    A file published from docs_dir is served from the site's own origin, so an
    HTML, SVG or script file there runs with the site's authority: such files
    need an explicit ``allow_assets`` pattern.
    """
    taken: dict[str, tuple[str, str]] = {}   # output path (as compared) -> (output path, what writes it)
    for out in theme_assets(config):
        taken[_out_key(out)] = (out, f"the theme's static/{out[len('assets/'):]} (in theme.custom_dir)")
    for slug, page in pages.items():
        out = f"{slug}/index.html" if slug else "index.html"
        taken[_out_key(out)] = (out, f"the page generated from {page.path}")
    folders = {key.rsplit("/", i)[0]: entry for key, entry in taken.items() for i in range(1, key.count("/") + 1)}
    allowed = [_glob(pattern) for pattern in config.allow_assets]
    for rel, path in sorted(assets.items()):
        shown = config.shown(path)
        key = _out_key(rel)
        if key in taken:
            out, writer = taken[key]
            report.error(shown, 1, 1, f"the file '{rel}' would replace {writer}, published as {out}",
                         "rename or move the file: sitegen writes that path itself")
        elif key in folders:
            out, writer = folders[key]
            report.error(shown, 1, 1, f"the file '{rel}' would take the name of the folder that holds {out}, "
                                      f"{writer}", "rename or move the file: sitegen writes that folder itself")
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0  # gone since the walk: copying it reports that
        if size > config.max_asset_size:
            report.error(shown, 1, 1, f"file is larger than max_asset_size ({config.max_asset_size:,} bytes): "
                                      f"it has {size:,} bytes",
                         "publish it elsewhere and link to it, or raise max_asset_size under the sitegen "
                         "plugin in mkdocs.yml")
        suffix = os.path.splitext(rel)[1].lower()
        if suffix in SCRIPT_CAPABLE and not any(pattern.fullmatch(rel) for pattern in allowed):
            report.error(shown, 1, 1, f"the file '{rel}' could run script on the site's pages ({suffix} files "
                                      "can), so it is published only if mkdocs.yml allows it",
                         f"if the file is trusted, list it under the sitegen plugin: allow_assets: [\"{rel}\"]; "
                         "otherwise remove it, or publish it in a format that runs nothing, such as .png or .pdf")


def _out_key(path: str) -> str:
    """Output paths as case-insensitive servers and file systems compare them."""
    return unicodedata.normalize("NFC", path).casefold()


def _glob(pattern: str) -> re.Pattern:
    """An allow_assets pattern, matched against the whole path under docs_dir: '*' and '?'
    stay within one folder name, '**/' spans any number of folders."""
    parts, at = [], 0
    while at < len(pattern):
        if pattern.startswith("**/", at):
            parts.append("(?:[^/]*/)*")
            at += 3
        elif pattern.startswith("**", at):
            parts.append(".*")
            at += 2
        else:
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[at], re.escape(pattern[at])))
            at += 1
    return re.compile("".join(parts), re.DOTALL)


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
        reader = _Reader(config, Collector(), {}, contents, shas={f.path: f.sha for _, f in sheets[start:end]})
        found = [reader.sheet(stem, f.path, f.shown) for stem, f in sheets[start:end]]
        return list(reader.memo.items()), [(citation_key(s), inline_citations(s)) for s in found if s]

    if len(sheets) >= PARALLEL_PARSE:
        for entries, cited in workers.forked_map(parse, len(sheets), workers.default_jobs()) or []:
            memo.update(entries)
            if citations is not None:
                citations.update(cited)
        return len(sheets)
    return 0


def _with_digest(result: Any, kind: str, shown: str, sha: str) -> Any:
    """Mark a parsed record with what it was made from: equal digests, equal records.
    A vocabulary's records are marked by their fields; a source when its text is joined."""
    if isinstance(result, (Sheet, Page)):
        return replace(result, digest=digest(kind, shown, sha))
    if kind == "vocabulary" and isinstance(result, tuple):
        found, positions = result
        return {k: replace(r, digest=digest(type(r).__name__, repr(astuple(r)))) for k, r in found.items()}, positions
    return result


# Device names Windows reserves in every folder, whatever the extension: a repository
# holding one cannot be checked out there, and its page could not be written there.
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                              *(f"lpt{i}" for i in range(10))})
_CONTROL = frozenset(chr(c) for c in (*range(0x20), *range(0x7f, 0xa0)))


def _unusable_name(parts: list[str]) -> str | None:
    """Why a path under docs_dir cannot become a URL and a file on every system, if it cannot.

    Names of sheets and sources are held to the id pattern later; pages and
    assets keep their names, so their characters are checked here.
    """
    for part in parts:
        device = part.split(".")[0]
        if device.lower() in WINDOWS_RESERVED:
            return (f"the name '{part}' is the device {device.upper()}, which Windows reserves: the file could not "
                    "be checked out or published there")
    if parts[0] in ("sheets", "sources"):
        return None
    for part in parts:
        if "\\" in part:
            return f"the name '{part}' contains a backslash, which URLs and Windows read as a folder separator"
        if any(c in _CONTROL for c in part):
            return f"the name '{part}' contains a control character, which cannot be part of a URL"
    return None


# Besides letters, marks and digits (of any script), the only characters a plain page's
# path may hold: the others mean something in a URL ('?' starts a query, '#' a fragment,
# ':' ends a scheme, '%' an escape) or must be escaped in one (spaces, quotes, brackets).
PAGE_NAME_PUNCTUATION = "-_.~"


def _unsafe_page_name(rel: str) -> tuple[str, str] | None:
    """(message, hint) when a plain page's path cannot be its URL as it stands.

    A page's path is written into links, the canonical link and the sitemap as it
    is, so `javascript:x.md` became a javascript: URL and `what?.md` a link to /what.
    """
    def allowed(c: str) -> bool:
        return c in PAGE_NAME_PUNCTUATION or c == "/" or unicodedata.category(c)[0] in "LMN"

    bad = [c for c in dict.fromkeys(rel) if not allowed(c)]
    if not bad:
        return None
    names = [f"'{c}'" if c.isprintable() and not c.isspace() else
             f"U+{ord(c):04X} {unicodedata.name(c, 'character')}" for c in bad]
    shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    suggestion = "/".join("-".join("".join(c if allowed(c) else " " for c in part).split()) or "page"
                          for part in rel[:-3].split("/")) + ".md"
    return (f"the page name '{rel}' contains {shown}: a page's path becomes its URL, so its file and "
            f"folder names may use only letters, digits, '-', '_', '.' and '~'",
            f"rename the file, for example to '{suggestion}'")


def _valid_id(stem: str, shown: str, what: str, report: Collector, taken_by: str | None = None) -> bool:
    if is_id(stem):
        return True
    suggestion = "-".join("".join(c if c.isalnum() and c.isascii() else " " for c in stem.lower()).split())
    hint = f"rename the file to '{suggestion}'" if is_id(suggestion) else None
    if hint and taken_by:
        hint = f"rename the file: '{suggestion}' is taken by {taken_by}"
    report.error(shown, 1, 1, f"'{stem}' is not a valid {what} id: the file name must use lowercase letters, "
                              f"digits and single hyphens", hint)
    return False


def _difference(url: str, other: str) -> str:
    """Say how two colliding names differ, since on screen they may look the same."""
    if unicodedata.normalize("NFC", url) == unicodedata.normalize("NFC", other):
        forms = [f for f in ("NFC", "NFD") if unicodedata.is_normalized(f, url)]
        other_forms = [f for f in ("NFC", "NFD") if unicodedata.is_normalized(f, other)]
        return (f"the two names differ only in Unicode normalisation (this one is "
                f"{'/'.join(forms) or 'mixed'}, the other {'/'.join(other_forms) or 'mixed'})")
    if url.casefold() == other.casefold():
        return "the two names differ only in case"
    return "the two names differ only in case and Unicode normalisation"


@dataclass(slots=True)
class SourceFile:
    """One file under docs_dir as the scan found it; ``raw`` only when the scan had to read it."""

    rel: str                    # path relative to docs_dir, with '/'
    path: str                   # path as walked
    shown: str                  # path as messages show it
    stat: tuple                 # (size, mtime_ns, ctime_ns, inode), () when it could not be stat'ed
    sha: str | None             # sha256 of its bytes; None when too large to hash, or unreadable
    raw: bytes | None = None


@dataclass
class Scan:
    """The one walk of docs_dir a build makes: the files, what it found wrong, and what to trust next time."""

    files: list[SourceFile]
    report: Collector
    parts: list                                        # names and hashes, for the build's fingerprint
    stats: dict[str, tuple]                            # path -> stat, folders too: for the re-check after the build
    known: dict[str, tuple] = field(default_factory=dict)  # path -> (stat, sha, when hashed), for the next scan
    hashed: int = 0                                    # files read to hash them


def scan(config: SiteConfig, known: dict, keep: int = 0, limit: int | None = None, hashing: bool = True) -> Scan:
    """Walk docs_dir once: a folder's files by name, then its sub-folders by name; hidden files,
    editors' leftovers and symlinks that leave docs_dir are skipped as the loader always has.
    A file whose stat matches ``known`` (and was not racily clean) is not opened; the others are
    hashed, and their bytes kept when at most ``keep`` (without ``hashing``, only stat'ed)."""
    limit = max(config.max_file_size, config.max_asset_size) if limit is None else limit
    found = Scan([], Collector(), [], {})

    def visit(folder: str, prefix: str) -> None:
        try:
            found.stats[folder] = records.file_stat(os.stat(folder))
        except OSError:
            found.stats[folder] = ()
        with os.scandir(folder) as listing:
            entries = sorted((e for e in listing if not e.name.startswith(".")), key=lambda e: e.name)
        folders, files = [], []
        for entry in entries:
            try:
                (folders if entry.is_dir() else files).append(entry)  # symlinked folders too
            except OSError:  # a symlink loop: _inside reports it
                files.append(entry)
        folders = [e for e in folders if not e.is_symlink() or _inside(config, found.report, Path(e.path))]
        for entry in files:
            if not entry.name.endswith(SKIPPED_SUFFIXES):
                if (not entry.is_symlink() or _inside(config, found.report, Path(entry.path))) and entry.is_file():
                    _add_file(config, found, known, prefix + entry.name, entry.path, keep, limit, hashing)
        for entry in folders:
            visit(entry.path, prefix + entry.name + "/")

    visit(str(config.docs_dir), "")
    return found


def _add_file(config: SiteConfig, found: Scan, known: dict, rel: str, path: str, keep: int, limit: int,
              hashing: bool = True) -> None:
    """Stat one file (through a symlink: its target is what is read), and hash it unless known."""
    try:
        stat = records.file_stat(os.stat(path))
    except OSError:
        stat = ()
    sha, raw, when = records.known_sha(known, path, stat), None, 0
    if sha is not None:
        when = known[path][2]
    elif not hashing:
        pass
    elif stat and stat[0] > limit:  # not even opened: the loader refuses it, or never reads it
        found.parts += [rel, f"more than {limit} bytes"]
    elif stat:
        try:
            when = records.now_ns()
            raw, hashed = fingerprint_file(path, keep, limit)
            sha = hashed.hex() if len(hashed) == 32 else None
            found.hashed += 1
            if sha is None:
                found.parts += [rel, hashed.decode("ascii")]
        except OSError as exc:
            found.parts += [rel, f"unreadable: {exc.errno}"]
    if sha is not None:
        found.parts += [rel, sha]
        found.known[path] = (stat, sha, when)
    found.stats[path] = stat
    found.files.append(SourceFile(rel, path, config.shown(path), stat, sha, raw))


def fingerprint_file(path: str | Path, keep: int, limit: int) -> tuple[bytes | None, bytes]:
    """(the file's bytes if it has at most ``keep`` of them, else None; their sha256).

    Read in chunks, so a file costs memory only up to ``keep``; a file of more
    than ``limit`` bytes is not hashed to its end: the loader refuses it as too
    large, or never publishes it, so its size stands for its bytes.
    """
    hasher, kept, total = hashlib.sha256(), [], 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            total += len(chunk)
            if total > limit:
                return None, f"more than {limit} bytes".encode("ascii")
            hasher.update(chunk)
            if kept is not None and total <= keep:
                kept.append(chunk)
            else:
                kept = None
    return (b"".join(kept) if kept is not None else None), hasher.digest()


def restat(stats: dict[str, tuple]) -> dict[str, tuple]:
    """The stats of the files and folders a scan saw, again: equal when nothing changed since."""
    again = {}
    for path in stats:
        try:
            again[path] = records.file_stat(os.stat(path))
        except OSError:
            again[path] = ()
    return again


def _inside(config: SiteConfig, report: Collector, path: Path) -> bool:
    """Refuse symlinks that leave docs_dir, and loops."""
    if not path.is_symlink():
        return True
    shown = config.shown(path)
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        report.error(shown, 1, 1, "broken or looping symlink", "remove the link or point it at a file inside docs_dir")
        return False
    if not target.is_relative_to(config.docs_dir):
        report.error(shown, 1, 1, f"symlink points outside docs_dir (to {target})",
                 "copy the file into docs_dir instead of linking to it")
        return False
    if target.is_dir():
        report.error(shown, 1, 1, "symlinked folders are not followed", "move the folder into place instead")
        return False
    return True


class _Reader:
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
        if not (isinstance(value, list) and len(value) == 4 and isinstance(value[1], list)):
            return None
        result, problems, failed, cites = value
        if kind == "sheet" and isinstance(result, Sheet) and self.citations is not None and isinstance(cites, list):
            self.citations[citation_key(result)] = cites
        return (sha, result, problems, bool(failed))

    def _value(self, kind: str, entry: tuple) -> list:
        """What the store keeps of an entry; for a sheet, its inline citations too."""
        _, result, problems, failed = entry
        cites = None
        if kind == "sheet" and isinstance(result, Sheet):
            cites = (self.citations or {}).get(citation_key(result))
            cites = inline_citations(result) if cites is None else cites
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
