"""The shipped fact sheets: current, reviewable, and linked from the overview.

These pin promises about the content in ``content/`` rather than about sitegen:
the site covers events to late 2026, no sheet waits more than a year for review,
every source beyond the one stored text is metadata-only, and the overview is a
front door that links every other sheet by a relative ``.md`` link that exists.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sitegen.config import load_config
from sitegen.errors import Collector
from sitegen.read.loader import load_content

from conftest import REPO

STORED_TEXT = "xinhua-2024-12-20-fm-briefing"


@pytest.fixture(scope="module")
def content():
    report = Collector()
    loaded = load_content(load_config(REPO / "mkdocs.yml"), report)
    assert not report.items, report.items
    return loaded.content


def published(content):
    return {sid: sheet for sid, sheet in content.sheets.items() if sheet.status == "published"}


def test_at_least_sixteen_published_sheets(content):
    assert len(published(content)) >= 16, sorted(published(content))


def test_the_newest_sheet_is_current_to_2026(content):
    assert max(sheet.as_of for sheet in published(content).values()).year == 2026


def test_every_sheet_is_reviewed_within_a_year_of_its_as_of_date(content):
    late = {sid: (sheet.as_of.isoformat(), sheet.review_by and sheet.review_by.isoformat())
            for sid, sheet in content.sheets.items()
            if sheet.review_by is None
            or not sheet.as_of <= sheet.review_by <= sheet.as_of + dt.timedelta(days=366)}
    assert late == {}


def test_only_the_stored_xinhua_text_is_held_and_every_other_source_is_metadata_only(content):
    held = sorted(sid for sid, source in content.sources.items() if source.text is not None)
    assert held == [STORED_TEXT]
    not_metadata_only = sorted(sid for sid, source in content.sources.items()
                               if sid != STORED_TEXT and source.rights != "metadata-only")
    assert not_metadata_only == []
    assert sorted(sid for sid, source in content.sources.items() if not source.url) == []


def test_the_overview_links_every_other_sheet_by_a_relative_md_link_that_exists(content):
    overview = content.sheets["overview"]
    linked = set(re.findall(r"\]\(([a-z0-9-]+)\.md\)", overview.body))
    assert linked <= set(content.sheets), linked - set(content.sheets)
    assert linked == set(published(content)) - {"overview"}
