"""Search finds a sheet by a word only it contains; without JavaScript the site
still shows its content and navigation."""

from __future__ import annotations

import json
import shutil

import pytest

from sitegen.write import search
from sitegen.build import build
from sitegen.config import load_config

from .browser_support import REPO, PagesServer, ServedSite, distinctive_word, page_words, watch

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


@pytest.fixture
def sharded_site(tmp_path, monkeypatch):
    """The shipped site with its index split into bundles (8 pages a shard), under /repo/."""
    monkeypatch.setattr(search, "PAGES_PER_SHARD", 8)
    server = PagesServer("/repo/")
    shutil.copy2(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(REPO / "content", tmp_path / "content")
    build(load_config(tmp_path / "mkdocs.yml").with_options(site_url=server.base))
    server.start(tmp_path / "site")
    yield ServedSite(tmp_path / "site", server)
    server.stop()


def _word_in_a_merged_bundle(site) -> tuple[str, str]:
    """A word found on one sheet only, that sheet indexed in a bundle other than the primary."""
    count = len(json.loads((site.folder / "pagefind" / search.SHARDS_FILE).read_text())["bundles"]) + 1
    assert count > 1, "the index was not split"
    pages: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    for page in sorted(site.folder.rglob("*.html")):
        rel = page.relative_to(site.folder).as_posix()
        texts[rel] = page.read_text(encoding="utf-8").lower()
        for word in page_words(texts[rel]):
            pages.setdefault(word, []).append(rel)
    for word, found in sorted(pages.items()):
        if len(found) == 1 and found[0].startswith("sheets/") and search.shard_of(found[0], count) != 0 \
                and not any(word in text for rel, text in texts.items() if rel != found[0]):  # no stem elsewhere
            return word, found[0].split("/")[1]
    raise AssertionError("no distinctive word on a sheet outside the primary bundle")


MERGED_SEARCH = """async ([base, word]) => {
  const pagefind = await import(`${base}pagefind/pagefind.js`);
  const bundles = (await (await fetch(`${base}pagefind/sitegen-shards.json`)).json()).bundles;
  for (const name of bundles) await pagefind.mergeIndex(`${base}pagefind/${name}`);
  const found = await pagefind.search(word);
  return Promise.all(found.results.map(async (r) => (await r.data()).url));
}"""


def test_search_finds_a_sheet_in_a_merged_bundle_under_a_sub_path(browser_context, sharded_site):
    """Pagefind 1.5 also returns near matches, ranked above the exact one at times, so the
    results are read through its API (as the search page merges the bundles) rather than the UI's first page."""
    word, sheet_id = _word_in_a_merged_bundle(sharded_site)
    problems = watch(browser_context, sharded_site.origin)
    page = browser_context.new_page()
    page.goto(sharded_site.url("search/"), wait_until="load")
    urls = page.evaluate(MERGED_SEARCH, [sharded_site.server.prefix, word])
    assert f"{sharded_site.server.prefix}sheets/{sheet_id}/" in urls, f"{sheet_id} not found for {word!r}: {urls}"
    assert all(u.startswith(sharded_site.server.prefix) for u in urls), urls
    box = page.locator("main").get_by_role("textbox").or_(page.locator("main input[type=search]")).first
    box.fill("busan")  # the page's own UI, over the merged bundles
    page.locator('main a[href*="sheets/busan-understanding-2025/"]').first.wait_for(state="visible", timeout=20_000)
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
