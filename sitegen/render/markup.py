"""Markdown to safe HTML, with inline citations.

Python-Markdown turns the body into HTML with the extensions named in
``mkdocs.yml``; an inline pattern turns ``[@id "quote"]`` into a numbered link
to the passage on the source page (code spans and blocks are left alone, as
Markdown does). nh3 then removes anything executable: only the tags and
attributes that prose, tables, footnotes and heading anchors need survive,
and URLs are limited to http, https, mailto and relative ones.

Python-Markdown is pure Python and some of its constructs cost more than
linear time, or recurse once per nesting level; :func:`mdbounds.check_markdown` refuses,
before anything is rendered, the inputs that would take it minutes or crash it
(the bounds and their measurements are in SECURITY.md).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import xml.etree.ElementTree as etree
from typing import Callable
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from ..folding import normalize
from ..read.citations import INLINE_CITE_RE

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

    __slots__ = ("_key", "text", "table", "source_path", "page_url", "_bodies", "_html")

    def __init__(self, bodies: "MarkdownBodies", text: str, table: CiteTable, source_path: str, page_url: str):
        self._bodies, self._html, self._key = bodies, None, None
        self.text, self.table, self.source_path, self.page_url = text, table, source_path, page_url

    @property
    def key(self) -> str:
        """Hashed when first asked for (by the conversion's cache, or a key that includes the body):
        a sheet's view is made more often than its body is printed."""
        if self._key is None:
            rows = sorted(json.dumps([k, v], ensure_ascii=False) for k, v in self.table.items())
            self._key = hashlib.sha256(json.dumps([self.text, rows, self.source_path, self.page_url],
                                                  ensure_ascii=False).encode("utf-8")).hexdigest()
        return self._key

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
