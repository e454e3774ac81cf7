"""Properties over generated input (hypothesis): what holds for *any* text an editor or a source sends.

* Splitting front matter, parsing YAML and reading it into records raise
  nothing but sitegen's ContentError, whose messages print safely.
* Quote normalisation equals a naive whole-string reference (NFC, typography
  folded, white space collapsed, CJK hard wraps dropped), and a quote is found
  only where plain substring search on the reference finds it; where it is
  there but refused, the error says why.
* No Markdown, raw HTML or citation title, however it mixes dangerous
  fragments, comes out of the renderer with a script, a handler or a
  javascript:/data:/vbscript: URL.

Examples are derandomised and not stored, so every run checks the same
inputs and leaves nothing in the tree.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from sitegen.read import frontmatter, schema, yamlload
from sitegen.config import DEFAULT_EXTENSIONS
from sitegen.errors import Collector, ContentError
from sitegen.render.markup import ALLOWED_TAGS, MarkdownRenderer, sanitize
from sitegen.read.mdbounds import check_markdown
from sitegen.quotes import SourceText, normalize

# No database, no "explain" phase, and hypothesis' own cache kept out of the working tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "sitegen-hypothesis")
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow])


def fragments(*pieces: str, max_size: int = 40):
    """Text made of the given pieces and bits of arbitrary text, in any order."""
    return st.lists(st.one_of(st.sampled_from(pieces), st.text(max_size=4)), max_size=max_size).map("".join)


# --- front matter and YAML -------------------------------------------------------------------

YAML_PIECES = (
    "---\n", "...\n", "\n", "\r\n", "\r", " ", "  ", "\t", ":", ": ", "- ", "? ", "[", "]", "{", "}", ",",
    "#", "&a ", "*a", "&b ", "*b", "<<: ", "!!python/object/apply:os.system ", "!!python/name:os.system",
    "!!python/object:x ", "!ENV ", "!!binary ", "!!set ", "!!omap ", "!!timestamp ", "!!int ", "!!float ",
    "!<tag:yaml.org,2002:str> ", "!custom ", "%TAG ! tag:x.example,2002:\n", "%YAML 1.1\n", "|", "|-\n", ">",
    "'", '"', "\\", "\\x", "\\u", "\\0", "\\e", "\x00", "\x07", "\x1b", "\ufeff", "\u2028", "\x85", "é",
    "中", "title", "summary", "as_of", "key_facts", "cite", "quote", "topics", "2024-02-30", "2024-13-01",
    "2019-05", "1e999", "0x1F", "0o17", "9" * 5000, "~", "null", "yes", "True", ".nan", "-.inf", "=", "&",
    "*", "@", "`", "%", "[" * 60, "{a: " * 60, "- " * 60, " " * 200, "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 70)),
)
FIELDS = {"sheet": schema.SHEET_FIELDS, "source": schema.SOURCE_FIELDS}


def assert_reported(exc: ContentError) -> None:
    """A ContentError names a place and prints on one line per diagnostic, with no control characters."""
    assert exc.diagnostics
    for diagnostic in exc.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.col >= 1
        text = diagnostic.format()
        assert len(text.split("\n")) == (2 if diagnostic.hint else 1)
        assert not any(unicodedata.category(c) == "Cc" for c in text.replace("\n", ""))


def read_records(data) -> None:
    """The schema readers take whatever YAML gives them and only report."""
    report = Collector()
    if isinstance(data, yamlload.YMap):
        schema.sheet_from_yaml("a-sheet", "x.md", data, "body", 5, report)
        schema.source_from_yaml("a-source", "x.yml", data, report)
    schema.vocabulary_from_yaml("topics", "t.yml", data, report)
    schema.vocabulary_from_yaml("entities", "e.yml", data, report)
    for diagnostic in report.items:
        diagnostic.format()


@SETTINGS
@given(fragments(*YAML_PIECES))
def test_front_matter_and_yaml_raise_only_content_errors(text):
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        parts = frontmatter.split(text, "x.md")
    except ContentError as exc:
        assert_reported(exc)
        return
    assert parts.body_line >= 1
    if parts.front is not None:
        assert text.split("\n")[parts.body_line - 2].rstrip() in ("---", "...")
        try:
            data = yamlload.load(parts.front, "x.md", line_offset=parts.front_line - 1)
        except ContentError as exc:
            assert_reported(exc)
        else:
            read_records(data)


@SETTINGS
@given(fragments(*YAML_PIECES), st.booleans())
def test_any_yaml_file_raises_only_content_errors(text, env):
    try:
        data = yamlload.load(text, "x.yml", env=env)
    except ContentError as exc:
        assert_reported(exc)
    else:
        read_records(data)


# --- quotes -------------------------------------------------------------------------------------

# The contract in plain words, written out independently of sitegen.quotes.
SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a\u02bc"
DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb"
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b"
LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
             "\ufb06": "st"}
FULLWIDTH_PUNCTUATION = {chr(c + 0xFEE0): chr(c) for c in range(0x21, 0x7f) if not chr(c).isalnum()}
TYPOGRAPHY = str.maketrans({**{c: "'" for c in SINGLE_QUOTES}, **{c: '"' for c in DOUBLE_QUOTES},
                            **{c: "-" for c in DASHES}, **LIGATURES, **FULLWIDTH_PUNCTUATION})
CJK_RANGES = ((0x2E80, 0x2FFF), (0x3001, 0x9FFF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF), (0x20000, 0x3134F))


def _wide(text: str, i: int) -> bool:
    return 0 <= i < len(text) and any(a <= ord(text[i]) <= b for a, b in CJK_RANGES)


def _cjk_side(text: str, i: int, away: int) -> bool:
    """Whether text[i], beside a white-space run, is CJK, or ASCII punctuation (a folded ，) with CJK beyond it."""
    c = text[i]
    return _wide(text, i) or (c.isascii() and not c.isalnum() and not c.isspace() and _wide(text, i + away))


def naive_normalize(text: str) -> str:
    """NFC of the whole text, typography folded before and after, a white-space run holding a line
    break between two CJK characters dropped, other runs collapsed to one space, trimmed."""
    folded = unicodedata.normalize("NFC", text.translate(TYPOGRAPHY)).translate(TYPOGRAPHY)
    out = []
    for m in re.finditer(r"\s+|\S+", folded):
        run = m.group()
        if not run.isspace():
            out.append(run)
        elif 0 < m.start() and m.end() < len(folded):
            cjk = _cjk_side(folded, m.start() - 1, -1) and _cjk_side(folded, m.end(), 1)
            out.append("" if "\n" in run and cjk else " ")
    return "".join(out)


QUOTE_ALPHABET = (
    "aeinstxAE .,'\"-"                        # plain text
    "\t\n\r\u00a0\u2028\u3000\u200b"          # white space of all kinds (and one that is not)
    + SINGLE_QUOTES + DOUBLE_QUOTES + DASHES  # typography
    + "\ufb01\ufb02\uff21\u00b2\u2103\u338f\u212b\u01c5\ufdfa\u00ad"  # compatibility forms, ligatures
    + "\u0301\u0316\u0327\u0345\u0308"        # combining marks, in and out of canonical order
    + "\u1100\u1161\u11a8\uac00"              # Hangul jamo that compose, and a syllable
    + "\u09c7\u09be\u0cbf\u0cd5\u0dd9\u0dcf\u0f71\u0f72\u0f73"  # Indic and Tibetan vowel signs
    + "\u4e2d\u6587\U0001f44d\U0001f3fd\u200d"  # CJK, emoji with modifier and joiner
)
quote_text = st.text(alphabet=QUOTE_ALPHABET, max_size=40)


@SETTINGS
@given(quote_text)
def test_normalize_is_the_naive_reference(text):
    assert normalize(text) == naive_normalize(text)


@SETTINGS
@given(quote_text, st.data())
def test_quote_search_agrees_with_substring_search(source, data):
    if source and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(source) - 1))
        quote = source[i:data.draw(st.integers(i + 1, len(source)))]  # often found, sometimes not
    else:
        quote = data.draw(quote_text)
    wanted = naive_normalize(quote)
    if not wanted:
        return
    text = SourceText(source)
    span = text.locate(quote)
    if span is not None:
        assert wanted in naive_normalize(source)
        start, end = span
        assert 0 <= start < end <= len(source)
        assert wanted in naive_normalize(source[start:end])  # the highlighted passage holds the quote
        assert all(wanted in naive_normalize(source[a:b]) for a, b in text.locate_all(quote))
    else:
        message, _ = text.explain(quote)
        # Present in the text but refused (inside a word, across paragraphs...): the error says why.
        assert message.startswith("quote not found") != (wanted in naive_normalize(source)) or "only if" in message
        passage, similarity = text.closest(quote)
        assert 0.0 <= similarity <= 1.0 and normalize(passage) in text.normalized


# --- rendered Markdown is inert ---------------------------------------------------------------------

DANGER_PIECES = (
    "<script>", "</script>", "<SCRIPT SRC=", "<img", " src=", " onerror=", "onload=", " ONCLICK=",
    " on\x00click=", "javascript:", "JaVaScRiPt:", " javascript:", "java\tscript:", "java&#x09;script:",
    "vbscript:", "data:text/html,", "DATA:", "&#106;", "&#x6A;", "&colon;", "&#58;", "\t", "\n", "\n\n", " ",
    "<a href=", "<a href=\"", "<a href='", '"', "'", ">", "<", "/>", "[", "](", ")", "![", "]: ", "\n[x]: ",
    "<iframe", "<svg", "<math>", "<mtext>", "<mglyph>", "<style>", "</style>", "<!--", "-->", "<base href=",
    "<meta http-equiv=refresh content=", "<form action=", "<button formaction=", "<object data=",
    "<embed src=", " style=", "expression(", "url(", "`", "    ", "> ", "- ", "1. ", "| a |", "\n|---|\n",
    "[^1]", "\n[^1]: ", "\\", "&", "<details open ontoggle=", "alert(1)", "<noscript>", "<template>", "<xmp>",
    "<![CDATA[", "]]>", "<p title=", "<https://ok.example/>", "<javascript:alert(1)>", "<http://a\">",
    "[@a-source]", "[@a-source \"", "\u0000", "\u2028", "<link rel=import href=", "<div", "<table>", "<td>",
    " srcset=", " formaction=", " xlink:href=", "<a/href=", "\x0c", "&NewLine;", "&Tab;",
)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "srcset",
                  "cite", "data", "codebase", "ping", "longdesc", "usemap", "archive", "classid"}


class Fragment(HTMLParser):
    """Every element and attribute of an HTML fragment, as an HTML tokenizer reads them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_inert(html: str) -> None:
    for tag, attrs in Fragment(html).elements:
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, html)
            squeezed = "".join(c for c in value or "" if ord(c) > 0x20).lower()
            if name in URL_ATTRIBUTES:
                assert not squeezed.startswith(("javascript:", "vbscript:", "data:")), (tag, name, value)
                assert not re.match(r"^[a-z][a-z0-9+.-]*:", squeezed) or squeezed.startswith(
                    ("http:", "https:", "mailto:")), (tag, name, value)
            if name == "style":
                assert re.fullmatch(r"text-align:[a-z -]*;?", squeezed), value
    assert "<script" not in html.lower() and "<style" not in html.lower()


RENDERER = MarkdownRenderer(DEFAULT_EXTENSIONS)


def resolve_every_citation(title: str):
    """A citation lookup that resolves any id, with an untrusted title on the link."""
    return lambda source, quote: (1, "sources/a-source/#q-1", title)


@SETTINGS
@given(fragments(*DANGER_PIECES, max_size=60), fragments(*DANGER_PIECES, max_size=8))
def test_rendered_markdown_has_no_script_handler_or_dangerous_url(text, title):
    assert_inert(sanitize(text))
    if check_markdown(text) is None:  # what the loader lets through is what gets rendered
        assert_inert(RENDERER.render(text))
        assert_inert(RENDERER.render(text, resolve_every_citation(title), source_path="sheets/x.md",
                                     page_url="sheets/x/"))
