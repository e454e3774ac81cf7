"""The spare: the site a swap replaced, kept beside site_dir and brought up to date by the next build.

The next build takes it as its staging folder only after checking every entry
itself, so whatever was done to it (edited, left half updated by a failed or
killed build, turned into a link), the site published is the one a cold build
makes, nothing outside the staging folder is written, and no file of the live
site changes: its files are hard links shared with the spare, and a build only
ever puts new files in.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import stat
import time
import traceback
from pathlib import Path

import pytest

from conftest import TODAY, leftovers
from sitegen.build import build
from sitegen.config import load_config
from sitegen.errors import ContentError, OutputError
from sitegen.session import Session
from sitegen.write import output, search, spare, staging
from sitegen.write.staging import SiteLock, clean_leftovers

SPARE = ".site.sitegen-spare"
FERRY = "content/sheets/ferry-timetable.md"
SAID, TOLD = "Mara Quill said:", "Mara Quill told the Gazette:"
_numbers = itertools.count()


# --- helpers ---------------------------------------------------------------------------------


def tree(folder: Path) -> dict[str, tuple]:
    """Every entry under folder, links not followed: folders with their mode, files with their
    mode and bytes, links with their target."""
    found = {}
    for top, folders, files in os.walk(folder):
        for name in folders + files:
            path = os.path.join(top, name)
            rel = Path(os.path.relpath(path, folder)).as_posix()
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = ("folder", stat.S_IMODE(st.st_mode))
            else:
                found[rel] = ("file", stat.S_IMODE(st.st_mode), Path(path).read_bytes())
    return found


def cold_tree(site, tmp_path: Path) -> dict[str, tuple]:
    """The site a cold build of the same content makes, in a fresh project folder with a fresh cache."""
    root = tmp_path / f"cold-{next(_numbers)}"

    def ignore(folder, names):
        return [n for n in names if Path(folder) == site.root and (n in ("site", ".sitegen-cache") or n.startswith(".site."))]

    shutil.copytree(site.root, root, ignore=ignore)
    build(load_config(root / "mkdocs.yml"), today=TODAY)
    return tree(root / "site")


def witness(site_dir: Path, into: Path) -> dict[Path, bytes]:
    """A second hard link to every file of the live site, with its bytes: afterwards, proof that
    no build wrote into any of those files, wherever they ended up (new site, spare, or gone)."""
    into.mkdir()
    saved = {}
    for rel, entry in tree(site_dir).items():
        if entry[0] == "file":
            name = into / rel.replace("/", "__")
            os.link(site_dir / rel, name)
            saved[name] = entry[2]
    return saved


def unwritten(saved: dict[Path, bytes]) -> bool:
    return all(name.read_bytes() == data for name, data in saved.items())


def edit(site, old: str, new: str, rel: str = FERRY) -> None:
    path = site.root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def shared(a: Path, b: Path) -> set[str]:
    """Paths whose file in ``a`` and in ``b`` is the same inode."""
    same = set()
    for top, _, files in os.walk(a):
        for name in files:
            rel = os.path.relpath(os.path.join(top, name), a)
            try:
                if os.path.samestat(os.lstat(os.path.join(a, rel)), os.lstat(os.path.join(b, rel))):
                    same.add(Path(rel).as_posix())
            except FileNotFoundError:
                pass
    return same


@pytest.fixture
def with_spare(small_site):
    """The small site built twice (the second time after an edit): the first site is the spare."""
    site = small_site
    site.build()
    assert not (site.root / SPARE).exists()  # the first build replaced nothing
    edit(site, SAID, TOLD)
    site.build()
    assert (site.root / SPARE).is_dir()
    edit(site, TOLD, SAID)  # the next build's edit
    return site


# --- the spare is reused, and the result is a cold build's ---------------------------------------


def test_an_edit_reuses_the_spare_and_equals_a_cold_build(with_spare, tmp_path):
    site = with_spare
    spare_dir, live = site.root / SPARE, site.site_dir
    unchanged = os.lstat(spare_dir / "sheets" / "overview").st_ino  # a page neither edit touches
    before_live, before_spare = tree(live), tree(spare_dir)
    linked = shared(live, spare_dir)  # the files the last build took from the site it replaced
    assert "sheets/overview/index.html" in linked and "sheets/ferry-timetable/index.html" not in linked
    saved = witness(live, tmp_path / "witness")
    result = site.build()
    assert result.stats["kept"] == len(linked) and 0 < result.rendered < result.pages
    assert os.lstat(live / "sheets" / "overview").st_ino == unchanged  # the spare is the new site
    assert tree(live) == cold_tree(site, tmp_path)
    assert tree(spare_dir) == before_live  # and the site it replaced is the next spare, as it was
    assert before_spare != before_live
    assert unwritten(saved)  # every file of the live site kept its bytes, the edited page's included
    assert leftovers(live) == []


def test_forked_workers_never_write_into_a_file_of_the_live_site(tiny_site, tmp_path):
    """60 sheets of one topic: renaming the topic renders every sheet again, in forked workers,
    into a spare whose copies of those pages are hard links shared with the live site."""
    sheets = {f"content/sheets/s{i:02d}.md": (f"---\ntitle: Sheet {i}\nsummary: Number {i}.\nas_of: 2024-05-03\n"
                                              f"topics: [piers]\n---\nSheet {i} is in the minutes [@council-minutes].\n")
              for i in range(60)}
    site = tiny_site(sheets)
    config = site.config()
    build(config, today=TODAY, jobs=2)
    edit(site, "Sheet 7 is", "Sheet seven is", "content/sheets/s07.md")
    build(config, today=TODAY, jobs=2)
    assert "sheets/s08/index.html" in shared(site.site_dir, site.root / SPARE)
    saved = witness(site.site_dir, tmp_path / "witness")
    edit(site, "name: Piers", "name: Piers and quays", "content/data/topics.yml")
    result = build(config, today=TODAY, jobs=2)
    assert result.rendered >= output.PARALLEL_THRESHOLD and result.stats["kept"] > 0
    assert unwritten(saved)
    assert tree(site.site_dir) == cold_tree(site, tmp_path)
    assert b"Piers and quays" in (site.site_dir / "sheets" / "s08" / "index.html").read_bytes()


def test_without_the_cache_every_file_is_new_and_the_folders_are_reused(with_spare, tmp_path):
    site = with_spare
    folder = os.lstat(site.root / SPARE / "sheets" / "overview").st_ino
    saved = witness(site.site_dir, tmp_path / "witness")
    result = build(site.config(), today=TODAY, use_cache=False)
    assert result.stats["kept"] == 0 and result.rendered == result.pages
    assert os.lstat(site.site_dir / "sheets" / "overview").st_ino == folder
    assert unwritten(saved)
    assert tree(site.site_dir) == cold_tree(site, tmp_path)


# --- a spare that was tampered with ------------------------------------------------------------------


def _replace_reused_file(spare_dir, site, outside):
    page = spare_dir / "sheets" / "overview" / "index.html"
    page.unlink()
    page.write_bytes(b"<p>forged</p>\n")  # a new file under the live file's name


def _edit_own_file_in_place(spare_dir, site, outside):
    page = spare_dir / "sheets" / "ferry-timetable" / "index.html"  # the old version: an inode of its own
    assert not os.path.samestat(os.lstat(page), os.lstat(site.site_dir / "sheets/ferry-timetable/index.html"))
    with open(page, "r+b") as handle:
        handle.write(b"<p>forged</p>")


def _stray_file(spare_dir, site, outside):
    (spare_dir / "stray.html").write_text("stray")
    (spare_dir / "sheets" / "stray.txt").write_text("stray")


def _stray_folder(spare_dir, site, outside):
    (spare_dir / "extra" / "deep").mkdir(parents=True)
    (spare_dir / "extra" / "deep" / "index.html").write_text("stray")
    (spare_dir / "sheets" / "gone").mkdir()


def _link_out_for_a_folder(spare_dir, site, outside):
    shutil.rmtree(spare_dir / "sheets" / "overview")
    (spare_dir / "sheets" / "overview").symlink_to(outside)  # a folder the build writes into


def _link_into_the_live_site(spare_dir, site, outside):
    shutil.rmtree(spare_dir / "sheets")
    (spare_dir / "sheets").symlink_to(site.site_dir / "sheets")


def _link_out_for_a_file(spare_dir, site, outside):
    (spare_dir / "index.html").unlink()
    (spare_dir / "index.html").symlink_to(outside / "precious.txt")  # a page this build reuses
    (spare_dir / "robots.txt").unlink()
    (spare_dir / "robots.txt").symlink_to(outside / "precious.txt")  # a file this build writes


def _stray_link(spare_dir, site, outside):
    (spare_dir / "elsewhere").symlink_to(outside)
    (spare_dir / "dangling").symlink_to(outside / "nothing-here")


def _hard_links_to_outside(spare_dir, site, outside):
    for rel in ("sitemap.xml", "sheets/overview/index.html"):  # written anew; reused
        (spare_dir / rel).unlink()
        os.link(outside / "precious.txt", spare_dir / rel)


def _file_where_a_folder_is_needed(spare_dir, site, outside):
    shutil.rmtree(spare_dir / "sheets" / "overview")
    (spare_dir / "sheets" / "overview").write_text("not a folder")


def _folder_where_a_file_is_needed(spare_dir, site, outside):
    (spare_dir / "index.html").unlink()
    (spare_dir / "index.html").mkdir()
    (spare_dir / "index.html" / "inner.html").write_text("x")


def _folder_of_another_mode(spare_dir, site, outside):
    (spare_dir / "sheets").chmod(0o700)


def _spare_of_another_mode(spare_dir, site, outside):
    spare_dir.chmod(0o777)


def _spare_is_a_link(spare_dir, site, outside):
    shutil.copytree(spare_dir, outside / "copy")
    shutil.rmtree(spare_dir)
    spare_dir.symlink_to(outside / "copy")


def _spare_is_a_link_to_the_live_site(spare_dir, site, outside):
    shutil.rmtree(spare_dir)
    spare_dir.symlink_to(site.site_dir)


def _spare_is_a_file(spare_dir, site, outside):
    shutil.rmtree(spare_dir)
    spare_dir.write_text("not a folder")


def _spare_is_empty(spare_dir, site, outside):
    shutil.rmtree(spare_dir)
    spare_dir.mkdir()


TAMPERINGS = [_replace_reused_file, _edit_own_file_in_place, _stray_file, _stray_folder, _link_out_for_a_folder,
              _link_into_the_live_site, _link_out_for_a_file, _stray_link, _hard_links_to_outside,
              _file_where_a_folder_is_needed, _folder_where_a_file_is_needed, _folder_of_another_mode,
              _spare_of_another_mode, _spare_is_a_link, _spare_is_a_link_to_the_live_site, _spare_is_a_file,
              _spare_is_empty]


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=[t.__name__.strip("_") for t in TAMPERINGS])
def test_a_tampered_spare_gives_a_cold_build_and_writes_nothing_outside(with_spare, tmp_path, tamper):
    site = with_spare
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("precious\n")
    tamper(site.root / SPARE, site, outside)
    outside_before = tree(outside)
    saved = witness(site.site_dir, tmp_path / "witness")
    site.build()
    assert tree(site.site_dir) == cold_tree(site, tmp_path)
    assert tree(outside) == outside_before
    assert unwritten(saved)
    assert leftovers(site.site_dir) == []
    assert stat.S_ISDIR(os.lstat(site.root / SPARE).st_mode)  # the replaced site, as always


def test_a_spare_that_cannot_be_brought_up_to_date_gives_way_to_a_fresh_folder(with_spare, tmp_path, monkeypatch):
    """An entry the walk cannot remove (as in a folder not writable for the builder) makes the
    build throw the spare away and fill a fresh folder, as without one."""
    site = with_spare
    calls = []

    def refuse(path, folder):
        calls.append(path)
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(spare, "_drop", refuse)
    saved = witness(site.site_dir, tmp_path / "witness")
    result = site.build()
    assert len(calls) == 1 and result.stats["kept"] == 0
    assert tree(site.site_dir) == cold_tree(site, tmp_path) and unwritten(saved)
    assert leftovers(site.site_dir) == [] and (site.root / SPARE).is_dir()


# --- failed and killed builds ----------------------------------------------------------------------


def test_a_content_error_leaves_the_site_and_the_spare_as_they_were(with_spare, tmp_path):
    site = with_spare
    live, spare_before = tree(site.site_dir), tree(site.root / SPARE)
    saved = witness(site.site_dir, tmp_path / "witness")
    edit(site, '"six crossings a day"', '"seven crossings a day"')
    with pytest.raises(ContentError) as info:
        site.build()
    assert "quote not found in source" in info.value.format_message()
    assert tree(site.site_dir) == live and tree(site.root / SPARE) == spare_before and unwritten(saved)
    assert leftovers(site.site_dir) == []
    edit(site, '"seven crossings a day"', '"six crossings a day"')
    site.build()
    assert tree(site.site_dir) == cold_tree(site, tmp_path) and unwritten(saved)


def test_a_failure_while_writing_keeps_the_half_updated_folder_as_a_harmless_spare(with_spare, tmp_path,
                                                                                   monkeypatch):
    site = with_spare
    live = tree(site.site_dir)
    saved = witness(site.site_dir, tmp_path / "witness")
    real, calls = output.write_file, []

    def fail_at_the_third(root, relpath, data):
        calls.append(relpath)
        if len(calls) == 3:
            raise OutputError(f"could not write '{relpath}': injected")
        return real(root, relpath, data)

    monkeypatch.setattr(output, "write_file", fail_at_the_third)
    with pytest.raises(OutputError, match="injected"):
        site.build()
    monkeypatch.setattr(output, "write_file", real)
    assert tree(site.site_dir) == live and unwritten(saved)
    assert leftovers(site.site_dir) == [] and (site.root / SPARE).is_dir()  # the staging folder, set aside
    result = site.build()
    assert result.stats["kept"] > 0
    assert tree(site.site_dir) == cold_tree(site, tmp_path) and unwritten(saved)


class Forked:
    """``build(config)`` in a forked process with ``patch()`` applied first; never returns into pytest."""

    def __init__(self, site, patch):
        self.pid = os.fork()
        if self.pid == 0:
            code = 70
            try:
                patch()
                build(site.config(), today=TODAY)
                code = 0
            except BaseException:
                traceback.print_exc()
                code = 71
            finally:
                os._exit(code)

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.005)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError("the build did not finish")


def kill_at(module, name: str, call: int):
    """A patch: the ``call``-th call of module.name kills the process with SIGKILL, before it acts."""
    def patch():
        real, calls = getattr(module, name), [0]

        def deadly(*args, **kwargs):
            calls[0] += 1
            if calls[0] == call:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)

        setattr(module, name, deadly)
    return patch


@pytest.mark.parametrize("call", [1, 2, 5])
def test_a_build_killed_while_bringing_the_spare_up_to_date(with_spare, tmp_path, call):
    site = with_spare
    live = tree(site.site_dir)
    saved = witness(site.site_dir, tmp_path / "witness")
    assert Forked(site, kill_at(spare, "_drop", call)).wait() == -signal.SIGKILL
    assert tree(site.site_dir) == live and unwritten(saved)
    left = leftovers(site.site_dir)
    assert len(left) == 2 and left[0] == ".site.sitegen-lock" and left[1].startswith(".site.sitegen-tmp-")
    assert not os.path.lexists(site.root / SPARE)  # it was taken: what is left of it is an ordinary leftover
    site.build()
    assert tree(site.site_dir) == cold_tree(site, tmp_path) and unwritten(saved)
    assert leftovers(site.site_dir) == []


def test_a_build_killed_between_the_exchange_and_keeping_the_spare(with_spare, tmp_path):
    site = with_spare
    saved = witness(site.site_dir, tmp_path / "witness")
    assert Forked(site, kill_at(staging, "_keep_as_spare", 1)).wait() == -signal.SIGKILL
    assert tree(site.site_dir) == cold_tree(site, tmp_path) and unwritten(saved)  # the new site is live
    assert [name[:18] for name in leftovers(site.site_dir)] == [".site.sitegen-lock", ".site.sitegen-tmp-"]
    edit(site, SAID, TOLD)
    result = site.build()
    assert result.stats["kept"] == 0 and tree(site.site_dir) == cold_tree(site, tmp_path)
    assert leftovers(site.site_dir) == [] and (site.root / SPARE).is_dir()


# --- the search index, serve, the leftovers ---------------------------------------------------------


def test_search_builds_with_a_spare_equal_a_cold_build(tiny_site, tmp_path, monkeypatch):
    monkeypatch.setattr(search, "PAGES_PER_SHARD", 2)  # several shards: some reused, some made again
    sheets = {f"content/sheets/{name}.md": (f"---\ntitle: The {name}\nsummary: About the {name}.\nas_of: 2024-05-03\n"
                                            f"topics: [piers]\n---\nThe {name} is in the minutes [@council-minutes].\n")
              for name in ("harbour", "lighthouse", "ferry", "market", "bridge", "quay")}
    site = tiny_site(sheets, search=True)
    site.build()
    edit(site, "The ferry is", "The ferry boat is", "content/sheets/ferry.md")
    site.build()
    saved = witness(site.site_dir, tmp_path / "witness")
    (site.root / SPARE / "pagefind" / "stray.js").write_text("stray")
    edit(site, "The market is", "The market square is", "content/sheets/market.md")
    result = site.build()
    assert result.stats["kept"] > 0 and unwritten(saved)
    assert tree(site.site_dir) == cold_tree(site, tmp_path)
    assert leftovers(site.site_dir) == []


def test_serve_updates_in_place_beside_a_spare(with_spare, tmp_path):
    """serve's in-place writes replace files by rename, so the spare's shared inodes keep their bytes,
    and the next build into a fresh folder brings the spare up to date with the updated site."""
    site = with_spare
    site.build()  # the spare now shares the unchanged files with the live site
    spare_files = witness(site.root / SPARE, tmp_path / "spare-witness")
    session = Session(update_in_place=True)
    edit(site, "annual report covers both", "annual report covers them both", "content/sheets/overview.md")
    result = build(site.config(), today=TODAY, session=session)
    assert "swap" not in result.timings and result.rendered > 0  # updated in place
    assert unwritten(spare_files)
    assert tree(site.site_dir) == cold_tree(site, tmp_path)
    edit(site, SAID, TOLD)
    result = site.build()
    # A session keeps its manifest in memory (serve's folder is its own), and the one on disk was
    # dropped when the folder changed under it: this build trusts nothing of it, so keeps nothing.
    assert "swap" in result.timings and result.stats["kept"] == 0
    assert tree(site.site_dir) == cold_tree(site, tmp_path) and unwritten(spare_files)


def test_the_spare_is_not_a_leftover(tmp_path):
    site = tmp_path / "site"
    (tmp_path / SPARE / "sheets").mkdir(parents=True)
    (tmp_path / ".site.sitegen-tmp-0123").mkdir()
    (tmp_path / ".site.sitegen-old-4567").mkdir()
    with SiteLock(site) as lock:
        assert clean_leftovers(site, lock) == [tmp_path / ".site.sitegen-old-4567", tmp_path / ".site.sitegen-tmp-0123"]
    assert (tmp_path / SPARE / "sheets").is_dir()


def test_remove_spare_deletes_only_the_spare_and_never_follows_a_link(tmp_path):
    site, outside = tmp_path / "site", tmp_path / "outside"
    (outside / "kept").mkdir(parents=True)
    site.mkdir()
    (tmp_path / SPARE).symlink_to(outside)
    with SiteLock(site) as lock:
        staging.remove_spare(site, lock)
        assert not os.path.lexists(tmp_path / SPARE) and (outside / "kept").is_dir()
        (tmp_path / SPARE / "sheets").mkdir(parents=True)
        staging.remove_spare(site, lock)
        staging.remove_spare(site, lock)  # none: nothing to do
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside", "site"]
    with pytest.raises(RuntimeError):
        staging.remove_spare(site, SiteLock(site))


def test_the_spare_is_taken_only_under_the_sites_lock(tmp_path):
    site = tmp_path / "site"
    with pytest.raises(RuntimeError):
        spare.staging_for(site, SiteLock(site), spare.Wanted({}))
