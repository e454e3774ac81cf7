"""The pipeline: load, validate, resolve, render, write to staging, post, swap.

Everything that can fail because of content fails before the first byte is
written; the site is rendered in memory, written into a fresh sibling of
``site_dir``, completed there (search index), and only then swapped into
place in one step. A failed build leaves the previous site as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import feeds, output
from .config import SiteConfig
from .errors import Collector, Diagnostic, OutputError, UsageError
from .loader import load_content
from .markup import MarkdownRenderer
from .render import Renderer, page_jobs, url_of
from .resolve import Site, resolve


@dataclass
class BuildResult:
    site: Site | None
    warnings: list[Diagnostic]
    pages: int = 0
    files: int = 0
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
        shown = config.docs_dir
        shown = shown.relative_to(config.root) if shown.is_relative_to(config.root) else shown
        raise UsageError(f"the docs_dir '{shown.as_posix()}' does not exist; create it, or set docs_dir in "
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


def render_site(site: Site, config: SiteConfig) -> dict[str, bytes]:
    """Every output file except the search index, in memory, keyed by output path."""
    renderer = Renderer(site, config, MarkdownRenderer(config.markdown_extensions))
    files: dict[str, bytes] = {}
    for job in page_jobs(site, renderer.views, config):
        files[job.path] = renderer.render(job)
    urls = [url_of(path) for path in files if path.endswith("index.html")]
    files["feed.xml"] = feeds.atom_feed(renderer.views, config)
    sitemap = feeds.sitemap(urls, config)
    if sitemap:
        files["sitemap.xml"] = sitemap
    files["robots.txt"] = feeds.robots(config)
    files.update(feeds.data_exports(renderer.views))
    return files


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


def build(config: SiteConfig, *, today: dt.date | None = None) -> BuildResult:
    """Build the site into ``config.site_dir``; raise a SitegenError on any problem."""
    clock = _Clock()
    # A usage problem (exit 2) is reported before content problems, and before any work.
    output.check_site_dir(config.site_dir, config.docs_dir, config.root)
    if not config.templates_dir.is_dir():
        shown = config.templates_dir
        shown = shown.relative_to(config.root) if shown.is_relative_to(config.root) else shown
        raise UsageError(f"the templates folder '{shown.as_posix()}' does not exist; set theme.custom_dir in "
                         "mkdocs.yml to the folder that holds the site's templates")
    loaded, site, warnings = _gather(config, today, clock)
    files = render_site(site, config)
    clock.lap("render")
    copies = static_files(config, loaded.assets)
    staging = output.start_staging(config.site_dir)
    try:
        for path, data in files.items():
            output.write_file(staging, path, data)
        for path, source in copies.items():
            target = output.safe_path(staging, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        clock.lap("write")
        if config.search:
            index_search(staging)
            clock.lap("search")
        output.swap_into_place(staging, config.site_dir)
        clock.lap("swap")
    except BaseException:
        output.discard_staging(staging)
        raise
    return BuildResult(site, warnings, pages=sum(p.endswith(".html") for p in files),
                       files=len(files) + len(copies), timings=clock.timings)


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
