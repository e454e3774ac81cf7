"""The pipeline: load, validate, resolve, render, write to staging, post, swap.

Everything that can fail because of content fails before the first byte is
written; the site is rendered in memory, written into a sibling of
``site_dir`` (the spare of the last swap brought up to date, or a fresh
folder), completed there (search index), and only then swapped into place in
one step. A failed build leaves the previous site as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import memory
from .render import feeds
from .write import inplace, output, search, spare, staging
from .model import routes
from .config import SiteConfig
from .errors import Collector, Diagnostic, UsageError
from .write.cache import BuildCache, config_salt
from .model.hashing import digest
from .render.anchors import LinkRules
from .render.linkcheck import check_links
from .read.assets import theme_assets
from .read.loader import load_content
from .read.scan import Scan, restat, scan
from .read.records import RecordStore
from .render.markup import MarkdownBodies, MarkdownRenderer
from .model.graph import Entry, Graph, Memo, node, persisted_values
from .write.output import render_pages
from .render.pages import PageJob, Renderer, page_jobs
from .model.routes import url_of
from .render.digests import LeafMemo, leaf_digests
from .write.values import ValueStore
from .resolve import resolve
from .site import Site
from .session import Session


@dataclass
class BuildResult:
    site: Site | None
    warnings: list[Diagnostic]
    pages: int = 0
    files: int = 0
    rendered: int = 0                  # pages rendered by this build (the rest were unchanged)
    up_to_date: bool = False           # nothing changed since the last build: nothing was written
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)  # files hashed, files parsed, sheets checked


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        self._last = now


def build_date() -> dt.date:
    """'Today' for review dates: SOURCE_DATE_EPOCH when set (reproducible builds), else the UTC date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()


def _gather(config: SiteConfig, today: dt.date | None, clock: _Clock, session: Session | None = None,
            inputs: Inputs | None = None, store: RecordStore | None = None, stats: dict | None = None):
    if not config.docs_dir.is_dir():
        raise UsageError(f"the docs_dir '{config.shown(config.docs_dir)}' does not exist; create it, or set docs_dir in "
                         "mkdocs.yml to the folder that holds your content")
    report = Collector()
    session = session or Session()
    found = inputs.scan if inputs else None  # none without the cache: the loader reads every file itself
    loaded = load_content(config, report, session, inputs.contents if inputs else None, found, store)
    if found is not None:  # parsed now, each parse remembered by the bytes' sha256: let them go
        inputs.contents = {}
        found.drop_bytes()
    if store is not None:  # the new records' JSON (a cold build's) is not held while the site is resolved
        store.write_pending()
    memory.release()
    clock.lap("load")
    site = resolve(loaded.content, report, drafts=config.drafts, today=today or build_date(), session=session,
                   store=store)
    # Later builds of a session find the scans of unchanged bodies in memory (links.scan's own memo),
    # and the problems of files whose links, and the pages they lead to, are as they were.
    check_links(site, LinkRules.from_config(config), report, store if session.builds == 0 else None,
                session.links_memo)
    clock.lap("resolve")
    if store is not None and found is not None:  # kept even when the build fails: the next parses what was fixed
        store.save(found.known, {f.shown for f in found.files}, set(loaded.content.sheets))
        clock.lap("records")
    if stats is not None:
        stats.update(hashed=found.hashed if found else 0, parsed=loaded.parsed, checked=session.checked,
                     scanned=store.scanned if store is not None else 0)
    report.raise_if_errors(strict=config.strict)
    return loaded, site, report.warnings


def check(config: SiteConfig, *, today: dt.date | None = None) -> BuildResult:
    """Everything but writing: load, validate and resolve; raise ContentError on problems."""
    clock = _Clock()
    _, site, warnings = _gather(config, today, clock)
    return BuildResult(site, warnings, timings=clock.timings)


@dataclass
class Plan:
    """Which outputs a build must make, and which it can take from the previous build."""

    renderer: Renderer
    graph: Graph                        # what every page and view read, for the next build
    paths: list[str]                    # every page's output path, in order
    reused: dict[str, str]              # output path -> the previous build's file, unchanged
    pending: list[PageJob]              # pages to render
    made: dict[str, bytes | feeds.Joined]  # other outputs made now (feed, exports, sitemap, robots.txt)


def plan_pages(site: Site, config: SiteConfig, cache: BuildCache | None, session: Session) -> Plan:
    """Decide, output by output, whether the previous build's file is current: it is when every
    digest its making recorded is unchanged (:mod:`sitegen.model.graph`). Pages to render have their
    context made once here, so that what they read is recorded before they are rendered."""
    if session.markdown is None:
        session.markdown = MarkdownRenderer(config.markdown_extensions)  # its settings are in the salt
    previous = session.memo if session.memo.entries else cache.graph if cache else Memo()
    seen = session.node_digests if previous is session.memo else previous.seen  # the same build's, or none
    session.leaves = session.leaves or LeafMemo()
    session.leaves.turn()
    graph = Graph(leaf_digests(site, session.leaves), previous, ValueStore(config.cache_dir) if cache else None, seen,
                  pack=session.update_in_place)
    renderer = Renderer(site, config, MarkdownBodies(session.markdown, cache), graph, session.environment)
    session.environment = renderer.env
    plan = Plan(renderer, graph, [], {}, [], {})
    others = feeds.outputs(renderer.views, config)  # first: it tells the graph of its kinds of nodes
    for job in page_jobs(site, renderer.views, config):
        plan.paths.append(job.path)
        if not _reuse(plan, cache, job.path):
            with graph.recording() as deps:
                renderer.context(job)
            graph.page(node("page", job.path), Entry(deps, ""))
            plan.pending.append(job)
    for path, make in others:
        if not _reuse(plan, cache, path):
            with graph.recording() as deps:
                plan.made[path] = make()
            graph.page(node("page", path), Entry(deps, ""))
    sitemap = _sitemap(plan.paths, config, session)
    plan.made.update({routes.ROBOTS: feeds.robots(config), **({routes.SITEMAP: sitemap} if sitemap else {})})
    graph.keep_unchanged()  # before anything saves the memo: the next build must find those views
    return plan


def _sitemap(paths: list[str], config: SiteConfig, session: Session) -> bytes | None:
    """The sitemap of these pages; a session's last one again while the pages and site_url are."""
    kept = session.sitemap
    if kept is not None and kept[0] == config.site_url and kept[1] == paths:
        return kept[2]
    made = feeds.sitemap([url_of(path) for path in paths if routes.is_page(path)], config)
    session.sitemap = (config.site_url, list(paths), made)
    return made


def _reuse(plan: Plan, cache: BuildCache | None, path: str) -> bool:
    """Take the previous build's file for ``path`` if it is untouched and everything it read is unchanged."""
    name = node("page", path)
    entry = plan.graph.previous.entries.get(name)
    file = cache.reusable(path) if cache and entry is not None else None
    if file is None or not plan.graph.current(entry.deps, name):
        return False
    plan.graph.page(name, entry)
    plan.reused[path] = file
    return True


def _remember(session: Session, graph: Graph) -> None:
    """The next build of this session starts from what this one checked and the digests it saw."""
    graph.memo.take_readers(graph.previous, graph.changed())
    graph.memo.pages = graph.pages
    session.memo, session.node_digests = graph.memo, graph.seen()


def page_keys(plan: Plan, salt: str) -> dict[str, str]:
    """For each page, a key that is the same only when its bytes are: the settings and templates
    (the salt) and the digests of everything the page read (for the search index's shards)."""
    return {path: digest(salt, json.dumps(plan.graph.memo.entries[node("page", path)].deps, sort_keys=True))
            for path in plan.paths}


def outputs(plan: Plan) -> list[str]:
    """Every file a build writes from the site itself (pages and the rest), for the manifest."""
    pages = set(plan.paths)
    return [*plan.paths, *sorted(p for p in plan.reused if p not in pages), *sorted(plan.made)]


def render_site(plan: Plan, config: SiteConfig, staging: Path, copies: dict[str, Path], jobs: int = 1,
                kept: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Write every output file except the search index into ``staging``: unchanged pages
    linked from the previous build (unless ``kept``, already there), the others rendered.
    Returns the files that are not pages."""
    for path, previous in plan.reused.items():
        if path not in kept:
            output.link_or_copy(previous, staging, path)
    render_pages(plan.renderer, plan.pending, jobs, staging)
    for path, data in plan.made.items():
        output.write_file(staging, path, data)
    for path, source in copies.items():
        output.copy_file(staging, path, source)
    return sorted(copies)


IN_PLACE_MAX = 200  # pages: a bigger change is built in a fresh folder and swapped in


def update_site(plan: Plan, config: SiteConfig, copies: dict[str, Path], cache: BuildCache) -> list[str]:
    """Rewrite, in site_dir itself, only the files that changed (``sitegen serve``'s private folder).

    Everything is written aside before the first file is replaced (write/inplace.py), so a
    template error leaves the site as it was. Pages and files the previous build wrote and
    this one does not are removed."""
    site_dir = config.site_dir
    with inplace.Update(site_dir) as update:
        for job in plan.pending:
            update.write(job.path, plan.renderer.render_parts(job))
        for path, data in plan.made.items():
            update.write(path, data, only_if_changed=True)
        cache.forget()  # from here until the new manifest is saved, the old one would describe the wrong site
        update.commit()
    for path, source in copies.items():
        output.replace_copy(site_dir, path, source)
    files = sorted(copies)
    written = set(outputs(plan))
    for path in sorted(set(cache.pages) - written) + sorted(set(cache.files) - set(files) - written):
        output.remove_output(site_dir, path)
    return files


def _publish(plan: Plan, config: SiteConfig, copies: dict[str, Path], cache: BuildCache | None,
             lock: staging.SiteLock, salt: str, jobs: int, clock: _Clock, stats: dict[str, int]) -> list[str]:
    """Fill a staging folder (the spare brought up to date, or a fresh one), index it, swap it in.
    A failure leaves it as the spare: the next build trusts nothing in it."""
    live = {path: cache.identity(path) for path in plan.reused} if cache else {}
    wanted = spare.Wanted(live, [job.path for job in plan.pending] + list(plan.made) + list(copies))
    folder, kept = spare.staging_for(config.site_dir, lock, wanted)
    stats["kept"] = len(kept)
    try:
        files = render_site(plan, config, folder, copies, jobs, kept)
        clock.lap("render")
        if config.search:
            search.index_site(page_keys(plan, salt), folder, site_dir=config.site_dir, jobs=jobs,
                              record_file=search.record_path(config.cache_dir, config.site_dir) if cache else None)
            clock.lap("search")
        if cache:
            cache.forget()  # until the swap is done, the manifest would describe the wrong site
        staging.swap_into_place(folder, config.site_dir)
        clock.lap("swap")
    except BaseException:
        staging.set_aside(folder, config.site_dir, lock)
        raise
    return files


@dataclass
class Inputs:
    """What a build reads from docs_dir, found by one scan: the loader parses the bytes the scan
    read (and the records the cache holds for the sha256s it found), so the site a build writes
    is always the site its fingerprint describes."""

    fingerprint: str
    contents: dict[str, bytes]                          # path as walked -> bytes, for the loader
    stats: dict[str, tuple] = field(default_factory=dict)  # path -> (size, mtime, ctime, inode), folders too
    scan: Scan | None = None


def input_fingerprint(config: SiteConfig, salt: str, today: dt.date, known: dict | None = None,
                      session: Session | None = None) -> Inputs:
    """One hash of everything a build reads: every file under docs_dir the loader reads (its name
    and sha256), what the scan found wrong, the settings and templates (in the salt) and the
    build date. An unchanged site is recognised before anything is parsed.

    ``known`` (a session's, or the record cache's) maps each file hashed before to its
    (size, mtime, ctime, inode), sha256 and when it was hashed: such a file is not read again.
    A session told by file events which files changed since its last scan (``Session.changes``,
    serve's) looks at those alone, when they are files that scan found.
    """
    found = (session.scan_docs if session is not None else scan)(config, known or {}, keep=config.max_file_size)
    # The files' names and hashes as one part: neither can hold a NUL.
    parts = [salt, today.isoformat(), "\0".join(found.parts), *(d.format() for d in found.report.items)]
    return Inputs(digest(*parts), {f.path: f.raw for f in found.files if f.raw is not None}, found.stats, found)


def static_files(config: SiteConfig, assets: dict[str, Path]) -> dict[str, Path]:
    """Theme assets (templates/static -> assets/) and docs_dir's own files (the loader refused
    any of those that would replace a theme asset)."""
    return {**theme_assets(config), **assets}


def build(config: SiteConfig, *, today: dt.date | None = None, jobs: int | None = None,
          use_cache: bool = True, session: Session | None = None) -> BuildResult:
    """Build the site into ``config.site_dir``; raise a SitegenError on any problem.

    With the cache (the default) an unchanged site is left as it is, and only pages
    whose context changed are rendered again; the output is byte-identical either way.
    A process that builds again and again passes the same ``session`` each time, so
    that unchanged files are not parsed, checked or converted again.

    The build holds the site's lock throughout (``staging.SiteLock``): a second
    build of the same site_dir, from any command, waits until this one is done.
    """
    # A usage problem (exit 2) is reported before content problems, and before any work.
    output.check_site_dir(config.site_dir, config.docs_dir, config.root)
    with staging.SiteLock(config.site_dir) as lock:
        return _build_locked(config, lock, today=today, jobs=jobs, use_cache=use_cache, session=session)


def _build_locked(config: SiteConfig, lock: staging.SiteLock, *, today: dt.date | None, jobs: int | None,
                  use_cache: bool, session: Session | None) -> BuildResult:
    """The build itself, from the first look at the cache to the new manifest, under the site's lock."""
    one_off = session is None
    session = session or Session()
    clock = _Clock()
    today = today or build_date()
    jobs = jobs or min(os.cpu_count() or 1, 4)
    if config.templates_dir is not None and not config.templates_dir.is_dir():
        raise UsageError(f"the templates folder '{config.shown(config.templates_dir)}' does not exist; set theme.custom_dir in "
                         "mkdocs.yml to the folder that holds the site's templates")
    salt = config_salt(config)
    session.start(salt)
    cache = session.build_cache(config, salt) if use_cache else None
    store = session.record_store(config) if use_cache else None
    try:
        return _build_stored(config, lock, session, cache, store, salt, today, jobs, one_off, clock)
    finally:
        if store is not None and one_off:
            store.close()


def _build_stored(config: SiteConfig, lock: output.SiteLock, session: Session, cache: BuildCache | None,
                  store: RecordStore | None, salt: str, today: dt.date, jobs: int, one_off: bool,
                  clock: _Clock) -> BuildResult:
    """From the fingerprint on: the record cache is open (or not used). In a session's builds after
    its first, no automatic collection runs but while a large change is rendered (Session.settle)."""
    stats: dict[str, int] = {}
    known = {**store.stats, **session.files} if store is not None else session.files
    with session.collection_paused():
        inputs = input_fingerprint(config, salt, today, known, session) if cache else Inputs("", {})
        if inputs.scan is not None:
            session.files = inputs.scan.known
            stats["hashed"] = inputs.scan.hashed
        if cache and (config.site_dir / output.MARKER).is_file() and cache.up_to_date(inputs.fingerprint):
            staging.clean_leftovers(config.site_dir, lock)  # a killed build's folders go, whatever else happens
            if store is not None and inputs.scan is not None:
                store.save(inputs.scan.known, {f.shown for f in inputs.scan.files}, None)
            clock.lap("fingerprint")
            warnings = [Diagnostic(*w[:4], severity=w[4], hint=w[5]) for w in cache.warnings]
            return BuildResult(None, warnings, timings=clock.timings, up_to_date=True, stats=stats)
        clock.lap("fingerprint")
        return _build_changed(config, lock, session, cache, store, salt, inputs, today, jobs, one_off, clock, stats)


def _build_changed(config: SiteConfig, lock: output.SiteLock, session: Session, cache: BuildCache | None,
                   store: RecordStore | None, salt: str, inputs: Inputs, today: dt.date, jobs: int,
                   one_off: bool, clock: _Clock, stats: dict[str, int]) -> BuildResult:
    """Something changed since the last build: load, check, plan, write, record."""
    loaded, site, warnings = _gather(config, today, clock, session, inputs, store, stats)
    if one_off:
        session.forget_sources()  # nobody builds again with this session: free them for the render
    copies = static_files(config, loaded.assets)
    plan = plan_pages(site, config, cache, session)
    clock.lap("plan")
    untouched: dict[str, str] = {}  # pages whose file stays where it is, as reusable() found it
    if (session.update_in_place and cache and not config.search and len(plan.pending) <= IN_PLACE_MAX
            and cache.describes_site(plan.reused)):
        files = update_site(plan, config, copies, cache)
        untouched = plan.reused
        clock.lap("render")
    else:
        with session.collection_resumed(len(plan.pending)):
            files = _publish(plan, config, copies, cache, lock, salt, jobs, clock, stats)
    # The pages were made from the bytes the fingerprint hashed; an asset is copied when its
    # turn comes. If anything under docs_dir changed meanwhile, record nothing, so that the
    # next build renders again instead of trusting a fingerprint of other bytes. (A scan made
    # from file events need not look: such a change is an event, and the next build rehashes it.)
    if cache and (inputs.scan is not None and inputs.scan.from_events or restat(inputs.stats) == inputs.stats):
        cache.save(inputs.fingerprint, plan.graph.memo, outputs(plan),
                   [[w.path, w.line, w.col, w.message, w.severity, w.hint] for w in warnings], files, untouched)
        plan.graph.store.keep(*persisted_values(plan.graph.memo))
        plan.graph.store.close()
        clock.lap("cache")
    _remember(session, plan.graph)
    return BuildResult(site, warnings, pages=len(plan.paths), files=len(outputs(plan)) + len(files),
                       rendered=len(plan.pending), timings=clock.timings, stats=stats)
