"""The 404 page works at any depth under a sub-path, as GitHub Pages serves it
for every missing address: styled, and with links that lead back into the site."""

from __future__ import annotations

import pytest

from .browser_support import watch

pytestmark = pytest.mark.browser

DEEP = "a/b/c/nothing/"


def test_missing_page_at_depth_is_a_styled_404_with_working_links(browser_context, site):
    missing = site.url(DEEP)
    problems = watch(browser_context, site.origin, allow_status={missing})
    page = browser_context.new_page()
    response = page.goto(missing, wait_until="load")

    assert response.status == 404
    assert "not found" in page.locator("body").inner_text().lower()

    # Every stylesheet was fetched and applied: its rules are readable.
    sheets = page.evaluate(
        """() => [...document.querySelectorAll('link[rel~="stylesheet"]')].map(l => ({
              href: l.href, rules: l.sheet ? l.sheet.cssRules.length : -1 }))"""
    )
    assert sheets, "the 404 page links no stylesheet"
    unstyled = [s for s in sheets if s["rules"] <= 0 or not s["href"].startswith(site.base)]
    assert not unstyled, f"stylesheets that did not load under {site.base}: {unstyled}"

    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    internal = sorted({h.split("#", 1)[0] for h in hrefs if h.startswith(site.origin)})
    outside = [h for h in internal if not h.startswith(site.base)]
    assert not outside, f"links on the 404 page that leave {site.base}: {outside}"
    assert site.url() in internal, f"no link to the home page {site.url()} among {internal}"
    assert site.url("sheets/") in internal, f"no link to {site.url('sheets/')} among {internal}"
    dead = [f"{h}: HTTP {s}" for h in internal if (s := browser_context.request.get(h).status) != 200]
    assert not dead, f"links on the 404 page that do not resolve: {dead}"

    # Following a link home from the deep 404 lands on the real home page.
    index = page.evaluate(
        "base => [...document.querySelectorAll('a[href]')].findIndex(a => a.href === base)", site.url()
    )
    assert index >= 0, f"no link to exactly {site.url()} on the 404 page"
    with page.expect_navigation():
        page.locator("a[href]").nth(index).click()
    assert page.url == site.url()
    assert page.locator("h1").count() >= 1
    assert not problems.all(), "\n".join(problems.all())
