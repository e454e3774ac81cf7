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

import itertools

import jinja2

from ..model import routes
from ..model.routes import output_path as _at, root_for, url_of
from ..config import SiteConfig
from ..errors import ContentError, Diagnostic
from .markup import MarkdownBodies
from ..model.graph import Graph
from ..site import Site
from .views import Views, absolute


@dataclass(frozen=True)
class PageJob:
    """One output page: where it goes, which template, and how to get its context.

    ``context`` reads the site only through the views, so whatever it reaches is
    recorded as the page's dependencies (:mod:`sitegen.model.graph`) when the build
    first calls it; the page's title is part of its context."""

    path: str                    # output path, e.g. "sheets/x/index.html"
    template: str
    context: Callable[[], dict]


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


def page_jobs(site: Site, views: Views, config: SiteConfig) -> Iterator[PageJob]:
    """Every HTML page of the site, in a fixed order. Which pages exist follows from the
    site's ids; what each shows is read, and recorded, by its context."""
    content = site.content
    cards = lambda ids: [views.sheet_card(i) for i in ids]  # noqa: E731

    def home():
        ids = views.ids("sheets")
        figures = (dict(f, sheet=views.sheet_card(i)) for i in ids for f in views.sheet_figures(i))
        return {"title": config.site_name, "page": views.page(""), "newest": cards(ids[:6]),
                "figures": list(itertools.islice(figures, 6)), "topics": _topic_list(views),
                "sheet_count": len(ids), "source_count": len(views.ids("sources"))}

    def by_title():
        return {"title": "All fact sheets", "sheets": sorted(cards(views.ids("sheets")), key=lambda c: c["title"].lower())}

    yield PageJob(_at(routes.HOME), "home.html", home)
    yield PageJob(_at(routes.SHEETS), "sheets.html", by_title)
    for sheet_id in sorted(site.links):
        yield PageJob(_at(routes.sheet(sheet_id)), "sheet.html", lambda i=sheet_id: _sheet_page(views, config, i))
    yield PageJob(_at(routes.SOURCES), "sources.html", lambda: {"title": "Sources", "sources": _source_list(views)})
    for source_id in sorted(content.sources):
        yield PageJob(_at(routes.source(source_id)), "source.html",
                      lambda i=source_id: (lambda v: {"title": v["title"], "source": v})(views.source(i)))
    yield PageJob(_at(routes.TOPICS), "topics.html", lambda: {"title": "Topics", "topics": _topic_list(views)})
    for topic_id in sorted(content.topics):
        yield PageJob(_at(routes.topic(topic_id)), "topic.html", lambda i=topic_id: _topic_page(views, i))
    yield PageJob(_at(routes.ENTITIES), "entities.html",
                  lambda: {"title": "People and organisations", "entities": _entity_list(views)})
    for entity_id in sorted(content.entities):
        yield PageJob(_at(routes.entity(entity_id)), "entity.html", lambda i=entity_id: _entity_page(views, i))
    yield PageJob(_at(routes.TIMELINE), "timeline.html", lambda: {"title": "Timeline", "years": _timeline(views)})
    yield PageJob(_at(routes.FIGURES), "figures.html", lambda: {"title": "Figures", "figures": _figures(views)})
    yield PageJob(_at(routes.SEARCH), "search.html", lambda: {"title": "Search"})
    for slug in sorted(content.pages):
        if slug:
            yield PageJob(_at(routes.page(slug)), "page.html", lambda s=slug: _plain_page(views, config, s))
    yield PageJob(routes.NOT_FOUND, "404.html", lambda: {"title": "Page not found"})


def _sheet_page(views: Views, config: SiteConfig, sheet_id: str) -> dict:
    sheet = views.sheet(sheet_id)
    return {"title": sheet["title"], "sheet": sheet, "edit_url": config.edit_url(routes.sheet_file(sheet_id))}


def _plain_page(views: Views, config: SiteConfig, slug: str) -> dict:
    page = views.page(slug)
    return {"title": page["title"], "page": page, "edit_url": config.edit_url(_docs_path(config, page["file"]))}


def _topic_page(views: Views, topic_id: str) -> dict:
    topic = views.topic(topic_id)
    return {"title": topic["name"], "topic": topic,
            "sheets": [views.sheet_card(i) for i in views.sheets_about("by-topic", topic_id)]}


def _entity_page(views: Views, entity_id: str) -> dict:
    entity = views.entity(entity_id)
    return {"title": entity["name"], "entity": entity,
            "sheets": [views.sheet_card(i) for i in views.sheets_about("by-entity", entity_id)]}


def _docs_path(config: SiteConfig, shown: str) -> str:
    """A content file's path inside docs_dir ('about.md'), from the path messages show."""
    return (config.root / shown).relative_to(config.docs_dir).as_posix()


def _source_list(views: Views) -> list[dict]:
    refs = [dict(views.source_ref(i), cited_by=len(views.citing(i))) for i in views.ids("sources")]
    return sorted(refs, key=lambda s: (s["published"], s["id"]), reverse=True)


def _topic_list(views: Views) -> list[dict]:
    rows = [dict(views.topic(t), count=len(views.sheets_about("by-topic", t))) for t in views.ids("topics")]
    return sorted(rows, key=lambda t: t["name"].lower())


def _entity_list(views: Views) -> list[dict]:
    rows = [dict(views.entity_ref(e), role=views.entity(e)["role"], count=len(views.sheets_about("by-entity", e)))
            for e in views.ids("entities")]
    return sorted(rows, key=lambda e: (e["kind"], e["name"].lower()))


def _timeline(views: Views) -> list[dict]:
    events = [views.sheet_events(i) for i in views.ids("sheets")]
    flat = sorted((e for group in events for e in group), key=lambda e: (e["date"], e["sheet"]["id"], e["text"]))
    years: dict[int, list] = defaultdict(list)
    for event in flat:
        years[event["year"]].append(event)
    return [{"year": y, "events": years[y]} for y in sorted(years)]


def _figures(views: Views) -> list[dict]:
    """Every figure, newest first by the date of the source that gives it."""
    rows = [dict(f, sheet=views.sheet_card(i)) for i in sorted(views.ids("sheets")) for f in views.sheet_figures(i)]
    return sorted(rows, key=lambda f: f["note"]["source"]["published"], reverse=True)


class Renderer:
    """Turns page jobs into bytes with one Jinja environment."""

    def __init__(self, site: Site, config: SiteConfig, markdown: MarkdownBodies, graph: Graph,
                 env: jinja2.Environment | None = None):
        self.site, self.config, self.markdown = site, config, markdown
        self.env = env or make_environment(config.theme_dirs)  # templates and settings are in the build's salt
        self.views = Views(site, config, markdown, graph)
        # Search is the header's form (a GET to search/), so it is not repeated here.
        self.nav = [("Fact sheets", routes.SHEETS), ("Timeline", routes.TIMELINE), ("Figures", routes.FIGURES),
                    ("Topics", routes.TOPICS), ("People", routes.ENTITIES), ("Sources", routes.SOURCES)]

    def compile_templates(self) -> None:
        """Compile every template of the theme now, so that forked workers share the compiled
        code instead of each compiling its own; a broken one is reported when a page uses it."""
        for name in self.env.list_templates(extensions=("html", "xml")):
            try:
                self.env.get_template(name)
            except jinja2.TemplateError:
                pass

    def render(self, job: PageJob) -> bytes:
        return b"".join(self.render_parts(job))

    def render_parts(self, job: PageJob) -> Iterator[bytes]:
        """The page's bytes in parts of a few thousand of the pieces Jinja makes, for writing as
        they come: a listing of 10,000 sheets (the timeline, 17 MB) is never held whole, nor
        as its half a million pieces (60 MB more in serve's first build). The context is made
        now; a template error is raised while the parts are taken."""
        return self._parts(job, self.context(job))

    def context(self, job: PageJob) -> dict:
        """Everything the template sees: the site-wide values and the page's own."""
        base = {
            "site": {"name": self.config.site_name, "description": self.config.site_description,
                     "author": self.config.site_author, "copyright": self.config.copyright,
                     "repo_url": self.config.repo_url, "locale": self.config.locale,
                     "base_path": _base_path(self.config.site_url)},
            "extra": self.config.extra,
            "nav": self.nav, "pages_nav": self.views.pages_nav(),
            "root": root_for(job.path), "url": url_of(job.path),
            "canonical": absolute(self.config, url_of(job.path)),
        }
        base.update(job.context())
        return base

    def _parts(self, job: PageJob, context: dict) -> Iterator[bytes]:
        try:
            pieces = self.env.get_template(job.template).generate(context)
            while batch := list(itertools.islice(pieces, 4096)):
                yield "".join(batch).encode("utf-8")
        except jinja2.TemplateSyntaxError as exc:
            raise ContentError([Diagnostic(self._template_path(exc.filename or job.template), exc.lineno or 1, 1,
                                           f"template error: {exc.message}")]) from None
        except (jinja2.UndefinedError, jinja2.TemplateError) as exc:
            line = _template_line(exc)
            raise ContentError([Diagnostic(self._template_path(job.template), line, 1,
                                           f"template error while rendering {job.path}: {exc}",
                                           hint="check the names the template uses; see the views in sitegen/render/views.py")]) from None

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
