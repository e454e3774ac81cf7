"""Shared machinery for the browser tests: build the shipped site, serve it like
GitHub Pages, and crawl it with a real browser.

Kept apart from conftest.py so the tests can import the helpers by name."""

from __future__ import annotations

import functools
import html.parser
import os
import posixpath
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Page kinds that have one folder per record in the build.
RECORD_KINDS = ("sheets", "sources", "topics", "entities")


# --- building -----------------------------------------------------------------


def build_site(workdir: Path, site_url: str) -> Path:
    """Build a copy of the repository's site in workdir with SITE_URL set, the
    way the Pages workflow does, and return the built folder."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "mkdocs.yml", workdir / "mkdocs.yml")
    for name in ("content",):
        shutil.copytree(REPO / name, workdir / name)
    env = dict(os.environ)
    env["SITE_URL"] = site_url
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", "sitegen", "build"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"sitegen build failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return workdir / "site"


def record_pages(site: Path) -> dict[str, list[str]]:
    """The record pages the build holds, by kind: {"sheets": ["overview", ...], ...}."""
    return {
        kind: sorted(p.parent.name for p in (site / kind).glob("*/index.html"))
        for kind in RECORD_KINDS
    }


# --- serving ------------------------------------------------------------------


class _PagesHandler(SimpleHTTPRequestHandler):
    """Serves `root` under `prefix` as GitHub Pages does: a missing file gets the
    site's 404.html with status 404; anything outside the prefix is a bare 404."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".json": "application/json",
        ".xml": "application/xml",
        ".svg": "image/svg+xml",
    }

    def __init__(self, *args, root: Path, prefix: str, **kwargs):
        self.site_root = root
        self.prefix = prefix
        super().__init__(*args, directory=str(root), **kwargs)

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def _inside(self) -> str | None:
        """The request path relative to the prefix, or None when outside it."""
        path = urllib.parse.urlsplit(self.path).path
        if path + "/" == self.prefix:
            return ""
        if not path.startswith(self.prefix):
            return None
        return path[len(self.prefix) - 1 :]

    def translate_path(self, path):
        rest = self._inside()
        return super().translate_path(rest if rest is not None else "/")

    def send_head(self):
        rest = self._inside()
        if rest is None:
            self.send_error(404, "outside the site")
            return None
        fs_path = Path(self.translate_path(self.path))
        if fs_path.is_dir() and rest.endswith("/"):
            fs_path = fs_path / "index.html"
        if not fs_path.exists():
            return self._not_found()
        return super().send_head()

    def _not_found(self):
        body = (self.site_root / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None


class PagesServer:
    """A threaded static server on 127.0.0.1. The port is taken first (the build
    needs it in SITE_URL), the folder is attached once the build has run."""

    def __init__(self, prefix: str = "/"):
        assert prefix.startswith("/") and prefix.endswith("/")
        self.prefix = prefix
        self.root: Path | None = None
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.base = self.origin + prefix
        self._thread: threading.Thread | None = None

    def _handler(self, *args, **kwargs):
        return _PagesHandler(*args, root=self.root, prefix=self.prefix, **kwargs)

    def start(self, root: Path) -> "PagesServer":
        self.root = root
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@dataclass
class ServedSite:
    """A build and the server that serves it."""

    folder: Path
    server: PagesServer

    @property
    def base(self) -> str:
        return self.server.base

    @property
    def origin(self) -> str:
        return self.server.origin

    def url(self, path: str = "") -> str:
        return self.base + path


# --- watching a browser context -----------------------------------------------


@dataclass
class Problems:
    """Everything that went wrong in a browser context, as readable lines."""

    console_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, Chromium's error)
    context: object = None

    @property
    def failed_requests(self) -> list[str]:
        """Failed requests, except those Chromium cut short (net::ERR_ABORTED)
        because the page moved on, such as a late favicon, when the file itself
        can be fetched."""
        out = []
        for url, error in self.failures:
            if error == "net::ERR_ABORTED" and self._fetchable(url):
                continue
            out.append(f"request failed: {url} ({error})")
        return list(dict.fromkeys(out))

    def _fetchable(self, url: str) -> bool:
        if url.startswith("file:"):
            return Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).is_file()
        return self.context is not None and self.context.request.get(url).status == 200

    def all(self) -> list[str]:
        return self.console_errors + self.failed_requests + self.bad_responses + self.foreign_requests


def _local(url: str, origin: str | None) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    if origin is None:  # opened from disk
        return url.startswith("file:")
    return url == origin or url.startswith(origin + "/")


def watch(context, origin: str | None, allow_status: set[str] = frozenset()) -> Problems:
    """Record console errors, page errors, failed requests and error responses
    of every page in `context`, and block any request that would leave
    `origin` (recording it). `allow_status` lists URLs allowed to answer >= 400."""
    found = Problems(context=context)

    def on_page(page):
        where = lambda: page.url  # noqa: E731 - read late: the page navigates

        def on_console(msg):
            # A resource allowed to fail (the deliberate 404) still logs an error.
            if msg.type == "error" and msg.location.get("url") not in allow_status:
                found.console_errors.append(f"console error on {where()}: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: found.console_errors.append(f"uncaught error on {where()}: {exc}"))

    def on_request(request):
        found.requests.append(request.url)

    def on_failed(request):
        found.failures.append((request.url, request.failure or "?"))

    def on_response(response):
        if response.status >= 400 and response.url not in allow_status:
            found.bad_responses.append(
                f"HTTP {response.status} for {response.url} (from {response.frame.url})"
            )

    def block_foreign(route):
        found.foreign_requests.append(f"request left the site: {route.request.url}")
        route.abort()

    context.on("page", on_page)
    context.on("request", on_request)
    context.on("requestfailed", on_failed)
    context.on("response", on_response)
    context.route(lambda url: not _local(url, origin), block_foreign)
    return found


# --- crawling -----------------------------------------------------------------

_IDS_JS = "() => [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.getAttribute('name'))"
# Links, and the targets of forms (a search box that submits to search/).
_LINKS_JS = """() => [...document.querySelectorAll('a[href]')].map(a => a.href).concat(
  [...document.querySelectorAll('form[action]')].map(f => f.action))"""


@dataclass
class Crawl:
    """What a crawl saw: pages by URL with their status, ids, and every link."""

    pages: dict[str, int] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)  # (from page, absolute href)

    def broken_links(self) -> list[str]:
        out = []
        for source, href in self.links:
            target = href.split("#", 1)[0]
            status = self.pages.get(target, self.files.get(target))
            if status is not None and status >= 400:
                out.append(f"{source} links to {href}: HTTP {status}")
        return list(dict.fromkeys(out))

    def missing_fragments(self) -> list[str]:
        out = []
        for source, href in self.links:
            target, _, fragment = href.partition("#")
            fragment = urllib.parse.unquote(fragment)
            if not fragment or target not in self.ids:
                continue
            if fragment not in self.ids[target]:
                out.append(f"{source} links to {href}: no element with id {fragment!r} on {target}")
        return list(dict.fromkeys(out))


def _is_page(url: str) -> bool:
    path = urllib.parse.urlsplit(url).path
    return path.endswith("/") or path.endswith(".html")


def crawl(context, start: str, scope: str) -> Crawl:
    """Visit every page under `scope` reachable from `start`, following <a href>;
    other files under `scope` (feed, JSON) are fetched rather than opened."""
    seen = Crawl()
    queue = [start]
    queued = {start}
    page = context.new_page()
    try:
        while queue:
            url = queue.pop(0)
            if _is_page(url):
                response = page.goto(url, wait_until="load")
                seen.pages[url] = response.status if response else 0
                seen.ids[url] = set(page.evaluate(_IDS_JS))
                hrefs = page.evaluate(_LINKS_JS)
            else:
                seen.files[url] = context.request.get(url).status
                hrefs = []
            for href in hrefs:
                seen.links.append((url, href))
                target = href.split("#", 1)[0]
                if target.startswith(scope) and target not in queued:
                    queued.add(target)
                    queue.append(target)
    finally:
        page.close()
    return seen


# --- reading built HTML without a browser --------------------------------------


class _ScriptGrabber(html.parser.HTMLParser):
    """Collects the text of <script type=...> elements of one type."""

    def __init__(self, type_: str):
        super().__init__(convert_charrefs=True)
        self.type = type_
        self.blocks: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "script" and dict(attrs).get("type") == self.type:
            self._inside = True
            self.blocks.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.blocks[-1] += data


def script_blocks(html_text: str, type_: str) -> list[str]:
    grabber = _ScriptGrabber(type_)
    grabber.feed(html_text)
    return grabber.blocks


class _TextGrabber(html.parser.HTMLParser):
    """The visible text of a page (scripts and styles left out)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_words(html_text: str) -> set[str]:
    grabber = _TextGrabber()
    grabber.feed(html_text)
    return {w.lower() for w in re.findall(r"[A-Za-z]{9,}", " ".join(grabber.parts))}


def distinctive_word(site: Path) -> tuple[str, str]:
    """A word that occurs on exactly one built page, and that page is a sheet:
    searching for it must find that sheet. Returns (word, sheet id)."""
    counts: dict[str, list[Path]] = {}
    for page in sorted(site.rglob("*.html")):
        for word in page_words(page.read_text(encoding="utf-8")):
            counts.setdefault(word, []).append(page)
    for word in sorted(counts):
        (only, *more) = counts[word]
        rel = only.relative_to(site).parts
        if not more and len(rel) == 3 and rel[0] == "sheets":
            return word, rel[1]
    raise AssertionError("no word occurs on exactly one sheet page and nowhere else")


@functools.cache
def which(tool: str) -> str | None:
    return shutil.which(tool)


def url_to_file(site: Path, base: str, url: str) -> Path | None:
    """The built file an absolute URL under `base` stands for, or None."""
    if not url.startswith(base):
        return None
    rel = urllib.parse.unquote(urllib.parse.urlsplit(url).path)[len(urllib.parse.urlsplit(base).path) :]
    clean = posixpath.normpath("/" + rel).lstrip("/")
    target = site / clean if clean else site
    return target / "index.html" if rel == "" or rel.endswith("/") else target
