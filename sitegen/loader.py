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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import frontmatter, markup, schema, workers, yamlload
from .config import SiteConfig
from .errors import Collector, ContentError, utf8_problem
from .model import Content, Page, Sheet, Source, is_id
from .resolve import citation_key, inline_citations
from .session import Session
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


def load_content(config: SiteConfig, report: Collector, session: Session | None = None,
                 contents: dict[str, bytes] | None = None) -> Loaded:
    """Read everything under docs_dir; problems go to ``report``. With a session,
    files whose bytes are unchanged since its last build are not parsed again.
    ``contents`` holds files already read (by path as walked), which are used as read."""
    docs = config.docs_dir
    reader = _Reader(config, report, session.parsed if session else {}, contents)
    files = reader.walk()
    if not reader.memo:  # nothing remembered: a first build, where parsing is most of the load
        _parse_sheets_ahead(config, files, reader.memo, reader.contents, session.citations if session else None)
    sheets: dict[str, Sheet] = {}
    sources: dict[str, Source] = {}
    pages: dict[str, Page] = {}
    vocab: dict[str, tuple[dict, dict]] = {"topics": ({}, {}), "entities": ({}, {})}
    texts: dict[str, tuple[str, bytes, str]] = {}
    assets: dict[str, Path] = {}
    source_yml: dict[str, tuple[str, YMap]] = {}
    seen_urls: dict[str, tuple[str, str]] = {}
    bad_names: list[tuple[str, str, str, str | None]] = []  # stem, shown, what, url: checked last
    broken: dict[str, set[str]] = {"sheet": set(), "source": set(), "vocabulary": set()}

    def claim(url: str, shown: str) -> bool:
        key = unicodedata.normalize("NFC", url).casefold()
        if key in seen_urls:
            other, other_url = seen_urls[key]
            report.error(shown, 1, 1, f"'{shown}' would be published at the same URL as '{other}' "
                                      f"(/{url}): {_difference(url, other_url)}",
                         "rename or remove one of them; servers and file systems that ignore case "
                         "or Unicode form would serve one in place of the other")
            return False
        seen_urls[key] = (shown, url)
        return True

    for rel, path in files:
        shown = config.shown(path)
        parts = rel.split("/")
        stem, suffix = os.path.splitext(parts[-1])
        unusable = _unusable_name(parts)
        if unusable:
            report.error(shown, 1, 1, unusable, "rename the file")
            if parts[0] in ("sheets", "sources") and len(parts) == 2:
                broken["sheet" if parts[0] == "sheets" else "source"].add(stem)
            continue
        if parts[0] == "sheets" and suffix == ".md":
            if len(parts) != 2:
                report.error(shown, 1, 1, "sheets must sit directly in the sheets folder",
                             f"move it to {config.shown(docs / 'sheets' / parts[-1])}")
            elif not is_id(stem):
                bad_names.append((stem, shown, "sheet", f"sheets/{stem}/"))
            elif claim(f"sheets/{stem}/", shown):
                sheet = reader.sheet(stem, path, shown)
                if sheet:
                    sheets[stem] = sheet
                else:
                    broken["sheet"].add(stem)
        elif parts[0] == "sources" and len(parts) == 2 and suffix in (".yml", ".yaml", ".txt"):
            if not is_id(stem):
                bad_names.append((stem, shown, "source", None if suffix == ".txt" else f"sources/{stem}/"))
                continue
            if suffix == ".txt":
                raw = reader.read_bytes(path, shown)
                text = reader.decode(raw, shown) if raw is not None else None
                if text is not None:
                    texts[stem] = (text, raw, shown)
                else:
                    broken["source"].add(stem)
            elif claim(f"sources/{stem}/", shown):
                data = reader.yaml_file(path, shown)
                if isinstance(data, YMap):
                    source_yml[stem] = (shown, data)
                else:
                    broken["source"].add(stem)
                    if reader.ok(path):
                        report.error(shown, 1, 1, "a source file must be a mapping of fields", "start with 'title: ...'")
        elif parts[0] == "data" and len(parts) == 2 and stem in vocab and suffix in (".yml", ".yaml"):
            data = reader.yaml_file(path, shown)
            vocab[stem] = schema.vocabulary_from_yaml(stem, shown, data, report)
            if not reader.ok(path):
                broken["vocabulary"].add(stem)
        elif suffix == ".md" and parts[0] not in ("sheets", "sources", "data"):
            slug = "" if rel == "index.md" else rel[:-3].removesuffix("/index")
            first = slug.split("/")[0]  # 'sheets.md' takes /sheets/ just as 'sheets/x.md' would
            unsafe = _unsafe_page_name(rel)
            if unsafe:
                report.error(shown, 1, 1, *unsafe)
            elif first in RESERVED or first.lower() in RESERVED:
                report.error(shown, 1, 1, f"the page '{rel}' would take the URL /{first}/, which sitegen uses itself",
                             "rename the file")
            elif claim(f"{slug}/" if slug else "", shown):
                page = reader.page(slug, path, shown)
                if page:
                    pages[slug] = page
        elif parts[0] not in ("sheets", "sources", "data") and parts[0].lower() in RESERVED - {"assets"}:
            # assets/ may override the theme's files; everything else there is sitegen's own output
            where = f"be published under /{parts[0]}/" if len(parts) > 1 else f"replace /{parts[0]}"
            report.error(shown, 1, 1, f"the file '{rel}' would {where}, which sitegen writes itself",
                         "rename or move the file")
        elif parts[0] not in ("sheets", "sources", "data"):
            if claim(rel, shown):
                assets[rel] = Path(path)
        else:
            report.warning(shown, 1, 1, "file ignored: it is not a kind of content sitegen knows here",
                           "sheets are sheets/*.md, sources sources/*.yml with an optional .txt, "
                           "vocabularies data/topics.yml and data/entities.yml")

    _check_assets(config, assets, pages, report)

    # Names that are not valid ids are reported last, when every valid file has
    # claimed its URL, so that a clash with one of them is reported too.
    for stem, shown, what, url in bad_names:
        taken = seen_urls.get(unicodedata.normalize("NFC", url).casefold()) if url else None
        _valid_id(stem, shown, what, report, taken[0] if taken else None)
        if taken:
            claim(url, shown)

    for source_id, (shown, data) in sorted(source_yml.items()):
        text_info = texts.pop(source_id, None)
        source = schema.source_from_yaml(source_id, shown, data, report)
        if source is None or source_id in broken["source"]:
            broken["source"].add(source_id)
            continue
        if text_info:
            text, raw, text_shown = text_info
            digest = hashlib.sha256(raw).hexdigest()
            if not source.sha256:
                line, col = data.start
                report.error(shown, line, col, f"missing required field 'sha256': {text_shown} exists",
                             f"add 'sha256: {digest}' after checking that the stored text is the one received")
                broken["source"].add(source_id)
                continue
            if source.sha256 != digest:
                pos = source.pos("sha256")
                report.error(shown, pos.line, pos.col,
                             f"the stored text {text_shown} does not match its sha256 (it has {digest})",
                             "stored texts are kept byte for byte as received: undo the edit to the .txt; "
                             "if the new text is genuinely a new version, update sha256")
                broken["source"].add(source_id)
                continue
            source = _with_text(source, text, text_shown)
        elif source.sha256:
            pos = source.pos("sha256")
            report.error(shown, pos.line, pos.col, f"'sha256' is set but there is no stored text {source_id}.txt",
                         "add the .txt beside the .yml, or remove sha256")
            broken["source"].add(source_id)
            continue
        sources[source_id] = source
    for source_id, (_, _, text_shown) in sorted(texts.items()):
        if source_id in broken["source"]:
            continue  # its .yml exists but could not be read: reported already
        report.error(text_shown, 1, 1, f"stored text without metadata: {source_id}.yml is missing",
                     "run 'sitegen import' to create both, or write the .yml by hand")

    topics, topic_positions = vocab["topics"]
    entities, entity_positions = vocab["entities"]
    content = Content(sheets, sources, topics, entities, pages, topic_positions, entity_positions,
                      frozenset(broken["sheet"]), frozenset(broken["source"]), frozenset(broken["vocabulary"]))
    return Loaded(content, assets)


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


def _parse_sheets_ahead(config: SiteConfig, files: list[tuple[str, str]], memo: dict,
                        contents: dict[str, bytes] | None = None, citations: dict | None = None) -> None:
    """Parse the sheets on every core, into the memo where the loader then finds them
    (and find their inline citations, for the resolver).

    Each worker returns its memo entries (records and problems, which pickle as
    plain data). The loader still reads every file and uses an entry only when
    the bytes are the same, so the result is the same as parsing one file after another.
    """
    sheets = [(rel[len("sheets/"):-3], path) for rel, path in files
              if rel.startswith("sheets/") and rel.endswith(".md") and rel.count("/") == 1]

    def parse(start: int, end: int) -> tuple[list, list]:
        reader = _Reader(config, Collector(), {}, contents)
        found = [reader.sheet(stem, path, config.shown(path)) for stem, path in sheets[start:end]]
        return list(reader.memo.items()), [(citation_key(s), inline_citations(s)) for s in found if s]

    if len(sheets) >= PARALLEL_PARSE:
        for entries, cited in workers.forked_map(parse, len(sheets), workers.default_jobs()) or []:
            memo.update(entries)
            if citations is not None:
                citations.update(cited)


def _with_text(source: Source, text: str, text_path: str) -> Source:
    from dataclasses import replace
    return replace(source, text=text, text_path=text_path)


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


class _Reader:
    """Reads files safely (or takes the bytes the build's fingerprint read) and parses them."""

    def __init__(self, config: SiteConfig, report: Collector, memo: dict | None = None,
                 contents: dict[str, bytes] | None = None):
        self.config, self.report = config, report
        self.failed: set[str] = set()
        self.memo = memo
        self.contents = contents or {}

    def _parsed(self, kind: str, path: str, shown: str, parse: Callable[[bytes], Any]):
        """``parse(raw)`` of the file's bytes, with the problems it reports. The result
        and the problems are remembered with the bytes, and replayed when they recur."""
        raw = self.read_bytes(path, shown)
        if raw is None:
            return None
        entry = self.memo.get((kind, shown)) if self.memo is not None else None
        if entry is None or entry[0] != raw:
            outer, self.report = self.report, Collector()
            self.failed.discard(path)
            try:
                result = parse(raw)
            finally:
                problems, self.report = self.report.items, outer
            entry = (raw, result, problems, path in self.failed)
            if self.memo is not None:
                self.memo[(kind, shown)] = entry
        _, result, problems, failed = entry
        self.report.extend(problems)
        if failed:
            self.failed.add(path)
        return result

    def ok(self, path: str) -> bool:
        return path not in self.failed

    def walk(self) -> list[tuple[str, str]]:
        """(path relative to docs_dir, path) of every file to read: a folder's files by name,
        then its sub-folders by name; hidden files and editors' leftovers are skipped."""
        found: list[tuple[str, str]] = []  # plain strings: 10,000 Path objects cost a tenth of a second

        def visit(folder: str, prefix: str) -> None:
            with os.scandir(folder) as listing:
                entries = sorted((e for e in listing if not e.name.startswith(".")), key=lambda e: e.name)
            folders, files = [], []
            for entry in entries:
                try:
                    (folders if entry.is_dir() else files).append(entry)  # symlinked folders too
                except OSError:  # a symlink loop: _inside reports it
                    files.append(entry)
            folders = [e for e in folders if not e.is_symlink() or self._inside(Path(e.path))]
            for entry in files:
                if not entry.name.endswith(SKIPPED_SUFFIXES):
                    if (not entry.is_symlink() or self._inside(Path(entry.path))) and entry.is_file():
                        found.append((prefix + entry.name, entry.path))
            for entry in folders:
                visit(entry.path, prefix + entry.name + "/")

        visit(str(self.config.docs_dir), "")
        return found

    def _inside(self, path: Path) -> bool:
        """Refuse symlinks that leave docs_dir, and loops."""
        if not path.is_symlink():
            return True
        shown = self.config.shown(path)
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            self.report.error(shown, 1, 1, "broken or looping symlink", "remove the link or point it at a file inside docs_dir")
            return False
        if not target.is_relative_to(self.config.docs_dir):
            self.report.error(shown, 1, 1, f"symlink points outside docs_dir (to {target})",
                              "copy the file into docs_dir instead of linking to it")
            return False
        if target.is_dir():
            self.report.error(shown, 1, 1, "symlinked folders are not followed", "move the folder into place instead")
            return False
        return True

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
        problem = markup.check_markdown(parts.body)
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
