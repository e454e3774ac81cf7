"""Builds of one site at the same time: each has the site to itself, and what is published is whole.

A build holds an ``flock`` on ``.site.sitegen-lock`` beside site_dir; a second
build of the same site (``sitegen build``, ``mkdocs build``) says which process
it waits for and goes on when that one is done. Before the lock, a full build
and an "up to date" build started just after it published a site missing most
of its files: the second build's leftover cleaning deleted the first one's
staging folder while it was being filled.

Each build is a real process running the real command line. For the many
interleavings, the processes are forked from this one with sitegen already
imported, so that two dozen pairs take seconds, not minutes; the waiting
itself is checked with `python -m sitegen` and `python -m mkdocs` as an
editor runs them.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from conftest import SOURCE_DATE_EPOCH, leftovers, sitegen_env, snapshot

BUILT = re.compile(r"built 19 pages \(\d+ rendered, 28 files\) in \d+\.\d\d s; 0 errors, 0 warnings")
UP_TO_DATE = re.compile(r"nothing changed: the site is up to date \(\d+\.\d\d s\); 0 errors, 0 warnings")
WAITING = "another build of this site is running (pid {}); waiting for it to finish"

FULL = ("build", "--no-cache")  # renders every page into a staging folder (about 0.3 s)
CACHED = ("build",)             # "site is up to date" (about 0.01 s) while the manifest describes the site
# (first, second, when): the up-to-date build is started at tenths of the full build's rendering
# (a fraction of its measured length, counted from its staging folder's creation, so that the
# builds overlap on a fast machine as on a slow one); the full build at several moments
# (seconds) of the up-to-date build's short run.
INTERLEAVINGS = ([("full, then up to date", FULL, CACHED, i / 10) for i in range(10)]
                 + [("up to date, then full", CACHED, FULL, i * 0.002) for i in range(10)])


def start(site, *args: str, command: tuple[str, ...] = ("-m", "sitegen")) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *command, *args], cwd=site.root, env=sitegen_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def finish(process: subprocess.Popen, timeout: float = 60) -> str:
    _, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return err


_numbers = itertools.count()


class Forked:
    """`sitegen ARGS` in a forked process: its stderr goes to a file, its exit code is the CLI's."""

    def __init__(self, site, *args: str):
        self.err = site.root.parent / f"stderr-{next(_numbers)}.txt"
        self.pid = os.fork()
        if self.pid == 0:  # the child: run the command line, never return into pytest
            code = 70
            try:
                os.dup2(os.open(self.err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
                os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
                sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
                sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
                os.chdir(site.root)
                os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
                if args == FULL:
                    _render_slowly()
                from sitegen.cli import main
                main.main(list(args), prog_name="sitegen")
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                traceback.print_exc()
                code = 71
            finally:
                sys.stderr.flush()
                os._exit(code)

    def wait(self, timeout: float = 60) -> tuple[int, str]:
        """(exit code, or minus the signal that ended it; what it printed on stderr)."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status), Path(self.err).read_text(encoding="utf-8")
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                raise AssertionError(f"sitegen did not finish in {timeout} s")
            time.sleep(0.002)


def _render_slowly(seconds_per_page: float = 0.01) -> None:
    """In a forked full build only: each page takes a little longer to write, so that its
    rendering lasts long enough on any machine for the other build to start inside it.
    The build itself is the real one; only its pace changes."""
    from sitegen.write import output

    write = output.write_file

    def slow_write(*args, **kwargs):
        time.sleep(seconds_per_page)
        return write(*args, **kwargs)

    output.write_file = slow_write


def check_messages(err: str, other_pid: int) -> bool:
    """One summary line, after at most one line saying which build it waited for; True if it waited."""
    lines = err.splitlines()
    waited = lines[:1] == [WAITING.format(other_pid)]
    assert len(lines) == 1 + waited, err
    assert BUILT.fullmatch(lines[-1]) or UP_TO_DATE.fullmatch(lines[-1]), err
    return waited


def test_two_builds_at_once_always_publish_the_whole_site(small_site):
    site = small_site
    assert site.run("build").returncode == 0
    cold = snapshot(site.site_dir)
    assert "index.html" in cold and len(cold) == 29  # 28 files and the marker
    waits = {order: 0 for order, *_ in INTERLEAVINGS}
    rendering = _rendering_time(site)
    for index in range(len(INTERLEAVINGS) // 2):  # alternately, so each order starts up to date
        for order, first_args, second_args, when in INTERLEAVINGS[index::len(INTERLEAVINGS) // 2]:
            first = Forked(site, *first_args)
            offset = when
            if first_args == FULL:
                staging_made(site, first)
                offset = when * rendering
            time.sleep(offset)
            second = Forked(site, *second_args)
            (code1, err1), (code2, err2) = first.wait(), second.wait()
            where = f"{order}, the second started {offset:.3f} s later"
            assert (code1, code2) == (0, 0), f"{where}:\n{err1}\n{err2}"
            published = snapshot(site.site_dir)
            assert sorted(published) == sorted(cold), f"{where}: {len(published)} of {len(cold)} files published"
            assert published == cold, where
            assert leftovers(site.site_dir) == [], where
            waits[order] += check_messages(err1, second.pid) + check_messages(err2, first.pid)
    assert len(INTERLEAVINGS) >= 20
    print(f"\nbuilds that waited: {waits}; a full build renders for {rendering:.3f} s after making its staging folder")
    # The up-to-date builds started in the first half of the full build's rendering had to wait.
    assert waits["full, then up to date"] >= 3, (waits, rendering)


def _rendering_time(site) -> float:
    """How long a full build runs after making its staging folder, on this machine now."""
    build = Forked(site, *FULL)
    staging_made(site, build)
    started = time.monotonic()
    assert build.wait()[0] == 0
    return time.monotonic() - started


def staging_made(site, build: "Forked", timeout: float = 30) -> None:
    """Wait until the build has made its staging folder (it holds the site's lock by then)."""
    deadline = time.monotonic() + timeout
    while not any(name.startswith(".site.sitegen-tmp-") for name in leftovers(site.site_dir)):
        assert time.monotonic() < deadline, "the build never made a staging folder"
        time.sleep(0.001)

def test_a_waiting_build_names_the_build_it_waits_for(small_site):
    """The test holds the site's lock itself: `sitegen build` and `mkdocs build` both wait for it."""
    from sitegen.write.staging import SiteLock

    site = small_site
    assert site.run("build").returncode == 0
    before = snapshot(site.site_dir)
    for command in (("-m", "sitegen"), ("-m", "mkdocs")):
        with SiteLock(site.site_dir):
            waiting = start(site, "build", command=command)
            assert waiting.stderr.readline().rstrip("\n") == WAITING.format(os.getpid())
            time.sleep(0.5)
            assert waiting.poll() is None, "the build did not wait"
            assert snapshot(site.site_dir) == before
            assert leftovers(site.site_dir) == [".site.sitegen-lock"]  # no staging folder was made
        rest = finish(waiting)
        assert "0 errors, 0 warnings" in rest or "Documentation built" in rest, rest
        assert snapshot(site.site_dir) == before
        assert leftovers(site.site_dir) == []


def test_a_killed_build_releases_the_site(small_site):
    """The kernel drops a killed build's lock: the next build neither waits nor finds its folder in the way."""
    site = small_site
    assert site.run("build").returncode == 0
    cold = snapshot(site.site_dir)
    for _ in range(3):
        full = Forked(site, *FULL)
        staging_made(site, full)
        os.kill(full.pid, signal.SIGKILL)
        assert full.wait()[0] == -signal.SIGKILL
        assert ".site.sitegen-lock" in leftovers(site.site_dir)
        started = time.monotonic()
        code, err = Forked(site, *CACHED).wait(timeout=30)
        assert code == 0 and "another build" not in err and time.monotonic() - started < 20, err
        assert snapshot(site.site_dir) == cold
        assert leftovers(site.site_dir) == []
