"""Every printed sheet is a one- or two-page A4 handout that keeps its source list."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from .browser_support import which

pytestmark = pytest.mark.browser



def _sheet_ids(site) -> list[str]:
    return [s["id"] for s in json.loads((site.folder / "data" / "sheets.json").read_text(encoding="utf-8"))["sheets"]]


def pdf_pages(pdf: bytes, path) -> int:
    """Page count: pdfinfo when poppler-utils is installed, else the page objects."""
    if which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def _source_titles(site, sheet_id: str) -> list[str]:
    sheets = json.loads((site.folder / "data" / "sheets.json").read_text(encoding="utf-8"))["sheets"]
    ids = next(s["sources"] for s in sheets if s["id"] == sheet_id)
    facts = json.loads((site.folder / "data" / "facts.json").read_text(encoding="utf-8"))["facts"]
    titles = {f["citation"]["source"]: f["citation"]["source_title"] for f in facts}
    return [titles[i] for i in ids if i in titles]


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_every_printed_sheet_fits_two_a4_pages_with_its_sources(browser_context, site, tmp_path):
    page = browser_context.new_page()
    for sheet_id in _sheet_ids(site):
        _check_print(page, site, sheet_id, tmp_path)


def _check_print(page, site, sheet_id: str, tmp_path) -> None:
    page.goto(site.url(f"sheets/{sheet_id}/"), wait_until="load")
    page.emulate_media(media="print")
    titles = _source_titles(site, sheet_id)
    assert titles, f"data/sheets.json lists no source for {sheet_id}"

    # In print media the source list is still there to read.
    main_text = _squash(page.locator("main").inner_text())
    assert any(_squash(t) in main_text for t in titles), f"no source title of {sheet_id} is visible in print media"

    path = tmp_path / f"{sheet_id}.pdf"
    pdf = page.pdf(path=str(path), format="A4", print_background=False)
    assert pdf.startswith(b"%PDF")
    pages = pdf_pages(pdf, path)
    assert 1 <= pages <= 2, f"sheets/{sheet_id}/ prints on {pages} A4 pages; a sheet should be a one- or two-page handout"

    if which("pdftotext"):
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert any(_squash(t) in _squash(text) for t in titles), (
            f"the printed sheet names none of its sources {titles}; text was:\n{text[:3000]}"
        )
