"""Time one-sheet edits inside one process, as `sitegen serve` rebuilds them.

`sitegen serve` keeps a build session (sitegen/session.py) from one build to the
next. This script does the same: one build to start, then, for each run, the
one-word edit `run.py` uses for its "edit" mode, named in the session's change
log as serve's file watcher names it, and a rebuild — what `serve` does between
a save and the browser's reload, less the watcher and the reload. The session's
garbage collection, which serve runs after the reload, is timed apart
("collect"). Prints one JSON line per run.

    python bench/session_edit.py bench/corpus/n1000 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OneWordEdit  # noqa: E402

from sitegen.build import build  # noqa: E402
from sitegen.config import load_config  # noqa: E402
from sitegen.read.scan import ChangeLog  # noqa: E402
from sitegen.session import Session  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--title", action="store_true",
                        help="edit the sheet's title instead of its body (a title shows on every listing of the sheet)")
    args = parser.parse_args()
    session = Session(update_in_place=True)
    session.changes, session.collect_later = ChangeLog(), True  # as serve's
    edit = TitleEdit(args.corpus) if args.title else OneWordEdit(args.corpus)
    with tempfile.TemporaryDirectory(prefix="sitegen-bench-") as folder:  # serve builds into a folder of its own
        config = load_config(args.corpus / "mkdocs.yml").with_options(site_dir=Path(folder) / "site")
        run(config, session, edit, args.runs)


class TitleEdit(OneWordEdit):
    """The same sheet, its title changed instead (alternating with the original)."""

    def __init__(self, corpus: Path):
        super().__init__(corpus)
        self.title = next(line for line in self.original.splitlines() if line.startswith("title: "))

    def __call__(self, i: int) -> None:
        title = "title: An edited title" if i % 2 == 0 else self.title
        self.path.write_text(self.original.replace(self.title, title, 1), encoding="utf-8")


def run(config, session: Session, edit: OneWordEdit, runs: int) -> None:
    try:
        edit(1)  # the original text
        build(config, session=session)  # the first build of the session: everything is parsed and rendered
        session.settle()
        for i in range(runs):
            edit(i)
            session.changes.add(os.path.abspath(edit.path))  # what the file event names
            wall, cpu = time.perf_counter(), time.process_time()
            result = build(config, session=session)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            collect = time.perf_counter()
            session.settle()
            print(json.dumps({"wall": wall, "cpu": cpu, "rendered": result.rendered, "stages": result.timings,
                              "collect": time.perf_counter() - collect,
                              "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
    finally:
        edit.restore()


if __name__ == "__main__":
    main()
