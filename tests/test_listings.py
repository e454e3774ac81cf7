"""Topic and entity pages on a large site: every sheet listed, the facts of the newest quoted."""

from __future__ import annotations

from conftest import TODAY, TinySite
from sitegen.build import build
from sitegen.render import ABOUT_QUOTED_SHEETS


def add_bridge_sheets(site: TinySite, count: int) -> None:
    """Copies of the bridge sheet, one a day older than the next, each with a fact of its own."""
    original = (site.content / "sheets" / "bridge-repairs.md").read_text(encoding="utf-8")
    for n in range(count):
        text = original.replace("as_of: 2024-03-01", f"as_of: 2024-01-{n + 1:02d}")
        text = text.replace("title: Repairs to the old stone bridge", f"title: Bridge note {n:02d}")
        text = text.replace("  - text: The repairs cost just under two million pounds.",
                            f"  - text: Fact only in bridge note {n:02d}.")
        (site.content / "sheets" / f"bridge-note-{n:02d}.md").write_text(text, encoding="utf-8")


def test_a_crowded_topic_quotes_only_its_newest_sheets(small_site: TinySite):
    add_bridge_sheets(small_site, ABOUT_QUOTED_SHEETS + 2)  # with bridge-repairs and overview: 16 on bridges
    build(small_site.config(), today=TODAY)
    page = (small_site.site_dir / "topics" / "bridges" / "index.html").read_text(encoding="utf-8")
    total = ABOUT_QUOTED_SHEETS + 4
    assert f"From the {ABOUT_QUOTED_SHEETS} newest of the {total} sheets listed above" in page
    assert all(f"Bridge note {n:02d}" in page for n in range(ABOUT_QUOTED_SHEETS + 2))  # all listed
    # the newest 12: overview and bridge-repairs (March), then notes 13..4 (January 14..5)
    assert "Fact only in bridge note 13." in page and "Fact only in bridge note 04." in page
    assert "Fact only in bridge note 03." not in page and "Fact only in bridge note 00." not in page


def test_a_small_topic_quotes_every_sheet(small_site: TinySite):
    add_bridge_sheets(small_site, 2)
    build(small_site.config(), today=TODAY)
    page = (small_site.site_dir / "topics" / "bridges" / "index.html").read_text(encoding="utf-8")
    assert "newest of the" not in page
    assert "Fact only in bridge note 00." in page and "Fact only in bridge note 01." in page
