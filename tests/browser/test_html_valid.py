"""Every built page is valid HTML by the Nu HTML Checker (vnu.jar, from npm)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import in_ci

from .browser_support import REPO

pytestmark = pytest.mark.browser

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_every_built_page_passes_the_nu_html_checker(site):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        reason = "Java is not installed" if java is None else f"{VNU.relative_to(REPO)} is missing; run `npm install`"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    pages = sorted(site.folder.rglob("*.html"))
    assert len(pages) > 10, f"only {len(pages)} HTML files in the build"
    proc = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(proc.stderr or proc.stdout)
    errors = [m for m in report["messages"] if m.get("type") in ("error", "non-document-error")]
    lines = [
        f"{m.get('url', '?').split(str(site.folder), 1)[-1]}:{m.get('lastLine', '?')}:{m.get('firstColumn', '?')}: "
        f"{m['message']}  [{m.get('extract', '').strip()[:120]}]"
        for m in errors
    ]
    assert not errors, f"the Nu HTML Checker found {len(errors)} errors:\n" + "\n".join(lines)
    assert proc.returncode == 0, proc.stderr[-2000:]
