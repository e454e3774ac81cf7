"""``sitegen deploy``: publish the site to the ``gh-pages`` branch, as ``mkdocs gh-deploy`` does.

The published site must be the site of a commit, so deploy first refuses
anything that would publish something else: uncommitted changes under the
project, a remote or branch that does not exist, content that does not build.
It then builds into a private temporary folder (``site_dir`` is left alone),
and ghp-import writes that folder as one new commit on the branch, with
``.nojekyll`` (GitHub Pages must not run Jekyll over it) and ``CNAME`` when
the ``cname`` option is set; the commit message names the source commit. The
local branch is first reset to the remote one, so each deploy adds a commit on
top of what is published, then it is pushed.

That commit replaces the branch's whole tree, so deploy refuses a branch that
holds anything else: the branch checked out in any work tree, and the remote's
default branch. A name git would not accept is refused before git is asked to
write it (fast-import would crash and leave its report in ``.git``).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import ghp_import

from .config import SiteConfig
from .errors import ContentError, Diagnostic, OutputError, SitegenError, UsageError, printable

# When the remote does not say which branch is its default (an empty repository, an old
# server), these are refused: the names git and GitHub give a repository's first branch.
LIKELY_DEFAULTS = ("main", "master")
OWN_BRANCH = ("deploy replaces the whole tree of the branch it publishes to with the built site, "
              "so publish to a branch of its own: pass --branch gh-pages")


class DeployRefused(UsageError):
    """Deploy will not start: nothing was built or published (exit code 2)."""

    def format_message(self) -> str:  # file names and git's words, as diagnostics print them
        return printable(super().format_message())


class DeployError(SitegenError):
    """Deploy started but git failed; what was published before is still published."""

    exit_code = 1

    def format_message(self) -> str:
        return printable(super().format_message())


class BuildFailed(ContentError):
    """The content has errors: they are listed, and nothing was deployed (exit code 1)."""

    def format_message(self) -> str:
        return super().format_message() + "\nnothing was deployed: fix the errors above, commit, and deploy again"


@dataclass
class DeployResult:
    remote: str
    branch: str
    source: str             # short sha of the commit that was built
    commit: str             # short sha of the new commit on the branch
    message: str
    pushed: bool
    files: int
    warnings: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Git:
    """git, run in the project folder, with its output captured for our messages."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(["git", *args], cwd=self.cwd, capture_output=True)
        except FileNotFoundError:
            raise DeployRefused("git is not installed or not on PATH; install git to deploy") from None
        # Decoded by hand: text mode would turn a '\r' in a file name into '\n'.
        result.stdout, result.stderr = (out.decode("utf-8", "backslashreplace") for out in (result.stdout, result.stderr))
        if check and result.returncode != 0:
            raise DeployError(f"git {' '.join(args)} failed: {_last_line(result.stderr)}")
        return result

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def rev(self, ref: str) -> str | None:
        result = self.run("rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False)
        return result.stdout.strip() or None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].removeprefix("fatal: ").removeprefix("error: ") if lines else "no message"


DEFAULT_BRANCH = "gh-pages"


def deploy(config: SiteConfig, *, remote: str = "origin", branch: str = DEFAULT_BRANCH, create: bool = False,
           push: bool = True, message: str | None = None) -> DeployResult:
    """Check, build and publish; raise DeployRefused, BuildFailed or DeployError on failure."""
    git = _Git(config.root)
    if git.run("rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise DeployRefused(f"'{config.root}' is not inside a git repository; deploy publishes "
                            "a commit of the project, so run it in a clone")
    _refuse_branch_name(git, branch)
    remotes = git.out("remote").split()
    if remote not in remotes:
        known = f"the remotes are: {', '.join(remotes)}" if remotes else "there are no remotes"
        raise DeployRefused(f"there is no git remote '{remote}' ({known}); add it with "
                            f"'git remote add {remote} URL' or pass --remote NAME")
    _refuse_checked_out(git, branch)
    listed = git.run("ls-remote", "--symref", remote, "HEAD", f"refs/heads/{branch}", check=False)
    if listed.returncode != 0:
        raise DeployError(f"could not read the remote '{remote}': {_last_line(listed.stderr)}; "
                          "check the URL and your access, then deploy again")
    refs = [line.split("\t") for line in listed.stdout.splitlines() if "\t" in line]
    exists = any(name == f"refs/heads/{branch}" and not sha.startswith("ref: ") for sha, name in refs)
    _refuse_default_branch(git, remote, branch, refs)
    # gh-pages is created by the first deploy, as `mkdocs gh-deploy` does; another name must be
    # asked for with --create, so that a mistyped --branch never starts a stray branch.
    if not exists and not create and branch != DEFAULT_BRANCH:
        raise DeployRefused(f"the remote '{remote}' has no branch '{branch}'; pass --create to create it "
                            "with this deploy, or --branch NAME to publish to an existing branch")
    _refuse_dirty(git, config)
    source = git.rev("HEAD")
    if source is None:
        raise DeployRefused("the repository has no commit yet; commit the site's sources, then deploy")
    short, subject = git.out("log", "-1", "--format=%h%x00%s", "HEAD").split("\0", 1)
    head_branch = git.run("symbolic-ref", "--short", "-q", "HEAD", check=False).stdout.strip() or "detached HEAD"
    text = f"Deploy {short} of {head_branch}: {message or subject}"

    with tempfile.TemporaryDirectory(prefix="sitegen-deploy-") as work:
        site = Path(work, "site")
        built = _build(config.with_options(site_dir=site))
        files = sum(len(names) for _, _, names in os.walk(site)) + 1 + bool(config.cname)
        after = _commit_site(git, config, site, remote, branch, exists, text)
    if push:
        pushed = git.run("push", "--quiet", remote, f"refs/heads/{branch}:refs/heads/{branch}", check=False)
        if pushed.returncode != 0:
            raise DeployError(f"git push {remote} {branch} failed: {_last_line(pushed.stderr)}; the new "
                              f"commit is on the local branch '{branch}', the remote is unchanged")
    return DeployResult(remote, branch, short, after[:len(short)], text, push, files,
                        built.warnings, _notes(config))


def _commit_site(git: _Git, config: SiteConfig, site: Path, remote: str, branch: str, exists: bool,
                 text: str) -> str:
    """Commit the built site onto the local ``branch`` with ghp-import; return the new commit."""
    tracking = f"refs/remotes/{remote}/{branch}"  # ghp-import starts the new commit from here
    if exists:
        git.run("fetch", "--quiet", remote, f"+refs/heads/{branch}:{tracking}")
    elif git.rev(tracking):
        git.run("update-ref", "-d", tracking)  # left from a branch since deleted on the remote
    before = git.rev(f"refs/heads/{branch}")
    with contextlib.chdir(config.root):  # ghp-import runs git in the current folder
        try:
            ghp_import.ghp_import(str(site), mesg=text, remote=remote, branch=branch, push=False,
                                  nojekyll=True, cname=config.cname or None)
        except ghp_import.GhpError as exc:
            raise DeployError(f"ghp-import failed: {exc.message}") from None
        except Exception as exc:  # ghp-import reports a failed fast-import by crashing
            raise DeployError(f"ghp-import could not write the commit to '{branch}' ({exc}); "
                              "nothing was pushed") from None
    after = git.rev(f"refs/heads/{branch}")
    if after is None or after == before:
        raise DeployError(f"ghp-import did not add a commit to '{branch}'; nothing was pushed")
    return after


def _refuse_branch_name(git: _Git, branch: str) -> None:
    """Refuse a name git would not take as a branch ('a..b', 'x y', '-x', '@{-1}')."""
    checked = git.run("check-ref-format", "--branch", branch, check=False)
    if checked.returncode != 0 or checked.stdout.strip() != branch:  # --branch expands @{-1}
        raise DeployRefused(f"'{branch}' is not a branch name git accepts (see git check-ref-format); "
                            "pass --branch NAME with a name such as gh-pages")


def _refuse_checked_out(git: _Git, branch: str) -> None:
    """Refuse the branch checked out here or in another work tree: deploy would move it under it."""
    trees, tree = [], ""
    for line in git.out("worktree", "list", "--porcelain").splitlines():  # (-z needs git 2.36)
        if line.startswith("worktree "):
            tree = line.removeprefix("worktree ")
        elif line == f"branch refs/heads/{branch}":
            trees.append(tree)
    if trees:
        where = ", ".join(sorted(trees))
        raise DeployRefused(f"the branch '{branch}' is checked out (in {where}); {OWN_BRANCH}")


def _refuse_default_branch(git: _Git, remote: str, branch: str, refs: list[list[str]]) -> None:
    """Refuse the remote's default branch, as its HEAD names it (or, failing that, as the clone
    remembers it); when neither says, refuse the usual first-branch names."""
    default = next((sha.removeprefix("ref: ") for sha, name in refs if name == "HEAD" and sha.startswith("ref: ")),
                   None)
    if default is None:
        default = git.run("symbolic-ref", "-q", f"refs/remotes/{remote}/HEAD", check=False).stdout.strip()
        default = default.replace(f"refs/remotes/{remote}/", "refs/heads/", 1) if default else None
    defaults = [default.removeprefix("refs/heads/")] if default else list(LIKELY_DEFAULTS)
    if branch in defaults:
        known = "is the default branch of" if default else "may be the default branch of (it does not say which)"
        raise DeployRefused(f"'{branch}' {known} the remote '{remote}'; {OWN_BRANCH}")


def _refuse_dirty(git: _Git, config: SiteConfig) -> None:
    """Refuse uncommitted or untracked files under the project; build output and cache do not count."""
    excludes = []
    for path, leftovers in ((config.site_dir, True), (config.cache_dir, False)):
        rel = os.path.relpath(path, config.root)
        if rel != "." and not rel.startswith(".."):
            excludes.append(f":(exclude){Path(rel).as_posix()}")
            if leftovers:  # staging folders of interrupted builds sit next to site_dir
                parent = Path(rel).parent.as_posix()
                pattern = f".{Path(rel).name}.sitegen-*"
                excludes.append(f":(exclude,glob){pattern if parent == '.' else parent + '/' + pattern}/**")
    status = git.run("status", "--porcelain", "-z", "--untracked-files=all", "--", ".", *excludes).stdout
    entries = iter(status.split("\0"))
    changed = []
    for entry in entries:
        if entry:
            changed.append(entry[3:])
            if {"R", "C"} & set(entry[:2]):  # a rename or copy is followed by its old path
                next(entries, None)
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        raise DeployRefused(f"the work tree has uncommitted changes ({shown}); commit or stash them "
                            "first, so that the published site is the site of a commit")


def _build(config: SiteConfig):
    from .build import build
    try:
        return build(config)
    except ContentError as exc:
        raise BuildFailed(exc.diagnostics) from None
    except OutputError as exc:
        raise DeployError(f"{exc.format_message()}; nothing was deployed") from None


def _notes(config: SiteConfig) -> list[str]:
    host = urlsplit(config.site_url).hostname or ""
    if host in ("", "localhost", "127.0.0.1", "::1"):
        return [f"site_url is '{config.site_url}', so the sitemap and feed point at this computer; "
                "set SITE_URL (for example https://USER.github.io/REPO/) when you deploy"]
    return []
