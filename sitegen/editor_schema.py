"""JSON Schemas of the content files, for editors' tools (``sitegen schema``).

They are made from the checker's own definitions: the field lists of
``schema.py`` (the only keys a record may have), its patterns (ids, country
codes, language tags, checksums, dates) and the model's vocabularies (status,
kind, rights). What is left to say here is each field's shape, and
:func:`schemas` refuses to run if a field list gained a field this module does
not describe, so the schemas cannot silently fall behind the checker. A schema
refuses only what the checker refuses (for the forms the README documents:
dates as YYYY-MM-DD); cross-file facts (an id that exists, a quote found in its
source) are the checker's alone. tests/test_editor_schema.py holds them to it.
"""

from __future__ import annotations

import json
import re

from . import countries
from .read import schema as s
from .model import ENTITY_KINDS, ID_RE, RIGHTS, SOURCE_KINDS, STATUSES

DRAFT = "https://json-schema.org/draft/2020-12/schema"
NAMES = ("sheet", "source", "topics", "entities")


def _pattern(regex: re.Pattern) -> str:
    return regex.pattern


# The shapes a field can have, as the checker's readers (schema.Fields) accept them.
TEXT = {"type": ["string", "number"]}                         # Fields.text: numbers are read as text
REQUIRED_TEXT = {"anyOf": [{"type": "string", "pattern": r"\S"}, {"type": "number"}]}
DATE = {"type": "string", "pattern": r"^\s*\d{4}-\d{2}-\d{2}\s*$"}  # Fields.date (YAML dates arrive as text here)
PARTIAL_DATE = {"anyOf": [{"type": "string", "pattern": r"^\s*\d{4}(-\d{2}(-\d{2})?)?\s*$"},
                          {"type": "integer", "minimum": 0, "maximum": 9999}]}


def _strings(pattern: str | None = None) -> dict:
    """Fields.strings: a list, or one value standing for a list of one."""
    item = {"type": "string", **({"pattern": pattern} if pattern else {})}
    return {"anyOf": [item, {"type": "array", "items": item}]}


# The officially assigned ISO 3166-1 alpha-2 codes the checker accepts (countries.ASSIGNED).
COUNTRY = {"type": "string", "enum": sorted(countries.ASSIGNED)}


def _countries() -> dict:
    """Fields.strings of country codes: a list of them, or one standing for a list of one."""
    return {"anyOf": [COUNTRY, {"type": "array", "items": COUNTRY}]}


def _matching(regex: re.Pattern) -> dict:
    return {"type": "string", "pattern": _pattern(regex)}


def _record(fields: tuple[str, ...], shapes: dict[str, dict], required: tuple[str, ...], title: str) -> dict:
    missing = set(fields) ^ set(shapes)
    if missing:  # a field list of schema.py changed: describe the new field here
        raise RuntimeError(f"editor_schema does not match schema.py for {title}: {sorted(missing)}")
    properties = {}
    for name in fields:
        shape = shapes[name]
        properties[name] = shape if name in required else {"anyOf": [shape, {"type": "null"}]}
    return {"type": "object", "title": title, "properties": properties, "required": list(required),
            "additionalProperties": False}


def _cited(fields: tuple[str, ...], shapes: dict[str, dict], required: tuple[str, ...], title: str) -> dict:
    return _record(fields, {**shapes, "cite": _matching(ID_RE), "quote": TEXT}, (*required, "cite"), title)


def schemas() -> dict[str, dict]:
    """Every schema by name: a sheet's front matter, a source's .yml, topics.yml, entities.yml."""
    ids = _strings(_pattern(ID_RE))
    sheet = _record(s.SHEET_FIELDS, {
        "title": REQUIRED_TEXT, "summary": REQUIRED_TEXT, "as_of": DATE, "review_by": DATE,
        "status": {"enum": list(STATUSES)}, "topics": ids, "countries": _countries(),
        "entities": ids, "related": ids,
        "key_facts": {"type": "array", "items": _cited(s.FACT_FIELDS, {"text": REQUIRED_TEXT}, ("text",), "a key fact")},
        "figures": {"type": "array", "items": _cited(s.FIGURE_FIELDS, {"label": REQUIRED_TEXT, "value": REQUIRED_TEXT},
                                                     ("label", "value"), "a figure")},
        "timeline": {"type": "array", "items": _cited(s.EVENT_FIELDS, {"date": PARTIAL_DATE, "text": REQUIRED_TEXT},
                                                      ("date", "text"), "a timeline event")},
    }, ("title", "summary", "as_of"), "A sitegen fact sheet's front matter")
    source = _record(s.SOURCE_FIELDS, {
        "title": REQUIRED_TEXT, "publisher": REQUIRED_TEXT, "published": PARTIAL_DATE,
        "url": {"type": "string", "pattern": r'^\s*([hH][tT][tT][pP][sS]?://[^ <>"\\\n]*)?\s*$'},
        "language": _matching(s.LANGUAGE_RE), "kind": {"enum": list(SOURCE_KINDS)}, "rights": {"enum": list(RIGHTS)},
        "retrieved": DATE, "sha256": _matching(s.SHA256_RE),
    }, ("title", "publisher", "published"), "A sitegen source (sources/<id>.yml)")
    topic = _record(s.TOPIC_FIELDS, {"name": REQUIRED_TEXT, "description": TEXT}, ("name",), "a topic")
    entity = _record(s.ENTITY_FIELDS, {
        "name": REQUIRED_TEXT, "kind": {"enum": list(ENTITY_KINDS)}, "role": TEXT, "organization": TEXT,
        "country": COUNTRY, "aliases": _strings(),
    }, ("name", "kind"), "a person or organisation")

    def vocabulary(record: dict, title: str) -> dict:
        return {"type": ["object", "null"], "title": title, "propertyNames": {"pattern": _pattern(ID_RE)},
                "additionalProperties": record}

    found = {"sheet": sheet, "source": source,
             "topics": vocabulary(topic, "sitegen topics (data/topics.yml): id -> fields"),
             "entities": vocabulary(entity, "sitegen people and organisations (data/entities.yml): id -> fields")}
    return {name: {"$schema": DRAFT, **body} for name, body in found.items()}


def schema_text(name: str) -> str:
    """One schema as the file ``sitegen schema`` and ``new site`` write."""
    return json.dumps(schemas()[name], indent=2, ensure_ascii=False) + "\n"
