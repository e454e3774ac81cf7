"""axe-core finds no serious or critical accessibility violation on one page of
each kind."""

from __future__ import annotations

import pytest

from conftest import in_ci

from .browser_support import REPO

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "home": "",
    "sheet": "sheets/december-2024-assessments/",
    "source": "sources/xinhua-2024-12-20-fm-briefing/",
    "timeline": "timeline/",
    "figures": "figures/",
    "sheets": "sheets/",
    "topic": "topics/scheduling/",
    "entity": "entities/lin-jian/",
    "search": "search/",
}


@pytest.fixture(scope="module")
def axe_script():
    if not AXE.exists():
        reason = f"{AXE.relative_to(REPO)} is missing; run `npm install` (or `make setup`)"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    return str(AXE)


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_serious_accessibility_violations(browser_context, site, axe_script, path):
    page = browser_context.new_page()
    response = page.goto(site.url(path), wait_until="load")
    assert response.status == 200
    page.add_script_tag(path=axe_script)
    results = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    bad = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe-core on {site.url(path)}:\n{_describe(bad)}"
