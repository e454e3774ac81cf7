"""A published value is what the editor typed: YAML 1.1 rewrote figures and country codes.

Built through the real command line, and read back from the pages and the JSON
exports a reader or a script would use.
"""

from __future__ import annotations

import json
import re

# Each of these, unquoted, was published rewritten by YAML 1.1: 750, 15, 3.5, 31, 50, inf, 1500.0.
TYPED = ["12:30", "017", "3.50", "0x1F", "+50", ".inf", "1.5e+3", "2019-05-01", "off", "NO"]

SHEET = (
    "---\n"
    "title: Harbour figures\n"
    "summary: Numbers as the sources give them.\n"
    "as_of: 2024-05-03\n"
    "countries: [NO, GB]\n"
    "entities: [ada-pike, norsk-havn]\n"
    "figures:\n"
    + "".join(f"  - label: Figure {n}\n    value: {typed}\n    cite: gazette-pier\n" for n, typed in enumerate(TYPED))
    + "---\nBody.\n"
)
ENTITIES = ("ada-pike:\n  name: Ada Pike\n  kind: person\n  role: Mayor\n"
            "norsk-havn:\n  name: Norsk Havn\n  kind: organization\n  role: Port operator\n  country: NO\n")


def test_figures_and_countries_are_published_as_typed(tiny_site):
    site = tiny_site({"content/sheets/figures.md": SHEET, "content/data/entities.yml": ENTITIES})
    result = site.run("build", "--strict")
    assert result.returncode == 0, result.stderr

    page = (site.site_dir / "sheets" / "figures" / "index.html").read_text(encoding="utf-8")
    shown = re.findall(r'<dd class="figure-value">([^<]*)</dd>', page)
    assert shown == TYPED

    facts = json.loads((site.site_dir / "data" / "facts.json").read_text(encoding="utf-8"))["facts"]
    assert [f["value"] for f in facts if f["sheet"] == "figures" and f["kind"] == "figure"] == TYPED

    table = (site.site_dir / "figures" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<span class="figure-value">([^<]*)</span>', table) == TYPED

    sheets = json.loads((site.site_dir / "data" / "sheets.json").read_text(encoding="utf-8"))["sheets"]
    assert next(s for s in sheets if s["id"] == "figures")["countries"] == ["NO", "GB"]
    entity = (site.site_dir / "entities" / "norsk-havn" / "index.html").read_text(encoding="utf-8")
    assert "Port operator (NO)</p>" in entity
