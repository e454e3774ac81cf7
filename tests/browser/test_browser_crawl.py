"""Crawl the whole site in Chromium, under a sub-path and at the root: every
page loads cleanly, every link and #fragment resolves, nothing leaves 127.0.0.1."""

from __future__ import annotations

import pytest

from .browser_support import crawl, record_pages, watch

pytestmark = pytest.mark.browser


def _report(title: str, lines: list[str]) -> str:
    return f"{title} ({len(lines)}):\n  " + "\n  ".join(lines)


def test_crawl_under_subpath_reaches_every_page_cleanly(watched, site):
    context, problems = watched
    seen = crawl(context, site.url(), scope=site.base)

    assert seen.pages, "the crawl visited nothing"
    assert not seen.broken_links(), _report("broken links", seen.broken_links())
    not_ok = [f"{url}: HTTP {status}" for url, status in {**seen.pages, **seen.files}.items() if status != 200]
    assert not not_ok, _report("pages or files under /repo/ that did not load", not_ok)
    assert not seen.missing_fragments(), _report("links to missing #fragments", seen.missing_fragments())
    assert not problems.foreign_requests, _report("requests that left 127.0.0.1", problems.foreign_requests)
    assert not problems.bad_responses, _report("error responses", problems.bad_responses)
    assert not problems.failed_requests, _report("failed requests", problems.failed_requests)
    assert not problems.console_errors, _report("console errors", problems.console_errors)
    leaving = [u for u in problems.requests if not u.startswith(site.origin + "/") and not u.startswith("data:")]
    assert not leaving, _report("request URLs outside 127.0.0.1", leaving)

    unreached = [
        f"{kind}/{name}/"
        for kind, names in record_pages(site.folder).items()
        for name in names
        if site.url(f"{kind}/{name}/") not in seen.pages
    ]
    assert not unreached, _report("built pages no link leads to", unreached)


def test_crawl_at_root_every_page_loads_and_links_resolve(browser_context, root_site):
    problems = watch(browser_context, root_site.origin)
    seen = crawl(browser_context, root_site.url(), scope=root_site.base)

    assert not seen.broken_links(), _report("broken links", seen.broken_links())
    not_ok = [f"{url}: HTTP {status}" for url, status in {**seen.pages, **seen.files}.items() if status != 200]
    assert not not_ok, _report("pages or files that did not load", not_ok)
    assert not seen.missing_fragments(), _report("links to missing #fragments", seen.missing_fragments())
    assert not problems.all(), _report("problems while crawling", problems.all())
    built = {
        root_site.url(str(p.parent.relative_to(root_site.folder)) + "/").replace("/./", "/")
        for p in root_site.folder.rglob("index.html")
        if "pagefind" not in p.parts
    }
    unreached = sorted(built - set(seen.pages))
    assert not unreached, _report("built pages no link leads to", unreached)
