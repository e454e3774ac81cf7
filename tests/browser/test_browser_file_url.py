"""The build opened straight from disk (file://) can be browsed: site.js points
folder links at index.html, so a reader clicks from the home page to a sheet
and on to a source."""

from __future__ import annotations

import json

import pytest

from .browser_support import watch

pytestmark = pytest.mark.browser

_FIRST_LINK_JS = """needles => [...document.querySelectorAll('a[href]')].findIndex(
  a => needles.some(n => a.getAttribute('href').includes(n)))"""


# A page is styled when turning its stylesheets off changes how it looks.
_STYLED_JS = """() => {
  const look = () => ['body', 'h1', 'main', 'a'].map(sel => {
    const el = document.querySelector(sel);
    if (!el) return '';
    const cs = getComputedStyle(el);
    return [cs.fontFamily, cs.color, cs.margin, cs.maxWidth, cs.lineHeight, cs.fontSize].join('|');
  }).join(';');
  const before = look();
  for (const s of document.styleSheets) s.disabled = true;
  const after = look();
  for (const s of document.styleSheets) s.disabled = false;
  return document.styleSheets.length > 0 && before !== after;
}"""


def _click_through(page, needles: list[str]) -> None:
    """Click the first link whose href holds one of `needles`."""
    index = page.evaluate(_FIRST_LINK_JS, needles)
    assert index >= 0, f"no link holding any of {needles} on {page.url}"
    link = page.locator("a[href]").nth(index)
    href = link.get_attribute("href")
    assert href.split("#", 1)[0].endswith("/index.html"), (
        f"under file:// the folder link {href!r} on {page.url} was not pointed at index.html"
    )
    with page.expect_navigation():
        link.click()


def test_site_opened_from_disk_can_be_browsed(browser_context, site):
    problems = watch(browser_context, None)
    titles = {s["id"]: s["title"] for s in json.loads((site.folder / "data/sheets.json").read_text("utf-8"))["sheets"]}
    page = browser_context.new_page()
    page.goto((site.folder / "index.html").as_uri(), wait_until="load")
    assert page.locator("h1").first.is_visible()

    _click_through(page, [f"sheets/{sheet_id}/" for sheet_id in titles])
    sheet_id = page.url.split("/")[-2]
    assert page.url == (site.folder / "sheets" / sheet_id / "index.html").as_uri(), page.url
    h1 = page.locator("h1").first
    assert h1.is_visible()
    assert h1.inner_text().strip() == titles[sheet_id], f"{page.url} shows {h1.inner_text()!r}"

    _click_through(page, ["sources/"])
    assert "/sources/" in page.url and page.url.endswith("/index.html"), page.url
    assert page.locator("h1").first.is_visible()
    assert page.evaluate(_STYLED_JS), f"{page.url} looks the same with its stylesheets off: they did not load"
    assert not problems.all(), "\n".join(problems.all())
