"""Stages 6 and 8: where a build may write, and how it replaces the previous site."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitegen.write import staging as output
from sitegen.errors import OutputError, UsageError
from sitegen.render.feeds import Joined
from sitegen.write.output import MARKER, check_site_dir, copy_file, link_or_copy, safe_path, write_file
from sitegen.write.staging import SiteLock, clean_leftovers, discard_staging, start_staging, swap_into_place

HINT = "set site_dir in mkdocs.yml to a folder of its own, such as site/"
SPARE = ".site.sitegen-spare"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path):
    """A project root with a docs_dir holding one page."""
    root = tmp_path / "proj"
    (root / "content").mkdir(parents=True)
    (root / "content" / "index.md").write_text("# Home\n")
    return root


def refusal(site_dir, project, docs=None):
    with pytest.raises(UsageError) as info:
        check_site_dir(site_dir, docs or project / "content", project)
    assert info.value.exit_code == 2
    return str(info.value)


def siblings(site_dir: Path) -> list[str]:
    return sorted(p.name for p in site_dir.parent.iterdir() if ".sitegen-" in p.name)


def make_staging(site_dir: Path, files: dict[str, str]) -> Path:
    with SiteLock(site_dir) as lock:
        staging = start_staging(site_dir, lock)
    for rel, text in files.items():
        write_file(staging, rel, text.encode())
    return staging


# --- check_site_dir ------------------------------------------------------------


def test_refuses_docs_dir(project):
    assert refusal(project / "content", project) == (
        f"refusing to build into 'content': it is the docs_dir (content/); {HINT}"
    )


def test_refuses_docs_dir_through_a_symlink(project):
    (project / "site").symlink_to(project / "content")
    assert refusal(project / "site", project) == (
        f"refusing to build into 'site': it is the docs_dir (content/); {HINT}"
    )


def test_refuses_folder_containing_docs_dir(project):
    docs = project / "src" / "content"
    docs.mkdir(parents=True)
    assert refusal(project / "src", project, docs) == (
        f"refusing to build into 'src': it contains the docs_dir (src/content/); {HINT}"
    )


def test_refuses_folder_inside_docs_dir(project):
    assert refusal(project / "content" / "site", project) == (
        f"refusing to build into 'content/site': it lies inside the docs_dir (content/); {HINT}"
    )


def test_refuses_project_root(project):
    assert refusal(project, project) == (
        f"refusing to build into '{project.as_posix()}': it is the project root; {HINT}"
    )


def test_refuses_home_folder(project, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    assert refusal(home, project) == (
        f"refusing to build into '{home.as_posix()}': it is your home folder; {HINT}"
    )


def test_refuses_filesystem_root(project):
    assert refusal(Path("/"), project) == (
        f"refusing to build into '/': it is the filesystem root; {HINT}"
    )


def test_refuses_non_empty_folder_without_marker(project):
    (project / "site").mkdir()
    (project / "site" / "notes.txt").write_text("mine")
    assert refusal(project / "site", project) == (
        "refusing to build into 'site': it is not empty and holds no .sitegen-build marker, "
        "so it does not look like a previous build; empty it, or set site_dir to another folder"
    )


def test_refuses_a_file(project):
    (project / "site").write_text("not a folder")
    assert refusal(project / "site", project) == (
        "refusing to build into 'site': it exists and is not a folder; "
        "remove it, or set site_dir to another folder"
    )


def test_accepts_previous_build(project):
    site = project / "site"
    site.mkdir()
    (site / MARKER).write_text("")
    (site / "index.html").write_text("<p>old</p>")
    check_site_dir(site, project / "content", project)


def test_accepts_empty_and_missing_folders(project):
    (project / "empty").mkdir()
    check_site_dir(project / "empty", project / "content", project)
    check_site_dir(project / "site", project / "content", project)
    check_site_dir(project / "deep" / "er" / "site", project / "content", project)


# --- safe_path and write_file --------------------------------------------------


@pytest.mark.parametrize(
    "relpath",
    ["../x", "/abs", "a\\b", "a/../../b", "a\x00b", "", "a//b", "a/", "./a", "a/./b", ".."],
)
def test_safe_path_rejects(tmp_path, relpath):
    with pytest.raises(OutputError, match="refusing to write output path"):
        safe_path(tmp_path, relpath)


def test_safe_path_rejects_symlink_out_of_root(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(OutputError, match="outside the site folder"):
        safe_path(root, "link/index.html")
    with pytest.raises(OutputError):
        write_file(root, "link/index.html", b"x")
    assert list(outside.iterdir()) == []


def test_safe_path_accepts_nested_paths(tmp_path):
    assert safe_path(tmp_path, "sheets/a-b/index.html") == tmp_path / "sheets" / "a-b" / "index.html"
    (tmp_path / "inner").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "inner")
    assert safe_path(tmp_path, "alias/x.html") == tmp_path / "alias" / "x.html"


def test_write_file_creates_parents(tmp_path):
    write_file(tmp_path, "sheets/x/index.html", b"<p>x</p>")
    assert (tmp_path / "sheets" / "x" / "index.html").read_bytes() == b"<p>x</p>"


@pytest.mark.skipif(not os.access("/dev/full", os.W_OK), reason="needs /dev/full")
def test_write_file_reports_a_full_disk():
    # /dev/full answers every write with ENOSPC: a real full device, no mock.
    with pytest.raises(OutputError) as info:
        write_file(Path("/dev"), "full", b"x" * 100_000)
    assert str(info.value) == (
        "no space left on device while writing 'full'; the previous site is untouched "
        "— free some space and build again"
    )


def test_discard_staging(tmp_path):
    staging = make_staging(tmp_path / "site", {"a/b.html": "x"})
    discard_staging(staging)
    discard_staging(staging)  # already gone: no error
    assert siblings(tmp_path / "site") == []


# --- staging, swap, leftovers --------------------------------------------------


def test_start_staging_is_an_empty_hidden_sibling(tmp_path):
    site = tmp_path / "out" / "site"
    with SiteLock(site) as lock:
        staging = start_staging(site, lock)
        assert staging.parent == site.parent
        assert staging.name.startswith(".site.sitegen-tmp-")
        assert staging.is_dir() and list(staging.iterdir()) == []
        assert start_staging(site, lock) != staging


def test_swap_without_existing_site(tmp_path):
    site = tmp_path / "site"
    swap_into_place(make_staging(site, {"index.html": "new"}), site)
    assert (site / "index.html").read_text() == "new"
    assert (site / MARKER).is_file()
    assert siblings(site) == []


def test_swap_replaces_existing_site(tmp_path):
    site = tmp_path / "site"
    swap_into_place(make_staging(site, {"index.html": "old", "gone/page.html": "old"}), site)
    swap_into_place(make_staging(site, {"index.html": "new", "fresh.html": "new"}), site)
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == [
        MARKER, "fresh.html", "index.html"
    ]
    assert (site / "index.html").read_text() == "new"
    assert siblings(site) == [SPARE]  # the replaced site, kept for the next build's staging folder
    spare = site.parent / SPARE
    assert sorted(p.relative_to(spare).as_posix() for p in spare.rglob("*")) == [
        MARKER, "gone", "gone/page.html", "index.html"
    ]
    assert (spare / "index.html").read_text() == "old"


@pytest.mark.skipif(output._RENAMEAT2 is None, reason="no renameat2 in this C library")
def test_exchange_is_used_on_linux(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "which").write_text("a")
    (b / "which").write_text("b")
    assert output._exchange(a, b) is True
    assert (a / "which").read_text() == "b" and (b / "which").read_text() == "a"


def test_fallback_swap_without_renameat2(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "_RENAMEAT2", None)
    site = tmp_path / "site"
    swap_into_place(make_staging(site, {"index.html": "old", "old.html": "old"}), site)
    swap_into_place(make_staging(site, {"index.html": "new"}), site)
    assert sorted(p.name for p in site.iterdir()) == [MARKER, "index.html"]
    assert (site / "index.html").read_text() == "new"
    assert siblings(site) == [SPARE]
    assert (site.parent / SPARE / "old.html").read_text() == "old"


OTHER_FS = Path("/dev/shm")


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_failed_swap_leaves_previous_site(tmp_path, monkeypatch, exchange):
    # A staging folder on another filesystem makes every rename fail for real (EXDEV).
    if not OTHER_FS.is_dir() or OTHER_FS.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another filesystem")
    if not exchange:
        monkeypatch.setattr(output, "_RENAMEAT2", None)
    site = tmp_path / "site"
    swap_into_place(make_staging(site, {"index.html": "old"}), site)
    staging = make_staging(OTHER_FS / f"sitegen-test-{os.getpid()}" / "site", {"index.html": "new"})
    try:
        with pytest.raises(OutputError, match="the previous site is untouched") as info:
            swap_into_place(staging, site)
        assert f"to '{site}'" in str(info.value)
    finally:
        discard_staging(staging.parent)
    assert sorted(p.name for p in site.iterdir()) == [MARKER, "index.html"]
    assert (site / "index.html").read_text() == "old"
    assert siblings(site) == []


def test_swap_of_a_vanished_staging_folder_fails(tmp_path):
    # Another program may delete our staging folder.
    site = tmp_path / "site"
    swap_into_place(make_staging(site, {"index.html": "old"}), site)
    staging = make_staging(site, {"index.html": "new"})
    discard_staging(staging)
    with pytest.raises(OutputError, match="the previous site is untouched"):
        swap_into_place(staging, site)
    assert (site / "index.html").read_text() == "old"
    assert not staging.exists()


def test_clean_leftovers_removes_only_matching_siblings(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("live")
    doomed = [tmp_path / ".site.sitegen-tmp-1a2b", tmp_path / ".site.sitegen-old-3c4d"]
    for d in doomed:
        (d / "sub").mkdir(parents=True)
    kept = [
        tmp_path / ".site.sitegen-new-1",   # another kind
        tmp_path / ".other.sitegen-tmp-1",  # another site's build
        tmp_path / ".sit.sitegen-tmp-1",    # a prefix of the name
        tmp_path / "site.sitegen-tmp-1",    # not hidden
        tmp_path / ".site-keep",
    ]
    for d in kept:
        d.mkdir()
    (tmp_path / ".site.sitegen-tmp-file").write_text("a file, not ours")
    with SiteLock(site) as lock:
        assert clean_leftovers(site, lock) == sorted(doomed)
    assert all(not d.exists() for d in doomed)
    assert all(d.is_dir() for d in kept)
    assert (tmp_path / ".site.sitegen-tmp-file").is_file()
    assert (site / "index.html").read_text() == "live"


def test_leftovers_are_cleaned_only_under_the_sites_lock(tmp_path):
    """Only the build that holds a site's lock may delete folders beside it."""
    site, other = tmp_path / "site", tmp_path / "other"
    (tmp_path / ".site.sitegen-tmp-1a2b").mkdir()
    with pytest.raises(RuntimeError):
        clean_leftovers(site, SiteLock(site))  # made, never taken
    with SiteLock(other) as lock, pytest.raises(RuntimeError):
        start_staging(site, lock)  # another site's lock
    assert (tmp_path / ".site.sitegen-tmp-1a2b").is_dir()


def test_start_staging_cleans_leftovers(tmp_path):
    site = tmp_path / "site"
    (tmp_path / ".site.sitegen-tmp-dead").mkdir()
    with SiteLock(site) as lock:
        staging = start_staging(site, lock)
    assert siblings(site) == [staging.name]


# --- a staging folder gets new files only ---------------------------------------------------------


def test_writes_into_a_staging_folder_never_write_into_a_file_already_there(tmp_path):
    site, outside = tmp_path / "site", tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("precious\n")
    (outside / "new.txt").write_text("new\n")
    with SiteLock(site) as lock:
        folder = start_staging(site, lock)
    names = ("page.html", "asset.css", "linked.html", "via-link.html")
    for name in names[:3]:
        os.link(outside / "precious.txt", folder / name)
    (folder / "via-link.html").symlink_to(outside / "precious.txt")
    write_file(folder, "page.html", b"page\n")
    copy_file(folder, "asset.css", outside / "new.txt")
    link_or_copy(outside / "new.txt", folder, "linked.html")
    write_file(folder, "via-link.html", b"page\n")
    assert (outside / "precious.txt").read_text() == "precious\n"
    assert {name: (folder / name).read_text() for name in names} == {
        "page.html": "page\n", "asset.css": "new\n", "linked.html": "new\n", "via-link.html": "page\n"}
    assert not any((folder / name).is_symlink() for name in names)
    discard_staging(folder)


def test_a_folder_the_build_made_is_checked_once(tmp_path, monkeypatch):
    """safe_path resolves a path (a stat per component) only where its folder is not one this
    build made in its staging folder; elsewhere (here a plain folder) every path is resolved."""
    site, plain = tmp_path / "site", tmp_path / "plain"
    plain.mkdir()
    with SiteLock(site) as lock:
        folder = start_staging(site, lock)
    resolved, real = [], os.path.realpath
    monkeypatch.setattr(os.path, "realpath", lambda path, **kw: (resolved.append(str(path)), real(path, **kw))[1])
    for root in (folder, plain):
        for name in ("a", "b", "c"):
            write_file(root, f"sheets/x/{name}.html", b"x")
    assert resolved == [str(folder), str(folder / "sheets/x/a.html")] + [
        path for name in "abc" for path in (str(plain), str(plain / f"sheets/x/{name}.html"))]
    discard_staging(folder)


def test_a_write_into_a_vanished_staging_folder_still_fails(tmp_path):
    """Folders the build made are not checked again, yet a write never recreates a deleted staging folder."""
    site = tmp_path / "site"
    with SiteLock(site) as lock:
        folder = start_staging(site, lock)
    write_file(folder, "sheets/a/index.html", b"a")
    shutil.rmtree(folder)
    for relpath in ("sheets/a/other.html", "top.html"):
        with pytest.raises(OutputError, match="was deleted while the site was being built"):
            write_file(folder, relpath, b"b")
        assert not folder.exists()
    discard_staging(folder)


# --- a real process killed at random moments -----------------------------------

CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from sitegen.write.output import write_file
from sitegen.write.staging import SiteLock, start_staging, swap_into_place
site, version = Path(sys.argv[2]), int(sys.argv[3])
print("ready", flush=True)
with SiteLock(site) as lock:
    while True:
        version += 1
        staging = start_staging(site, lock)
        for i in range(200):
            write_file(staging, f"d{i % 7}/f{i}.txt", f"version {version} file {i}\n".encode())
        swap_into_place(staging, site)
        print("swapped", version, flush=True)
"""


def read_site(site: Path) -> set[int]:
    """The versions found in a complete site; fails on a missing or foreign file."""
    files = sorted(p for p in site.rglob("*.txt"))
    assert len(files) == 200, f"{len(files)} of 200 files present"
    assert (site / MARKER).is_file()
    versions = set()
    for p in files:
        words = p.read_text().split()
        assert words[0] == "version" and words[3] == p.stem[1:], p
        versions.add(int(words[1]))
    return versions


def test_killed_builds_never_leave_a_mixed_site(tmp_path):
    rng = random.Random(20240601)
    site = tmp_path / "site"
    trials, seen = 20, []
    for trial in range(trials):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(REPO), str(site), str(trial * 1_000_000)],
            stdout=subprocess.PIPE,
        )
        assert child.stdout.readline() == b"ready\n"
        # Wait for one complete swap, so that a loaded machine cannot make every kill land
        # before the first one; then kill at a random moment of the following builds.
        assert child.stdout.readline().startswith(b"swapped ")
        time.sleep(rng.uniform(0, 0.150))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL, "the child ended on its own: it failed"
        versions = read_site(site)
        assert len(versions) == 1, f"trial {trial}: a mix of versions {sorted(versions)}"
        seen.append(versions.pop())
    with SiteLock(site) as lock:  # each kill released the lock; its file stays until a build is done
        staging = start_staging(site, lock)
        # The spare is there unless every kill came before a second swap.
        assert [name for name in siblings(site) if name != SPARE] == sorted([staging.name, ".site.sitegen-lock"])
    print(f"{trials} kill trials; the site showed versions {seen}")
    assert len(set(seen)) == trials, "every trial's child swapped at least once"


# --- what a build writes for assets: size caps, streaming, allowed script-capable files -------------


def test_write_file_never_recreates_a_vanished_staging_folder(tmp_path):
    """Recreating it would let the swap publish a folder holding only the files written after."""
    staging = tmp_path / ".site.sitegen-tmp-0123"
    staging.mkdir()
    write_file(staging, "sheets/a/index.html", b"a")
    discard_staging(staging)
    for write in (lambda: write_file(staging, "sheets/b/index.html", b"b"),
                  lambda: write_file(staging, "robots.txt", b"b")):
        with pytest.raises(OutputError, match="was deleted while the site was being built"):
            write()
        assert not staging.exists()


SIX_GIB = 6 << 30


def _limit_memory() -> None:
    import resource
    # A regression would read the whole file: fail at once instead of taking the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_a_huge_asset_is_refused_without_being_read(small_site):
    """A 6 GiB file (sparse: it costs no disk) once gave a MemoryError traceback."""
    from conftest import sitegen_env

    huge = small_site.content / "files" / "archive.pdf"
    huge.parent.mkdir()
    with open(huge, "wb") as handle:
        handle.truncate(SIX_GIB)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "sitegen", "build"], cwd=small_site.root, env=sitegen_env(),
                            capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)
    assert (result.returncode, result.stderr) == (1, (
        "content/files/archive.pdf:1:1: error: file is larger than max_asset_size (50,000,000 bytes): "
        f"it has {SIX_GIB:,} bytes\n"
        "  hint: publish it elsewhere and link to it, or raise max_asset_size under the sitegen plugin in mkdocs.yml\n"
        "1 error, 0 warnings\n"))
    assert time.monotonic() - started < 30
    assert not small_site.site_dir.exists()


def test_the_fingerprint_hashes_large_files_in_chunks(small_site):
    """A file over max_file_size is hashed chunk by chunk, never held whole, and still fingerprinted."""
    import tracemalloc

    from conftest import TODAY
    from sitegen.build import input_fingerprint

    big = small_site.content / "files" / "survey.pdf"
    big.parent.mkdir()
    with open(big, "wb") as handle:
        handle.truncate(200 << 20)  # under max_asset_size once it is raised, far over max_file_size
    config = small_site.config(max_asset_size=300 << 20)
    tracemalloc.start()
    try:
        before = input_fingerprint(config, "salt", TODAY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak:,} bytes held at once"
    assert str(big) not in before.contents
    with open(big, "r+b") as handle:  # one byte changes: so does the fingerprint
        handle.seek(100 << 20)
        handle.write(b"x")
    assert input_fingerprint(config, "salt", TODAY).fingerprint != before.fingerprint


def test_allowed_script_capable_assets_are_published_as_they_are(tiny_site):
    from conftest import TODAY, mkdocs_yml

    files = {"content/embeds/2024/chart.html": "<p>chart</p>\n", "content/img/map.svg": "<svg/>\n",
             "content/img/other.svg": "<svg/>\n"}
    patterns = '      allow_assets: ["embeds/**/*.html", "img/map.svg"]\n'
    site = tiny_site(files, config=mkdocs_yml(options=patterns))
    with pytest.raises(Exception) as info:
        site.build()
    assert "'img/other.svg' could run script" in str(info.value)
    site.remove("content/img/other.svg")
    site.build(today=TODAY)
    assert (site.site_dir / "embeds/2024/chart.html").read_text() == "<p>chart</p>\n"
    assert (site.site_dir / "img/map.svg").read_text() == "<svg/>\n"


def test_an_export_is_written_from_its_parts_as_the_bytes_it_would_have_been_joined(tmp_path):
    """facts.json is never joined in memory (Joined): written part by part, its bytes are those
    of the text joined and encoded whole, with nothing left of an older, longer file."""
    lines = ['{"id":"a","text":"caf\u00e9 \u201cquoted\u201d"}', '{"id":"b"}', '{"id":"\u4e2d\u6587"}']
    joined = Joined('{"version":1,"facts":[\n', lines, ",\n", "\n]}\n")
    expected = ('{"version":1,"facts":[\n' + ",\n".join(lines) + "\n]}\n").encode("utf-8")
    root = tmp_path / "staging"
    root.mkdir()
    (root / "data").mkdir()
    (root / "data" / "facts.json").write_bytes(b"x" * 500)  # a file from before, longer than the new one
    write_file(root, "data/facts.json", joined)
    assert (root / "data" / "facts.json").read_bytes() == expected == bytes(joined)
    assert bytes(Joined("", [], "\n", "\n")) == b"\n"  # an empty feed's tail alone, as "\n".join([]) + "\n"
