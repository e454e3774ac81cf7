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
    deployed.edit("content/index.md", "the [about page](about.md) says", "the about page said")  # a link to it would be an error
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


# --- what deploy must never publish onto, and names it must refuse -------------

def refs(repo: Path) -> str:
    """Every ref of a repository with its commit, and where HEAD points."""
    head = subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=repo, capture_output=True, text=True).stdout
    return git("for-each-ref", "--format=%(refname) %(objectname)", cwd=repo) + "HEAD -> " + head


def unchanged(project: Project, before: tuple[str, str]) -> bool:
    crashes = list((project.clone / ".git").glob("fast_import_crash_*"))
    return (refs(project.origin), refs(project.clone)) == before and not crashes


REPLACES = ("deploy replaces the whole tree of the branch it publishes to with the built site, "
            "so publish to a branch of its own: pass --branch gh-pages")


def test_refuses_the_branch_checked_out_here(project):
    """`deploy --branch main` replaced the remote main with the built site and moved HEAD."""
    before = (refs(project.origin), refs(project.clone))
    result = sitegen("deploy", "--branch", "main", cwd=project.clone)
    assert (result.returncode, result.stderr.strip()) == (
        2, f"the branch 'main' is checked out (in {project.clone}); {REPLACES}")
    assert unchanged(project, before)


def test_refuses_a_branch_checked_out_in_another_work_tree(project, tmp_path):
    git("branch", "notes", cwd=project.clone)
    git("push", "-q", "origin", "notes", cwd=project.clone)
    git("worktree", "add", "-q", str(tmp_path / "notes-tree"), "notes", cwd=project.clone)
    before = (refs(project.origin), refs(project.clone))
    result = sitegen("deploy", "--branch", "notes", cwd=project.clone)
    assert (result.returncode, result.stderr.strip()) == (
        2, f"the branch 'notes' is checked out (in {tmp_path / 'notes-tree'}); {REPLACES}")
    assert unchanged(project, before)


@pytest.mark.parametrize("default", ["main", "trunk"])
def test_refuses_the_remote_default_branch(project, default):
    """Found from the remote's HEAD (`git ls-remote --symref`), whatever it is called."""
    git("checkout", "-q", "-b", "work", cwd=project.clone)
    if default != "main":
        git("push", "-q", "origin", f"main:{default}", cwd=project.clone)
        git("symbolic-ref", "HEAD", f"refs/heads/{default}", cwd=project.origin)
    before = (refs(project.origin), refs(project.clone))
    result = sitegen("deploy", "--branch", default, cwd=project.clone)
    assert (result.returncode, result.stderr.strip()) == (
        2, f"'{default}' is the default branch of the remote 'origin'; {REPLACES}")
    assert unchanged(project, before)


@pytest.mark.parametrize("clone_remembers", [True, False])
def test_default_branch_when_the_remote_does_not_say(project, clone_remembers):
    """The remote's HEAD names no branch that exists (so ls-remote shows none): the clone's
    refs/remotes/origin/HEAD is used, and without it the usual first-branch names are refused."""
    git("checkout", "-q", "-b", "work", cwd=project.clone)
    git("symbolic-ref", "HEAD", "refs/heads/unborn", cwd=project.origin)
    if not clone_remembers:
        git("symbolic-ref", "--delete", "refs/remotes/origin/HEAD", cwd=project.clone)
    before = (refs(project.origin), refs(project.clone))
    result = sitegen("deploy", "--branch", "main", cwd=project.clone)
    known = "is the default branch of" if clone_remembers else "may be the default branch of (it does not say which)"
    assert (result.returncode, result.stderr.strip()) == (2, f"'main' {known} the remote 'origin'; {REPLACES}")
    assert unchanged(project, before)
    result = sitegen("deploy", "--branch", "master", "--create", "--no-push", cwd=project.clone)
    if clone_remembers:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 2
        assert unchanged(project, before)


@pytest.mark.parametrize("branch, shown", [
    ("a..b", "a..b"), ("x y", "x y"), ("-x", "-x"), ("HEAD", "HEAD"), ("pages.lock", "pages.lock"),
    ("@{-1}", "@{-1}"), ("x:y", "x:y"), ("gh-pages\x1b]0;x\x07", "gh-pages\\x1b]0;x\\x07"),
])
def test_refuses_a_branch_name_git_would_not_accept(project, branch, shown):
    """'a..b' crashed fast-import, which left .git/fast_import_crash_* behind."""
    before = (refs(project.origin), refs(project.clone))
    result = sitegen("deploy", "--branch", branch, "--create", cwd=project.clone)
    assert (result.returncode, result.stderr.strip()) == (
        2, f"'{shown}' is not a branch name git accepts (see git check-ref-format); "
           "pass --branch NAME with a name such as gh-pages")
    assert unchanged(project, before)


@pytest.mark.parametrize("cname, problem", [
    ("https://facts.example.org/a b", "is a URL; write only its host name, facts.example.org"),
    ("facts.example.org/about", "must be a host name only, without a path, port, query or user"),
    ("facts.example.org www.example.org", "contains white space; write one host name"),
    ('"facts.example.org\\nevil.example"', "contains white space; write one host name"),
    ("-facts.example.org", "has '-facts', which is not a DNS label: each part between dots is 1 to 63 "
                           "letters, digits and hyphens, not starting or ending with a hyphen"),
    ("facts..example.org", "has an empty part (two dots, or a dot at an end), which is not a DNS label: each "
                           "part between dots is 1 to 63 letters, digits and hyphens, not starting or ending "
                           "with a hyphen"),
    ("localhost", "is not a domain name: it needs at least one dot, as in facts.example.org"),
    ("192.0.2.1", "is an IP address, not a host name"),
    ("fäcts.example.org", "contains letters outside ASCII; write an internationalised domain in its xn-- form"),
])
def test_cname_must_be_one_host_name(project, cname, problem):
    """deploy wrote the option verbatim into CNAME: a URL with a path and a space was published."""
    project.edit("mkdocs.yml", "search: false", f"search: false\n      cname: {cname}")
    project.commit_all("Set a custom domain")
    lines = (project.clone / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "cname:" in text)
    value = cname.strip('"').replace("\\n", "\\x0a")
    result = sitegen("deploy", "--create", cwd=project.clone)
    assert (result.returncode, result.stderr.strip()) == (2, (
        f"mkdocs.yml:{line}:14: error: sitegen option 'cname' must be one host name: '{value}' {problem}\n"
        "  hint: deploy writes it to the CNAME file GitHub Pages reads; write for example: cname: facts.example.org"))
    assert project.pages_head() is None


def test_file_names_in_messages_are_escaped_as_in_diagnostics(deployed):
    """A file name's terminal controls (an OSC title change, a bell, a carriage return) reached the terminal."""
    (deployed.clone / "content" / "x\x1b]0;owned\x07\rok.md").write_text("# x\n", encoding="utf-8")
    result = sitegen("deploy", cwd=deployed.clone)
    assert (result.returncode, result.stderr.strip()) == (2, (
        "the work tree has uncommitted changes (content/x\\x1b]0;owned\\x07\\x0dok.md); commit or stash them "
        "first, so that the published site is the site of a commit"))
