"""The machine-readable outputs of the served build: Atom feed, sitemap,
robots.txt, the JSON data and each sheet's JSON-LD agree with the site."""

from __future__ import annotations

import json
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from .browser_support import record_pages, script_blocks, url_to_file

pytestmark = pytest.mark.browser

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def fetch(site, path: str) -> tuple[int, str, bytes]:
    """GET a file from the server, as a feed reader or crawler would."""
    with urllib.request.urlopen(site.url(path), timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def test_feed_is_atom_with_one_entry_per_sheet(site):
    status, ctype, body = fetch(site, "feed.xml")
    assert status == 200 and "xml" in ctype, (status, ctype)
    feed = ET.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    for child in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{child}") is not None, f"the feed has no <{child}>"
    entries = feed.findall(f"{ATOM}entry")
    sheets = record_pages(site.folder)["sheets"]
    linked = []
    for entry in entries:
        for child in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{child}") or "").strip(), f"an entry has no <{child}>"
        href = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert href.startswith(site.base), f"entry link {href} is not under {site.base}"
        target = url_to_file(site.folder, site.base, href)
        assert target is not None and target.is_file(), f"entry link {href} names no built page"
        linked.append(href)
    assert sorted(linked) == sorted(site.url(f"sheets/{s}/") for s in sheets)


def test_sitemap_lists_absolute_urls_of_real_pages(site):
    status, _, body = fetch(site, "sitemap.xml")
    assert status == 200
    root = ET.fromstring(body)
    assert root.tag == f"{SITEMAP}urlset"
    locs = [(loc.text or "").strip() for loc in root.iter(f"{SITEMAP}loc")]
    assert locs, "the sitemap lists nothing"
    outside = [u for u in locs if not u.startswith(site.base)]
    assert not outside, f"sitemap URLs not under SITE_URL {site.base}: {outside}"
    missing = [u for u in locs if not (f := url_to_file(site.folder, site.base, u)) or not f.is_file()]
    assert not missing, f"sitemap URLs with no built page: {missing}"
    assert len(set(locs)) == len(locs), "the sitemap lists a URL twice"
    for kind, names in record_pages(site.folder).items():
        absent = [n for n in names if site.url(f"{kind}/{n}/") not in locs]
        assert not absent, f"{kind} pages missing from the sitemap: {absent}"


def test_robots_txt_allows_crawling_and_names_the_sitemap(site):
    status, _, body = fetch(site, "robots.txt")
    assert status == 200
    lines = [line.strip() for line in body.decode("utf-8").splitlines()]
    assert any(line.lower().startswith("user-agent:") for line in lines), lines
    assert f"Sitemap: {site.url('sitemap.xml')}" in lines, lines
    assert "Disallow: /" not in lines, "robots.txt shuts crawlers out"


def test_json_data_lists_every_sheet_and_cites_real_sources(site):
    sheets = json.loads(fetch(site, "data/sheets.json")[2])["sheets"]
    facts = json.loads(fetch(site, "data/facts.json")[2])["facts"]
    built = record_pages(site.folder)
    assert sorted(s["id"] for s in sheets) == built["sheets"]
    sources = set(built["sources"])
    assert facts, "data/facts.json holds no fact"
    uncited = [f for f in facts if not (f.get("citation") or {}).get("source")]
    assert not uncited, f"facts without a cited source id: {uncited[:5]}"
    unknown = sorted({f["citation"]["source"] for f in facts} - sources)
    assert not unknown, f"facts cite source ids with no source page: {unknown}"
    unknown_sheet = sorted({f["sheet"] for f in facts} - set(built["sheets"]))
    assert not unknown_sheet, f"facts of unknown sheets: {unknown_sheet}"
    for sheet in sheets:
        bad = sorted(set(sheet.get("sources", [])) - sources)
        assert not bad, f"sheet {sheet['id']} lists unknown sources {bad}"


def test_every_sheet_carries_article_json_ld_with_citations(site):
    titles = {s["id"]: s["title"] for s in json.loads(fetch(site, "data/sheets.json")[2])["sheets"]}
    for sheet_id in record_pages(site.folder)["sheets"]:
        html_text = fetch(site, f"sheets/{sheet_id}/")[2].decode("utf-8")
        blocks = script_blocks(html_text, "application/ld+json")
        assert blocks, f"sheets/{sheet_id}/ has no JSON-LD"
        data = [json.loads(b) for b in blocks]
        articles = [d for d in data if d.get("@type") == "Article"]
        assert len(articles) == 1, f"sheets/{sheet_id}/: expected one Article, got {[d.get('@type') for d in data]}"
        article = articles[0]
        assert article.get("headline") == titles[sheet_id]
        assert article.get("url") == site.url(f"sheets/{sheet_id}/")
        citations = article.get("citation")
        assert isinstance(citations, list) and citations, f"sheets/{sheet_id}/: the Article cites nothing"
        assert all(c.get("name") for c in citations), f"sheets/{sheet_id}/: a citation has no name"
