"""Fixtures for the browser tests: the shipped site built once per session and
served under a sub-path (/repo/, like a GitHub Pages project site) and at the
root, and a headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import pytest

from .browser_support import PagesServer, ServedSite, build_site, watch

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

