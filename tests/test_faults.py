"""Faults around a build: killed at any moment, a disk that fills up, files that change underneath.

Whatever happens, site/ is the complete previous site or the complete new one,
a failure is a clear message with exit code 1 (never a traceback), and the
next build removes whatever a killed build left behind.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import TODAY, leftovers, sitegen_env, snapshot
from sitegen.build import build
from sitegen.errors import ContentError, SitegenError

FERRY = "content/sheets/ferry-timetable.md"


def version_b(site) -> None:
    """A second version of the small site: one sheet and the site description change."""
    path = site.root / FERRY
    path.write_text(path.read_text(encoding="utf-8").replace(
        "title: The harbour ferry's winter timetable", "title: The harbour ferry's spring timetable"), encoding="utf-8")
    config = site.root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "site_description: A fictional town's public works, fact by fact.",
        "site_description: A fictional town's public works, fact by fact, revised."), encoding="utf-8")


def cli(site, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sitegen", "build", *args], cwd=site.root, env=sitegen_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# --- (a) killed at random moments ---------------------------------------------------------------


def test_a_killed_build_leaves_the_old_site_or_the_new_one_never_a_mix(small_site, tmp_path):
    site = small_site
    cache = site.root / ".sitegen-cache"
    assert site.run("build").returncode == 0
    snapshot_a = snapshot(site.site_dir)
    saved = tmp_path / "version-a"
    shutil.copytree(site.site_dir, saved / "site")
    shutil.copytree(cache, saved / "cache")

    def restore_a() -> None:
        shutil.rmtree(site.site_dir)
        shutil.copytree(saved / "site", site.site_dir)
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(saved / "cache", cache)

    version_b(site)
    started = time.monotonic()
    assert site.run("build").returncode == 0
    duration = time.monotonic() - started  # a whole run: interpreter start, imports, build
    snapshot_b = snapshot(site.site_dir)
    assert snapshot_b != snapshot_a

    rng = random.Random(20250115)
    trials = 50
    outcome = {"old site (killed before the swap)": 0, "new site (killed after the swap)": 0,
               "new site (finished before the kill)": 0}
    left_behind, scale = 0, 1.0
    for trial in range(trials):
        restore_a()
        child = cli(site)
        # The first moments only import modules. A build's length varies (a fresh clone
        # compiles bytecode, a loaded machine is slower), so the window follows the
        # outcomes: later after a kill that came too early, earlier after a finished build.
        time.sleep(rng.uniform(0.4, 1.1) * duration * scale)
        child.send_signal(signal.SIGKILL)
        _, stderr = child.communicate()
        finished = child.returncode == 0  # it may end on its own just before the signal
        assert finished or child.returncode == -signal.SIGKILL, stderr.decode()
        now = snapshot(site.site_dir)
        assert now in (snapshot_a, snapshot_b), f"trial {trial}: site/ is neither the old nor the new site"
        if now == snapshot_a:
            outcome["old site (killed before the swap)"] += 1
            scale *= 1.15
        elif finished:
            outcome["new site (finished before the kill)"] += 1
            scale *= 0.9
        else:
            outcome["new site (killed after the swap)"] += 1
        left_behind += bool(leftovers(site.site_dir))
    print(f"\n{trials} kill trials (a whole build took {duration:.2f} s): "
          + ", ".join(f"{count} {what}" for what, count in outcome.items())
          + f"; after {left_behind} of them a staging or old-site folder lay next to site/")
    assert outcome["old site (killed before the swap)"] and sum(outcome.values()) - outcome[
        "old site (killed before the swap)"], "the kills never straddled the swap: the test proved nothing"

    result = site.run("build")
    assert result.returncode == 0, result.stderr
    assert leftovers(site.site_dir) == []
    assert snapshot(site.site_dir) == snapshot_b


# --- (b) a disk that fills up during a build ------------------------------------------------------


def mount_tmpfs(where: Path, size: str) -> bool:
    """A small RAM disk at ``where``; False where mounting is not permitted (CI containers, non-root)."""
    where.mkdir(parents=True)
    try:
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                                capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


# Runs the real command line with Path.write_bytes failing with ENOSPC after ``limit`` calls.
# Every file sitegen writes is opened through Path.open (write_bytes too, and pages written in
# parts): the disk is full from the file after the first ``limit`` ones.
FULL_DISK = r"""
import errno, os, pathlib, sys
limit, calls = int(sys.argv[1]), [0]
open_ = pathlib.Path.open
def full(self, mode="r", *args, **kwargs):
    if "w" in mode:
        calls[0] += 1
        if calls[0] > limit:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
    return open_(self, mode, *args, **kwargs)
pathlib.Path.open = full
sys.argv = ["sitegen", "build"]
from sitegen.cli import main
main()
"""


def check_full_disk_failure(result, site_dir: Path, before: dict) -> None:
    assert result.returncode == 1, result.stderr
    assert "no space left on device" in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert before and snapshot(site_dir) == before
    assert leftovers(site_dir) == []


def test_a_full_disk_fails_cleanly_on_a_real_small_disk(small_site, tmp_path):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "1m"):
        pytest.skip("mounting a tmpfs is not permitted here; the injected ENOSPC test covers this")
    try:
        site = small_site
        config = site.root / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8").replace("site_dir: site",
                                                                     f"site_dir: {disk / 'site'}"))
        assert site.run("build").returncode == 0
        site_dir = disk / "site"
        before = snapshot(site_dir)
        version_b(site)  # a changed description: every page is rendered and written again
        filler = disk / "filler"
        filler.write_bytes(b"\0" * (free_bytes(disk) - 48 * 1024))  # 48 kB left: less than the pages need
        result = site.run("build")
        print(f"\nbuild on a full {disk} (48 kB free): exit {result.returncode}: {result.stderr.strip()}")
        check_full_disk_failure(result, site_dir, before)
        filler.unlink()
        result = site.run("build")
        assert result.returncode == 0, result.stderr
        assert snapshot(site_dir) not in ({}, before) and leftovers(site_dir) == []
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_full_disk_fails_cleanly_with_an_injected_enospc(small_site):
    site = small_site
    assert site.run("build").returncode == 0
    before = snapshot(site.site_dir)
    version_b(site)
    for limit in (0, 5, 12):  # the first write, and later ones
        result = subprocess.run([sys.executable, "-c", FULL_DISK, str(limit)], cwd=site.root, env=sitegen_env(),
                                capture_output=True, text=True, timeout=300)
        check_full_disk_failure(result, site.site_dir, before)
    assert site.run("build").returncode == 0


# --- (c) leftovers of killed builds ---------------------------------------------------------------


def make_leftovers(site) -> list[Path]:
    made = []
    for name in (".site.sitegen-tmp-0123456789abcdef", ".site.sitegen-old-fedcba9876543210"):
        folder = site.root / name
        (folder / "sheets" / "x").mkdir(parents=True)
        (folder / "sheets" / "x" / "index.html").write_text("half a page")
        made.append(folder)
    return made


def test_the_next_build_removes_leftovers_and_nothing_else(small_site):
    site = small_site
    assert site.run("build").returncode == 0
    keep = [site.root / ".site.backup", site.root / "site-sitegen-tmp-1", site.root / ".other.sitegen-tmp-1"]
    for folder in keep:
        folder.mkdir()
    (site.root / ".site.sitegen-tmp-not-a-folder").write_text("a file, not ours")
    made = make_leftovers(site)
    version_b(site)
    assert site.run("build").returncode == 0  # a real build
    assert not any(folder.exists() for folder in made)
    make_leftovers(site)
    result = site.run("build")  # nothing changed: the up-to-date shortcut cleans too
    assert result.returncode == 0 and "up to date" in result.stderr
    assert leftovers(site.site_dir) == [".site.sitegen-tmp-not-a-folder"]
    assert all(folder.is_dir() for folder in keep)


# --- (d) files that change while a build reads them --------------------------------------------------


def test_a_file_deleted_after_the_walk_is_a_clear_error(small_site, monkeypatch):
    from sitegen.read.reader import Reader

    walk = Reader.walk

    def walk_then_delete(self):
        found = walk(self)
        (small_site.root / FERRY).unlink()  # gone between listing the folder and reading the file
        return found

    monkeypatch.setattr(Reader, "walk", walk_then_delete)
    with pytest.raises(ContentError) as info:  # without the cache, the loader reads each file itself
        build(small_site.config(), today=TODAY, use_cache=False)
    assert info.value.format_message() == (
        f"{FERRY}:1:1: error: cannot read file: No such file or directory\n"
        "  hint: check that it exists and is readable\n"
        "1 error, 0 warnings")


def test_a_save_after_the_fingerprint_is_built_as_read_then_noticed(small_site, monkeypatch):
    """The pages are made from the bytes the fingerprint read, so the site matches what the
    cache records; a save during the build is not recorded as built, and the next build shows it."""
    from sitegen import build as build_module

    path = small_site.root / FERRY
    saved = path.read_text(encoding="utf-8").replace("title: The harbour ferry's winter timetable",
                                                     "title: Saved during the build")
    fingerprint = build_module.input_fingerprint

    def fingerprint_then_save(*args, **kwargs):
        inputs = fingerprint(*args, **kwargs)
        path.write_text(saved, encoding="utf-8")
        return inputs

    page = small_site.site_dir / "sheets" / "ferry-timetable" / "index.html"
    monkeypatch.setattr(build_module, "input_fingerprint", fingerprint_then_save)
    small_site.build()
    assert "Saved during the build" not in page.read_text(encoding="utf-8")
    monkeypatch.setattr(build_module, "input_fingerprint", fingerprint)
    assert not small_site.build().up_to_date
    assert "Saved during the build" in page.read_text(encoding="utf-8")


def test_an_asset_deleted_before_it_is_copied_is_a_clear_error(small_site, monkeypatch):
    from sitegen import build as build_module

    asset = small_site.content / "map.png"
    asset.write_bytes(b"\x89PNG\r\n\x1a\n")
    static_files = build_module.static_files

    def list_then_delete(config, assets):
        found = static_files(config, assets)
        asset.unlink()
        return found

    monkeypatch.setattr(build_module, "static_files", list_then_delete)
    with pytest.raises(SitegenError):
        small_site.build()


def test_copying_an_asset_fails_with_a_message(tmp_path, monkeypatch):
    """output.copy_file, which build.py uses for assets."""
    from sitegen.write import output

    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(SitegenError) as info:
        output.copy_file(staging, "map.svg", tmp_path / "gone.svg")
    assert str(info.value) == (f"'{tmp_path / 'gone.svg'}' disappeared while the site was being built; "
                               "the previous site is untouched — build again")
    (tmp_path / "map.svg").write_text("<svg/>")

    def full(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(output.shutil, "copyfile", full)
    with pytest.raises(SitegenError) as info:
        output.copy_file(staging, "assets/map.svg", tmp_path / "map.svg")
    assert str(info.value) == ("no space left on device while writing 'assets/map.svg'; the previous site is "
                               "untouched — free some space and build again")


def test_a_sheet_rewritten_during_builds_gives_a_consistent_site_or_a_clear_error(small_site):
    """An editor saving over and over (in place, and by rename) while builds run."""
    site = small_site
    path = site.root / FERRY
    original = path.read_text(encoding="utf-8")
    versions = {}
    for name in ("alpha", "beta"):
        versions[name] = original.replace("title: The harbour ferry's winter timetable", f"title: Version {name}") \
            + f"\nBody of version {name}.\n"
    stop, first_save = threading.Event(), threading.Event()
    saves = [0]

    def editor() -> None:
        rng = random.Random(7)
        while not stop.is_set():
            name = rng.choice(sorted(versions))
            if rng.random() < 0.5:
                path.write_text(versions[name], encoding="utf-8")  # truncate, then write: not atomic
            else:
                temp = path.with_name(".ferry.tmp")
                temp.write_text(versions[name], encoding="utf-8")
                os.replace(temp, path)
            saves[0] += 1
            first_save.set()

    def built_version() -> str:
        page = (site.site_dir / "sheets" / "ferry-timetable" / "index.html").read_text(encoding="utf-8")
        built = [name for name in versions if f"Version {name}</h1>" in page]
        assert len(built) == 1, "the sheet page mixes versions"
        assert f"Body of version {built[0]}." in page, "title and body come from different saves"
        return built[0]

    thread = threading.Thread(target=editor, daemon=True)
    thread.start()
    # A build that starts before the first save would see the original title, which is neither version.
    assert first_save.wait(timeout=30), "the editor thread never saved"
    outcomes = {"alpha": 0, "beta": 0, "content error": 0}
    try:
        for _ in range(25):
            try:
                build(site.config(), today=TODAY)
            except ContentError as exc:
                assert FERRY in exc.format_message()
                outcomes["content error"] += 1
            else:
                outcomes[built_version()] += 1
    finally:
        stop.set()
        thread.join()
    print(f"\n25 builds during {saves[0]} saves: {outcomes}")
    assert outcomes["alpha"] + outcomes["beta"] > 0
    assert leftovers(site.site_dir) == []


def test_a_save_during_a_build_is_not_hidden_by_the_cache(small_site, monkeypatch):
    """An editor saves while a build runs, then undoes the save: the site must show the file as it is."""
    from sitegen import build as build_module

    path = small_site.root / FERRY
    first = path.read_text(encoding="utf-8")
    second = first.replace("title: The harbour ferry's winter timetable", "title: Saved during the build")
    fingerprint = build_module.input_fingerprint

    def fingerprint_then_save(*args, **kwargs):
        digest = fingerprint(*args, **kwargs)
        path.write_text(second, encoding="utf-8")  # the save lands after the fingerprint, before the loader
        return digest

    monkeypatch.setattr(build_module, "input_fingerprint", fingerprint_then_save)
    build(small_site.config(), today=TODAY)
    monkeypatch.setattr(build_module, "input_fingerprint", fingerprint)
    path.write_text(first, encoding="utf-8")  # undo: the file is as it was when the fingerprint was taken
    build(small_site.config(), today=TODAY)
    page = (small_site.site_dir / "sheets" / "ferry-timetable" / "index.html").read_text(encoding="utf-8")
    assert "Saved during the build" not in page
