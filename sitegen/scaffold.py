"""``sitegen new sheet`` and ``sitegen new site``: new content that already checks.

A new sheet carries the next steps in comments; a new site is a copy of
``sitegen/starter/`` (settings, an example sheet citing an example stored
source, the Pages workflow) that ``sitegen build`` and ``mkdocs build`` build as
it is. Neither ever overwrites a file.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from .build import build_date
from .config import SiteConfig
from .errors import UsageError
from .model import is_id

STARTER = Path(__file__).resolve().parent / "starter"
SCHEMA_FOLDER = ".vscode/schemas"  # where `new site` writes `sitegen schema`'s output

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


def starter_files() -> dict[str, Path]:
    """The new site's files, by the path they get inside it ('dot-x' is written '.x')."""
    files = {}
    for path in sorted(STARTER.rglob("*")):
        rel = path.relative_to(STARTER)
        if path.is_file() and "__pycache__" not in rel.parts and rel.as_posix() != "__init__.py":
            files["/".join("." + part[4:] if part.startswith("dot-") else part for part in rel.parts)] = path
    return files


def new_site(target: Path, shown: str) -> list[str]:
    """Write a complete site into target (created if missing), which must be empty.

    ``shown`` is how the user named the folder, for messages."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"'{shown}' is a file; sitegen new site writes a whole site into a new or empty folder")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(f"'{shown}' is not empty; sitegen new site writes a whole site into a new or empty folder, "
                         "so it never mixes with or overwrites other files: choose another folder")
    from .editor_schema import NAMES, schema_text
    files = {rel: source.read_bytes() for rel, source in starter_files().items()}
    for name in NAMES:  # the editor's schemas, mapped to the files in .vscode/settings.json
        files[f"{SCHEMA_FOLDER}/{name}.schema.json"] = schema_text(name).encode("utf-8")
    for rel, data in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:
            handle.write(data)
    return list(files)
