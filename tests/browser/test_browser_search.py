"""Search finds a sheet by a word only it contains; without JavaScript the site
still shows its content and navigation."""

from __future__ import annotations

import json

import pytest

from .browser_support import distinctive_word, watch

pytestmark = pytest.mark.browser


def _sheet_titles(site) -> dict[str, str]:
    data = json.loads((site.folder / "data" / "sheets.json").read_text(encoding="utf-8"))
    return {s["id"]: s["title"] for s in data["sheets"]}


def test_search_finds_the_one_sheet_with_a_distinctive_word(browser_context, site):
    word, sheet_id = distinctive_word(site.folder)
    problems = watch(browser_context, site.origin)
    page = browser_context.new_page()
    page.goto(site.url("search/"), wait_until="load")

    box = page.locator("main").get_by_role("textbox").or_(page.locator("main input[type=search]")).first
    box.fill(word)
    wanted = site.url(f"sheets/{sheet_id}/")
    hit = page.locator(f'main a[href*="sheets/{sheet_id}/"]').first
    hit.wait_for(state="visible", timeout=20_000)

    results = page.evaluate("() => [...document.querySelectorAll('main a[href]')].map(a => a.href)")
    assert any(r.split("#", 1)[0] == wanted for r in results), f"{wanted} not among results for {word!r}: {results}"
    title = _sheet_titles(site)[sheet_id]
    assert title in page.locator("main").inner_text(), f"the title {title!r} is not shown among the results"
    assert not problems.all(), "\n".join(problems.all())


def test_site_search_box_on_home_leads_to_results(browser_context, site):
    """The search landmark outside <main> submits to the search page, which runs the query."""
    word, sheet_id = distinctive_word(site.folder)
    problems = watch(browser_context, site.origin)
    page = browser_context.new_page()
    page.goto(site.url(), wait_until="load")
    form = page.locator("form[role=search], search form, [role=search] form").first
    assert form.count() == 1, "the home page has no search form (role=search)"
    box = form.locator("input[type=search], input[type=text]").first
    box.fill(word)
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.startswith(site.url("search/")), page.url
    page.locator(f'main a[href*="sheets/{sheet_id}/"]').first.wait_for(state="visible", timeout=20_000)
    assert not problems.all(), "\n".join(problems.all())


@pytest.fixture
def no_js(chromium):
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(20_000)
    yield context
    context.close()


def _nav_links(page) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('nav a[href], [role=navigation] a[href]')].map(a => a.href)"
    )


@pytest.mark.parametrize("path", ["", "sheets/december-2024-assessments/"], ids=["home", "sheet"])
def test_pages_show_content_and_navigation_without_javascript(no_js, site, path):
    problems = watch(no_js, site.origin)
    page = no_js.new_page()
    response = page.goto(site.url(path), wait_until="load")
    assert response.status == 200
    assert page.evaluate("() => typeof window.PagefindUI") == "undefined"  # scripts really are off

    main = page.locator("main")
    assert main.count() == 1, "no single <main> landmark"
    assert main.is_visible()
    assert len(main.inner_text().split()) > 30, "the main content is (nearly) empty without JavaScript"
    assert page.locator("h1").first.is_visible()

    nav = _nav_links(page)
    assert site.url("sheets/") in nav, f"no navigation link to the sheets list without JavaScript: {nav}"
    assert page.locator("nav").first.is_visible()
    if path.startswith("sheets/"):
        title = _sheet_titles(site)[path.split("/")[1]]
        assert page.locator("h1").first.inner_text().strip() == title
        sources = page.evaluate("() => [...document.querySelectorAll('main a[href]')].map(a => a.href)")
        assert any("/sources/" in h for h in sources), "the sheet links to no source without JavaScript"
    assert not problems.all(), "\n".join(problems.all())


def test_search_page_without_javascript_offers_another_way_in(no_js, site):
    page = no_js.new_page()
    page.goto(site.url("search/"), wait_until="load")
    links = page.evaluate(
        "() => [...document.querySelectorAll('main a[href]')].filter(a => a.offsetParent).map(a => a.href)"
    )
    assert site.url("sheets/") in links, f"without JavaScript the search page shows no link to the sheets: {links}"
