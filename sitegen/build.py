"""The pipeline: load, validate, resolve, render, write to staging, post, swap.

Everything that can fail because of content fails before the first byte is
written; the site is rendered in memory, written into a fresh sibling of
``site_dir``, completed there (search index), and only then swapped into
place in one step. A failed build leaves the previous site as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import feeds, output
from .config import SiteConfig
from .errors import Collector, Diagnostic, OutputError, UsageError
from .cache import BuildCache, config_salt, digest
from .loader import load_content
from .markup import MarkdownBodies, MarkdownRenderer
from .render import Renderer, page_jobs, page_key, render_pages, url_of
from .resolve import Site, resolve


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


def _gather(config: SiteConfig, today: dt.date | None, clock: _Clock):
    if not config.docs_dir.is_dir():
        raise UsageError(f"the docs_dir '{config.shown(config.docs_dir)}' does not exist; create it, or set docs_dir in "
                         "mkdocs.yml to the folder that holds your content")
    report = Collector()
    loaded = load_content(config, report)
    clock.lap("load")
    site = resolve(loaded.content, report, drafts=config.drafts, today=today or build_date())
    clock.lap("resolve")
    report.raise_if_errors(strict=config.strict)
    return loaded, site, report.warnings


def check(config: SiteConfig, *, today: dt.date | None = None) -> BuildResult:
    """Everything but writing: load, validate and resolve; raise ContentError on problems."""
    clock = _Clock()
    _, site, warnings = _gather(config, today, clock)
    return BuildResult(site, warnings, timings=clock.timings)


@dataclass
class Rendered:
    page_keys: dict[str, str]           # output path -> key of its context, for the next build
    reused: int                         # pages taken unchanged from the previous build
    files: int                          # files written or linked


def render_site(site: Site, config: SiteConfig, staging: Path, cache: BuildCache | None = None,
                salt: str = "", jobs: int = 1) -> Rendered:
    """Write every output file except the search index into ``staging``; pages whose
    context is unchanged are linked from the previous build instead of rendered."""
    renderer = Renderer(site, config, MarkdownBodies(MarkdownRenderer(config.markdown_extensions), cache))
    keys: dict[str, str] = {}
    reused = 0
    pending = []
    for job in page_jobs(site, renderer.views, config):
        context = renderer.context(job)
        keys[job.path] = key = page_key(salt, job, context)
        previous = cache.reusable(job.path, key) if cache else None
        if previous is not None:
            output.link_or_copy(previous, staging, job.path)
            reused += 1
        else:
            pending.append((job, context))
    render_pages(renderer, pending, jobs, staging)
    others = {"feed.xml": feeds.atom_feed(renderer.views, config), "robots.txt": feeds.robots(config),
              **feeds.data_exports(renderer.views)}
    sitemap = feeds.sitemap([url_of(path) for path in keys if path.endswith("index.html")], config)
    if sitemap:
        others["sitemap.xml"] = sitemap
    for path, data in others.items():
        output.write_file(staging, path, data)
    return Rendered(keys, reused, len(keys) + len(others))


def input_fingerprint(config: SiteConfig, salt: str, today: dt.date) -> str:
    """One hash of everything a build reads: every file under docs_dir, the settings
    and templates (in the salt) and the build date. Reading bytes is cheap; parsing
    is not, so an unchanged site is recognised before anything is parsed."""
    parts: list[bytes | str] = [salt, today.isoformat()]
    docs = config.docs_dir
    for folder, dirs, names in os.walk(docs):
        dirs.sort()
        linked = [d for d in dirs if (Path(folder) / d).is_symlink()]  # not walked, but a change
        for name in sorted(names + linked):
            path = Path(folder) / name
            parts.append(path.relative_to(docs).as_posix())
            try:
                real = path.resolve(strict=True)
                if real.is_relative_to(docs) and real.is_file():
                    parts.append(real.read_bytes())
                else:
                    parts.append(str(real))
            except (OSError, RuntimeError) as exc:  # broken links, loops: the loader reports them
                parts.append(f"unreadable: {type(exc).__name__} {getattr(exc, 'errno', '')}")
    return digest(*parts)


def static_files(config: SiteConfig, assets: dict[str, Path]) -> dict[str, Path]:
    """Theme assets (templates/static -> assets/) and docs_dir's own files."""
    found: dict[str, Path] = {}
    static = config.templates_dir / "static"
    if static.is_dir():
        for path in sorted(static.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                found["assets/" + path.relative_to(static).as_posix()] = path
    found.update(assets)
    return found


def build(config: SiteConfig, *, today: dt.date | None = None, jobs: int | None = None,
          use_cache: bool = True) -> BuildResult:
    """Build the site into ``config.site_dir``; raise a SitegenError on any problem.

    With the cache (the default) an unchanged site is left as it is, and only pages
    whose context changed are rendered again; the output is byte-identical either way.
    """
    clock = _Clock()
    today = today or build_date()
    jobs = jobs or min(os.cpu_count() or 1, 4)
    # A usage problem (exit 2) is reported before content problems, and before any work.
    output.check_site_dir(config.site_dir, config.docs_dir, config.root)
    if not config.templates_dir.is_dir():
        raise UsageError(f"the templates folder '{config.shown(config.templates_dir)}' does not exist; set theme.custom_dir in "
                         "mkdocs.yml to the folder that holds the site's templates")
    salt = config_salt(config)
    cache = BuildCache(config, salt) if use_cache else None
    fingerprint = input_fingerprint(config, salt, today) if cache else ""
    if cache and (config.site_dir / output.MARKER).is_file() and cache.up_to_date(fingerprint):
        output.clean_leftovers(config.site_dir)  # a killed build's folders go, whatever else happens
        clock.lap("fingerprint")
        warnings = [Diagnostic(*w[:4], severity=w[4], hint=w[5]) for w in cache.warnings]
        return BuildResult(None, warnings, timings=clock.timings, up_to_date=True)
    clock.lap("fingerprint")
    loaded, site, warnings = _gather(config, today, clock)
    copies = static_files(config, loaded.assets)
    staging = output.start_staging(config.site_dir)
    try:
        rendered = render_site(site, config, staging, cache, salt, jobs)
        clock.lap("render")
        for path, source in copies.items():
            output.copy_file(staging, path, source)
        clock.lap("write")
        if config.search:
            index_search(staging)
            clock.lap("search")
        if cache:
            cache.forget()  # until the swap is done, the manifest would describe the wrong site
        output.swap_into_place(staging, config.site_dir)
        clock.lap("swap")
    except BaseException:
        output.discard_staging(staging)
        raise
    # An input saved while this build ran is not in its output: record nothing, so the
    # next build renders again instead of trusting a fingerprint of older bytes.
    if cache and input_fingerprint(config, salt, today) == fingerprint:
        cache.save(fingerprint, rendered.page_keys,
                   [[w.path, w.line, w.col, w.message, w.severity, w.hint] for w in warnings])
        clock.lap("cache")
    return BuildResult(site, warnings, pages=len(rendered.page_keys), files=rendered.files + len(copies),
                       rendered=len(rendered.page_keys) - rendered.reused, timings=clock.timings)


def index_search(folder: Path) -> None:
    """Build the Pagefind index into folder/pagefind/ (the search UI loads it from there)."""
    command = [sys.executable, "-m", "pagefind", "--site", str(folder), "--output-subdir", "pagefind", "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OutputError(f"search index failed: {exc}; the previous site is untouched") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise OutputError(f"search index failed (pagefind exit {result.returncode}: {detail[0]}); "
                          "the previous site is untouched — set 'search: false' under the sitegen plugin to build without it")
