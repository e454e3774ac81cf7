"""Markdown to safe HTML: inline citations, .md links, and nothing executable gets through."""

from __future__ import annotations

import re

import jinja2
import pytest
from markupsafe import Markup

from sitegen.config import DEFAULT_EXTENSIONS
from sitegen.render.markup import MarkdownRenderer, md_link_path, md_link_target, page_source_path, sanitize
from sitegen.render.views import Lazy


@pytest.fixture(scope="module")
def md() -> MarkdownRenderer:
    return MarkdownRenderer(DEFAULT_EXTENSIONS)


def lookup(source: str, quote: str | None):
    notes = {("src", None): 1, ("src", "the words"): 2}
    number = notes.get((source, quote))
    return (number, f"../../sources/src/#n{number}", 'Title "with" <quotes>') if number else None


# --- inline citations ----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    'See [@src "the words"].',
    "See [@src \u201cthe words\u201d].",
])
def test_inline_citation_with_quote(md, text):
    # The quoted words stay in the sentence, as a quotation, followed by the note number.
    assert md.render(text, lookup) == (
        '<p>See <span class="cited"><q>the words</q><sup class="cite"><a href="../../sources/src/#n2" '
        'title="Title &quot;with&quot; &lt;quotes&gt;">\u2060[2]</a></sup></span>.</p>')


def test_quoted_words_are_sanitised(md):
    html = md.render('See [@src "a <img src=x onerror=alert(1)> & <script>alert(2)</script>"].',
                     lambda s, q: (1, "#n", "T"))
    assert "<q>a <img src=\"x\"> &amp; </q>" in html
    assert "alert" not in html


def test_inline_citation_without_quote(md):
    assert md.render("A [@src] b", lookup) == (
        '<p>A<sup class="cite"><a href="../../sources/src/#n1" '
        'title="Title &quot;with&quot; &lt;quotes&gt;">\u2060[1]</a></sup> b</p>')


@pytest.mark.parametrize("page, expected", [
    ("sheets/a/", "../../sources/src/#n1"),
    ("about/", "../sources/src/#n1"),
    ("", "sources/src/#n1"),
])
def test_site_relative_citation_links_become_page_relative(md, page, expected):
    html = md.render("A [@src] b", lambda source, quote: (1, "sources/src/#n1", "T"), page_url=page)
    assert f'<a href="{expected}" title="T">\u2060[1]</a>' in html


def test_unresolved_citation_stays_text(md):
    assert md.render('A [@other "x"] b', lookup) == '<p>A [@other "x"] b</p>'
    assert md.render("A [@src] b") == "<p>A [@src] b</p>"  # no lookup at all (plain pages)


def test_citations_in_code_are_not_rendered(md):
    html = md.render("`[@src]`\n\n    [@src]\n", lookup)
    assert 'class="cite"' not in html
    assert "<code>[@src]</code>" in html


def test_citation_inside_a_footnote(md):
    html = md.render("Claim.[^1]\n\n[^1]: Backed by [@src].\n", lookup)
    assert '<sup class="cite"><a href="../../sources/src/#n1"' in html
    assert '<li id="fn:1">' in html and 'href="#fnref:1"' in html


# --- links to .md files -----------------------------------------------------------------


@pytest.mark.parametrize("href, source, expected", [
    ("methodology.md", "index.md", "methodology/"),
    ("methodology.md#rights", "index.md", "methodology/#rights"),
    ("index.md", "about.md", ""),
    ("./other.md", "sheets/a.md", "sheets/other/"),
    ("../about.md", "sheets/a.md", "about/"),
    ("guide/index.md", "index.md", "guide/"),
    ("https://example.org/a.md", "index.md", None),
    ("/abs.md", "index.md", None),
    ("../../outside.md", "sheets/a.md", None),
    ("picture.png", "index.md", None),
])
def test_md_link_target(href, source, expected):
    assert md_link_target(href, source) == expected


@pytest.mark.parametrize("href, source, expected", [
    ("about.md", "index.md", "about.md"),
    ("../about.md", "sheets/a.md", "about.md"),
    ("../sheets/b.md", "sheets/a.md", "sheets/b.md"),
    ("./b.md", "sheets/a.md", "sheets/b.md"),
    ("guides/../about.md", "index.md", "about.md"),
    ("../../outside.md", "sheets/a.md", None),
    ("../outside.md", "index.md", None),
])
def test_md_link_path_is_the_file_the_rewritten_link_leads_to(href, source, expected):
    """The link check looks up the very file whose page the rewrite links to."""
    assert md_link_path(href, source) == expected
    page = md_link_target(href, source)
    if expected is None:
        assert page is None
    else:
        assert page == (expected[:-3] + "/").removesuffix("index/")


@pytest.mark.parametrize("slug, path, expected", [
    ("", "content/index.md", "index.md"),
    ("about", "content/about.md", "about.md"),
    ("guides", "content/guides/index.md", "guides/index.md"),
    ("guides/print", "content/guides/print.md", "guides/print.md"),
])
def test_page_source_path(slug, path, expected):
    from sitegen.model import Page

    assert page_source_path(Page(slug, path, "T", "", "", 1)) == expected


@pytest.mark.parametrize("text, source, page, expected", [
    ("[m](methodology.md)", "index.md", "", '<a href="methodology/">m</a>'),
    ("[m](methodology.md#a)", "about.md", "about/", '<a href="../methodology/#a">m</a>'),
    ("[h](index.md)", "about.md", "about/", '<a href="../">h</a>'),
    ("[o](other.md)", "sheets/a.md", "sheets/a/", '<a href="../other/">o</a>'),
    ("[u](../about.md)", "sheets/a.md", "sheets/a/", '<a href="../../about/">u</a>'),
    ("[s](../sheets/a.md)", "guides/print.md", "guides/print/", '<a href="../../sheets/a/">s</a>'),
    ("[s](sheets/a.md)", "guides/print.md", "guides/print/", '<a href="../sheets/a/">s</a>'),  # relative to the file
    ("[e](https://example.org/x.md)", "index.md", "", '<a href="https://example.org/x.md">e</a>'),
])
def test_md_links_become_relative_page_links(md, text, source, page, expected):
    assert md.render(text, source_path=source, page_url=page) == f"<p>{expected}</p>"


# --- sanitising -----------------------------------------------------------------------


def hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|src|action|data|formaction|xlink:href)="([^"]*)"', html)


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<svg><script>alert(1)</script></svg>",
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="x.swf"></object>',
    "<form action=\"https://evil.example/\"><input name=a></form>",
])
def test_executable_and_embedding_tags_are_removed(md, text):
    html = md.render(text).lower()
    for tag in ("<script", "<style", "<iframe", "<object", "<form", "<input", "alert", "display:none"):
        assert tag not in html


@pytest.mark.parametrize("text", [
    '<img src="x.png" onerror="alert(1)">',
    '<a href="https://ok.example/" onclick="alert(1)">a</a>',
    '<div onmouseover="alert(1)">d</div>',
    '<p ONLOAD=alert(1)>p</p>',
    '<details open ontoggle="alert(1)"><summary>s</summary></details>',
])
def test_event_handlers_are_removed(md, text):
    html = md.render(text)
    assert not re.search(r"\son\w+\s*=", html, re.IGNORECASE)
    assert "alert" not in html


BAD_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "  javascript:alert(1)",
    "&#x20;javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java&#x09;script:alert(1)",
    "java&#x0A;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<b>x</b>",
    " data:image/svg+xml,<svg onload=alert(1)>",
    "vbscript:msgbox(1)",
    "VbScript:msgbox(1)",
    "file:///etc/passwd",
]


FORMS = ['<a href="{url}">x</a>', '<img src="{url}">', "[x]({url})", "![x]({url})"]


@pytest.mark.parametrize("form, url", [
    (form, url) for form in FORMS for url in BAD_URLS
    if form.startswith("<") or not (" " in url or "<" in url)  # Markdown destinations hold neither
])
def test_unsafe_urls_are_dropped_in_any_spelling(md, url, form):
    html = md.render(form.format(url=url))
    assert hrefs(html) == []
    assert not re.search(r"(javascript|vbscript|data|file)\s*:", html, re.IGNORECASE)


@pytest.mark.parametrize("url", ["https://example.org/a?b=c&d=e", "http://example.org/", "mailto:desk@example.org",
                                 "../sources/x/", "#fn:1", "page/", "//example.org/x"])
def test_safe_urls_survive(md, url):
    html = md.render(f"[x]({url})")
    assert hrefs(html) == [url.replace("&", "&amp;")]


def test_prose_tables_footnotes_and_ids_survive(md):
    html = md.render("# Title\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\nText.[^n]\n\n[^n]: A note.\n\n"
                     '<abbr title="Drug Enforcement Administration">DEA</abbr> <mark>m</mark> <sup>2</sup>\n')
    assert '<h1 id="title">Title</h1>' in html
    assert '<th style="text-align:left">a</th>' in html and '<td style="text-align:right">2</td>' in html
    assert '<sup id="fnref:n"><a class="footnote-ref" href="#fn:n">1</a></sup>' in html
    assert '<abbr title="Drug Enforcement Administration">DEA</abbr>' in html
    assert "<mark>m</mark>" in html


def test_style_keeps_only_text_align():
    assert sanitize('<table><tr><td style="text-align: right; background: url(javascript:x)">1</td></tr></table>') == (
        '<table><tbody><tr><td style="text-align:right">1</td></tr></tbody></table>')


def test_comments_are_stripped():
    assert sanitize("a<!-- secret -->b") == "ab"


@pytest.mark.parametrize("text", ["A [@src] b", "A\n[@src] b", "A \t [@src] b"])
def test_a_bare_citation_marker_sits_on_the_word_before_it(md, text):
    """Spaces or a line break before [@id] would let the marker start a line of its own."""
    assert md.render(text, lookup).startswith('<p>A<sup class="cite">')


def test_a_quoted_citation_keeps_the_space_before_its_quotation(md):
    assert md.render('He said [@src "the words"].', lookup).startswith('<p>He said <span class="cited"><q>')


def test_a_lazy_piece_of_html_is_made_once_when_a_template_first_prints_or_tests_it():
    """A sheet's JSON-LD and a source's marked text wait for their page (memory is not held from
    planning on); printed, they are the safe HTML they would have been, made once."""
    made = []
    piece = Lazy(lambda: made.append(1) or Markup('<mark data-q="q-1">a &amp; b</mark>'))
    template = jinja2.Environment(autoescape=True).from_string("{% if p %}[{{ p }}]{% endif %}{{ p }}")
    assert made == []
    assert template.render(p=piece) == '[<mark data-q="q-1">a &amp; b</mark>]<mark data-q="q-1">a &amp; b</mark>'
    assert made == [1]
    assert not Lazy(lambda: Markup("")) and template.render(p=Lazy(lambda: Markup(""))) == ""
