"""``sitegen list``: the questions editors ask of a checked site, one row per record.

Rows are tuples of text (path first) that the command prints tab-separated,
for a shell pipeline to cut, sort or grep; the same resolved site the build uses answers, so "stale" means exactly
what the build's warning means.
"""

from __future__ import annotations

from .site import Site

Row = tuple[str, str, str]


def stale_sheets(site: Site) -> list[Row]:
    """Sheets past their review_by date (the build warns about each), the most overdue first."""
    rows = [(s.path, s.review_by.isoformat(), s.title) for s in site.sheets
            if s.status != "draft" and site.links[s.id].stale]
    return sorted(rows, key=lambda r: (r[1], r[0]))


def draft_sheets(site: Site) -> list[Row]:
    """Sheets with status: draft (the site must be checked with drafts included)."""
    return sorted((s.path, s.as_of.isoformat(), s.title) for s in site.sheets if s.status == "draft")


def sources(site: Site, unused_only: bool = False) -> list[tuple[str, str, str, str]]:
    """Sources by path as (path, published, sheets citing it, title); ``unused_only``: those no sheet cites."""
    rows = []
    for source in site.content.sources.values():
        count = len(site.cited_by.get(source.id, []))
        if not (unused_only and count):
            rows.append((source.path, str(source.published), str(count), source.title))
    return sorted(rows)
