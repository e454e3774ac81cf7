"""Links between the site's own pages lead somewhere, or the build says where they do not.

A body link to a Markdown file (``overview.md``, ``../about.md#rights``) is
rewritten into a link to the page that file becomes (:func:`markup.md_link_path`).
Before anything is rendered, this module checks that such a file is a page of
the site (an error otherwise) and that the anchor after ``#``, and that of a
same-page link (``#costs``), is one the page has (a warning; an error under
``--strict``), with a did-you-mean over the site's pages and the page's anchors.

It reads the Markdown source, never the HTML: links, reference definitions and
headings are found by one linear scan per body, with code blocks and code spans
left out as Markdown leaves them, and each heading's id is made by the toc
extension's own ``slugify`` and ``unique``. So the check costs no second
Markdown render, gives the same diagnostics whether a page comes from the
cache or not, and runs on every build that is not "up to date" (those replay
the last build's warnings). External links (any scheme, or ``//host``) and
links to files that are not Markdown are not checked.

The anchors a page has are: the ids of its headings (when the toc extension is
on; an attr_list ``{#id}`` when that is on), its footnotes (``fn:label``), and
the ids its template writes (``sheet.html``, ``page.html`` or ``home.html``,
with what they extend and include). Where a template computes part of an id
(``id="note-{{ n.number }}"``), any value there is accepted.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import html
import posixpath
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import unquote, urlsplit

from markdown.extensions.toc import slugify, unique

from ..errors import Collector
from .anchors import Anchors, LinkRules
from .markup import CITE_WITH_SPACE_RE, md_link_path, page_source_path
from ..model import Sheet
from ..model.hashing import digest
from ..folding import normalize
from ..read.citations import _CODE_SPAN_RE, _LIST_ITEM_RE, INLINE_CITE_RE, _code_lines
from ..site import Site

# (source id, quote or None) -> what a citation in a heading reads as there, e.g. "[2]"
CiteText = Callable[[str, "str | None"], str]

_PARA_CHARS = r"(?:[^\[\]\\\n]++|\\.|\n(?![ \t]*(?:\n|$)))"  # within one paragraph; possessive: no backtracking
_LINK_RE = re.compile(  # [text](url "title"): one level of brackets inside the text, as prose has
    rf"\[(?P<text>(?:{_PARA_CHARS}|\[{_PARA_CHARS}*+\])*+)\]\([ \t]*\n?[ \t]*"
    r"(?P<url><[^>\n]*>|(?:[^\s()\\]++|\\.|\((?:[^\s()\\]|\\.)*\))*+)"
    r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)""")
_REFERENCE_RE = re.compile(r"^ {0,3}\[(?!\^)([^\[\]\n]+)\]:[ \t]*(<[^>\n]*>|\S+)")
_FOOTNOTE_DEF_RE = re.compile(r"^ {0,3}\[\^([^\]\n]+)\]:")
_ATX_RE = re.compile(r"^(#{1,6})((?:\\.|[^\\])*?)#*\s*$")
_SETEXT_RE = re.compile(r"^[=-]+ *$")
_ATTRS_RE = re.compile(r"[ ]+\{:?[ ]*([^}\n ][^\n]*)\}[ ]*$")  # attr_list's HEADER_RE

# What a heading's text becomes in its HTML, as far as its id is concerned (see _heading_text).
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\n]+\]")
_IMAGE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])")
_LINK_TEXT = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp)[^>\s]*)>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<!--.*?-->")
_UNDERSCORES = re.compile(r"(?<![\w\\])(_{1,3})(?!_)(.+?)(?<![_\\])\1(?!\w)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>:|\"'])")


@dataclass(frozen=True)
class Scanned:
    """What one body holds for the check: its links, its headings and its footnotes."""

    links: tuple[tuple[str, int, int], ...]   # (URL as written, line, column), 1-based within the body
    headings: tuple[str, ...]                 # each heading's Markdown text, in order
    footnotes: tuple[str, ...]                # labels of footnote definitions


_SCANNED: dict[str, Scanned] = {}  # body -> its scan: bodies are scanned again only when they change (serve)
_SCANNED_MAX = 1 << 16             # bodies kept, at 10,000 sheets too; the oldest go first


def _remember(body: str, found: Scanned) -> Scanned:
    if len(_SCANNED) >= _SCANNED_MAX:
        del _SCANNED[next(iter(_SCANNED))]
    _SCANNED[body] = found
    return found


def scan(body: str) -> Scanned:
    """What :func:`_scan` finds in ``body``, remembered in this process."""
    found = _SCANNED.get(body)
    return found if found is not None else _remember(body, _scan(body))


def _scan(body: str) -> Scanned:
    """Find, in linear time, the links and headings Markdown would see in ``body``."""
    lines = body.split("\n")
    code = _code_lines(lines)
    prose = ["" if i in code else _CODE_SPAN_RE.sub(lambda m: " " * len(m.group(0)), line) if "`" in line else line
             for i, line in enumerate(lines)]
    text = "\n".join(prose)
    starts = [0]
    for line in prose[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def position(offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    links = []
    for match in _LINK_RE.finditer(text):  # '![image]' and '\[' are told apart here: a look-behind is 15 times slower
        before = text[match.start() - 1] if match.start() else ""
        if before in ("!", "\\") or INLINE_CITE_RE.fullmatch(text, match.start(), match.end("text") + 1):
            continue  # an image, an escaped bracket, or a citation '[@id]' before a parenthesis
        url = match.group("url")
        links.append((url[1:-1] if url.startswith("<") else url, *position(match.start("url"))))
    headings, footnotes = [], []
    first_of_block = True
    for index, line in enumerate(prose):
        if index in code:
            first_of_block = False
            continue
        stripped = line.lstrip(" \t>")
        if stripped.startswith("["):
            reference = _REFERENCE_RE.match(line)
            if reference:
                url = reference.group(2)
                links.append((url[1:-1] if url.startswith("<") else url, index + 1, reference.start(2) + 1))
            footnote = _FOOTNOTE_DEF_RE.match(line)
            if footnote:
                footnotes.append(footnote.group(1))
        if "#" in line:
            atx = _ATX_RE.match(_block_text(lines[index]))  # as written: a heading's code spans are in its id
            if atx:
                headings.append(atx.group(2).strip())
                first_of_block = True  # Markdown splits the block after a heading
                continue
        if first_of_block and stripped.strip() and index + 1 < len(lines) and index + 1 not in code:
            following = lines[index + 1].lstrip(" \t>")
            if following[:1] in ("=", "-") and _SETEXT_RE.match(_block_text(following)):
                headings.append(_block_text(lines[index]).strip())
        first_of_block = not stripped.strip()
    links.sort(key=lambda link: (link[1], link[2]))
    return Scanned(tuple(links), tuple(headings), tuple(footnotes))


def _block_text(line: str) -> str:
    """A line without the block-quote markers, indentation and list marker before it."""
    inner = line.lstrip(" \t>")
    marker = _LIST_ITEM_RE.match(inner)
    return inner[marker.end():].lstrip() if marker else inner


def _heading_text(markdown: str, cite_text: CiteText) -> str:
    """A heading's text as the toc extension reads it from the HTML: markup gone, code and
    link texts kept, footnote references dropped, a citation as it reads ('[2]')."""
    codes: list[str] = []

    def keep_code(match: re.Match) -> str:
        codes.append(html.escape(match.group(2).strip(), quote=False))
        return f"\x00{len(codes) - 1}\x00"

    text = _CODE_SPAN_RE.sub(keep_code, markdown)
    text = CITE_WITH_SPACE_RE.sub(lambda m: _cite_in_heading(m, cite_text), text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _IMAGE.sub("", text)
    text = _LINK_TEXT.sub(lambda m: m.group(1), text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub("", text)
    text = _UNDERSCORES.sub(lambda m: m.group(2), text)
    text = _ESCAPE.sub(lambda m: m.group(1), text)
    text = re.sub("\x00(\\d+)\x00", lambda m: codes[int(m.group(1))], text)
    return html.unescape(" ".join(text.split()))


def _cite_in_heading(match: re.Match, cite_text: CiteText) -> str:
    """A citation as markup writes it: a resolved bare [@id] takes the space before it in."""
    source_id, quote = match.group(2), match.group(3)
    text = cite_text(source_id, quote)
    resolved = text != _written_cite(source_id, quote)
    return (match.group(1) if quote is not None or not resolved else "") + text


@functools.lru_cache(maxsize=65536)  # most headings are the same from one build to the next
def _plain_slug(heading: str, separator: str) -> str:
    """The id of a heading without citations (before it is made unique on its page)."""
    return slugify(_heading_text(heading, _written_cite), separator)


def body_anchors(scanned: Scanned, rules: LinkRules, cite_text: CiteText) -> list[str]:
    """The ids a body's headings and footnotes get, in the order Markdown gives them."""
    found: list[str] = []
    if rules.toc:
        used: set[str] = set()
        pending = []
        for heading in scanned.headings:
            attrs = _ATTRS_RE.search(heading) if rules.attr_list else None
            explicit = re.search(r"(?:^|\s)#([^\s}]+)", attrs.group(1)) if attrs else None
            if explicit:
                used.add(explicit.group(1))
            pending.append((heading[: attrs.start()] if attrs else heading, explicit and explicit.group(1)))
        counters: dict[str, int] = {}
        for heading, explicit in pending:
            slug = (slugify(_heading_text(heading, cite_text), rules.separator) if "[@" in heading
                    else _plain_slug(heading, rules.separator))
            found.append(explicit or unique(slug, used, counters))
    if rules.footnote_separator is not None:
        found += [f"fn{rules.footnote_separator}{label}" for label in scanned.footnotes]
    return found


def _written_cite(source_id: str, quote: str | None) -> str:
    """A citation left as written: plain pages have no notes, and an unresolved one stays text."""
    return f"[@{source_id}" + (f' "{quote}"' if quote is not None else "") + "]"


@dataclass
class _Target:
    """A Markdown file of the site that links may lead to."""

    shown: str              # its path in messages
    body: str
    template: str           # "sheet", "page" or "home"
    published: bool = True  # False for a draft left out of this build
    cite_text: CiteText = _written_cite
    scanned: Callable[[str], Scanned] = scan
    _own: list[str] | None = None
    _anchors: Anchors | None = None

    def headings(self, rules: LinkRules) -> list[str]:
        """The anchors its body gives (headings, footnotes), made when a link first asks."""
        if self._own is None:
            self._own = body_anchors(self.scanned(self.body), rules, self.cite_text)
        return self._own

    def anchors(self, rules: LinkRules) -> Anchors:
        if self._anchors is None:
            template = rules.templates.get(self.template, Anchors(frozenset()))
            self._anchors = Anchors(template.ids | frozenset(self.headings(rules)), template.patterns)
        return self._anchors


SCAN_FORMAT = "sitegen link scan 1"


def stored_scan(store) -> Callable[[str], Scanned]:
    """:func:`scan`, remembered across processes in ``store`` (a records.RecordStore, or None) by a
    digest of the body: a new build after an edit scans the edited body only. A stored value of
    the wrong shape is ignored and the body scanned again."""
    if store is None:
        return scan

    def scanned(body: str) -> Scanned:
        key = digest(SCAN_FORMAT, body)
        value = store.get_scan(key)
        try:
            links, headings, footnotes = value
            found = Scanned(tuple((u, ln, c) for u, ln, c in links), tuple(headings), tuple(footnotes))
            if all(type(u) is str and type(ln) is int and type(c) is int for u, ln, c in found.links) and \
                    all(type(t) is str for t in found.headings + found.footnotes):
                return _remember(body, found)  # later builds of this process find it in memory
        except (TypeError, ValueError):
            pass
        found = scan(body)
        store.put_scan(key, [found.links, found.headings, found.footnotes])
        return found
    return scanned


def check_links(site: Site, rules: LinkRules, report: Collector, store=None) -> None:
    """Report every link of the site's sheets and pages that leads to no page, or to no anchor of
    one, and Markdown links written in topic descriptions (plain text, shown as typed)."""
    content = site.content
    scanned = stored_scan(store)
    targets: dict[str, _Target] = {}
    sources: list[tuple[str, _Target, int]] = []  # (docs-relative path, target, first body line)
    for sheet in content.sheets.values():
        target = _Target(sheet.path, sheet.body, "sheet", sheet.id in site.links, _cite_text(site, sheet), scanned)
        targets[f"sheets/{sheet.id}.md"] = target
        if target.published:
            sources.append((f"sheets/{sheet.id}.md", target, sheet.body_line))
    for page in content.pages.values():
        path = page_source_path(page)
        targets[path] = _Target(page.path, page.body, "page" if page.slug else "home", scanned=scanned)
        sources.append((path, targets[path], page.body_line))
    for path, source, body_line in sorted(sources, key=lambda s: s[0]):
        for url, line, col in scanned(source.body).links:
            _check_link(url, path, source, body_line + line - 1, col, targets, content.broken_sheets, rules, report)
    for topic_id, topic in sorted(content.topics.items()):
        _check_description(topic_id, topic.description, content.topic_positions.get(topic_id), report)


@functools.lru_cache(maxsize=65536)  # the same links are looked at again on every build
def _destination(url: str, path: str) -> tuple[str, str, str | None, str]:
    """Where a link written in the file ``path`` leads: (kind, path as written, docs_dir-relative
    file or None when it leaves docs_dir, anchor). Kind is "here" (only an anchor), "md" (a
    Markdown file) or "other": external (a scheme or '//host'), absolute, or not Markdown."""
    parts = urlsplit(url)
    fragment = unquote(parts.fragment)
    if parts.scheme or parts.netloc or url.startswith("/"):
        return "other", "", None, fragment
    if not parts.path:
        return "here", "", None, fragment
    if not parts.path.endswith(".md"):
        return "other", "", None, fragment  # an asset or a page sitegen generates: not checked here
    return "md", parts.path, md_link_path(unquote(parts.path), path), fragment


def _check_link(url: str, path: str, source: _Target, line: int, col: int, targets: dict[str, _Target],
                broken_sheets: frozenset[str], rules: LinkRules, report: Collector) -> None:
    kind, written, target_path, fragment = _destination(url, path)
    if kind == "other":
        return
    if kind == "here":
        if fragment and fragment not in source.anchors(rules):
            report.warning(source.shown, line, col, f"link to '#{fragment}': this page has no such anchor",
                           _anchor_hint(fragment, source, rules, ""))
        return
    docs_prefix = source.shown[: len(source.shown) - len(path)]
    if target_path is None:
        report.error(source.shown, line, col, f"link to '{url}' leads out of {docs_prefix or 'docs_dir'}",
                     "link to a .md file inside it, relative to this file")
        return
    target = targets.get(target_path)
    if target is None:
        if target_path.startswith("sheets/") and target_path[7:-3] in broken_sheets:
            return  # the sheet's own file could not be read: reported already
        # Compared as they would be written here, without '.md', so that a shared folder or suffix is no likeness.
        here = posixpath.dirname(path) or "."
        close = _closest(posixpath.relpath(target_path, here)[:-3], (posixpath.relpath(t, here)[:-3] for t in targets))
        hint = f"did you mean '{close}.md'?" if close else "link to an existing .md file, relative to this one"
        report.error(source.shown, line, col, f"link to '{url}': {docs_prefix}{target_path} does not exist", hint)
        return
    if not target.published:
        report.warning(source.shown, line, col, f"link to '{url}': {target.shown} is a draft, left out of this build",
                       "publish it, or build with --drafts")
        return
    if fragment and fragment not in target.anchors(rules):
        report.warning(source.shown, line, col, f"link to '{url}': {target.shown} has no anchor '{fragment}'",
                       _anchor_hint(fragment, target, rules, written))


def _anchor_hint(fragment: str, target: _Target, rules: LinkRules, written: str) -> str:
    """A did-you-mean over the page's anchors, or the ids of its headings."""
    close = _closest(fragment, target.anchors(rules).ids)
    if close:
        return f"did you mean '{written}#{close}'?"
    headings = target.headings(rules)
    if headings:
        return f"its headings' anchors are: {', '.join(headings[:8])}" + (", ..." if len(headings) > 8 else "")
    return "link to the page without '#', or give it a heading to link to"


def _closest(word: str, choices) -> str | None:
    """The closest of choices, as errors.did_you_mean finds it; here the hint shows it in a link."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return close[0] if close else None


def _cite_text(site: Site, sheet: Sheet) -> CiteText:
    """How a citation in one of the sheet's headings reads, as markup's citation link writes it."""
    def text(source_id: str, quote: str | None) -> str:
        links = site.links.get(sheet.id)
        note = links.note_index.get((source_id, normalize(quote) if quote else None)) if links else None
        if note is None:
            return _written_cite(source_id, quote)
        return (quote.strip() if quote else "") + f"[{note.number}]"
    return text


def _check_description(topic_id: str, description: str, pos, report: Collector) -> None:
    """Topic descriptions are plain text: a Markdown link there is shown to readers as written."""
    match = _LINK_RE.search(description or "")
    if match and pos is not None:
        report.warning(pos.path, pos.line, pos.col,
                       f"the description of topic '{topic_id}' has a Markdown link ('{match.group(0)}'), "
                       "but descriptions are plain text: readers would see it as written",
                       "write the description without the link; link to pages from a page or sheet body")
