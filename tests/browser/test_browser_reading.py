"""What a reader of a sheet relies on, checked in Chromium on every sheet: citations numbered
in reading order and listed once, markers that never start a line, tap targets a finger can
hit, search results that say what they are, and a way back from a cited passage to its fact."""

from __future__ import annotations

import json
import re

import pytest

from .browser_support import watch

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def sheet_paths(site) -> list[str]:
    data = json.loads((site.folder / "data" / "sheets.json").read_text(encoding="utf-8"))
    return [s["url"] for s in data["sheets"]]


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(20_000)
    yield context
    context.close()


MARKER_NUMBERS = """() => [...document.querySelectorAll('main sup.cite a')]
    .map(a => Number(a.textContent.replace(/[^0-9]/g, '')))"""


def test_citations_are_numbered_in_reading_order_and_listed_once(browser_context, site):
    page = browser_context.new_page()
    for path in sheet_paths(site):
        page.goto(site.url(path), wait_until="load")
        numbers = page.evaluate(MARKER_NUMBERS)
        assert numbers, f"{path}: no citation markers"
        first_seen = list(dict.fromkeys(numbers))
        assert first_seen == list(range(1, len(first_seen) + 1)), f"{path}: markers run {numbers}"
        listed = page.evaluate("() => [...document.querySelectorAll('main ol.note-list > li')].map(li => li.id)")
        assert listed == [f"note-{n}" for n in first_seen], f"{path}: citation list {listed}"
        headings = page.evaluate("() => [...document.querySelectorAll('main h2')].map(h => h.textContent.trim())")
        assert "Sources" not in headings, f"{path}: a second list of the same citations ({headings})"
        # the key facts carry no numbers of their own that could be taken for citations
        fact_marks = page.evaluate("""() => [...document.querySelectorAll('.facts li')]
            .map(li => getComputedStyle(li, '::before').content)""")
        assert all(not re.search(r"\d|counter", mark) for mark in fact_marks), fact_marks


LINE_STARTS = """() => {
  // A marker starts a line when the character before it, in the same block, sits on another
  // line. (A marker alone in a table's source column has nothing before it to stay with.)
  const starts = [];
  for (const sup of document.querySelectorAll('main sup.cite')) {
    const box = sup.getBoundingClientRect();
    const block = sup.closest('p, li, td, th, dd, dt, figcaption, blockquote, h1, h2, h3, h4, div');
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    let previous = null;
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (sup.contains(node)) break;
      if (node.textContent.trim()) previous = node;
    }
    if (!previous) continue;
    const text = previous.textContent.replace(/\\s+$/, '');
    const range = document.createRange();
    range.setStart(previous, text.length - 1);
    range.setEnd(previous, text.length);
    const rects = range.getClientRects();
    if (!rects.length) continue;
    const before = rects[rects.length - 1];
    const sameLine = box.top < before.bottom && box.bottom > before.top && box.left >= before.left;
    if (!sameLine) starts.push(sup.textContent.trim() + ' after ' + JSON.stringify(text.slice(-20)));
  }
  return starts;
}"""


@pytest.mark.parametrize("viewport", [PHONE, {"width": 540, "height": 900}, DESKTOP], ids=["phone", "narrow", "desktop"])
def test_no_line_starts_with_a_citation_marker(chromium, site, viewport):
    context = chromium.new_context(viewport=viewport)
    try:
        page = context.new_page()
        for path in sheet_paths(site):
            page.goto(site.url(path), wait_until="load")
            assert page.evaluate(LINE_STARTS) == [], f"{path} at {viewport['width']} px"
    finally:
        context.close()


TARGETS = ("main sup.cite a, .site-nav a, .crumbs a, .tags a, a.more, .site-footer a, .brand, button, summary, "
           "input, .note-source, .note-link, .note-quote, .related a, .stats a, .card-title a, .more-link a, "
           ".source-link, .skip")
SMALL_TARGETS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .filter(el => !el.classList.contains('skip'))
  .map(el => {
    // an inline link that wraps is as tall as its line boxes together
    const rects = [...el.getClientRects()];
    const width = Math.max(...rects.map(r => r.width));
    const height = rects.reduce((sum, r) => sum + r.height, 0);
    return {what: el.outerHTML.slice(0, 90), width: Math.round(width * 10) / 10, height: Math.round(height * 10) / 10};
  })
  .filter(t => t.width < 24 || t.height < 24)"""


@pytest.mark.parametrize("path", ["", "sheets/december-2024-assessments/", "sources/xinhua-2024-12-20-fm-briefing/",
                                  "topics/", "entities/lin-jian/", "figures/", "timeline/"])
def test_tap_targets_on_a_phone_are_at_least_24_px(phone, site, path):
    page = phone.new_page()
    page.goto(site.url(path), wait_until="load")
    assert page.evaluate(SMALL_TARGETS, TARGETS) == []


def test_search_results_name_their_kind_and_are_not_repeated(browser_context, site):
    problems = watch(browser_context, site.origin)
    page = browser_context.new_page()
    page.goto(site.url("search/?q=fentanyl"), wait_until="load")
    page.locator(".pagefind-ui__result").first.wait_for(state="visible", timeout=20_000)
    page.wait_for_timeout(500)  # let every result of the first page render
    results = page.evaluate("""() => [...document.querySelectorAll('.pagefind-ui__result')].map(r => ({
        href: r.querySelector('.pagefind-ui__result-link').getAttribute('href'),
        title: r.querySelector('.pagefind-ui__result-title').textContent.trim(),
        excerpt: (r.querySelector('.pagefind-ui__result-excerpt') || {textContent: ''}).textContent.trim()}))""")
    assert len(results) >= 3, results
    hrefs = [r["href"].split("#")[0] for r in results]
    assert len(hrefs) == len(set(hrefs)), f"a page is listed twice: {hrefs}"
    excerpts = [r["excerpt"] for r in results]
    assert len(excerpts) == len(set(excerpts)), f"the same excerpt twice: {excerpts}"
    kinds = ("Fact sheet: ", "Source: ", "Topic: ", "Person: ", "Organisation: ", "Page: ")
    assert all(r["title"].startswith(kinds) for r in results), [r["title"] for r in results]
    assert not any(re.search(r"/(timeline|figures)/", h) or h.rstrip("/").endswith("/repo") for h in hrefs), hrefs
    assert not problems.all(), "\n".join(problems.all())


def test_a_cited_passage_leads_back_to_its_fact(browser_context, site):
    page = browser_context.new_page()
    page.goto(site.url("sheets/december-2024-assessments/"), wait_until="load")
    marker = page.locator(".key-facts sup.cite a").nth(2)
    marker.scroll_into_view_if_needed()
    scrolled = page.evaluate("() => window.scrollY")
    with page.expect_navigation():
        marker.click()
    assert "/sources/" in page.url and "#q-" in page.url, page.url
    target = page.locator(".anchor:target")
    assert target.count() == 1
    # the followed passage stands out from the other cited passages
    styles = page.evaluate("""() => {
        const target = document.querySelector('.anchor:target + mark');
        const other = [...document.querySelectorAll('.document mark')].find(m => !m.matches('.anchor:target + mark')
            && !(m.dataset.q || '').split(' ').includes(location.hash.slice(1)));
        return [getComputedStyle(target).backgroundColor, getComputedStyle(other).backgroundColor];
    }""")
    assert styles[0] != styles[1], styles
    back = page.get_by_role("link", name="Back to the fact")
    assert back.is_visible()
    back.click()
    page.wait_for_url(re.compile(r".*/sheets/december-2024-assessments/(#.*)?$"))
    page.wait_for_function("y => Math.abs(window.scrollY - y) < 50", arg=scrolled)


def test_the_review_date_is_metadata_not_part_of_the_header(browser_context, site):
    page = browser_context.new_page()
    page.goto(site.url("sheets/overview/"), wait_until="load")
    header = page.locator(".sheet-head").inner_text()
    assert "review" not in header.lower(), header
    data = json.loads((site.folder / "data" / "sheets.json").read_text(encoding="utf-8"))
    review_by = next(s["review_by"] for s in data["sheets"] if s["id"] == "overview")
    assert page.locator('meta[name="review-by"]').get_attribute("content") == review_by


def test_home_shows_the_newest_sheets_above_the_fold(chromium, site):
    for viewport in (PHONE, DESKTOP):
        context = chromium.new_context(viewport=viewport)
        try:
            page = context.new_page()
            page.goto(site.url(), wait_until="load")
            top = page.locator(".block-newest .card").first.bounding_box()["y"]
            assert top < viewport["height"] - 100, f"the first sheet card starts at {top} px at {viewport['width']} px"
            assert "review" not in page.locator("main").inner_text().lower()
        finally:
            context.close()
