"""View objects: what templates see, built from the resolved site.

Templates never touch the model; they get plain dicts with text already
formatted (dates in words, HTML already sanitised and marked safe), and
site-relative URLs ("sheets/x/") that the template prefixes with ``root``.
This keeps templates simple and lets the data exports reuse the same views.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

from markupsafe import Markup

from ..config import SiteConfig
from .markup import LazyMarkdown, MarkdownBodies, page_source_path
from ..model import routes
from ..model import RIGHTS_NAMES, SOURCE_KIND_NAMES, Sheet, Source, human_date
from ..model.graph import Graph
from ..site import Note, Passage, SheetLinks, Site
from .sourcetext import source_text_html


def absolute(config: SiteConfig, url: str) -> str:
    """The published address of a site-relative URL ('' when site_url is unset)."""
    if not config.site_url:
        return ""
    base = config.site_url if config.site_url.endswith("/") else config.site_url + "/"
    if _PLAIN_PATH.fullmatch(url) and "?" not in base and "#" not in base:
        return base + url  # what urljoin gives for a plain relative path, at a fraction of its cost
    return urljoin(base, url)


_PLAIN_PATH = re.compile(r"(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*)?")


def json_for_script(data) -> Markup:
    """JSON that is safe inside <script>: no '</script>', '<!--' or '&' can break out."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, indent=None, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class Lazy:
    """Safe HTML made when a template first prints or tests it. A sheet's JSON-LD and a source's
    marked-up text are shown by their own page alone: made ahead, each would be held from
    planning until that page is rendered."""

    __slots__ = ("_make", "_html")

    def __init__(self, make):
        self._make, self._html = make, None

    def __html__(self) -> str:
        if self._html is None:
            self._html, self._make = self._make(), None
        return self._html

    __str__ = __html__

    def __bool__(self) -> bool:
        return bool(self.__html__())


class View(Mapping):
    """A read-only record for templates that hashes by a memoised digest.

    Listing pages embed the same sheet cards and notes many times; encoding each
    shared view once, and a page's key from the digests, keeps cache keys cheap.
    """

    __slots__ = ("_data", "_digest")

    def __init__(self, data: dict):
        self._data, self._digest = data, None

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"View({self._data!r})"

    @property
    def digest(self) -> str:
        if self._digest is None:
            text = json.dumps(self._data, sort_keys=True, ensure_ascii=False, default=cache_repr)
            self._digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self._digest


def cache_repr(value) -> str:
    """How values that JSON does not know enter a cache key."""
    if isinstance(value, View):
        return "view:" + value.digest
    if isinstance(value, LazyMarkdown):
        return "markdown:" + value.key
    return str(value)


class Views:
    """The only code that reads the resolved site for templates.

    Each accessor records what it reads in the build's dependency graph
    (:mod:`sitegen.model.graph`): a record through :meth:`_read`, a view made from
    records through :meth:`Graph.value`. Whatever a page's context reaches is
    therefore in the page's recorded dependencies, with nothing written beside it.
    """

    def __init__(self, site: Site, config: SiteConfig, markdown: MarkdownBodies, graph: Graph):
        self.site, self.config, self.markdown, self.graph = site, config, markdown, graph
        self.content = site.content
        # A node of a record that is gone (an entry of the last build being checked) has no value.
        sheet = lambda make: lambda key: make(key) if key in site.links else None  # noqa: E731
        graph.builders.update({"card": sheet(self._sheet_card), "sheet-view": sheet(self._sheet),
                               "figures": sheet(self._figures), "events": sheet(self._events),
                               "source-view": lambda key: self._source(key) if key in self.content.sources else None})

    # -- records, read and recorded -------------------------------------------
    def _read(self, kind: str, key: str) -> None:
        self.graph.read(kind, key)

    def _known(self, kind: str, key: str) -> bool:
        """Whether a topic or entity exists (recorded either way: adding it changes the answer)."""
        self._read(kind, key)
        return key in (self.content.topics if kind == "topic" else self.content.entities)

    def sheet_record(self, sheet_id: str) -> tuple[Sheet, SheetLinks]:
        """A published sheet with its checked citations."""
        self._read("sheet", sheet_id)
        return self.content.sheets[sheet_id], self.site.links[sheet_id]

    def source_record(self, source_id: str) -> Source:
        self._read("source", source_id)
        return self.content.sources[source_id]

    def ids(self, listing: str) -> list[str]:
        """The ids of a listing: 'sheets' (published, newest first), 'sources', 'topics', 'entities'."""
        self._read("list", listing)
        if listing == "sheets":
            return [s.id for s in self.site.sheets]
        return sorted(getattr(self.content, listing))

    def sheets_about(self, kind: str, key: str) -> list[str]:
        """Ids of the published sheets of a topic ('by-topic') or an entity ('by-entity')."""
        self._read(kind, key)
        return list((self.site.by_topic if kind == "by-topic" else self.site.by_entity).get(key, []))

    def citing(self, source_id: str) -> list[str]:
        self._read("cited-by", source_id)
        return [s for s in self.site.cited_by.get(source_id, []) if s in self.site.links]

    def passages(self, source_id: str) -> list[Passage]:
        self._read("passages", source_id)
        return self.site.passages.get(source_id, [])

    def pages_nav(self) -> list[tuple[str, str]]:
        """(title, URL) of every plain page but the home page, for the navigation of every page."""
        self._read("list", "pages")
        return [(p.title, routes.page(slug)) for slug, p in sorted(self.content.pages.items()) if slug]

    # -- small pieces -------------------------------------------------------
    def topic_ref(self, topic_id: str) -> dict:
        self._read("topic", topic_id)
        topic = self.content.topics[topic_id]
        return View({"id": topic.id, "name": topic.name, "url": routes.topic(topic.id)})

    def topic(self, topic_id: str) -> dict:
        """A topic with its description."""
        self._read("topic", topic_id)
        return dict(self.topic_ref(topic_id), description=self.content.topics[topic_id].description)

    def entity_ref(self, entity_id: str) -> dict:
        self._read("entity", entity_id)
        entity = self.content.entities[entity_id]
        return View({"id": entity.id, "name": entity.name, "url": routes.entity(entity.id), "kind": entity.kind})

    def entity(self, entity_id: str) -> dict:
        """A person or organisation with everything its page shows."""
        self._read("entity", entity_id)
        e = self.content.entities[entity_id]
        return {**self.entity_ref(entity_id), "role": e.role, "organization": e.organization, "country": e.country,
                "aliases": list(e.aliases)}

    def source_ref(self, source_id: str) -> View:
        """A source as its notes show it: one View per source in a build, whoever cites it."""
        return self.graph.shared(("source-ref", source_id), lambda: self._source_ref(source_id))

    def _source_ref(self, source_id: str) -> View:
        source = self.source_record(source_id)
        return View({
            "id": source.id, "title": source.title, "publisher": source.publisher,
            "published": str(source.published), "published_human": source.published.human(),
            "url": routes.source(source.id), "link": source.url, "host": link_host(source.url),
            "kind": SOURCE_KIND_NAMES[source.kind],
            "rights": source.rights,
        })

    def note_href(self, note: Note) -> str:
        """Where a citation leads: the highlighted passage when the source page shows it."""
        url = routes.source(note.source.id)
        if note.anchor and note.source.rights != "metadata-only":
            return f"{url}#{note.anchor}"
        return url

    def note_view(self, note: Note) -> dict:
        source = self.source_ref(note.source.id)  # recorded: the note shows the source's title and rights
        href = self.note_href(note)
        return View({"number": note.number, "quote": note.quote, "href": href, "passage": "#" in href,
                     "source": source})

    def sheet_card(self, sheet_id: str) -> dict:
        """The short form of a sheet used in listings."""
        return self.graph.value("card", sheet_id)

    def _sheet_card(self, sheet_id: str) -> View:
        sheet, links = self.sheet_record(sheet_id)
        return View({
            "id": sheet.id, "title": sheet.title, "summary": sheet.summary, "url": routes.sheet(sheet.id),
            "as_of": sheet.as_of.isoformat(), "as_of_human": human_date(sheet.as_of),
            "review_by": sheet.review_by.isoformat() if sheet.review_by else "",
            "review_by_human": human_date(sheet.review_by) if sheet.review_by else "",
            "stale": links.stale, "draft": sheet.status == "draft",
            "topics": [self.topic_ref(t) for t in sheet.topics if self._known("topic", t)],
            "source_count": len({n.source.id for n in links.notes}),
            "fact_count": len(sheet.key_facts) + len(sheet.figures) + len(sheet.timeline),
        })

    # -- whole records -----------------------------------------------------
    def sheet(self, sheet_id: str) -> dict:
        return self.graph.value("sheet-view", sheet_id)

    def sheet_figures(self, sheet_id: str) -> list[View]:
        """A sheet's figures with their notes (the home and figures pages show them, not the whole sheet)."""
        return self.graph.value("figures", sheet_id)

    def sheet_events(self, sheet_id: str) -> list[View]:
        """A sheet's timeline events, by date, each with its note and the sheet's card."""
        return self.graph.value("events", sheet_id)

    def _cited(self, links: SheetLinks, item) -> View:
        return self.note_view(links.note(item.cite.source, item.cite.quote))

    def _figures(self, sheet_id: str) -> list[View]:
        sheet, links = self.sheet_record(sheet_id)
        return [View({"label": f.label, "value": f.value, "note": self._cited(links, f)}) for f in sheet.figures]

    def _events(self, sheet_id: str) -> list[View]:
        sheet, links = self.sheet_record(sheet_id)
        return [self.event(sheet, e, self._cited(links, e)) for e in sorted(sheet.timeline, key=lambda e: e.date)]

    def _sheet(self, sheet_id: str) -> View:
        sheet, links = self.sheet_record(sheet_id)
        table = {key: (note.number, self.note_href(note), note.source.title, note.quote)
                 for key, note in links.note_index.items()}

        notes = [self.note_view(n) for n in links.notes]
        sources = sorted({n.source.id: n.source for n in links.notes}.values(), key=lambda s: (str(s.published), s.id))
        view = dict(self.sheet_card(sheet.id))
        view.update({
            "entities": [self.entity_ref(e) for e in sheet.entities if self._known("entity", e)],
            "countries": list(sheet.countries),
            "key_facts": [View({"text": f.text, "note": self._cited(links, f)}) for f in sheet.key_facts],
            "figures": self.sheet_figures(sheet_id),
            "timeline": self.sheet_events(sheet_id),
            "body_html": self.markdown.body(sheet.body, table, source_path=routes.sheet_file(sheet.id),
                                            page_url=routes.sheet(sheet.id)),
            "notes": notes,
            "sources": [self.source_ref(s.id) for s in sources],
            "related": [self.sheet_card(r) for r in links.related],
            "absolute_url": absolute(self.config, routes.sheet(sheet.id)),
        })
        view["cite_text"], view["cite_bibtex"] = self._citation(sheet, view["absolute_url"])
        shown = {key: view[key] for key in ("topics", "entities", "absolute_url")}  # not the view: no cycle to collect
        view["jsonld"] = Lazy(lambda: json_for_script(self._jsonld(sheet, shown, sources)))
        return View(view)

    def page(self, slug: str) -> dict:
        """A plain page (or the home page's text); links to .md files become page links."""
        self._read("page", slug)
        page = self.content.pages.get(slug)
        if page is None:
            return {"title": "", "summary": "", "slug": "", "file": "", "body_html": Markup("")}
        source_path = page_source_path(page)
        return {"title": page.title, "summary": page.summary, "slug": page.slug, "file": page.path,
                "body_html": self.markdown.body(page.body, source_path=source_path,
                                                page_url=routes.page(page.slug))}

    def event(self, sheet: Sheet, event, note: dict) -> dict:
        return View({"date": str(event.date), "date_human": event.date.human(), "year": event.date.year,
                     "text": event.text, "note": note, "sheet": self.sheet_card(sheet.id)})

    def _citation(self, sheet: Sheet, url: str) -> tuple[str, str]:
        name = self.config.site_name
        where = f" {url}" if url else ""
        text = f"{name}. \u201c{sheet.title}.\u201d Facts as of {human_date(sheet.as_of)}.{where}"
        fields = [f"  title = {{{sheet.title}}}", f"  organization = {{{name}}}",
                  f"  year = {{{sheet.as_of.year}}}", f"  note = {{Facts as of {sheet.as_of.isoformat()}}}"]
        if url:
            fields.append(f"  url = {{{url}}}")
        bibtex = "@misc{" + sheet.id.replace("-", "_") + ",\n" + ",\n".join(fields) + "\n}"
        return text, bibtex

    def _jsonld(self, sheet: Sheet, view: dict, sources: list[Source]) -> dict:
        data = {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": sheet.title,
            "description": sheet.summary,
            "dateModified": sheet.as_of.isoformat(),
            "inLanguage": self.config.locale,
            "about": [t["name"] for t in view["topics"]],
            "mentions": [{"@type": "Person" if e["kind"] == "person" else "Organization", "name": e["name"]}
                         for e in view["entities"]],
            "citation": [self._creative_work(s) for s in sources],
        }
        if view["absolute_url"]:
            data["url"] = view["absolute_url"]
        if self.config.site_author:
            data["author"] = {"@type": "Organization", "name": self.config.site_author}
        return data

    @staticmethod
    def _creative_work(source: Source) -> dict:
        work = {"@type": "CreativeWork", "name": source.title, "datePublished": str(source.published),
                "publisher": {"@type": "Organization", "name": source.publisher}}
        if source.url:
            work["url"] = source.url
        return work

    def source(self, source_id: str) -> dict:
        return self.graph.value("source-view", source_id)

    def _source(self, source_id: str) -> View:
        source = self.source_record(source_id)
        view = dict(self.source_ref(source_id))
        passages = self.passages(source_id)
        view.update({
            "language": source.language, "retrieved": source.retrieved.isoformat() if source.retrieved else "",
            "sha256": source.sha256, "has_text": source.text is not None,
            "rights_name": RIGHTS_NAMES[source.rights], "rights": source.rights,
            "text_html": Lazy(lambda: Markup(source_text_html(source, passages))),
            "passages": len(passages),
            "anchors": [p.anchor for p in passages] if source.rights != "metadata-only" else [],
            "cited_by": [self.sheet_card(s) for s in self.citing(source_id)],
        })
        return View(view)


def link_host(url: str | None) -> str:
    """The host a source's address points to, for a short link text instead of a raw URL."""
    if not url:
        return ""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
