"""Shared fixtures, in layers as in Lektor's conftest: files → config → content → built site.

``tiny_site`` writes a small site inline (``mkdocs.yml`` plus a dict of content
files) into ``tmp_path``; its theme is the repository's packaged theme
folder, by absolute path, and search is off unless a test asks for it. The
layered fixtures ``site_root`` → ``site_config`` → ``site_content`` →
``built_site`` build on :data:`BASE_FILES`, a minimal valid site, so a test
takes the first layer it needs. ``small_site`` copies
``tests/fixtures/small-site`` (the whole-site and invalid-case base).

Builds are pinned to :data:`TODAY` (in process) or :data:`SOURCE_DATE_EPOCH`
(subprocesses), so review dates give the same warnings on any day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Mapping

import pytest

from sitegen.build import build, check
from sitegen.config import SiteConfig, load_config

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "sitegen" / "themes" / "factsheet"  # the packaged theme, used as a custom_dir
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL_SITE = FIXTURES / "small-site"
TODAY = dt.date(2025, 1, 15)
SOURCE_DATE_EPOCH = "1736899200"  # 2025-01-15T00:00:00Z, the same day as TODAY
REGENERATE = os.environ.get("SITEGEN_REGENERATE") == "1"

# The small-site fixture names its theme with !ENV [SITEGEN_TEST_TEMPLATES, ../../../sitegen/themes/factsheet],
# so a copy of it anywhere (tmp_path) still uses the repository's packaged theme.
os.environ["SITEGEN_TEST_TEMPLATES"] = str(TEMPLATES)


# --- plain helpers ---------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write ``{relative path: text or bytes}`` under root; text is written as UTF-8 with LF."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_bytes(data.encode("utf-8"))
        else:
            path.write_bytes(data)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder (hidden ones too) by relative path, with its bytes."""
    result = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            result[path.relative_to(folder).as_posix()] = path.read_bytes()
    return result


def leftovers(site_dir: Path) -> list[str]:
    """Staging or old-site folders a build left next to site_dir (the lock file too); not the
    spare, the replaced site a build keeps on purpose for the next one (sitegen.write.spare)."""
    spare = f".{site_dir.name}.sitegen-spare"
    return sorted(p.name for p in site_dir.parent.iterdir()
                  if p.name.startswith(f".{site_dir.name}.sitegen-") and p.name != spare)


def mkdocs_yml(*, search: bool = False, extra: str = "", options: str = "") -> str:
    """A mkdocs.yml using the repository's templates by absolute path."""
    return (
        "site_name: Tiny Facts\n"
        "site_url: https://example.org/tiny/\n"
        "theme:\n"
        "  name: null\n"
        f"  custom_dir: {TEMPLATES.as_posix()}\n"
        f"{extra}"
        "plugins:\n"
        "  - sitegen:\n"
        f"      search: {'true' if search else 'false'}\n"
        f"{options}"
        "docs_dir: content\n"  # last, so that the lines of everything above stay as tests pin them
    )


def sitegen_env(**changes: str | None) -> dict[str, str]:
    """The environment for ``python -m sitegen``: the repo importable, the date pinned."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("SITE_URL", None)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_sitegen(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
                timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real command line, as an editor would, and capture its output as text."""
    return subprocess.run([sys.executable, "-m", "sitegen", *args], cwd=cwd, env=dict(env or sitegen_env()),
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def check_or_regenerate(expected_path: Path, actual: str) -> None:
    """Compare with a stored expectation, or rewrite it when SITEGEN_REGENERATE=1."""
    if REGENERATE:
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_bytes(actual.encode("utf-8"))
        return
    assert expected_path.exists(), f"{expected_path} is missing: run with SITEGEN_REGENERATE=1"
    assert actual == expected_path.read_bytes().decode("utf-8")


# --- a minimal valid site ----------------------------------------------------------

SOURCE_TEXT = ("HARBOURTON, May 3 (Gazette) \u2014 The \u201cnew\u201d pier opened on Friday, "
               "two weeks late.\n\nIt cost four hundred pounds.\n")

BASE_FILES: dict[str, str | bytes] = {
    "content/index.md": "---\ntitle: Tiny\n---\nHome text.\n",
    "content/data/topics.yml": "piers:\n  name: Piers\n  description: Piers and jetties.\n",
    "content/data/entities.yml": "ada-pike:\n  name: Ada Pike\n  kind: person\n  role: Mayor\n",
    "content/sources/gazette-pier.txt": SOURCE_TEXT.encode("utf-8"),
    "content/sources/gazette-pier.yml": (
        "title: New pier opens\npublisher: Gazette\npublished: 2024-05-03\n"
        f"sha256: {sha256(SOURCE_TEXT.encode('utf-8'))}\n"
    ),
    "content/sources/council-minutes.yml": (
        "title: Council minutes\npublisher: Council\npublished: 2024-04\nrights: metadata-only\n"
    ),
    "content/sheets/pier.md": (
        "---\n"
        "title: The new pier\n"
        "summary: It opened late.\n"
        "as_of: 2024-05-03\n"
        "topics: [piers]\n"
        "entities: [ada-pike]\n"
        "key_facts:\n"
        "  - text: The pier opened two weeks late.\n"
        "    cite: gazette-pier\n"
        "    quote: \"opened on Friday, two weeks late\"\n"
        "---\n"
        "It cost [@gazette-pier \"four hundred pounds\"], say the minutes [@council-minutes].\n"
    ),
}


class TinySite:
    """A site folder in tmp_path with the operations tests need."""

    def __init__(self, root: Path):
        self.root = root

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    def write(self, files: Mapping[str, str | bytes]) -> "TinySite":
        write_tree(self.root, files)
        return self

    def edit(self, rel: str, old: str, new: str) -> Path:
        """Replace the first ``old`` in one file (which must hold it) by ``new``; the file's path."""
        path = self.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    def remove(self, *rels: str) -> "TinySite":
        for rel in rels:
            (self.root / rel).unlink()
        return self

    def config(self, **options) -> SiteConfig:
        config = load_config(self.root / "mkdocs.yml")
        return config.with_options(**options) if options else config

    def check(self, today: dt.date = TODAY, **options):
        return check(self.config(**options), today=today)

    def build(self, today: dt.date = TODAY, **options):
        return build(self.config(**options), today=today)

    def run(self, *args: str, **env: str | None) -> subprocess.CompletedProcess:
        return run_sitegen(*args, cwd=self.root, env=sitegen_env(**env))


# --- the layers ---------------------------------------------------------------------


@pytest.fixture
def tiny_site(tmp_path: Path) -> Callable[..., TinySite]:
    """Factory: ``tiny_site({"content/...": "..."}, search=False, base=True)`` writes a site.

    With ``base=True`` the files are laid over :data:`BASE_FILES`; a value of
    None removes a base file.
    """
    count = 0

    def make(files: Mapping[str, str | bytes | None] | None = None, *, base: bool = True,
             search: bool = False, config: str | None = None) -> TinySite:
        nonlocal count
        count += 1
        root = tmp_path / f"site{count}"
        merged: dict[str, str | bytes | None] = {**(BASE_FILES if base else {}), **(files or {})}
        merged.setdefault("mkdocs.yml", config if config is not None else mkdocs_yml(search=search))
        root.mkdir(parents=True)
        write_tree(root, {k: v for k, v in merged.items() if v is not None})
        return TinySite(root)

    return make


@pytest.fixture
def site_root(tiny_site) -> TinySite:
    """Layer 1: the base site's files on disk."""
    return tiny_site()


@pytest.fixture
def site_config(site_root: TinySite) -> SiteConfig:
    """Layer 2: its configuration."""
    return site_root.config()


@pytest.fixture
def site_content(site_config: SiteConfig):
    """Layer 3: its content, loaded, validated and resolved (a resolve.Site)."""
    return check(site_config, today=TODAY).site


@pytest.fixture
def built_site(site_root: TinySite, site_config: SiteConfig) -> Path:
    """Layer 4: the built site folder."""
    build(site_config, today=TODAY)
    return site_root.site_dir


@pytest.fixture
def small_site(tmp_path: Path) -> TinySite:
    """A copy of tests/fixtures/small-site (without any build output kept there)."""
    root = tmp_path / "small-site"
    shutil.copytree(SMALL_SITE, root, ignore=shutil.ignore_patterns("site", ".site.*", ".sitegen-cache"))
    return TinySite(root)


# --- one headless Chromium for the whole session ---------------------------------

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NO_CHROMIUM = ("Chromium not found at /usr/bin/chromium; install Debian's chromium to run "
               "browser tests (they never skip in CI)")


def chromium_path() -> str | None:
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")


def in_ci() -> bool:
    """CI sets CI; there a missing browser is a failure, never a skip."""
    return os.environ.get("CI", "") not in ("", "0", "false")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright, shared by every test module (Playwright's
    sync API allows one instance per thread). Skips locally when missing; fails in CI."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if executable is None or sync_playwright is None:
        reason = NO_CHROMIUM if executable is None else "Python playwright is not installed (pip install -e '.[test]')"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
