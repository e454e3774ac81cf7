"""The MkDocs plugin: `mkdocs build`, `serve` and `gh-deploy` on our mkdocs.yml give sitegen's site."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from mkdocs.config import load_config as mkdocs_load_config
from mkdocs.config.base import ValidationError

from sitegen.config import PLUGIN_OPTIONS, SiteConfig
from sitegen.mkdocs_plugin import SitegenOptions, SitegenPlugin

REPO = Path(__file__).resolve().parents[1]
SHEET = "content/sheets/overview.md"
TOPICS = "topics: [bilateral-cooperation,"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped project (config and content; the theme is sitegen's), with a private TMPDIR."""
    root = tmp_path / "project"
    root.mkdir()
    for folder in ("content",):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copyfile(REPO / "mkdocs.yml", root / "mkdocs.yml")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.delenv("SITE_URL", raising=False)
    return root


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=cwd, capture_output=True, text=True, timeout=300)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- options and configuration -------------------------------------------------


def test_plugin_options_are_sitegens_own():
    options = dict(SitegenOptions._schema)
    assert set(options) == set(PLUGIN_OPTIONS)
    defaults = {f.name: f.default for f in dataclasses.fields(SiteConfig)}
    for name, kind in PLUGIN_OPTIONS.items():
        default = str(defaults[name]) if name == "cache_dir" else defaults[name]
        assert options[name].default == (list(default) if isinstance(default, tuple) else default)
        options[name].validate(kind())
        wrong = [] if kind is str else "yes"
        with pytest.raises(ValidationError):
            options[name].validate(wrong)


def test_mkdocs_accepts_the_shipped_configuration():
    config = mkdocs_load_config(str(REPO / "mkdocs.yml"))
    assert config.theme.name == "factsheet"  # the packaged theme, found through its entry point
    assert config.theme.custom_dir is None
    assert config.theme.dirs[0] == str(REPO / "sitegen" / "themes" / "factsheet")
    assert isinstance(config.plugins["sitegen"], SitegenPlugin)
    assert config.plugins["sitegen"].config.search is True


def test_mkdocs_accepts_every_sitegen_option(project):
    edit(project / "mkdocs.yml", "      search: true", "      search: false\n      drafts: true\n      strict: true\n"
         "      max_file_size: 1000000\n      cname: facts.example.org\n      cache_dir: .cache\n"
         "      max_asset_size: 1000\n      allow_assets: [\"embeds/*.html\"]")
    options = mkdocs_load_config(str(project / "mkdocs.yml")).plugins["sitegen"].config
    assert (options.search, options.drafts, options.strict, options.max_file_size, options.cname,
            options.cache_dir, options.max_asset_size, options.allow_assets) == (
        False, True, True, 1_000_000, "facts.example.org", ".cache", 1000, ["embeds/*.html"])


def test_mkdocs_rejects_a_mistyped_option(project):
    edit(project / "mkdocs.yml", "      search: true", "      search: yes please")
    result = run("mkdocs", "build", cwd=project)
    assert result.returncode == 1
    assert "Plugin 'sitegen' option 'search': Expected type: <class 'bool'>" in result.stderr


# --- mkdocs build ----------------------------------------------------------------


def test_mkdocs_build_gives_the_same_bytes_as_sitegen_build(project, tmp_path):
    built = run("sitegen", "build", cwd=project)
    assert built.returncode == 0, built.stderr
    expected = tree(project / "site")
    shutil.rmtree(project / "site")
    result = run("mkdocs", "build", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "pagefind/pagefind.js" in expected and "sheets/overview/index.html" in expected
    assert tree(project / "site") == expected
    assert list((tmp_path / "tmp").iterdir()) == []  # the scratch folder MkDocs wrote into is gone


def test_content_error_fails_mkdocs_build_and_keeps_the_site(project, tmp_path):
    assert run("mkdocs", "build", cwd=project).returncode == 0
    before = tree(project / "site")
    edit(project / SHEET, TOPICS, "topics: [bilateral-cooperatio,")
    result = run("mkdocs", "build", cwd=project)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "ERROR   -  content/sheets/overview.md:7:10: error: unknown topic 'bilateral-cooperatio'" in lines
    at = lines.index("ERROR   -  content/sheets/overview.md:7:10: error: unknown topic 'bilateral-cooperatio'")
    assert lines[at + 1:at + 4] == [
        "  hint: did you mean 'bilateral-cooperation'?",
        "1 error, 0 warnings",
        f"the previous site in '{project / 'site'}' is unchanged",
    ]
    assert "Aborted with a BuildError!" in result.stdout + result.stderr
    assert tree(project / "site") == before
    assert list((tmp_path / "tmp").iterdir()) == []


def test_warnings_are_logged_and_strict_fails_before_replacing_the_site(project):
    assert run("mkdocs", "build", cwd=project).returncode == 0
    before = tree(project / "site")
    edit(project / SHEET, "review_by: 2027-06-30", "review_by: 2020-01-01")
    warning = "WARNING -  sitegen: content/sheets/overview.md:5:12: warning: sheet is past its review date (2020-01-01)"
    strict = run("mkdocs", "build", "--strict", cwd=project)
    assert strict.returncode == 1
    assert "ERROR   -  content/sheets/overview.md:5:12: error: sheet is past its review date (2020-01-01)" in (
        strict.stderr.splitlines())
    assert tree(project / "site") == before
    lenient = run("mkdocs", "build", cwd=project)
    assert lenient.returncode == 0, lenient.stderr
    assert warning in lenient.stderr.splitlines()
    assert tree(project / "site") != before


# --- mkdocs gh-deploy ----------------------------------------------------------------


def test_mkdocs_gh_deploy_publishes_sitegens_site(project, tmp_path, monkeypatch):
    for name, value in {"GIT_AUTHOR_NAME": "Editor", "GIT_AUTHOR_EMAIL": "editor@example.org",
                        "GIT_COMMITTER_NAME": "Editor", "GIT_COMMITTER_EMAIL": "editor@example.org",
                        "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(name, value)
    edit(project / "mkdocs.yml", "search: true", "search: false")

    def git(*args: str, cwd: Path = project) -> str:
        return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout

    origin = tmp_path / "origin.git"
    git("init", "-q", "--bare", str(origin))
    git("init", "-q", "-b", "main")
    (project / ".gitignore").write_text("/site/\n")
    git("add", "-A")
    git("commit", "-q", "-m", "Add the fact sheets")
    git("remote", "add", "origin", str(origin))
    result = run("mkdocs", "gh-deploy", cwd=project)
    assert result.returncode == 0, result.stderr
    names = [n for n in git("ls-tree", "-r", "-z", "--name-only", "gh-pages", cwd=origin).split("\0") if n]
    published = {n: subprocess.run(["git", "show", f"gh-pages:{n}"], cwd=origin, check=True,
                                   capture_output=True).stdout for n in names}
    expected = tree(project / "site")
    assert "sheets/overview/index.html" in expected
    assert published == {**expected, ".nojekyll": b""}
    shutil.rmtree(project / "site")
    assert run("sitegen", "build", cwd=project).returncode == 0
    assert tree(project / "site") == expected


# --- mkdocs serve -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_mkdocs_serve_serves_sitegens_site(project):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"], cwd=project,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/sheets/overview/"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = fetch(url)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "mkdocs serve did not answer within 60 s"
                time.sleep(0.2)
        page = body.decode()
        assert status == 200
        assert '<h1 id="sheet-title">China–U.S. counternarcotics cooperation at a glance</h1>' in page
        assert "livereload(" in page
        assert f'href="http://127.0.0.1:{port}/sheets/overview/"' in page  # built for the serve address
        assert fetch(f"http://127.0.0.1:{port}/pagefind/pagefind.js")[0] == 200

        edit(project / SHEET, "title: China–U.S. counternarcotics cooperation at a glance", "title: Served by sitegen")
        deadline = time.monotonic() + 30
        while '<h1 id="sheet-title">Served by sitegen</h1>' not in fetch(url)[1].decode():
            assert time.monotonic() < deadline, "mkdocs serve did not rebuild within 30 s"
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stderr.close()
    assert os.listdir(os.environ["TMPDIR"]) == []  # MkDocs' serve folder and our scratch folders are gone
