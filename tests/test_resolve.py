"""Stage 4: cross-references and citations, checked on tiny sites written inline."""

from __future__ import annotations

import datetime as dt

import pytest

from sitegen.config import DEFAULT_EXTENSIONS
from sitegen.errors import ContentError
from sitegen.render.markup import MarkdownRenderer
from sitegen.model import Pos, Sheet
from sitegen.read.citations import inline_citations
from sitegen.site import anchor_for

from conftest import TODAY


def sheet_md(body: str = "Text.\n", **fields: str) -> str:
    front = {"title": "A sheet", "summary": "S.", "as_of": "2024-05-03", **fields}
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in front.items()) + "---\n" + body


def problems(site, **options) -> list[str]:
    with pytest.raises(ContentError) as info:
        site.check(**options)
    return [d.format() for d in info.value.diagnostics]


def test_the_base_site_resolves(site_content):
    links = site_content.links["pier"]
    assert [(n.number, n.source.id, n.quote) for n in links.notes] == [
        (1, "gazette-pier", "opened on Friday, two weeks late"),
        (2, "gazette-pier", "four hundred pounds"),
        (3, "council-minutes", None),
    ]
    assert site_content.cited_by == {"council-minutes": ["pier"], "gazette-pier": ["pier"]}
    assert site_content.by_topic == {"piers": ["pier"]} and site_content.by_entity == {"ada-pike": ["pier"]}
    passages = site_content.passages["gazette-pier"]
    text = site_content.content.sources["gazette-pier"].text
    assert [text[p.start:p.end] for p in passages] == ["opened on Friday, two weeks late", "four hundred pounds"]
    assert passages[0].anchor == anchor_for("opened on Friday, two weeks late")


@pytest.mark.parametrize("field, value, expected", [
    ("topics", "[pier]", "content/sheets/x.md:5:10: error: unknown topic 'pier'\n  hint: did you mean 'piers'?"),
    ("topics", "[weather]", "content/sheets/x.md:5:10: error: unknown topic 'weather'\n  hint: add it to data/topics.yml"),
    ("entities", "[ada-pyke]", "content/sheets/x.md:5:12: error: unknown entity 'ada-pyke'\n  hint: did you mean 'ada-pike'?"),
    ("entities", "[someone]", "content/sheets/x.md:5:12: error: unknown entity 'someone'\n  hint: add it to data/entities.yml"),
    ("related", "[piers]", "content/sheets/x.md:5:11: error: unknown sheet 'piers'\n  hint: did you mean 'pier'?"),
    ("related", "[harbour]", "content/sheets/x.md:5:11: error: unknown sheet 'harbour'\n"
                             "  hint: related takes ids of files in sheets/"),
    ("related", "[x]", "content/sheets/x.md:5:11: error: a sheet cannot be related to itself\n"
                       "  hint: remove it from 'related'"),
])
def test_unknown_ids(tiny_site, field, value, expected):
    site = tiny_site({"content/sheets/x.md": sheet_md(**{field: value})})
    assert problems(site) == [expected]


@pytest.mark.parametrize("cite, expected", [
    ("gazette-peir", "hint: did you mean 'gazette-pier'?"),
    ("elsewhere", "hint: add it under sources/ (sitegen import FILE)"),
])
def test_unknown_source(tiny_site, cite, expected):
    site = tiny_site({"content/sheets/x.md": sheet_md(key_facts=f"\n  - text: T\n    cite: {cite}")})
    assert problems(site) == [f"content/sheets/x.md:7:11: error: unknown source '{cite}'\n  {expected}"]


def test_related_works_both_ways(tiny_site):
    site = tiny_site({"content/sheets/a.md": sheet_md(related="[pier]"), "content/sheets/b.md": sheet_md(related="[a]")})
    links = site.check().site.links
    assert links["a"].related == ["b", "pier"]
    assert links["pier"].related == ["a"]
    assert links["b"].related == ["a"]


def test_quote_found_through_typography(tiny_site):
    # The source has curly quotes and an em dash; the editor types straight ones and a hyphen.
    site = tiny_site({"content/sheets/x.md": sheet_md(
        key_facts='\n  - text: T\n    cite: gazette-pier\n    quote: \'The "new" pier opened\'')})
    resolved = site.check().site
    note = resolved.links["x"].notes[0]
    assert note.quote == "The \u201cnew\u201d pier opened"  # the page shows the source's characters
    passage = next(p for p in resolved.passages["gazette-pier"] if p.anchor == anchor_for('The "new" pier opened'))
    assert resolved.content.sources["gazette-pier"].text[passage.start:passage.end] == "The \u201cnew\u201d pier opened"


def test_quote_not_found_shows_the_closest_passage(tiny_site):
    site = tiny_site({"content/sheets/x.md": sheet_md(
        key_facts='\n  - text: T\n    cite: gazette-pier\n    quote: "It cost four hundred dollars."')})
    assert problems(site) == [
        "content/sheets/x.md:8:12: error: quote not found in source 'gazette-pier' (content/sources/gazette-pier.txt)\n"
        "  hint: the closest passage (84% similar) is: \"It cost four hundred pounds.\""]


def test_quote_case_matters(tiny_site):
    site = tiny_site({"content/sheets/x.md": sheet_md(
        key_facts='\n  - text: T\n    cite: gazette-pier\n    quote: "It Cost Four Hundred Pounds"')})
    [message] = problems(site)
    assert message.startswith("content/sheets/x.md:8:12: error: quote not found in source 'gazette-pier'")


def test_quote_against_metadata_only_source(tiny_site):
    site = tiny_site({"content/sheets/x.md": sheet_md(
        key_facts='\n  - text: T\n    cite: council-minutes\n    quote: "the minutes say so"')})
    assert problems(site) == [
        "content/sheets/x.md:8:12: error: quote against source 'council-minutes', which has no stored text to check it "
        "against\n  hint: cite this source without a quote, or store its text with 'sitegen import'"]


def test_empty_quote(tiny_site):
    site = tiny_site({"content/sheets/x.md": sheet_md("Text [@gazette-pier \" \"].\n")})
    assert problems(site) == ["content/sheets/x.md:6:6: error: the quote is empty\n  hint: remove it or fill it in"]


def test_inline_citations_checked_with_positions(tiny_site):
    body = ("First line.\n"
            "Curly [@gazette-pier \u201cfour hundred pounds\u201d] and straight [@gazette-pier \"two weeks late\"].\n"
            "Wrong [@gazette-pier \u201cfive hundred pounds\u201d] and [@nowhere] and [@Bad_Id].\n")
    site = tiny_site({"content/sheets/x.md": sheet_md(body)})
    assert problems(site) == [
        "content/sheets/x.md:8:7: error: quote not found in source 'gazette-pier' (content/sources/gazette-pier.txt)\n"
        "  hint: the closest passage (84% similar) is: \"four hundred pounds\"",
        "content/sheets/x.md:8:49: error: unknown source 'nowhere'\n  hint: add it under sources/ (sitegen import FILE)",
        "content/sheets/x.md:8:64: error: malformed citation '[@Bad_Id'\n"
        "  hint: write [@source-id] or [@source-id \"verbatim quote\"]",
    ]


def test_inline_citations_in_code_are_skipped(tiny_site):
    body = ("Span `[@nowhere \"x\"]` and ``[@nowhere]``.\n\n"
            "```\n[@nowhere]\n```\n\n"
            "~~~\n[@nowhere]\n~~~\n\n"
            "    [@nowhere] in an indented block\n\n"
            "\t[@nowhere] indented by a tab\n")
    site = tiny_site({"content/sheets/x.md": sheet_md(body)})
    assert site.check().site.links["x"].notes == []


def test_inline_citations_in_list_continuations_are_checked(tiny_site):
    # Indented prose inside a list item, or continuing a paragraph, is not code:
    # Markdown renders its citations, so they must be checked.
    body = ("1. Item\n\n    continued [@nowhere-one]\n\n"
            "A paragraph\n    continued [@nowhere-two]\n")
    site = tiny_site({"content/sheets/x.md": sheet_md(body)})
    assert problems(site) == [
        "content/sheets/x.md:8:15: error: unknown source 'nowhere-one'\n  hint: add it under sources/ (sitegen import FILE)",
        "content/sheets/x.md:11:15: error: unknown source 'nowhere-two'\n  hint: add it under sources/ (sitegen import FILE)",
    ]


@pytest.mark.parametrize("body", [
    "1. Item\n\n    continued [@a]\n",
    "Para\n    lazy [@a]\n",
    "    code [@a]\n",
    "# Heading\n    code [@a]\n",
    "- item\n\n        code in a list [@a]\n",
    "- item\n\nPara\n\n    code after the list [@a]\n",
    "\tcode [@a]\n",
    "text\n\n    code\n\n    still code [@a]\n\nafter [@a]\n",
    "```\n[@a]\n```\n[@a]\n",
    "- a\n- b\n\n  c [@a]\n\nd [@a]\n\n    e [@a]\n",
    "Span `[@a]` and [@a]\n",
])
def test_checked_citations_are_exactly_the_rendered_ones(body):
    """resolve and Markdown must agree on what is code: an unchecked citation must never render."""
    sheet = Sheet(id="x", path="x.md", title="T", summary="S", as_of=dt.date(2024, 1, 1), body=body, body_line=1)
    checked = len(inline_citations(sheet))
    html = MarkdownRenderer(DEFAULT_EXTENSIONS).render(body, lambda source, quote: (1, "#n", "title"))
    assert checked == html.count('class="cite"')


def test_inline_citation_positions():
    sheet = Sheet(id="x", path="x.md", title="T", summary="S", as_of=dt.date(2024, 1, 1),
                  body="a\n\nb [@one] c [@two \u201cq\u201d]\n", body_line=6)
    assert inline_citations(sheet) == [("one", None, Pos("x.md", 8, 3)), ("two", "q", Pos("x.md", 8, 12))]


def test_review_by_in_the_past_is_a_warning(tiny_site):
    site = tiny_site({"content/sheets/x.md": sheet_md(review_by="2024-12-31")})
    result = site.check(today=TODAY)
    assert [d.format() for d in result.warnings] == [
        "content/sheets/x.md:5:12: warning: sheet is past its review date (2024-12-31)\n"
        "  hint: check its facts against newer sources, then move review_by forward"]
    assert result.site.links["x"].stale is True
    assert site.check(today=dt.date(2024, 12, 31)).warnings == []


def test_review_by_past_is_an_error_when_strict(tiny_site):
    site = tiny_site({"content/sheets/x.md": sheet_md(review_by="2024-12-31")})
    assert problems(site, strict=True) == [
        "content/sheets/x.md:5:12: error: sheet is past its review date (2024-12-31)\n"
        "  hint: check its facts against newer sources, then move review_by forward"]


def test_drafts_are_left_out_unless_asked(tiny_site):
    site = tiny_site({"content/sheets/draft.md": sheet_md("[@nowhere]\n", status="draft"),
                      "content/sheets/x.md": sheet_md(related="[draft]")})
    result = site.check()
    assert [s.id for s in result.site.sheets] == ["x", "pier"]
    assert [d.format() for d in result.warnings] == [
        "content/sheets/x.md:5:11: warning: related sheet 'draft' is a draft; the link is left out\n"
        "  hint: publish it, or build with --drafts"]
    assert result.site.links["x"].related == []
    # with drafts, the draft is checked like any sheet
    assert problems(site, drafts=True) == [
        "content/sheets/draft.md:7:1: error: unknown source 'nowhere'\n  hint: add it under sources/ (sitegen import FILE)"]


def test_sheets_newest_first(tiny_site):
    site = tiny_site({"content/sheets/old.md": sheet_md(as_of="2020-01-01"),
                      "content/sheets/new.md": sheet_md(as_of="2025-01-01")})
    assert [s.id for s in site.check().site.sheets] == ["new", "pier", "old"]


def test_a_broken_record_is_reported_once(tiny_site):
    """A source or sheet that failed to load is not reported again as 'unknown' where it is used."""
    site = tiny_site({"content/sources/gazette-pier.yml": "title: [\n",
                      "content/sheets/a.md": "---\ntitle: [\n---\n",
                      "content/sheets/b.md": sheet_md(related="[a]")})
    assert problems(site) == [
        "content/sheets/a.md:3:1: error: invalid YAML: did not find expected node content",
        "content/sources/gazette-pier.yml:2:1: error: invalid YAML: did not find expected node content",
    ]


def _zh_source(text: str) -> dict:
    import hashlib
    raw = text.encode("utf-8")
    return {"content/sources/zh-ferry.txt": raw,
            "content/sources/zh-ferry.yml": ("title: \u6e21\u8f6e\npublisher: Gazette\npublished: 2024-05-03\n"
                                             f"language: zh\nsha256: {hashlib.sha256(raw).hexdigest()}\n")}


def test_a_hard_wrapped_cjk_source_matches_and_the_page_shows_its_characters(tiny_site):
    # The stored text wraps between two CJK characters; the editor writes the passage on one line.
    files = _zh_source("\u6e2f\u52a1\u5c40\u957f\u8868\u793a\uff0c\u6e21\u8f6e\u5c06\n"
                       "\u4fdd\u6301\u51ac\u5b63\u65f6\u523b\u8868\u3002\n")
    files["content/sheets/x.md"] = sheet_md(
        "Said: [@zh-ferry \"\u6e21\u8f6e\u5c06\u4fdd\u6301\u51ac\u5b63\u65f6\u523b\u8868\"].\n",
        key_facts="\n  - text: T\n    cite: zh-ferry\n    quote: \"\u8868\u793a,\u6e21\u8f6e\u5c06\u4fdd\u6301\"")
    site = tiny_site(files)
    site.build()
    page = (site.site_dir / "sheets/x/index.html").read_text(encoding="utf-8")
    # The key fact typed a plain comma; the page shows the source's full-width one, and no line break.
    assert "<q>\u8868\u793a\uff0c\u6e21\u8f6e\u5c06\u4fdd\u6301</q>" in page
    assert "<q>\u6e21\u8f6e\u5c06\u4fdd\u6301\u51ac\u5b63\u65f6\u523b\u8868</q>" in page


def test_an_inline_quote_is_shown_in_the_sources_characters(tiny_site):
    site = tiny_site({"content/sheets/x.md": sheet_md("Text [@gazette-pier \"The new pier opened\"].\n")})
    assert problems(site)  # the source has \u201cnew\u201d in quotation marks
    site = tiny_site({"content/sheets/x.md": sheet_md("Text [@gazette-pier \"pier opened on Friday, two  weeks\"].\n")})
    site.build()
    page = (site.site_dir / "sheets/x/index.html").read_text(encoding="utf-8")
    assert "<q>pier opened on Friday, two weeks</q>" in page
