"""Render every page of a resolved site to bytes, keyed by output path.

Jinja runs with autoescape on and ``StrictUndefined``: a template that names a
missing value fails the build instead of printing nothing. Every page gets
``root``, the relative prefix back to the site's top ("../../" on a sheet), so
the same output works under any sub-path and from disk.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import hashlib
import itertools
import json

import jinja2

from . import workers
from .config import SiteConfig
from .errors import ContentError, Diagnostic
from .output import write_file
from .markup import MarkdownBodies
from .resolve import Site
from .session import Session
from .views import View, Views, absolute, cache_repr


@dataclass(frozen=True)
class PageJob:
    """One output page: where it goes, which template, and how to get its context."""

    path: str                    # output path, e.g. "sheets/x/index.html"
    template: str
    context: Callable[[], dict]
    title: str
    # What the context is made from, when that is much smaller than the context itself
    # (a sheet page is made from the sheet's view, whose digest is memoised): a flat list
    # of views and other JSON values. The page's cache key is taken from these, and the
    # context is built only if the page is rendered. Without it, the key is taken from the context.
    inputs: Callable[[], list] | None = None


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process (keyed by their source's
    checksum, so an edited template is compiled again): rebuilds in `serve` skip
    most of Jinja's compile time."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _MemoryBytecodeCache()


def make_environment(theme_dirs: tuple[Path, ...]) -> jinja2.Environment:
    """Templates come from the first of theme_dirs that has them (custom_dir, then the theme)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in theme_dirs]),
        bytecode_cache=_BYTECODE,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def url_of(path: str) -> str:
    """Site-relative URL of an output file: 'a/index.html' -> 'a/'."""
    if path == "index.html":
        return ""
    return path[: -len("index.html")] if path.endswith("/index.html") else path


def root_for(path: str) -> str:
    depth = path.count("/")
    return "../" * depth if depth else "./"


def page_jobs(site: Site, views: Views, config: SiteConfig) -> Iterator[PageJob]:
    """Every HTML page of the site, in a fixed order."""
    content = site.content
    sheets = site.sheets
    published_ids = [s.id for s in sheets]
    cards = lambda ids: [views.sheet_card(i) for i in ids if i in site.links]  # noqa: E731

    def home():
        figures = (dict(f, sheet=views.sheet_card(s.id)) for s in sheets for f in views.sheet(s)["figures"])
        return {"page": views.page(content.pages.get("")), "newest": cards(published_ids[:6]),
                "figures": list(itertools.islice(figures, 6)), "topics": _topic_list(site, views),
                "sheet_count": len(sheets), "source_count": len(content.sources)}

    yield PageJob("index.html", "home.html", home, config.site_name)
    by_title = lambda: cards(sorted(published_ids, key=lambda i: content.sheets[i].title.lower()))  # noqa: E731
    yield PageJob("sheets/index.html", "sheets.html", lambda: {"sheets": by_title()}, "All fact sheets", inputs=by_title)
    for sheet in sorted(sheets, key=lambda s: s.id):
        yield PageJob(f"sheets/{sheet.id}/index.html", "sheet.html",
                      lambda s=sheet: {"sheet": views.sheet(s), "edit_url": config.edit_url(f"sheets/{s.id}.md")},
                      sheet.title, inputs=lambda s=sheet: [views.sheet(s)])  # edit_url: the id and the settings
    yield PageJob("sources/index.html", "sources.html",
                  lambda: {"sources": [dict(views.source_ref(s), cited_by=len(site.cited_by.get(s.id, [])))
                                       for s in sorted(content.sources.values(), key=lambda s: (str(s.published), s.id), reverse=True)]},
                  "Sources")
    for source in sorted(content.sources.values(), key=lambda s: s.id):
        yield PageJob(f"sources/{source.id}/index.html", "source.html", lambda s=source: {"source": views.source(s)},
                      source.title, inputs=lambda s=source: views.source_inputs(s))
    yield PageJob("topics/index.html", "topics.html", lambda: {"topics": _topic_list(site, views)}, "Topics")
    for topic in sorted(content.topics.values(), key=lambda t: t.id):
        ids = site.by_topic.get(topic.id, [])
        yield PageJob(f"topics/{topic.id}/index.html", "topic.html",
                      lambda t=topic, ids=ids: {"topic": dict(views.topic_ref(t.id), description=t.description),
                                                "sheets": cards(ids)}, topic.name,
                      inputs=lambda t=topic, ids=ids: [views.topic_ref(t.id), t.description, *cards(ids)])
    yield PageJob("entities/index.html", "entities.html", lambda: {"entities": _entity_list(site, views)}, "People and organisations")
    for entity in sorted(content.entities.values(), key=lambda e: e.id):
        ids = site.by_entity.get(entity.id, [])
        yield PageJob(f"entities/{entity.id}/index.html", "entity.html",
                      lambda e=entity, ids=ids: {"entity": {**views.entity_ref(e.id), "role": e.role,
                                                            "organization": e.organization, "country": e.country,
                                                            "aliases": list(e.aliases)},
                                                 "sheets": cards(ids)}, entity.name,
                      inputs=lambda e=entity, ids=ids: [repr(e), *cards(ids)])
    # The timeline is made from the events' views (each names its sheet's card); the figures
    # page from each sheet's card and figures.
    yield PageJob("timeline/index.html", "timeline.html", lambda: {"years": _timeline(site, views)}, "Timeline",
                  inputs=lambda: [e for s in sheets for e in views.sheet(s)["timeline"]])
    yield PageJob("figures/index.html", "figures.html", lambda: {"figures": _figures(site, views)}, "Figures",
                  inputs=lambda: [v for s in sorted(sheets, key=lambda s: s.id)
                                  for v in (views.sheet_card(s.id), *views.sheet(s)["figures"])])
    yield PageJob("search/index.html", "search.html", lambda: {}, "Search")
    for slug, page in sorted(content.pages.items()):
        if slug:
            yield PageJob(f"{slug}/index.html", "page.html",
                          lambda p=page: {"page": views.page(p), "edit_url": config.edit_url(_docs_path(config, p.path))},
                          page.title)
    yield PageJob("404.html", "404.html", lambda: {}, "Page not found")


def _docs_path(config: SiteConfig, shown: str) -> str:
    """A content file's path inside docs_dir ('about.md'), from the path messages show."""
    return (config.root / shown).relative_to(config.docs_dir).as_posix()


def _topic_list(site: Site, views: Views) -> list[dict]:
    return [dict(views.topic_ref(t.id), description=t.description, count=len(site.by_topic.get(t.id, [])))
            for t in sorted(site.content.topics.values(), key=lambda t: t.name.lower())]


def _entity_list(site: Site, views: Views) -> list[dict]:
    return [dict(views.entity_ref(e.id), role=e.role, count=len(site.by_entity.get(e.id, [])))
            for e in sorted(site.content.entities.values(), key=lambda e: (e.kind, e.name.lower()))]


def _timeline(site: Site, views: Views) -> list[dict]:
    events = [views.sheet(s)["timeline"] for s in site.sheets]
    flat = sorted((e for group in events for e in group), key=lambda e: (e["date"], e["sheet"]["id"], e["text"]))
    years: dict[int, list] = defaultdict(list)
    for event in flat:
        years[event["year"]].append(event)
    return [{"year": y, "events": years[y]} for y in sorted(years)]


def _figures(site: Site, views: Views) -> list[dict]:
    """Every figure, newest first by the date of the source that gives it."""
    rows = [dict(f, sheet=views.sheet_card(s.id)) for s in sorted(site.sheets, key=lambda s: s.id)
            for f in views.sheet(s)["figures"]]
    return sorted(rows, key=lambda f: f["note"]["source"]["published"], reverse=True)


class Renderer:
    """Turns page jobs into bytes with one Jinja environment."""

    def __init__(self, site: Site, config: SiteConfig, markdown: MarkdownBodies, session: Session | None = None):
        self.site, self.config, self.markdown = site, config, markdown
        if session is None or session.environment is None:  # templates and settings are in the session's salt
            self.env = make_environment(config.theme_dirs)
            if session is not None:
                session.environment = self.env
        else:
            self.env = session.environment
        self.views = Views(site, config, markdown, session)
        # Search is the header's form (a GET to search/), so it is not repeated here.
        self.nav = [("Fact sheets", "sheets/"), ("Timeline", "timeline/"), ("Figures", "figures/"),
                    ("Topics", "topics/"), ("People", "entities/"), ("Sources", "sources/")]
        self.pages_nav = [(p.title, f"{slug}/") for slug, p in sorted(site.content.pages.items()) if slug]
        self._nav_json = json.dumps(self.pages_nav, ensure_ascii=False)

    def key(self, job: PageJob, salt: str) -> str:
        """The page's cache key. What every page shows besides its own values is made
        from the settings (in the salt), the navigation and the page's path and title."""
        if job.inputs is not None:  # one line per input: a view's digest, or a value in JSON (one line too)
            own = [v.digest if isinstance(v, View) else json.dumps(v, sort_keys=True, ensure_ascii=False)
                   for v in job.inputs()]
            data = "\n".join([job.template, job.path, job.title, self._nav_json, *own])
        else:
            data = json.dumps([job.template, job.path, job.title, self.pages_nav, job.context()],
                              sort_keys=True, ensure_ascii=False, default=cache_repr)
        return hashlib.sha256((salt + data).encode("utf-8")).hexdigest()

    def render(self, job: PageJob) -> bytes:
        return self.render_context(job, self.context(job))

    def context(self, job: PageJob) -> dict:
        """Everything the template sees: the site-wide values and the page's own."""
        base = {
            "site": {"name": self.config.site_name, "description": self.config.site_description,
                     "author": self.config.site_author, "copyright": self.config.copyright,
                     "repo_url": self.config.repo_url, "locale": self.config.locale,
                     "base_path": _base_path(self.config.site_url)},
            "extra": self.config.extra,
            "nav": self.nav, "pages_nav": self.pages_nav,
            "root": root_for(job.path), "url": url_of(job.path), "title": job.title,
            "canonical": absolute(self.config, url_of(job.path)),
        }
        base.update(job.context())
        return base

    def render_context(self, job: PageJob, context: dict) -> bytes:
        try:
            html = self.env.get_template(job.template).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise ContentError([Diagnostic(self._template_path(exc.filename or job.template), exc.lineno or 1, 1,
                                           f"template error: {exc.message}")]) from None
        except (jinja2.UndefinedError, jinja2.TemplateError) as exc:
            line = _template_line(exc)
            raise ContentError([Diagnostic(self._template_path(job.template), line, 1,
                                           f"template error while rendering {job.path}: {exc}",
                                           hint="check the names the template uses; see the views in sitegen/views.py")]) from None
        return html.encode("utf-8")

    def _template_path(self, name: str) -> str:
        path = Path(name)
        if not path.is_absolute():
            found = [d / name for d in self.config.theme_dirs if (d / name).is_file()]
            path = found[0] if found else self.config.theme_dirs[0] / name
        return self.config.shown(path)


def _base_path(site_url: str) -> str:
    """The path part of site_url ('/repo/'), used by the 404 page served at any depth."""
    from urllib.parse import urlsplit
    path = urlsplit(site_url).path if site_url else "/"
    return path if path.endswith("/") else path + "/"


def _template_line(exc: Exception) -> int:
    import traceback
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".html") or frame.filename.endswith(".xml"):
            return frame.lineno or 1
    return 1


PARALLEL_THRESHOLD = 48  # pages; below it a worker pool costs more than it saves


def render_pages(renderer: "Renderer", pending: list[PageJob], jobs: int, staging: Path) -> None:
    """Render pages straight into the staging folder, on several cores when there are
    many. Each page depends only on its own context, so the bytes are the same
    whatever the split, and no page is held in memory longer than it takes to write."""
    def render(start: int, end: int) -> None:
        for job in pending[start:end]:
            write_file(staging, job.path, renderer.render(job))

    if len(pending) < PARALLEL_THRESHOLD or workers.forked_map(render, len(pending), jobs, 8) is None:
        render(0, len(pending))
