"""``sitegen new sheet``: a sheet that already checks, with the next steps inside."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from .build import build_date
from .config import SiteConfig
from .errors import UsageError
from .model import is_id

TEMPLATE = """---
# Next steps:
#  1. Add the source you will cite: sitegen import FILE (or write sources/<id>.yml by hand).
#  2. Fill in key_facts, each with `cite:` (a source id) and, where the source's text is
#     stored, a verbatim `quote:` that sitegen checks against it.
#  3. Run `sitegen check`, then `sitegen serve` to preview.
title: {title}
summary: {summary}
as_of: {today}
review_by: {review}
status: draft          # change to published when it is ready
topics: []             # ids from data/topics.yml
countries: []          # ISO 3166-1 alpha-2 codes, e.g. [CN, US]
entities: []           # ids from data/entities.yml
key_facts: []
#  - text: One sentence stating the fact in your own words.
#    cite: source-id
#    quote: "the exact words of the source"
figures: []
timeline: []
related: []
---
Write the sheet here. Cite inline with `[@source-id]`, or with a verbatim quote:
`[@source-id "exact words from the source"]` (without the backticks, which keep
these two examples from being checked).
"""


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_title.lower()))[:60].strip("-")


def new_sheet(config: SiteConfig, title: str, sheet_id: str | None = None) -> Path:
    title = title.strip()
    if not title:
        raise UsageError("the title is empty: sitegen new sheet \"China's 2019 class-wide control\"")
    sheet_id = sheet_id or slugify(title)
    if not is_id(sheet_id):
        raise UsageError(f"'{sheet_id}' is not a valid sheet id: use lowercase letters, digits and single "
                         "hyphens, or pass --id")
    path = config.docs_dir / "sheets" / f"{sheet_id}.md"
    if path.exists():
        raise UsageError(f"'{config.shown(path)}' already exists; choose another --id")
    today = build_date()
    review = today.replace(year=today.year + 1) if not (today.month == 2 and today.day == 29) else today.replace(day=28, year=today.year + 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.format(title=json.dumps(title, ensure_ascii=False),
                           summary=json.dumps("One or two plain sentences on what this sheet establishes."),
                           today=today.isoformat(), review=review.isoformat())
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)
    return path
