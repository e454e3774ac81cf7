"""What a Markdown body offers and asks for, for the link check (:mod:`.linkcheck`).

It reads the Markdown source, never the HTML: links, reference definitions and
headings are found by one linear scan per body, with code blocks and code spans
left out as Markdown leaves them, and each heading's id is made by the toc
extension's own ``slugify`` and ``unique``. So the check costs no second
Markdown render, and gives the same diagnostics whether a page comes from the
cache or not.

The anchors a page has are: the ids of its headings (when the toc extension is
on; an attr_list ``{#id}`` when that is on), its footnotes (``fn:label``), and
the ids its template writes (``sheet.html``, ``page.html`` or ``home.html``,
with what they extend and include). Where a template computes part of an id
(``id="note-{{ n.number }}"``), any value there is accepted.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
from dataclasses import dataclass
from typing import Callable

from markdown.extensions.toc import slugify, unique

from .anchors import LinkRules
from .markup import CITE_WITH_SPACE_RE
from ..read.citations import _CODE_SPAN_RE, _LIST_ITEM_RE, INLINE_CITE_RE, _code_lines

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


def remember(body: str, found: Scanned) -> Scanned:
    if len(_SCANNED) >= _SCANNED_MAX:
        del _SCANNED[next(iter(_SCANNED))]
    _SCANNED[body] = found
    return found


def scan(body: str) -> Scanned:
    """What :func:`_scan` finds in ``body``, remembered in this process."""
    found = _SCANNED.get(body)
    return found if found is not None else remember(body, _scan(body))


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
