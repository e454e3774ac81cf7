"""The pipeline: load, validate, resolve, render, write to staging, post, swap.

Everything that can fail because of content fails before the first byte is
written; the site is rendered in memory, written into a fresh sibling of
``site_dir``, completed there (search index), and only then swapped into
place in one step. A failed build leaves the previous site as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import feeds, output, search
from .config import SiteConfig
from .errors import Collector, Diagnostic, UsageError
from .cache import BuildCache, config_salt, digest
from .links import LinkRules, check_links
from .loader import load_content, theme_assets
from .markup import MarkdownBodies, MarkdownRenderer
from .render import PageJob, Renderer, page_jobs, render_pages, url_of
from .resolve import Site, resolve
from .search import index_search  # noqa: F401 (serve indexes its folder with it)
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
            contents: dict[str, bytes] | None = None):
    if not config.docs_dir.is_dir():
        raise UsageError(f"the docs_dir '{config.shown(config.docs_dir)}' does not exist; create it, or set docs_dir in "
                         "mkdocs.yml to the folder that holds your content")
    report = Collector()
    loaded = load_content(config, report, session, contents)
    clock.lap("load")
    site = resolve(loaded.content, report, drafts=config.drafts, today=today or build_date(), session=session)
    check_links(site, LinkRules.from_config(config), report)
    clock.lap("resolve")
    report.raise_if_errors(strict=config.strict)
    return loaded, site, report.warnings


def check(config: SiteConfig, *, today: dt.date | None = None) -> BuildResult:
    """Everything but writing: load, validate and resolve; raise ContentError on problems."""
    clock = _Clock()
    _, site, warnings = _gather(config, today, clock)
    return BuildResult(site, warnings, timings=clock.timings)


@dataclass
class Plan:
    """Which pages a build must render, and which it can take from the previous build."""

    renderer: Renderer
    keys: dict[str, str]                # output path -> key of the page's inputs, for the next build
    reused: dict[str, str]              # output path -> the previous build's file, unchanged
    pending: list[PageJob]              # pages to render


def plan_pages(site: Site, config: SiteConfig, cache: BuildCache | None, salt: str, session: Session) -> Plan:
    if session.markdown is None:
        session.markdown = MarkdownRenderer(config.markdown_extensions)  # its settings are in the salt
    renderer = Renderer(site, config, MarkdownBodies(session.markdown, cache), session)
    plan = Plan(renderer, {}, {}, [])
    for job in page_jobs(site, renderer.views, config):
        plan.keys[job.path] = key = renderer.key(job, salt)
        previous = cache.reusable(job.path, key) if cache else None
        if previous is not None:
            plan.reused[job.path] = previous
        else:
            plan.pending.append(job)
    return plan


def other_outputs(plan: Plan, config: SiteConfig) -> dict[str, bytes]:
    """The feed, robots.txt, the JSON exports and the sitemap."""
    views = plan.renderer.views
    others = {"feed.xml": feeds.atom_feed(views, config), "robots.txt": feeds.robots(config),
              **feeds.data_exports(views)}
    sitemap = feeds.sitemap([url_of(path) for path in plan.keys if path.endswith("index.html")], config)
    if sitemap:
        others["sitemap.xml"] = sitemap
    return others


def render_site(plan: Plan, config: SiteConfig, staging: Path, copies: dict[str, Path], jobs: int = 1) -> list[str]:
    """Write every output file except the search index into ``staging``: unchanged pages
    linked from the previous build, the others rendered. Returns the files that are not pages."""
    for path, previous in plan.reused.items():
        output.link_or_copy(previous, staging, path)
    render_pages(plan.renderer, plan.pending, jobs, staging)
    others = other_outputs(plan, config)
    for path, data in others.items():
        output.write_file(staging, path, data)
    for path, source in copies.items():
        output.copy_file(staging, path, source)
    return sorted([*others, *copies])


IN_PLACE_MAX = 200  # pages: a bigger change is built in a fresh folder and swapped in


def update_site(plan: Plan, config: SiteConfig, copies: dict[str, Path], cache: BuildCache) -> list[str]:
    """Rewrite, in site_dir itself, only the files that changed (``sitegen serve``'s private folder).

    Everything is rendered before the first byte is written, so a template error
    leaves the site as it was; each file is replaced by a rename. Pages and files
    the previous build wrote and this one does not are removed.
    """
    site_dir = config.site_dir
    new = {job.path: plan.renderer.render(job) for job in plan.pending}
    others = other_outputs(plan, config)
    cache.forget()  # from here until the new manifest is saved, the old one would describe the wrong site
    for path, data in new.items():
        output.replace_file(site_dir, path, data)
    for path, data in others.items():
        output.replace_file(site_dir, path, data, only_if_changed=True)
    for path, source in copies.items():
        output.replace_copy(site_dir, path, source)
    files = sorted([*others, *copies])
    for path in sorted(set(cache.pages) - set(plan.keys)) + sorted(set(cache.files) - set(files)):
        output.remove_output(site_dir, path)
    return files


@dataclass
class Inputs:
    """What a build reads from docs_dir, read once: the loader parses these very bytes, so
    the site a build writes is always the site its fingerprint describes."""

    fingerprint: str
    contents: dict[str, bytes]                          # path as walked -> bytes, for the loader
    stats: dict[str, tuple] = field(default_factory=dict)  # path -> (size, mtime, ctime, inode)


def input_fingerprint(config: SiteConfig, salt: str, today: dt.date, known: dict | None = None) -> Inputs:
    """One hash of everything a build reads: every file under docs_dir, the settings
    and templates (in the salt) and the build date. Reading bytes is cheap; parsing
    is not, so an unchanged site is recognised before anything is parsed.

    ``known`` (a session's) maps each file read before to its (size, mtime, ctime,
    inode), bytes and their hash: a file whose four are unchanged is not read again.
    """
    parts: list[bytes | str] = [salt, today.isoformat()]
    contents: dict[str, bytes] = {}
    limit = max(config.max_file_size, config.max_asset_size)
    stats = _walk_inputs(config.docs_dir, parts, contents, known, keep=config.max_file_size, limit=limit)
    return Inputs(digest(*parts), contents, stats)


def fingerprint_file(path: str | Path, keep: int, limit: int) -> tuple[bytes | None, bytes]:
    """(the file's bytes if it has at most ``keep`` of them, else None; a hash of them).

    Read in chunks, so a file costs memory only up to ``keep``; a file of more
    than ``limit`` bytes is not hashed to its end: the loader refuses it as too
    large, or it is one sitegen never publishes (hidden, ignored), so its
    size stands for its bytes.
    """
    hasher, kept, total = hashlib.sha256(), [], 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            total += len(chunk)
            if total > limit:
                return None, f"more than {limit} bytes".encode("ascii")
            hasher.update(chunk)
            if kept is not None and total <= keep:
                kept.append(chunk)
            else:
                kept = None
    return (b"".join(kept) if kept is not None else None), hasher.digest()


def _walk_inputs(docs: Path, parts: list | None = None, contents: dict | None = None,
                 known: dict | None = None, keep: int = 0, limit: int = 0) -> dict[str, tuple]:
    """The (size, mtime, ctime, inode) of everything under docs_dir; with ``parts``, also
    the names and the hashes of the bytes that make up the fingerprint (the bytes of files of
    at most ``keep`` bytes read into ``contents``, for the loader; see fingerprint_file)."""
    stats: dict[str, tuple] = {}
    seen: dict = {}

    def read(path: str, stat: tuple) -> bytes:
        entry = known.get(path) if known is not None and stat else None
        if entry is None or entry[0] != stat:
            if stat and stat[0] > limit:  # not even opened
                entry = (stat, None, f"more than {limit} bytes".encode("ascii"))
            else:
                entry = (stat, *fingerprint_file(path, keep, limit))
        seen[path] = entry
        if entry[1] is not None:
            contents[path] = entry[1]
        return entry[2]

    def walk(folder: str, prefix: str) -> None:
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda e: e.name)
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
                stats[entry.path] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            except OSError:
                stats[entry.path] = ()
            if parts is not None:
                parts.append(prefix + entry.name)
            try:
                if entry.is_symlink():  # not followed, but where it points is part of the input
                    real = Path(entry.path).resolve(strict=True)
                    if parts is not None:
                        parts.append(fingerprint_file(real, 0, limit)[1] if real.is_relative_to(docs) and real.is_file()
                                     else str(real))
                elif entry.is_dir():
                    walk(entry.path, prefix + entry.name + "/")
                elif parts is not None and entry.is_file(follow_symlinks=False):
                    parts.append(read(entry.path, stats[entry.path]))
                elif parts is not None:
                    parts.append("not a file")  # a pipe or a device: the loader skips it
            except (OSError, RuntimeError) as exc:  # broken links, loops: the loader reports them
                if parts is not None:
                    parts.append(f"unreadable: {type(exc).__name__} {getattr(exc, 'errno', '')}")

    walk(str(docs), "")
    if known is not None:  # what the next build of the session can trust without reading
        known.clear()
        known.update(seen)
    return stats


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

    The build holds the site's lock throughout (``output.SiteLock``): a second
    build of the same site_dir, from any command, waits until this one is done.
    """
    # A usage problem (exit 2) is reported before content problems, and before any work.
    output.check_site_dir(config.site_dir, config.docs_dir, config.root)
    with output.SiteLock(config.site_dir) as lock:
        return _build_locked(config, lock, today=today, jobs=jobs, use_cache=use_cache, session=session)


def _build_locked(config: SiteConfig, lock: output.SiteLock, *, today: dt.date | None, jobs: int | None,
                  use_cache: bool, session: Session | None) -> BuildResult:
    """The build itself, from the first look at the cache to the new manifest, under the site's lock."""
    one_off = session is None
    session = session or Session()
    clock = _Clock()
    today = today or build_date()
    jobs = jobs or min(os.cpu_count() or 1, 4)
    # A usage problem (exit 2) is reported before content problems, and before any work.
    output.check_site_dir(config.site_dir, config.docs_dir, config.root)
    if config.templates_dir is not None and not config.templates_dir.is_dir():
        raise UsageError(f"the templates folder '{config.shown(config.templates_dir)}' does not exist; set theme.custom_dir in "
                         "mkdocs.yml to the folder that holds the site's templates")
    salt = config_salt(config)
    session.start(salt)
    cache = BuildCache(config, salt) if use_cache else None
    inputs = input_fingerprint(config, salt, today, session.files) if cache else Inputs("", {})
    fingerprint = inputs.fingerprint
    if cache and (config.site_dir / output.MARKER).is_file() and cache.up_to_date(fingerprint):
        output.clean_leftovers(config.site_dir, lock)  # a killed build's folders go, whatever else happens
        clock.lap("fingerprint")
        warnings = [Diagnostic(*w[:4], severity=w[4], hint=w[5]) for w in cache.warnings]
        return BuildResult(None, warnings, timings=clock.timings, up_to_date=True)
    clock.lap("fingerprint")
    loaded, site, warnings = _gather(config, today, clock, session, inputs.contents)
    inputs.contents = {}  # parsed now: let the bytes go before rendering
    if one_off:
        session.forget_sources()  # nobody builds again with this session: free them for the render
    copies = static_files(config, loaded.assets)
    plan = plan_pages(site, config, cache, salt, session)
    session.keep_sheets(site.links)
    if (session.update_in_place and cache and not config.search and len(plan.pending) <= IN_PLACE_MAX
            and cache.describes_site()):
        files = update_site(plan, config, copies, cache)
        clock.lap("render")
    else:
        staging = output.start_staging(config.site_dir, lock)
        try:
            files = render_site(plan, config, staging, copies, jobs)
            clock.lap("render")
            if config.search:
                search.index_site(plan.keys, staging, site_dir=config.site_dir, jobs=jobs,
                                  record_file=search.record_path(config.cache_dir, config.site_dir) if cache else None)
                clock.lap("search")
            if cache:
                cache.forget()  # until the swap is done, the manifest would describe the wrong site
            output.swap_into_place(staging, config.site_dir)
            clock.lap("swap")
        except BaseException:
            output.discard_staging(staging)
            raise
    # The pages were made from the bytes the fingerprint hashed; an asset is copied when its
    # turn comes. If anything under docs_dir changed meanwhile, record nothing, so that the
    # next build renders again instead of trusting a fingerprint of other bytes.
    if cache and _walk_inputs(config.docs_dir) == inputs.stats:
        cache.save(fingerprint, plan.keys, [[w.path, w.line, w.col, w.message, w.severity, w.hint] for w in warnings],
                   files)
        clock.lap("cache")
    return BuildResult(site, warnings, pages=len(plan.keys), files=len(plan.keys) + len(files),
                       rendered=len(plan.pending), timings=clock.timings)
