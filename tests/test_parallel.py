"""Work spread over cores gives what one core gives: sheets parsed ahead in forked workers
(sitegen.read.loader) report the same problems, in the same order, as a parse one file after another."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import SMALL_SITE, TODAY, snapshot
from test_invalid_cases import CASES, INVALID, apply_case
from sitegen.read import loader, reader
from sitegen import workers
from sitegen import resolve as resolve_module
from sitegen.build import build, check
from sitegen.read.citations import citation_key, inline_citations
from sitegen.session import Session
from sitegen.config import load_config
from sitegen.errors import Collector, SitegenError


def outcome(root: Path) -> str:
    try:
        result = check(load_config(root / "mkdocs.yml"), today=TODAY)
    except SitegenError as exc:
        return f"{type(exc).__name__}: {exc.format_message()}"
    return "\n".join(w.format() for w in result.warnings) + f"\n{len(result.site.sheets)} sheets"


@pytest.mark.parametrize("name", ["(valid site)"] + CASES)
def test_parallel_parse_reports_what_a_serial_parse_reports(name: str, tmp_path: Path, monkeypatch):
    root = tmp_path / "site-root"
    shutil.copytree(SMALL_SITE, root, symlinks=True, ignore=shutil.ignore_patterns("site", ".site.*", ".sitegen-cache"))
    if name in CASES:
        apply_case(INVALID / name, root)
    monkeypatch.setattr(loader, "PARALLEL_PARSE", 10**9)
    serial = outcome(root)
    monkeypatch.setattr(loader, "PARALLEL_PARSE", 1)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)  # the browser tests' threads
    assert outcome(root) == serial


def test_sheets_are_parsed_ahead_on_several_cores(small_site, monkeypatch):
    """The test above compares nothing if the workers never run: check that they fill the memo."""
    monkeypatch.setattr(loader, "PARALLEL_PARSE", 1)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
    config = small_site.config()
    memo: dict = {}
    citations: dict = {}
    loader._parse_sheets_ahead(config, reader.Reader(config, Collector(), {}).walk(), memo, citations=citations)
    names = ("bridge-repairs", "ferry-timetable", "overview")
    assert sorted(key for key in memo) == [("sheet", f"content/sheets/{name}.md") for name in names]
    assert sorted(key[0] for key in citations) == [f"content/sheets/{name}.md" for name in names]
    assert citations == {citation_key(s[1]): inline_citations(s[1]) for s in memo.values()}


def test_stored_texts_are_indexed_on_several_cores(small_site, monkeypatch):
    monkeypatch.setattr(resolve_module, "PARALLEL_TEXTS", 1)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
    forked_map, calls = workers.forked_map, []
    monkeypatch.setattr(workers, "forked_map", lambda work, total, jobs, *rest: calls.append(total) or
                        forked_map(work, total, jobs, *rest))
    session = Session()
    result = build(small_site.config(), today=TODAY, session=session)
    texts = [s.text for s in result.site.content.sources.values() if s.text is not None]
    assert calls[0] == len(texts) and all(session.texts[t]._starts is not None for t in texts)
    serial = snapshot(small_site.site_dir)
    monkeypatch.setattr(resolve_module, "PARALLEL_TEXTS", 10**9)
    build(small_site.config(), today=TODAY, use_cache=False)
    assert snapshot(small_site.site_dir) == serial


_FRESH_WORKERS = """
import os
from sitegen import workers
state = {"seen": 0}

def work(start, end):
    state["seen"] += end - start  # a worker kept for a second chunk would count both
    return os.getpid(), state["seen"], end - start

results = workers.forked_map(work, 40, 2, 5)
assert results is not None and len(results) == 10, results
pids = {pid for pid, _, _ in results}
assert len(pids) == 10 and os.getpid() not in pids, results
assert all(seen == size for _, seen, size in results) and state["seen"] == 0, results
"""


def test_each_chunk_runs_in_a_fresh_worker_forked_from_the_parent():
    """A worker ends after one chunk, so what a chunk leaves behind (at 10,000 sheets a render
    worker grew 65 MB over its 760 pages) does not add up over a build, and every chunk
    starts from the parent's state. In a process of its own: one with threads never forks."""
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", _FRESH_WORKERS], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
