"""The distribution as a new user gets it: build the wheel and sdist, install the wheel into
a fresh virtual environment outside the repository, start a site and build it twice.

Nothing here imports the repository's code: every command runs the installed one, in
folders under tmp_path, with PYTHONPATH unset.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, SOURCE_DATE_EPOCH, snapshot

THEME_FILES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "sitegen" / "themes").rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts)
STARTER_FILES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "sitegen" / "starter").rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts)


def run(*command: str | Path, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SITE_URL", "VIRTUAL_ENV")}
    # the locked versions, for the build backend and the fresh venv alike, as `make setup` uses
    env.update(SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH, PYTHONIOENCODING="utf-8",
               PIP_CONSTRAINT=str(REPO / "requirements.lock"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The wheel and sdist, built with `python -m build` from a copy of the tracked files."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        if (REPO / rel).is_file():  # a file deleted in the work tree is not part of it
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, source / rel)
    run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", root / "dist", source, cwd=root)
    return root / "dist"


def test_the_wheel_carries_the_theme_the_starter_and_the_metadata(dist):
    (wheel,) = dist.glob("sitegen_factsheets-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(THEME_FILES + STARTER_FILES) <= names
    assert "sitegen/starter/dot-gitignore" in names and "sitegen/starter/dot-github/workflows/pages.yml" in names
    dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert f"{dist_info}/licenses/LICENSE" in names
    meta = email.message_from_bytes(zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA"))
    assert (meta["Name"], meta["License-Expression"], meta["Requires-Python"]) == ("sitegen-factsheets", "MIT", ">=3.11")
    assert "Framework :: MkDocs" in meta.get_all("Classifier")
    description = meta.get_payload()
    assert "pip install sitegen-factsheets" in description
    # PyPI shows the description on its own: no relative link or image may be in it
    assert re.findall(r"\]\((?!https?://)[^)]*\)", description) == []
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    for line in ("sitegen = sitegen.cli:run", "sitegen = sitegen.mkdocs_plugin:SitegenPlugin",
                 "factsheet = sitegen.themes.factsheet"):
        assert line in entry_points


def test_the_sdist_carries_what_the_wheel_is_built_from(dist):
    (sdist,) = dist.glob("sitegen_factsheets-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"LICENSE", "pyproject.toml", "docs/package.md", *THEME_FILES, *STARTER_FILES} <= names


def test_from_the_installed_wheel_a_new_site_builds_the_same_with_sitegen_and_mkdocs(dist, tmp_path):
    (wheel,) = dist.glob("sitegen_factsheets-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    made = run(venv / "bin" / "sitegen", "new", "site", "mysite", cwd=work)
    assert made.stderr == "created a new site in mysite (16 files); next: cd mysite && sitegen serve\n"
    site = work / "mysite"
    built = run(venv / "bin" / "sitegen", "build", "--strict", cwd=site)
    assert built.stderr.startswith("built 14 pages ") and built.stderr.endswith("; 0 errors, 0 warnings\n")
    run(venv / "bin" / "mkdocs", "build", "-d", work / "by-mkdocs", cwd=site)
    pages = snapshot(site / "site")
    assert {"index.html", "sheets/example/index.html", "assets/site.css", "pagefind/pagefind.js"} <= pages.keys()
    assert snapshot(work / "by-mkdocs") == pages
    # the installed package was used, not the repository's code
    where = run(venv / "bin" / "python", "-c", "import sitegen; print(sitegen.__file__)", cwd=work).stdout
    assert where.startswith(str(venv))
