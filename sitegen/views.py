"""View objects: what templates see, built from the resolved site.

Templates never touch the model; they get plain dicts with text already
formatted (dates in words, HTML already sanitised and marked safe), and
site-relative URLs ("sheets/x/") that the template prefixes with ``root``.
This keeps templates simple and lets the data exports reuse the same views.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

from markupsafe import Markup

from .config import SiteConfig
from .markup import LazyMarkdown, MarkdownBodies, page_source_path
from .model import Sheet, Source, human_date
from .quotes import PARAGRAPH_BREAK
from .resolve import Note, Passage, Site
from .session import Session

SOURCE_KIND_NAMES = {"news": "News article", "statement": "Statement", "readout": "Readout",
                     "announcement": "Announcement", "report": "Report", "regulation": "Regulation",
                     "other": "Other"}
RIGHTS_NAMES = {"full-text": "Full text shown", "excerpts": "Cited excerpts shown",
                "metadata-only": "Metadata only"}
# Where an excerpt leaves text out: "[…]" to the eye, words to a screen reader.
_GAP = '<p class="gap"><span aria-hidden="true">[\u2026]</span><span class="vh">Text left out.</span></p>'
_PARAGRAPH_BREAK = PARAGRAPH_BREAK  # the paragraphs a quote must stay within are the ones shown


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
    """Builds, and memoises, the view of every record of one resolved site."""

    def __init__(self, site: Site, config: SiteConfig, markdown: MarkdownBodies, session: Session | None = None):
        self.site, self.config, self.markdown = site, config, markdown
        self.content = site.content
        self.session = session or Session()
        self._sheet_cards: dict[str, dict] = {}
        self._sheets: dict[str, View] = {}
        self._source_refs: dict[str, View] = {}
        self._inputs: dict[str, tuple] = {}

    def _remembered(self, memo: dict, sheet_id: str, inputs: tuple, make):
        """The session's view for these exact inputs, or a new one (then remembered)."""
        entry = memo.get(sheet_id)
        if entry is None or entry[0] != inputs:
            entry = memo[sheet_id] = (inputs, make())
        return entry[1]

    def _card_inputs(self, sheet_id: str) -> tuple:
        """Everything a sheet card is made from (settings and templates are in the session's salt)."""
        found = self._inputs.get(sheet_id)
        if found is None:
            sheet, links = self.content.sheets[sheet_id], self.site.links[sheet_id]
            found = self._inputs[sheet_id] = (sheet, links.stale, tuple(self.content.topics.get(t) for t in sheet.topics),
                                              tuple(n.source.id for n in links.notes))
        return found

    # -- small pieces -------------------------------------------------------
    def topic_ref(self, topic_id: str) -> dict:
        topic = self.content.topics[topic_id]
        return View({"id": topic.id, "name": topic.name, "url": f"topics/{topic.id}/"})

    def entity_ref(self, entity_id: str) -> dict:
        entity = self.content.entities[entity_id]
        return View({"id": entity.id, "name": entity.name, "url": f"entities/{entity.id}/", "kind": entity.kind})

    def source_ref(self, source: Source) -> View:
        if source.id not in self._source_refs:
            self._source_refs[source.id] = View({
                "id": source.id, "title": source.title, "publisher": source.publisher,
                "published": str(source.published), "published_human": source.published.human(),
                "url": f"sources/{source.id}/", "link": source.url, "host": link_host(source.url),
                "kind": SOURCE_KIND_NAMES[source.kind],
                "rights": source.rights,
            })
        return self._source_refs[source.id]

    def note_href(self, note: Note) -> str:
        """Where a citation leads: the highlighted passage when the source page shows it."""
        url = f"sources/{note.source.id}/"
        if note.anchor and note.source.rights != "metadata-only":
            return f"{url}#{note.anchor}"
        return url

    def note_view(self, note: Note) -> dict:
        href = self.note_href(note)
        return View({"number": note.number, "quote": note.quote, "href": href, "passage": "#" in href,
                     "source": self.source_ref(note.source)})

    def sheet_card(self, sheet_id: str) -> dict:
        """The short form of a sheet used in listings."""
        if sheet_id not in self._sheet_cards:
            self._sheet_cards[sheet_id] = self._remembered(self.session.cards, sheet_id, self._card_inputs(sheet_id),
                                                           lambda: self._sheet_card(sheet_id))
        return self._sheet_cards[sheet_id]

    def _sheet_card(self, sheet_id: str) -> View:
        sheet = self.content.sheets[sheet_id]
        links = self.site.links[sheet.id]
        return View({
            "id": sheet.id, "title": sheet.title, "summary": sheet.summary, "url": f"sheets/{sheet.id}/",
            "as_of": sheet.as_of.isoformat(), "as_of_human": human_date(sheet.as_of),
            "review_by": sheet.review_by.isoformat() if sheet.review_by else "",
            "review_by_human": human_date(sheet.review_by) if sheet.review_by else "",
            "stale": links.stale, "draft": sheet.status == "draft",
            "topics": [self.topic_ref(t) for t in sheet.topics if t in self.content.topics],
            "source_count": len({n.source.id for n in links.notes}),
            "fact_count": len(sheet.key_facts) + len(sheet.figures) + len(sheet.timeline),
        })

    # -- whole records -----------------------------------------------------
    def sheet(self, sheet: Sheet) -> dict:
        if sheet.id not in self._sheets:
            links = self.site.links[sheet.id]
            inputs = (self._card_inputs(sheet.id), tuple(links.notes), tuple(links.related),
                      tuple(self._card_inputs(r) for r in links.related),
                      tuple(self.content.entities.get(e) for e in sheet.entities))
            self._sheets[sheet.id] = self._remembered(self.session.sheets, sheet.id, inputs, lambda: self._sheet(sheet))
        return self._sheets[sheet.id]

    def _sheet(self, sheet: Sheet) -> dict:
        links = self.site.links[sheet.id]

        def cited(item) -> dict:
            return self.note_view(links.note(item.cite.source, item.cite.quote))

        table = {key: (note.number, self.note_href(note), note.source.title, note.quote)
                 for key, note in links.note_index.items()}

        notes = [self.note_view(n) for n in links.notes]
        sources = sorted({n.source.id: n.source for n in links.notes}.values(), key=lambda s: (str(s.published), s.id))
        view = dict(self.sheet_card(sheet.id))
        view.update({
            "entities": [self.entity_ref(e) for e in sheet.entities if e in self.content.entities],
            "countries": list(sheet.countries),
            "key_facts": [View({"text": f.text, "note": cited(f)}) for f in sheet.key_facts],
            "figures": [View({"label": f.label, "value": f.value, "note": cited(f)}) for f in sheet.figures],
            "timeline": [self.event(sheet, e, cited(e)) for e in sorted(sheet.timeline, key=lambda e: e.date)],
            "body_html": self.markdown.body(sheet.body, table, source_path=f"sheets/{sheet.id}.md",
                                            page_url=f"sheets/{sheet.id}/"),
            "notes": notes,
            "sources": [self.source_ref(s) for s in sources],
            "related": [self.sheet_card(r) for r in links.related],
            "absolute_url": absolute(self.config, f"sheets/{sheet.id}/"),
        })
        view["cite_text"], view["cite_bibtex"] = self._citation(sheet, view["absolute_url"])
        view["jsonld"] = json_for_script(self._jsonld(sheet, view, sources))
        return View(view)

    def page(self, page) -> dict:
        """A plain page (or the home page's text); links to .md files become page links."""
        if page is None:
            return {"title": "", "summary": "", "slug": "", "body_html": Markup("")}
        source_path = page_source_path(page)
        return {"title": page.title, "summary": page.summary, "slug": page.slug,
                "body_html": self.markdown.body(page.body, source_path=source_path,
                                                page_url=f"{page.slug}/" if page.slug else "")}

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

    def source_inputs(self, source: Source) -> list:
        """What :meth:`source` makes a source page from (its cache key). The stored text is
        there through its sha256: the loader refuses a text that does not match it."""
        return [self.source_ref(source), source.language, str(source.retrieved), source.sha256, source.text is not None,
                [(p.start, p.end, p.anchor, p.quote) for p in self.site.passages.get(source.id, [])],
                *(self.sheet_card(s) for s in self.site.cited_by.get(source.id, []) if s in self.site.links)]

    def source(self, source: Source) -> dict:
        view = dict(self.source_ref(source))
        passages = self.site.passages.get(source.id, [])
        view.update({
            "language": source.language, "retrieved": source.retrieved.isoformat() if source.retrieved else "",
            "sha256": source.sha256, "has_text": source.text is not None,
            "rights_name": RIGHTS_NAMES[source.rights], "rights": source.rights,
            "text_html": Markup(self.source_text_html(source, passages)),
            "passages": len(passages),
            "anchors": [p.anchor for p in passages] if source.rights != "metadata-only" else [],
            "cited_by": [self.sheet_card(s) for s in self.site.cited_by.get(source.id, [])
                         if s in self.site.links],
        })
        return view

    def source_text_html(self, source: Source, passages: list[Passage]) -> str:
        """The stored text as far as `rights` allows, cited passages marked and anchored."""
        if source.text is None or source.rights == "metadata-only":
            return ""
        text = source.text
        paragraphs, start = [], 0
        for match in _PARAGRAPH_BREAK.finditer(text):
            paragraphs.append((start, match.start()))
            start = match.end()
        paragraphs.append((start, len(text)))
        paragraphs = [(a, b) for a, b in paragraphs if text[a:b].strip()]
        excerpts = source.rights == "excerpts"
        parts, skipped = [], False
        for a, b in paragraphs:
            inside = [p for p in passages if p.start < b and p.end > a]
            if excerpts and not inside:
                skipped = True
                continue
            if skipped or (excerpts and not parts and a > paragraphs[0][0]):
                parts.append(_GAP)
            skipped = False
            parts.append(f"<p>{_highlight(text, a, b, inside)}</p>")
        if excerpts and skipped and parts:
            parts.append(_GAP)
        return "\n".join(parts)


def _highlight(text: str, start: int, end: int, passages: list[Passage]) -> str:
    """Escape text[start:end], wrapping cited passages in <mark> with anchors at their starts.

    Each <mark> names, in data-q, the anchors of the passages it belongs to, so
    a passage split by an overlapping one can still be emphasised as a whole.
    """
    cuts = {start, end}
    for p in passages:
        cuts.update(x for x in (p.start, p.end) if start < x < end)
    anchors = {max(p.start, start): [] for p in passages}
    for p in passages:
        if p.start >= start:
            anchors[p.start].append(p.anchor)
    out, points = [], sorted(cuts)
    for a, b in zip(points, points[1:]):
        for anchor in anchors.get(a, []):
            out.append(f'<span class="anchor" id="{anchor}"></span>')
        chunk = html.escape(text[a:b], quote=False).replace("\r\n", "\n").replace("\n", "<br>\n")
        covering = [p.anchor for p in passages if p.start < b and p.end > a]
        if covering:  # data-q lets the page's CSS light up a whole passage when its anchor is the :target
            out.append(f'<mark data-q="{" ".join(covering)}">{chunk}</mark>')
        else:
            out.append(chunk)
    return "".join(out)


def link_host(url: str | None) -> str:
    """The host a source's address points to, for a short link text instead of a raw URL."""
    if not url:
        return ""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
