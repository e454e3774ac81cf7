"""Machine-readable outputs: Atom feed, sitemap, robots.txt and JSON exports.

They are built from the same view objects as the pages, so a fact reads the
same everywhere. Nothing here looks at the clock: the feed's dates are the
sheets' ``as_of`` dates, so identical content gives identical bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable, Iterator

from ..model import routes
from ..model import packed
from ..config import SiteConfig
from .views import Views, absolute


_NOT_XML = re.compile("[^\t\n\r\u0020-\ufffd\U00010000-\U0010ffff]")


class Joined:
    """A file's text kept as its parts, encoded and written one by one: joined ahead, facts.json
    (60 MB at 10,000 sheets, its parts already held as the sheets' export lines) would be held
    from planning to the end of the render, and twice over while it was being joined.

    ``head + separator.join(lines) + tail``, where the lines are those ``pick`` takes from each
    item (the item itself without ``pick``): an item may be a packed text (a serve session's,
    model/packed.py), unpacked only while its lines are written."""

    __slots__ = ("head", "items", "separator", "tail", "pick")

    def __init__(self, head: str, items: list, separator: str, tail: str,
                 pick: Callable[[Any], Iterable[str]] | None = None):
        self.head, self.items, self.separator, self.tail, self.pick = head, items, separator, tail, pick

    def __iter__(self) -> Iterator[bytes]:
        yield self.head.encode("utf-8")
        separator, first = self.separator.encode("utf-8"), True
        for item in self.items:
            for line in (self.pick(item) if self.pick else (item,)):
                yield line.encode("utf-8") if first else separator + line.encode("utf-8")
                first = False
        yield self.tail.encode("utf-8")

    def __bytes__(self) -> bytes:
        return b"".join(self)


def escape(text: str) -> str:
    """&, < and > as entities (as xml.sax.saxutils does; importing it costs a new process 50 ms)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(text: str) -> str:
    """An attribute value with its quotes, as xml.sax.saxutils.quoteattr writes it."""
    text = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    return f"'{text}'" if "'" not in text else '"' + text.replace('"', "&quot;") + '"'


def _xml_text(text: str) -> str:
    """Escape for XML and drop characters XML 1.0 cannot carry."""
    return escape(_NOT_XML.sub("", text))


def atom_feed(views: Views, config: SiteConfig) -> Joined:
    ids = views.ids("sheets")
    site_id = absolute(config, routes.HOME) or "urn:sitegen:site"
    updated = max((views.sheet_card(i)["as_of"] for i in ids), default=None)  # ISO dates: the latest sorts last
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(config.locale)}>',
             f"  <title>{_xml_text(config.site_name)}</title>",
             f"  <id>{_xml_text(site_id)}</id>"]
    if config.site_description:
        lines.append(f"  <subtitle>{_xml_text(config.site_description)}</subtitle>")
    if absolute(config, routes.HOME):
        lines.append(f'  <link rel="alternate" type="text/html" href={quoteattr(absolute(config, routes.HOME))}/>')
        lines.append(f'  <link rel="self" type="application/atom+xml" href={quoteattr(absolute(config, routes.FEED))}/>')
    if updated:
        lines.append(f"  <updated>{updated}T00:00:00Z</updated>")
    lines.append(f"  <author><name>{_xml_text(config.site_author or config.site_name)}</name></author>")
    lines += [views.graph.value("feed-entry", i) for i in ids]  # a feed entry is kept while it comes out the same
    lines.append("</feed>")
    return Joined("", lines, "\n", "\n")


def _feed_entry(sheet, config: SiteConfig) -> str:
    url = absolute(config, routes.sheet(sheet.id))
    lines = ["  <entry>",
             f"    <title>{_xml_text(sheet.title)}</title>",
             f"    <id>{_xml_text(url or 'urn:sitegen:sheet:' + sheet.id)}</id>"]
    if url:
        lines.append(f'    <link rel="alternate" type="text/html" href={quoteattr(url)}/>')
    lines += [f"    <updated>{sheet.as_of.isoformat()}T00:00:00Z</updated>",
              f"    <summary>{_xml_text(sheet.summary)}</summary>"]
    lines += [f"    <category term={quoteattr(t)}/>" for t in sheet.topics]
    lines.append("  </entry>")
    return "\n".join(lines)


def sitemap(urls: list[str], config: SiteConfig) -> bytes | None:
    """A sitemap needs absolute addresses; without site_url there is none."""
    if not config.site_url:
        return None
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"  <url><loc>{_xml_text(absolute(config, u))}</loc></url>" for u in urls]
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots(config: SiteConfig) -> bytes:
    text = "User-agent: *\nAllow: /\n"
    if config.site_url:
        text += f"Sitemap: {absolute(config, routes.SITEMAP)}\n"
    return text.encode("utf-8")


def _dump(name: str, texts: list, pick: Callable[[Any], Iterable[str]]) -> Joined:
    """``{"version": 1, name: [...]}`` with one record per line: readable in a diff,
    and written by json's C encoder (an indented dump takes its slow Python path)."""
    return Joined(f'{{"version":1,"{name}":[\n', texts, ",\n", "\n]}\n", pick)


def _line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _citation(note: dict) -> dict:
    source = note["source"]
    return {"source": source["id"], "source_title": source["title"], "publisher": source["publisher"],
            "published": source["published"], "source_url": source["link"] or None, "quote": note["quote"],
            "page": source["url"] + (("#" + note["href"].split("#", 1)[1]) if "#" in note["href"] else "")}


def _sheet_records(view) -> str:
    """One sheet's line of sheets.json, then its lines of facts.json, as one text: a line each
    (JSON text has no newline of its own), which a session can keep packed (graph.PACKED)."""
    sheet = _line({
        "id": view["id"], "url": view["url"], "title": view["title"], "summary": view["summary"],
        "as_of": view["as_of"], "review_by": view["review_by"] or None, "stale": view["stale"],
        "topics": [t["id"] for t in view["topics"]], "entities": [e["id"] for e in view["entities"]],
        "countries": view["countries"], "related": [r["id"] for r in view["related"]],
        "sources": [s["id"] for s in view["sources"]],
    })
    facts = []
    for kind, items in (("key_fact", view["key_facts"]), ("figure", view["figures"]), ("event", view["timeline"])):
        for index, item in enumerate(items):
            fact = {"sheet": view["id"], "kind": kind, "index": index, "citation": _citation(item["note"])}
            if kind == "figure":
                fact.update(label=item["label"], value=item["value"])
            else:
                fact["text"] = item["text"]
            if kind == "event":
                fact["date"] = item["date"]
            facts.append(_line(fact))
    return "\n".join([sheet, *facts])


def _export_texts(views: Views) -> list:
    """Each sheet's export text (its line of sheets.json, then its lines of facts.json), in id order,
    as the graph holds it (packed in a serve session). A sheet's text is a node made from its view,
    so a rebuild in the same process encodes only the sheets whose view changed."""
    return [views.graph.kept("export", sheet_id) for sheet_id in sorted(views.ids("sheets"))]


def sheets_json(views: Views) -> Joined:
    """/data/sheets.json: every sheet."""
    return _dump("sheets", _export_texts(views), lambda value: (packed.first_line(value),))


def facts_json(views: Views) -> Joined:
    """/data/facts.json: every fact with its citation."""
    return _dump("facts", _export_texts(views), lambda value: packed.text(value).split("\n")[1:])


def outputs(views: Views, config: SiteConfig) -> list[tuple[str, Callable[[], Joined]]]:
    """The files made from the site's views besides its pages, by output path.

    Their nodes' builders are known to the graph before anything is checked, so that an
    entry that read them (the previous build's facts.json) can be found current."""
    known = views.site.links
    views.graph.builders.update({
        "feed-entry": lambda i: _feed_entry(views.sheet_record(i)[0], config) if i in known else None,
        "export": lambda i: _sheet_records(views.sheet(i)) if i in known else None,
    })
    return [(routes.FACTS_JSON, lambda: facts_json(views)), (routes.SHEETS_JSON, lambda: sheets_json(views)),
            (routes.FEED, lambda: atom_feed(views, config))]
