"""Markdown to safe HTML, with inline citations.

Python-Markdown turns the body into HTML with the extensions named in
``mkdocs.yml``; an inline pattern turns ``[@id "quote"]`` into a numbered link
to the passage on the source page (code spans and blocks are left alone, as
Markdown does). nh3 then removes anything executable: only the tags and
attributes that prose, tables, footnotes and heading anchors need survive,
and URLs are limited to http, https, mailto and relative ones.

Python-Markdown is pure Python and some of its constructs cost more than
linear time, or recurse once per nesting level; :func:`check_markdown` refuses,
before anything is rendered, the inputs that would take it minutes or crash it
(the bounds and their measurements are in SECURITY.md).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from .folding import normalize
from .citations import INLINE_CITE_RE

# (source id, quote or None) -> (note number, href, title, quote as the source has it) of the citation link.
CiteLookup = Callable[[str, "str | None"], "tuple[int, str, str, str | None] | None"]

ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"sup", "sub", "section", "mark", "figure", "figcaption", "details",
                                   "summary", "abbr", "dl", "dt", "dd", "span", "div", "hr", "br"}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "rel"},
    "img": {"src", "alt", "width", "height", "loading"},
    "ol": {"start", "reversed"},
    "th": {"style", "colspan", "rowspan", "scope"},
    "td": {"style", "colspan", "rowspan"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(html: str) -> str:
    """Keep prose, tables, footnotes and ids; drop scripts, handlers and unsafe URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


WORD_JOINER = "\u2060"  # no line break here: a note marker never starts a line
# A citation with the white space before it: a bare [@id]'s marker takes that space in.
CITE_WITH_SPACE_RE = re.compile(r"(\s*)" + INLINE_CITE_RE.pattern)


class _CitePattern(InlineProcessor):
    """``[@id]`` or ``[@id "words"]``; the white space before a bare ``[@id]`` (a line break
    included) is taken in, so its marker sits on the word before it, as the template's do."""

    def __init__(self, renderer: "MarkdownRenderer"):
        super().__init__(CITE_WITH_SPACE_RE.pattern)
        self.renderer = renderer

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's name)
        lookup = self.renderer.lookup
        source_id, quote = m.group(2), m.group(3)
        found = lookup(source_id, quote) if lookup else None
        if found is None:  # unresolved: validation has already reported it
            return None, None, None
        number, href, title, *shown = found  # shown: the quote as the source has it, if known
        start = m.start(0) if quote is None else m.end(1)
        # A quoted citation reads as a quotation in the sentence (in the source's own
        # characters, as located), then its note number.
        wrapper = etree.Element("span", {"class": "cited"}) if quote else None
        if wrapper is not None:
            etree.SubElement(wrapper, "q").text = (shown[0] if shown and shown[0] else quote).strip()
        sup = etree.Element("sup", {"class": "cite"}) if wrapper is None else etree.SubElement(wrapper, "sup", {"class": "cite"})
        link = etree.SubElement(sup, "a", {"href": page_relative(href, self.renderer.page_url), "title": title})
        link.text = f"{WORD_JOINER}[{number}]"
        return (wrapper if wrapper is not None else sup), start, m.end(0)


def page_relative(href: str, page_url: str) -> str:
    """A site-relative URL ('sources/x/#q') as seen from page_url ('sheets/y'), so links work
    under any sub-path and from disk. Absolute, rooted, fragment-only and already
    relative ('../', './') URLs are returned as they are."""
    if urlsplit(href).scheme or href.startswith(("/", "#", ".")):
        return href
    path, hash_, fragment = href.partition("#")
    rel = posixpath.relpath(path.rstrip("/") or ".", page_url.strip("/") or ".")
    rel = "./" if rel == "." else rel + ("/" if path.endswith("/") or not path else "")
    return rel + hash_ + fragment


def md_link_path(path: str, source_path: str) -> str | None:
    """The docs_dir-relative file a relative link's path names, as MkDocs resolves it:
    ``../about.md`` written in ``sheets/x.md`` is ``about.md``. None when it leads out of docs_dir."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(source_path), path))
    return None if target == ".." or target.startswith("../") else target


def md_link_target(href: str, source_path: str) -> str | None:
    """The site-relative URL of a link to another Markdown file, as MkDocs resolves it.

    ``methodology.md#rights`` written in ``index.md`` becomes ``methodology/#rights``.
    Returns None for links that are not to a .md file.
    """
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.endswith(".md") or href.startswith("/"):
        return None
    target = md_link_path(parts.path, source_path)
    if target is None:
        return None
    stem = target[:-3]
    url = "" if stem == "index" else stem[: -len("index")] if stem.endswith("/index") else stem + "/"
    return url + (f"#{parts.fragment}" if parts.fragment else "")


def page_source_path(page) -> str:
    """A plain page's file relative to docs_dir ('about.md', 'guides/index.md'): what its links are relative to."""
    if not page.slug:
        return "index.md"
    return f"{page.slug}/index.md" if page.path.endswith("/index.md") else f"{page.slug}.md"


class _LinkRewriter(Treeprocessor):
    """Turns links to .md files into links to the pages they become."""

    def __init__(self, md, renderer: "MarkdownRenderer"):
        super().__init__(md)
        self.renderer = renderer

    def run(self, root):
        for link in root.iter("a"):
            target = md_link_target(link.get("href", ""), self.renderer.source_path)
            if target is not None:
                page, hash_, fragment = target.partition("#")
                link.set("href", page_relative(page, self.renderer.page_url) + hash_ + fragment)


class _CiteExtension(markdown.Extension):
    def __init__(self, renderer: "MarkdownRenderer"):
        super().__init__()
        self.renderer = renderer

    def extendMarkdown(self, md):  # noqa: N802
        # After code spans (190) and escapes (180), before links (160).
        md.inlinePatterns.register(_CitePattern(self.renderer), "sitegen-cite", 175)
        md.treeprocessors.register(_LinkRewriter(md, self.renderer), "sitegen-links", 5)


class MarkdownRenderer:
    """One configured Markdown converter, reused for every document of a build."""

    def __init__(self, extensions: tuple[tuple[str, dict], ...]):
        self.lookup: CiteLookup | None = None
        self.source_path, self.page_url = "index.md", ""
        names = [name for name, _ in extensions]
        configs = {name: options for name, options in extensions if options}
        self.md = markdown.Markdown(extensions=[*names, _CiteExtension(self)], extension_configs=configs,
                                    output_format="html")

    def render(self, text: str, lookup: CiteLookup | None = None, *, source_path: str = "index.md",
               page_url: str = "") -> str:
        """Safe HTML. ``source_path`` (relative to docs_dir) and ``page_url`` let .md links become page links."""
        return sanitize(self.convert(text, lookup, source_path=source_path, page_url=page_url))

    def convert(self, text: str, lookup: CiteLookup | None = None, *, source_path: str = "index.md",
                page_url: str = "") -> str:
        """Python-Markdown's HTML, not yet sanitised: only for callers that sanitise it at output."""
        self.lookup, self.source_path, self.page_url = lookup, source_path, page_url.rstrip("/")
        try:
            return self.md.reset().convert(text)
        finally:
            self.lookup = None


# (source id, normalised quote or None) -> (note number, site-relative href, title, quote as the source has it)
CiteTable = dict[tuple[str, "str | None"], tuple[int, str, str, "str | None"]]


class LazyMarkdown:
    """A Markdown body that is converted only when a template prints it.

    Its ``key`` names everything the HTML depends on, so a page's cache key can
    include the body without converting it; Jinja prints it through ``__html__``.
    """

    __slots__ = ("key", "text", "table", "source_path", "page_url", "_bodies", "_html")

    def __init__(self, bodies: "MarkdownBodies", text: str, table: CiteTable, source_path: str, page_url: str):
        self._bodies, self._html = bodies, None
        self.text, self.table, self.source_path, self.page_url = text, table, source_path, page_url
        rows = sorted(json.dumps([k, v], ensure_ascii=False) for k, v in table.items())
        self.key = hashlib.sha256(json.dumps([text, rows, source_path, page_url], ensure_ascii=False)
                                  .encode("utf-8")).hexdigest()

    def __html__(self) -> str:
        if self._html is None:
            self._html = self._bodies.convert(self)
        return self._html

    __str__ = __html__

    def __bool__(self) -> bool:
        return bool(self.text.strip())


class MarkdownBodies:
    """Hands out lazy bodies and converts them, through the on-disk cache when there is one."""

    def __init__(self, renderer: MarkdownRenderer, cache=None):
        self.renderer, self.cache = renderer, cache

    def body(self, text: str, table: CiteTable | None = None, *, source_path: str, page_url: str) -> LazyMarkdown:
        return LazyMarkdown(self, text, table or {}, source_path, page_url)

    def convert(self, body: LazyMarkdown) -> str:
        """The body's HTML, sanitised here whether it was converted now or read from the cache:
        a cache folder may come from anywhere (a restored CI cache, a shared folder), so what
        it holds is never published as it is."""
        html = self.cache.markdown_get(body.key) if self.cache else None
        if html is None:
            def lookup(source_id: str, quote: str | None):
                return body.table.get((source_id, normalize(quote) if quote else None))
            html = self.renderer.convert(body.text, lookup, source_path=body.source_path, page_url=body.page_url)
            if self.cache:
                self.cache.markdown_put(body.key, html)
        return sanitize(html)


# --- bounds on what Python-Markdown is given -----------------------------------------
# Measured (SECURITY.md): lists nested ~250 deep overflow Python's stack; every '[' that is
# never closed makes several patterns scan to the end of its paragraph (10,000 '![' in one
# 20 kB paragraph: 47 s); each inline construct re-copies its whole paragraph; a footnote
# referenced n times costs n squared. Real pages stay far below every bound.
MAX_MARKDOWN_CHARS = 100_000   # one sheet or page body
MAX_NESTING = 20               # lists and block quotes inside one another
MAX_PARAGRAPH_CHARS = 20_000   # one paragraph, list item or table row
MAX_BRACKET_SCAN = 1_000_000   # characters scanned to match every '[' with its ']', per body
MAX_FOOTNOTE_REFS = 500        # [^label] references per body

_MARKER = re.compile(r">|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)")
_BRACKETS = re.compile(r"[\[\]\\]")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\n]*\](?!:)")


@dataclass(frozen=True)
class MarkdownProblem:
    """Why a body is refused; ``line`` and ``col`` are 1-based within the body."""

    line: int
    col: int
    message: str
    hint: str


def check_markdown(text: str) -> MarkdownProblem | None:
    """The first bound a body breaks, found in linear time; None when it may be rendered."""
    if len(text) > MAX_MARKDOWN_CHARS:
        return MarkdownProblem(1, 1, f"the Markdown text has {len(text):,} characters, more than the "
                                     f"{MAX_MARKDOWN_CHARS:,} sitegen renders in one page",
                               "split it into several sheets or pages")
    lines = text.split("\n")
    problem = _nesting_problem(lines)
    if problem:
        return problem
    runs = _runs(lines)
    for run in runs:
        size = sum(len(part) for _, _, part in run) + len(run) - 1
        if size > MAX_PARAGRAPH_CHARS:
            return MarkdownProblem(run[0][0] + 1, run[0][1] + 1, f"this paragraph has {size:,} characters, more "
                                   f"than the {MAX_PARAGRAPH_CHARS:,} sitegen renders in one paragraph",
                                   "break it into shorter paragraphs with blank lines")
    problem = _bracket_problem(runs)
    if problem:
        return problem
    refs = list(_FOOTNOTE_REF.finditer(text))
    if len(refs) > MAX_FOOTNOTE_REFS:
        at = refs[MAX_FOOTNOTE_REFS].start()
        return MarkdownProblem(text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at),
                               f"{len(refs):,} footnote references, more than the {MAX_FOOTNOTE_REFS} "
                               "sitegen renders in one page",
                               "cite sources with [@source-id] instead, or split the page")
    return None


def _is_rule(stripped: str) -> bool:
    """'* * *', '---' and the like: a horizontal rule, not a list."""
    return len(stripped) >= 3 and any(set(stripped) <= {mark, " "} for mark in "*-_")


def _nesting_problem(lines: list[str]) -> MarkdownProblem | None:
    for index, raw in enumerate(lines):
        line = raw.expandtabs(4)
        if _is_rule(line.strip()):
            continue
        depth, pos, column = 0, 0, 0
        while True:
            start = pos
            while pos < len(line) and line[pos] == " ":
                pos += 1
            marker = _MARKER.match(line, pos) if pos < len(line) else None
            depth += (pos - start) // 4 + (marker is not None)
            if depth > MAX_NESTING and not column:
                column = pos + 1
            if marker is None:
                break
            pos = marker.end()
        if column:
            return MarkdownProblem(index + 1, column, f"lists or block quotes nested {depth:,} levels deep, more "
                                                      f"than the {MAX_NESTING} sitegen renders",
                                   "flatten the structure; Markdown fails on very deep nesting")
    return None


def _inner(line: str) -> str:
    """A line without its block-quote markers and indentation: what decides its block."""
    return line.lstrip(" \t>")


def _runs(lines: list[str]) -> list[list[tuple[int, int, str]]]:
    """Stretches of text Markdown handles as one inline unit: paragraphs, list items, table rows.

    Each is a list of (line index, column offset, text). Erring on the long side
    is safe: a stretch is only split where Markdown always splits it.
    """
    runs, block = [], []
    for index, line in enumerate(lines + [""]):
        inner = _inner(line)
        if inner.strip():
            block.append((index, len(line) - len(inner), inner))
            continue
        if block:
            first = block[0][2]
            table = len(block) > 1 and "-" in block[1][2] and set(block[1][2].strip()) <= set("|:- ")
            listed = _MARKER.match(first) is not None
            run: list[tuple[int, int, str]] = []
            for item in block:
                if run and (table or (listed and _MARKER.match(item[2]))):
                    runs.append(run)
                    run = []
                run.append(item)
            runs.append(run)
            block = []
    return runs


def _bracket_problem(runs) -> MarkdownProblem | None:
    """Sum, over every '[', how far Markdown scans for its ']' (to the end of the run when none)."""
    total, worst = 0, (0, 0, 0, False)  # (longest single scan, line, col, unclosed)
    for run in runs:
        offset, stack = 0, []
        for index, column, part in run:
            skip = -1
            for match in _BRACKETS.finditer(part):
                at = match.start()
                if at == skip:
                    continue
                char = match.group()
                if char == "\\":
                    skip = at + 1
                elif char == "[":
                    stack.append((offset + at, index, column + at))
                elif stack:
                    start, line, col = stack.pop()
                    total += offset + at - start
                    if offset + at - start > worst[0]:
                        worst = (offset + at - start, line, col, False)
            offset += len(part) + 1
        for start, line, col in stack:
            total += offset - start
            if offset - start > worst[0]:
                worst = (offset - start, line, col, True)
    if total <= MAX_BRACKET_SCAN:
        return None
    _, line, col, unclosed = worst
    what = "is never closed" if unclosed else "opens the longest bracketed stretch"
    return MarkdownProblem(line + 1, col + 1,
                           f"too many unclosed or nested '[': matching them would scan {total:,} characters, "
                           f"more than the {MAX_BRACKET_SCAN:,} sitegen allows in one page",
                           f"this '[' {what}; close each '[' with ']' or write it as \\[")
