"""`sitegen deploy` against a local bare repository: what lands on gh-pages, and what is refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHEET = "content/sheets/overview.md"
TITLE = "title: China–U.S. counternarcotics cooperation at a glance"
SUBJECT = "Add the fact sheets"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def git_bytes(*args: str, cwd: Path) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


def sitegen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitegen", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@dataclass
class Project:
    clone: Path    # the editor's clone, where deploy runs
    origin: Path   # the bare repository standing in for GitHub

    def commit_all(self, message: str) -> None:
        git("add", "-A", cwd=self.clone)
        git("commit", "-q", "-m", message, cwd=self.clone)

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.clone / path
        text = file.read_text(encoding="utf-8")
        assert old in text
        file.write_text(text.replace(old, new, 1), encoding="utf-8")

    def pages_head(self, branch: str = "gh-pages") -> str | None:
        result = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
                                cwd=self.origin, capture_output=True, text=True)
        return result.stdout.strip() or None

    def published(self, branch: str = "gh-pages") -> dict[str, bytes]:
        """Every file of the branch in the bare repository, with its bytes."""
        names = git("ls-tree", "-r", "-z", "--name-only", branch, cwd=self.origin).split("\0")
        return {name: git_bytes("show", f"{branch}:{name}", cwd=self.origin) for name in names if name}

    def built(self) -> dict[str, bytes]:
        """What `sitegen build` makes of the clone's current files."""
        result = sitegen("build", cwd=self.clone)
        assert result.returncode == 0, result.stderr
        site = self.clone / "site"
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}

    def short_head(self) -> str:
        return git("rev-parse", "--short", "HEAD", cwd=self.clone).strip()


@pytest.fixture
def project(tmp_path, monkeypatch) -> Project:
    """The shipped site committed in a seed repository, pushed to a bare 'origin', and cloned."""
    for name, value in {"GIT_AUTHOR_NAME": "Editor", "GIT_AUTHOR_EMAIL": "editor@example.org",
                        "GIT_COMMITTER_NAME": "Editor", "GIT_COMMITTER_EMAIL": "editor@example.org",
                        "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SITE_URL", raising=False)
    seed = tmp_path / "seed"
    seed.mkdir()
    for folder in ("content",):
        shutil.copytree(REPO / folder, seed / folder)
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert "search: true" in config
    (seed / "mkdocs.yml").write_text(config.replace("search: true", "search: false"), encoding="utf-8")
    git("init", "-q", "-b", "main", cwd=seed)
    git("add", "-A", cwd=seed)
    git("commit", "-q", "-m", SUBJECT, cwd=seed)
    origin = tmp_path / "origin.git"
    git("init", "-q", "--bare", "-b", "main", str(origin), cwd=tmp_path)
    git("push", "-q", str(origin), "main", cwd=seed)
    git("clone", "-q", str(origin), "clone", cwd=tmp_path)
    return Project(tmp_path / "clone", origin)


@pytest.fixture
def deployed(project) -> Project:
    result = sitegen("deploy", "--create", cwd=project.clone)
    assert result.returncode == 0, result.stderr
    assert project.pages_head() is not None
    return project


def test_deploy_publishes_exactly_the_built_site(project):
    result = sitegen("deploy", "--create", cwd=project.clone)
    assert result.returncode == 0, result.stderr
    expected = project.built()
    assert ".sitegen-build" in expected and "sheets/overview/index.html" in expected
    assert project.published() == {**expected, ".nojekyll": b""}
    message = git("log", "-1", "--format=%B", "gh-pages", cwd=project.origin).strip()
    assert message == f"Deploy {project.short_head()} of main: {SUBJECT}"
    pages = git("rev-parse", "--short", "gh-pages", cwd=project.origin).strip()
    assert result.stderr.splitlines()[-1] == (
        f"deployed {project.short_head()} to origin/gh-pages as {pages}: {len(expected) + 1} files")


def test_cname_is_published_when_configured(project):
    project.edit("mkdocs.yml", "search: false", "search: false\n      cname: facts.example.org")
    project.commit_all("Serve the site at facts.example.org")
    result = sitegen("deploy", "--create", cwd=project.clone)
    assert result.returncode == 0, result.stderr
    published = project.published()
    assert published["CNAME"] == b"facts.example.org"
    assert published == {**project.built(), ".nojekyll": b"", "CNAME": b"facts.example.org"}


def test_next_deploy_adds_a_commit_that_replaces_the_whole_tree(deployed):
    first = deployed.pages_head()
    deployed.edit(SHEET, TITLE, "title: Cooperation at a glance")
    (deployed.clone / "content" / "about.md").unlink()
    deployed.commit_all("Shorter overview title; drop the about page")
    result = sitegen("deploy", "-m", "new title", cwd=deployed.clone)
    assert result.returncode == 0, result.stderr
    assert git("rev-parse", "gh-pages^", cwd=deployed.origin).strip() == first
    published = deployed.published()
    assert "about/index.html" not in published
    assert "<h1 id=\"sheet-title\">Cooperation at a glance</h1>" in published["sheets/overview/index.html"].decode()
    assert published == {**deployed.built(), ".nojekyll": b""}
    message = git("log", "-1", "--format=%B", "gh-pages", cwd=deployed.origin).strip()
    assert message == f"Deploy {deployed.short_head()} of main: new title"


def test_the_first_deploy_creates_gh_pages_as_mkdocs_gh_deploy_does(project):
    result = sitegen("deploy", cwd=project.clone)
    assert result.returncode == 0, result.stderr
    assert project.pages_head() is not None


def test_refuses_another_missing_branch_without_create(project):
    result = sitegen("deploy", "--branch", "gh-pagse", cwd=project.clone)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "the remote 'origin' has no branch 'gh-pagse'; pass --create to create it with this deploy, "
        "or --branch NAME to publish to an existing branch")
    assert project.pages_head() is None
    assert git("ls-remote", "--heads", "origin", cwd=project.clone).count("refs/heads/") == 1  # main alone


def test_refuses_a_remote_that_does_not_exist(project):
    result = sitegen("deploy", "--remote", "upstream", "--create", cwd=project.clone)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "there is no git remote 'upstream' (the remotes are: origin); add it with "
        "'git remote add upstream URL' or pass --remote NAME")
    assert project.pages_head() is None


@pytest.mark.parametrize("change", ["modified", "untracked", "staged"])
def test_refuses_a_dirty_work_tree_and_keeps_what_is_published(deployed, change):
    before = deployed.pages_head()
    if change == "untracked":
        (deployed.clone / "content" / "draft.md").write_text("# Draft\n", encoding="utf-8")
        shown = "content/draft.md"
    else:
        deployed.edit(SHEET, TITLE, "title: Not committed yet")
        shown = SHEET
        if change == "staged":
            git("add", SHEET, cwd=deployed.clone)
    result = sitegen("deploy", cwd=deployed.clone)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"the work tree has uncommitted changes ({shown}); commit or stash them first, "
        "so that the published site is the site of a commit")
    assert deployed.pages_head() == before


def test_build_output_and_cache_do_not_make_the_tree_dirty(deployed):
    deployed.built()  # site/ is neither committed nor ignored in this project
    (deployed.clone / ".sitegen-cache").mkdir(exist_ok=True)
    (deployed.clone / ".sitegen-cache" / "entry").write_bytes(b"cached")
    (deployed.clone / ".site.sitegen-tmp-0123456789abcdef").mkdir()  # a killed build's leftover
    (deployed.clone / ".site.sitegen-tmp-0123456789abcdef" / "index.html").write_bytes(b"partial")
    result = sitegen("deploy", cwd=deployed.clone)
    assert result.returncode == 0, result.stderr


def test_refuses_a_failed_build_and_keeps_what_is_published(deployed):
    before = deployed.pages_head()
    deployed.edit(SHEET, "topics: [bilateral-cooperation,", "topics: [bilateral-cooperatio,")
    deployed.commit_all("Typo in a topic")
    result = sitegen("deploy", cwd=deployed.clone)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/sheets/overview.md:7:10: error: unknown topic 'bilateral-cooperatio'",
        "  hint: did you mean 'bilateral-cooperation'?",
        "1 error, 0 warnings",
        "nothing was deployed: fix the errors above, commit, and deploy again",
    ]
    assert deployed.pages_head() == before


def test_no_push_commits_locally_only(deployed):
    before = deployed.pages_head()
    deployed.edit(SHEET, TITLE, "title: Local only")
    deployed.commit_all("Try a title")
    result = sitegen("deploy", "--no-push", cwd=deployed.clone)
    assert result.returncode == 0, result.stderr
    assert deployed.pages_head() == before
    assert git("rev-parse", "gh-pages^", cwd=deployed.clone).strip() == before
    assert "Local only" in git("show", "gh-pages:sheets/overview/index.html", cwd=deployed.clone)


def test_deploy_from_a_clone_with_a_stale_local_branch(deployed, tmp_path):
    """A second clone deploys on top of what is published, not of its own old gh-pages."""
    git("clone", "-q", str(deployed.origin), "other", cwd=tmp_path)
    other = Project(tmp_path / "other", deployed.origin)
    git("branch", "gh-pages", "main", cwd=other.clone)  # an unrelated local branch of that name
    published = deployed.pages_head()
    result = sitegen("deploy", cwd=other.clone)
    assert result.returncode == 0, result.stderr
    assert git("rev-parse", "gh-pages^", cwd=other.origin).strip() == published
