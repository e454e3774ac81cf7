"""Fixtures for the browser tests: the shipped site built once per session and
served under a sub-path (/repo/, like a GitHub Pages project site) and at the
root, and a headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import pytest

from .browser_support import (
    CHROMIUM_ARGS,
    PagesServer,
    ServedSite,
    build_site,
    chromium_path,
    in_ci,
    watch,
)

NO_CHROMIUM = (
    "Chromium not found at /usr/bin/chromium; install Debian's chromium to run "
    "browser tests (they never skip in CI)"
)


def _served(tmp_path_factory, name: str, prefix: str):
    server = PagesServer(prefix)
    folder = build_site(tmp_path_factory.mktemp(name), server.base)
    server.start(folder)
    return ServedSite(folder, server)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site built for http://127.0.0.1:<port>/repo/ and served there."""
    served = _served(tmp_path_factory, "site-repo", "/repo/")
    yield served
    served.server.stop()


@pytest.fixture(scope="session")
def root_site(tmp_path_factory):
    """The same site built for and served at http://127.0.0.1:<port>/."""
    served = _served(tmp_path_factory, "site-root", "/")
    yield served
    served.server.stop()


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium; skips locally when it is missing, fails in CI."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if executable is None or sync_playwright is None:
        reason = NO_CHROMIUM if executable is None else "Python playwright is not installed (pip install -e '.[test]')"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium):
    """A fresh context (cookies, cache) per test; closed afterwards."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    yield context
    context.close()


@pytest.fixture
def watched(browser_context, site):
    """A context on the /repo/ site whose problems are recorded; requests that
    would leave 127.0.0.1 are blocked and recorded too."""
    return browser_context, watch(browser_context, site.origin)

