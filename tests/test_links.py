"""Links between the site's pages lead somewhere: what the check finds is what Markdown makes.

The check reads Markdown source (sitegen/render/links.py, linkcheck.py); these tests hold it to the
real thing: heading ids against Python-Markdown's own output, every link a
build lets through against the ids in the pages it wrote, and the diagnostics
of incremental and `serve` builds against a cold check.
"""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from conftest import REPO, TODAY, TinySite
from sitegen.build import build, check
from sitegen.config import DEFAULT_EXTENSIONS
from sitegen.errors import ContentError
from sitegen.render.anchors import LinkRules
from sitegen.render.links import body_anchors, scan
from sitegen.render.markup import MarkdownRenderer
from sitegen.session import Session

TRICKY_HEADINGS = """# Title

## In short

## In short

#NoSpace

Setext one
==========

Setext two
----------

## The *big* `code_x` [link](about.md) thing_with_under _emph_ __strong__

## Café & naïve &amp; <b>bold</b> ![img](x.png)

## Note[^1] here

> ## Quoted heading

- ## Listed heading

## Trailing hashes ##

## 2024: 50% off! \\*star\\*

    ## not a heading (indented code)

```
## not a heading (fenced code)
```

## 

## A [@src] citation and [@src "some words"]

[^1]: the note
"""


@pytest.mark.parametrize("extensions", [
    DEFAULT_EXTENSIONS + (("fenced_code", {}),),
    DEFAULT_EXTENSIONS + (("fenced_code", {}), ("attr_list", {})),
    (("toc", {"separator": "_"}), ("fenced_code", {}), ("footnotes", {})),
])
def test_heading_ids_are_the_ones_markdown_gives(extensions):
    body = TRICKY_HEADINGS + "\n## Chosen {#my-own}\n\n## Chosen\n"
    lookup = {("src", None): 1, ("src", "some words"): 2}
    html = MarkdownRenderer(extensions).render(
        body, lambda s, q: (lookup[(s, q)], "#", "T") if (s, q) in lookup else None)
    rules = LinkRules(separator=dict(extensions).get("toc", {}).get("separator", "-"),
                      attr_list="attr_list" in dict(extensions))
    cite_text = lambda s, q: (q or "") + f"[{lookup[(s, q)]}]"  # noqa: E731 (as a sheet's note numbers read)
    found = body_anchors(scan(body), rules, cite_text)
    assert [a for a in found if not a.startswith("fn:")] == re.findall(r'<h\d id="([^"]*)"', html)
    assert [a for a in found if a.startswith("fn:")] == re.findall(r'<li id="(fn:[^"]*)"', html)


def test_links_in_code_are_not_links():
    scanned = scan("Real [one](a.md).\n\n    [code](b.md)\n\nInline `[span](c.md)` and\n"
                   "[two\nlines](d.md \"title\") and ![image](e.md) and [@src](f.md).\n\n[ref]: <g.md>\n")
    assert scanned.links == (("a.md", 1, 12), ("d.md", 7, 8), ("g.md", 9, 8))


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


GOOD_LINKS = (
    "\n## Costs and [@harbour-gazette-2024-03-01] dates\n\n"
    "Up: [costs](#costs-and2-dates), [facts](#sec-key-facts), [note](#note-1), [fn](#fn:a)[^a], "
    "[ferry](ferry-timetable.md), [about](../about.md#a-heading), [home](../index.md), "
    "[caf](../caf%C3%A9.md#cafe), [map](../../files/map.pdf), [web](https://example.org/x.md#y), "
    "[mail](mailto:a@example.org), [topic](../../topics/bridges/).\n\n[^a]: A note.\n"
)


def test_every_link_a_build_lets_through_leads_somewhere(small_site: TinySite):
    """The oracle: in the pages written, each internal link's page exists and has its anchor."""
    small_site.write({"content/files/map.pdf": b"%PDF-1.4\n", "content/café.md": "# Café\n\nA page.\n"})
    with open(small_site.content / "sheets/overview.md", "a", encoding="utf-8") as handle:
        handle.write(GOOD_LINKS)
    with open(small_site.content / "about.md", "a", encoding="utf-8") as handle:
        handle.write("\n## A heading\n\nBack to [the overview](sheets/overview.md#in-short).\n")
    result = build(small_site.config(), today=TODAY)
    assert result.warnings == []
    site = small_site.site_dir
    checked = 0
    for page in sorted(site.rglob("*.html")):
        url = page.relative_to(site).as_posix()
        for href in _parse(page).hrefs:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("/", "//")) or page.name == "404.html":
                continue
            target = urlsplit(urljoin("http://x/" + url, href)).path.lstrip("/")
            file = site / unquote(target if not target.endswith("/") and target else target + "index.html")
            assert file.is_file(), f"{url}: {href} leads nowhere"
            if parts.fragment and file.suffix == ".html":
                assert unquote(parts.fragment) in _parse(file).ids, f"{url}: {href} has no anchor"
            checked += 1
    assert checked > 100


def test_a_link_that_leads_nowhere_is_reported_and_not_published(small_site: TinySite):
    with open(small_site.content / "sheets/overview.md", "a", encoding="utf-8") as handle:
        handle.write("\nSee [x](ferry-timetable.md#timetable) and [y](bridge-repair.md).\n")
    before = sorted(p.name for p in small_site.root.iterdir())
    with pytest.raises(ContentError) as caught:
        build(small_site.config(), today=TODAY)
    assert [(d.line, d.col, d.severity) for d in caught.value.diagnostics] == [(23, 9, "warning"), (23, 47, "error")]
    assert caught.value.diagnostics[1].hint == "did you mean 'bridge-repairs.md'?"
    after = sorted(p.name for p in small_site.root.iterdir() if p.name != ".sitegen-cache")
    assert after == before  # no site written (the record cache may keep what was parsed)


def test_strict_flag_makes_a_missing_anchor_fail(small_site: TinySite):
    with open(small_site.content / "sheets/overview.md", "a", encoding="utf-8") as handle:
        handle.write("\nSee [x](#timetable).\n")
    plain = small_site.run("check")
    strict = small_site.run("check", "--strict")
    assert plain.returncode == 0 and "warning: link to '#timetable'" in plain.stderr
    assert strict.returncode == 1 and "error: link to '#timetable'" in strict.stderr


def _reports(site: TinySite, session: Session | None = None) -> list:
    try:
        return build(site.config(), today=TODAY, session=session).warnings
    except ContentError as exc:
        return exc.diagnostics


def _cold(site: TinySite) -> list:
    try:
        return check(site.config(), today=TODAY).warnings
    except ContentError as exc:
        return exc.diagnostics


@pytest.mark.parametrize("serve", [False, True])
def test_incremental_builds_report_what_a_cold_one_does(small_site: TinySite, serve: bool):
    """A link depends on another file: renaming the heading it names, in that file only, is reported."""
    session = Session(update_in_place=True) if serve else None
    overview = small_site.content / "sheets/overview.md"
    ferry = small_site.content / "sheets/ferry-timetable.md"
    ferry.write_text(ferry.read_text(encoding="utf-8") + "\n\n## Winter crossings\n", encoding="utf-8")
    overview.write_text(overview.read_text(encoding="utf-8") + "\nSee [it](ferry-timetable.md#winter-crossings).\n",
                        encoding="utf-8")
    assert _reports(small_site, session) == [] == _cold(small_site)
    ferry.write_text(ferry.read_text(encoding="utf-8").replace("Winter crossings", "Summer crossings"),
                     encoding="utf-8")
    warned = _reports(small_site, session)
    assert [(w.path, w.line, w.message) for w in warned] == [
        ("content/sheets/overview.md", 23, "link to 'ferry-timetable.md#winter-crossings': "
                                           "content/sheets/ferry-timetable.md has no anchor 'winter-crossings'")]
    assert warned == _cold(small_site) == _reports(small_site, session)  # and again when up to date
    ferry.unlink()
    gone = _reports(small_site, session)
    assert gone == _cold(small_site) and any(d.message.endswith("ferry-timetable.md does not exist") for d in gone)


def test_the_shipped_site_has_no_broken_links():
    from sitegen.config import load_config

    assert check(load_config(REPO / "mkdocs.yml").with_options(strict=True)).warnings == []


def test_checking_links_is_cheap(small_site: TinySite):
    """1,000 headings and 3,000 links: one scan per body and a set lookup per link."""
    with open(small_site.content / "sheets/overview.md", "a", encoding="utf-8") as handle:
        handle.write("".join(f"\n## Part {i}\n\nOn to [{i + 1}](#part-{i + 1}), or [the ferry](ferry-timetable.md).\n"
                             for i in range(1000)))
    small_site.write({"content/many.md": "# Many\n\n" + "".join(
        f"[p{i}](sheets/overview.md#part-{i % 1000})\n\n" for i in range(1000))})
    start = time.perf_counter()
    warnings = check(small_site.config(), today=TODAY).warnings
    assert time.perf_counter() - start < 5
    assert [(w.line, w.message) for w in warnings] == [(21 + 4 * 999 + 4, "link to '#part-1000': this page has no such anchor")]


# --- a session's memo of link checks (serve) ---------------------------------------------


def test_a_session_reports_the_link_problems_a_fresh_check_does_after_each_edit(small_site):
    """A file's problems are kept while it and the pages its links looked into are unchanged: an
    edit of the page a link points into (the linking sheet unchanged) still shows, and goes."""
    link = "See [the overview](overview.md#in-short).\n\n"
    small_site.edit("content/sheets/bridge-repairs.md", "\n---\n", "\n---\n" + link)
    session, config = Session(update_in_place=True), small_site.config(search=False)
    steps = [("as written", None),
             ("the heading renamed", ("## In short", "## Briefly")),
             ("the heading back", ("## Briefly", "## In short")),
             ("the overview a draft", ("title: Harbourton", "status: draft\ntitle: Harbourton")),
             ("published again", ("status: draft\n", ""))]
    seen = {}
    for name, change in steps:
        if change:
            small_site.edit("content/sheets/overview.md", *change)
        got = [d.format() for d in build(config, today=TODAY, session=session).warnings]
        session.settle()
        fresh = [d.format() for d in check(config, today=TODAY).warnings]
        assert got == fresh, name
        seen[name] = [w for w in got if "overview.md#in-short" in w]
    assert seen["as written"] == seen["the heading back"] == seen["published again"] == []
    assert "has no anchor 'in-short'" in " ".join(seen["the heading renamed"])
    assert "is a draft" in " ".join(seen["the overview a draft"])
