"""``sitegen serve``: a live preview that rebuilds and reloads the open page on every save.

The site is built with the ordinary pipeline into a private temporary folder
(never into ``site_dir``) and served from there by MkDocs' live-reload server,
under the path of ``site_url`` as on the published site, so sub-path links
behave as they will in production. The server watches ``docs_dir``,
``theme.custom_dir`` and ``mkdocs.yml``; each change triggers a rebuild, which
looks again only at the files the events named (:mod:`sitegen.watch`), and
the server tells every open page to reload when the rebuild has finished.
The search index, which changes no page, is built just after the reload, so
search in the preview catches up a moment after the page does.

How a broken build reaches the browser: a rebuild that fails does not raise
into the server (MkDocs' server would then hang every request until the next
good build). It records the failure instead, prints the diagnostics in the
terminal, and lets the reload go ahead. Because builds swap a finished folder
into place, the folder still holds the last good site; while a failure is
recorded, every HTML page served gets a fixed overlay listing the diagnostics
(``path:line:col: error: message`` and hint) laid over it, and a page that
does not exist yet (or any page before the first good build) is answered with
the overlay alone. The next good build clears the failure and the reload
removes the overlay. One in-memory value and one HTML injection point — the
place where the server already injects its reload script — keep this simple.
"""

from __future__ import annotations

import html
import logging
import os
import posixpath
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.livereload import LiveReloadServer

from .config import SiteConfig, load_config
from .errors import ConfigError, ContentError, SitegenError, UsageError, summary_line
from .read.scan import ChangeLog
from .session import Session
from .watch import EventObserver, MissedEvents, PollingObserver

DEFAULT_ADDR = "127.0.0.1:8000"
# How often the file watcher looks for changes, and how long it waits for a burst
# of saves to settle: both count towards the time from save to reloaded page.
POLL_SECONDS = 0.2
SETTLE_SECONDS = 0.05
# How long after a build its garbage is collected: once the browsers have reloaded, since the
# collection holds the interpreter for a tenth of a second at 10,000 sheets.
COLLECT_AFTER_SECONDS = 1.0


def parse_dev_addr(text: str) -> tuple[str, int]:
    """'HOST:PORT' (IPv6 as '[::1]:PORT') to (host, port); a UsageError when malformed."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--dev-addr '{text}' is not HOST:PORT; write it like {DEFAULT_ADDR}")
    return host, int(port)


def mount_path(site_url: str) -> str:
    """The path the site lives under on the published host, '/' for a site at the root."""
    path = urlsplit(site_url or "/").path or "/"
    return "/" + path.strip("/") + "/" if path.strip("/") else "/"


@dataclass(frozen=True)
class Failure:
    """The last build failed: what to show in the terminal and over every page."""

    text: str          # diagnostics as printed by `sitegen build`, one per line with hints
    had_good_build: bool


class PreviewServer(LiveReloadServer):
    """MkDocs' live-reload server, plus an error overlay while the last build failed.

    It overrides ``_inject_js_into_html``, the one hook through which the
    server passes every HTML page it serves (MkDocs 1.6, the last 1.x; the
    tests pin the behaviour).
    """

    failure: Failure | None = None

    def _serve_request(self, environ, start_response):
        """Answer 404 for any path that would reach a file outside the served folder.

        MkDocs' server normalises '..' away, but it opens whatever the path names:
        a symbolic link in the folder would be followed out of it, and a NUL byte
        (%00) makes open() raise instead of answering. Same decoding as MkDocs 1.6.
        """
        path = environ.get("PATH_INFO", "").encode("latin-1", "replace").decode("utf-8", "ignore")
        if (path + "/").startswith(self.mount_path) and not _inside(self.root, path[len(self.mount_path):]):
            return None
        return super()._serve_request(environ, start_response)

    def _inject_js_into_html(self, content: bytes, epoch: int) -> bytes:
        content = super()._inject_js_into_html(content, epoch)
        failure = self.failure
        if failure is None:
            return content
        overlay = overlay_html(failure).encode("utf-8")
        try:
            at = content.rindex(b"</body>")
        except ValueError:
            at = len(content)
        return content[:at] + overlay + content[at:]

    def page_for_error(self, code: int) -> bytes | None:
        """Answer a missing page with the overlay while failing, else with the site's own 404 page."""
        epoch = self._visible_epoch
        if self.failure is not None:
            page = (b'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
                    b"<title>Build failed - sitegen serve</title></head><body></body></html>\n")
            return self._inject_js_into_html(page, epoch)
        not_found = Path(self.root, "404.html")
        if code == 404 and not_found.is_file():
            return self._inject_js_into_html(not_found.read_bytes(), epoch)
        return None


def _inside(root: str, rel: str) -> bool:
    """Whether the file a request names (as MkDocs' server resolves it) lies inside root."""
    if "\x00" in rel:
        return False
    if rel.endswith("/") or not rel:
        rel += "index.html"
    target = os.path.join(root, posixpath.normpath("/" + rel).lstrip("/"))
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(target)]) == real_root


def overlay_html(failure: Failure) -> str:
    """A self-contained, fixed error panel: inline styles so no site CSS can hide or restyle it."""
    under = ("The page underneath is from the last good build."
             if failure.had_good_build else "Nothing has been built yet.")
    return (
        '<div id="sitegen-error" role="alert" style="position:fixed;inset:0 0 auto 0;z-index:2147483647;'
        "max-height:100vh;overflow:auto;box-sizing:border-box;margin:0;padding:1rem 1.25rem;"
        "background:#fff4f4;color:#1a1a1a;border-bottom:4px solid #b00020;"
        'font:15px/1.45 system-ui,sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.25)">'
        '<p style="margin:0 0 .5rem;font-weight:700;color:#b00020">sitegen: the build failed</p>'
        '<pre style="margin:0 0 .5rem;white-space:pre-wrap;overflow-wrap:anywhere;'
        'font:14px/1.45 ui-monospace,monospace;background:none;color:inherit;padding:0;border:0">'
        f"{html.escape(failure.text)}</pre>"
        f'<p style="margin:0">{under} Fix the file and save: this page reloads by itself. '
        '<button type="button" onclick="this.closest(\'#sitegen-error\').remove()" '
        'style="font:inherit;margin-left:.5rem">Hide</button></p></div>'
    )


class Preview:
    """One `sitegen serve` session: the private build folder, the builder, the watches."""

    def __init__(self, config_file: str | Path, host: str, port: int, *, drafts: bool = False,
                 poll: bool = False) -> None:
        self.config_file = config_file
        self.drafts = drafts
        self.host, self.port = host, port
        config = load_config(config_file)  # a broken mkdocs.yml at start is a usage error
        self.mount = mount_path(config.site_url)
        self.site_url = f"http://{host if ':' not in host else f'[{host}]'}:{port}{self.mount}"
        self.workdir = Path(tempfile.mkdtemp(prefix="sitegen-serve-"))
        self.site_dir = self.workdir / "site"
        self.server = PreviewServer(builder=self.rebuild, host=host, port=port, root=str(self.site_dir),
                                    mount_path=self.mount, polling_interval=POLL_SECONDS)
        self.server.build_delay = SETTLE_SECONDS
        # Each build scans only the files the events named since the last (a ChangeLog).
        self.changes = ChangeLog()
        MissedEvents.logs.add(self.changes)
        self.server.observer = (PollingObserver(self.changes, timeout=POLL_SECONDS) if poll
                                else EventObserver(self.changes))
        self.server.error_handler = self.server.page_for_error
        self.had_good_build = False
        self._watched: set[Path] = set()
        self._config = config
        self._site_lock = threading.Lock()
        self._builds = 0          # good builds, for the search indexer
        self._rebuilds = 0        # every build, for the collector
        self._collected = 0       # the build after which garbage was last collected
        # What the builds remember of each other: only changed files are parsed, checked and
        # rendered, and the private folder is updated in place.
        self.session = Session(update_in_place=True)
        self.session.collect_later = True  # _collect, after the reload
        self.session.changes = self.changes

    def load(self) -> SiteConfig:
        config = load_config(self.config_file)
        return config.with_options(site_dir=self.site_dir, site_url=self.site_url,
                                   drafts=self.drafts or config.drafts)

    def rebuild(self) -> None:
        """Build once; never raises an Exception, so the server always reloads the browsers.

        The pages are built without the search index, so the browsers reload as
        soon as the HTML is ready; the index (the slowest stage, and one that
        changes no page) is added to the served folder right afterwards.
        """
        from .build import build

        started = time.perf_counter()
        with self._site_lock:
            self._rebuilds += 1
            try:
                config = self.load()
                self._config = config
                result = build(config.with_options(search=False), session=self.session)
            except ContentError as exc:
                self._fail(exc.format_message())
            except ConfigError as exc:
                self._fail(exc.format_message() + "\n" + summary_line(1, 0))
            except SitegenError as exc:
                self._fail(exc.format_message())
            except Exception:  # a bug in sitegen: show it, keep serving the last good site
                self._fail("internal error while building:\n" + traceback.format_exc())
            else:
                for warning in result.warnings:
                    print(warning.format(), file=sys.stderr)
                self.had_good_build = True
                cleared = "error cleared; " if self.server.failure is not None else ""
                self.server.failure = None
                self._builds += 1
                done = ("nothing changed" if result.up_to_date or not result.rendered
                        else f"built {result.pages} pages ({result.rendered} rendered)")
                print(f"{cleared}{done} in {time.perf_counter() - started:.2f} s; "
                      f"{summary_line(0, len(result.warnings))}", file=sys.stderr, flush=True)
                if config.search:
                    threading.Thread(target=self._index, args=(self._builds,), name="sitegen-search",
                                     daemon=True).start()
        self._update_watches()
        collector = threading.Timer(COLLECT_AFTER_SECONDS, self._collect, args=(self._rebuilds,))
        collector.daemon = True
        collector.start()

    def _collect(self, rebuild_number: int) -> None:
        """Collect a build's garbage (Session.settle), unless a newer build began: it collects its
        own. Saves that come faster than that are still collected after every few builds."""
        with self._site_lock:
            if rebuild_number == self._rebuilds or self._rebuilds - self._collected >= 5:
                self._collected = self._rebuilds
                self.session.settle()

    def _index(self, build_number: int) -> None:
        """Add the Pagefind index to the served build, unless a newer build replaced it meanwhile."""
        from .write.search import index_search

        with self._site_lock:  # a rebuild never swaps the folder while Pagefind writes into it
            if build_number != self._builds or not self.site_dir.is_dir():
                return
            try:
                index_search(self.site_dir)
            except SitegenError as exc:
                print(f"{exc.format_message()}\nsearch does not work in the preview until the next build",
                      file=sys.stderr, flush=True)

    def _fail(self, text: str) -> None:
        self.server.failure = Failure(text, self.had_good_build)
        kept = "serving the last good build" if self.had_good_build else "nothing to serve yet"
        print(f"{text}\nbuild failed; {kept} with the errors shown over every page", file=sys.stderr, flush=True)

    def _update_watches(self) -> None:
        """Watch the folders of the current mkdocs.yml, and start watching (an edit that moves them
        moves the watches). The system's events are set up when the watcher starts: where there
        are none, or their limit is reached (ENOSPC), the watcher polls instead and says so."""
        config = self._config
        wanted = {Path(config.config_path), Path(config.docs_dir), *config.theme_dirs}
        wanted = {path for path in wanted if path.exists()}
        try:
            for path in sorted(self._watched - wanted):
                self.server.unwatch(str(path))
            for path in sorted(wanted - self._watched):
                self.server.watch(str(path))
            if not self.server.observer.is_alive():
                self.server.observer.start()
        except OSError as exc:
            if not isinstance(self.server.observer, EventObserver):
                raise
            print(f"watching files by polling ({exc.strerror or exc})", file=sys.stderr)
            try:
                self.server.observer.stop()
            except Exception:  # its emitters may never have started
                pass
            self.server.observer = PollingObserver(self.changes, timeout=POLL_SECONDS)
            self.server._watched_paths, self.server._watch_refs, self._watched = {}, {}, set()
            return self._update_watches()
        if wanted != self._watched:  # a watch begun now missed what changed since the last scan
            self.changes.forget()
        self._watched = wanted

    def run(self, open_browser: bool = False) -> None:
        """Watch, build, then serve until Ctrl-C (or SIGTERM); always remove the private folder.
        The watches start before the first build, so that the second scans only what changed."""
        previous = _stop_on_signals()
        try:
            self._update_watches()
            try:
                self.rebuild()
                self.server.serve(open_in_browser=open_browser)
            except KeyboardInterrupt:
                print("stopped", file=sys.stderr)
            except OSError as exc:
                raise UsageError(f"cannot listen on {self.host}:{self.port}: {exc.strerror}; stop the "
                                 f"program using it or pass --dev-addr {self.host}:{self.port + 1}") from None
            finally:
                self.server.shutdown()
        except KeyboardInterrupt:  # Ctrl-C while the watches start
            print("stopped", file=sys.stderr)
        finally:
            self._site_lock.acquire(timeout=30)  # let a running search indexer finish first
            shutil.rmtree(self.workdir, ignore_errors=True)
            for signum, handler in (previous or {}).items():
                signal.signal(signum, handler)


def _stop_on_signals() -> dict | None:
    """Make Ctrl-C and SIGTERM raise KeyboardInterrupt, so a stopped preview removes its folder.

    Ctrl-C is set explicitly because a shell starts background jobs with
    SIGINT ignored, and a preview should still stop on it.
    """
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}


def _show_server_log() -> None:
    """Print the live-reload server's own messages (address, changes seen, reloads)."""
    logger = logging.getLogger("mkdocs.livereload")
    if not any(getattr(h, "_sitegen", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._sitegen = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def serve(config_file: str | Path = "mkdocs.yml", *, dev_addr: str = DEFAULT_ADDR,
          drafts: bool = False, open_browser: bool = False, poll: bool = False) -> None:
    """Run the preview until interrupted."""
    host, port = parse_dev_addr(dev_addr)
    _show_server_log()
    Preview(config_file, host, port, drafts=drafts, poll=poll).run(open_browser=open_browser)
