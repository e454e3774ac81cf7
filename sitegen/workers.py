"""Work spread over forked processes: the one way sitegen uses more than one core.

Workers are forked, so they see the parent's data as it was at the fork (the
records, the views, the Jinja environment) without pickling any of it; only the
bounds of each chunk go to a worker, and only its results come back. A process
with other threads (``sitegen serve``) is never forked: a thread holding a lock
at the fork would leave the child stuck.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from typing import Callable, TypeVar

from . import memory

R = TypeVar("R")
_WORK: Callable | None = None


def default_jobs() -> int:
    return min(os.cpu_count() or 1, 4)


def can_fork(jobs: int) -> bool:
    return jobs > 1 and "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def forked_map(work: Callable[[int, int], R], total: int, jobs: int, chunks_per_job: int = 4) -> list[R] | None:
    """``work(start, end)`` over ``range(total)`` in chunks on ``jobs`` forked workers,
    results in order; None when forking is not possible (the caller then works alone).
    Each chunk has a worker of its own, forked when its turn comes: what one chunk leaves
    behind does not pile up in a worker that lives through the build (a render worker grew
    by 65 MB over its half of 10,000 sheets, and was the largest process of the build)."""
    global _WORK
    if not can_fork(jobs) or total == 0:
        return None
    step = -(-total // (jobs * chunks_per_job))
    _WORK = work
    memory.release()  # pages the parent no longer uses are not handed down to every worker
    freeze = gc.get_freeze_count() == 0  # a session may have frozen its own (session.settle)
    if freeze:
        gc.freeze()  # a worker's collections then leave the parent's objects alone, so their pages stay shared
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_as_worker, maxtasksperchild=1) as pool:
            return pool.map(_run, [(start, min(start + step, total)) for start in range(0, total, step)],
                            chunksize=1)
    finally:
        if freeze:
            gc.unfreeze()
        _WORK = None


def _as_worker() -> None:
    """Undo the parent's signal handlers in a fresh worker.

    ``sitegen serve`` turns SIGINT and SIGTERM into KeyboardInterrupt so that it can clean
    up; a forked worker would inherit that and print a traceback when the pool ends it
    (with SIGTERM) or when Ctrl-C reaches the whole process group. The parent alone
    handles Ctrl-C and stops the pool; a worker just ends.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(bounds: tuple[int, int]):
    return _WORK(*bounds)
