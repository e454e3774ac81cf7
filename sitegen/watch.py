"""serve's file watcher: watchdog's observers, with every change written down for the next scan.

Each handler a server schedules is wrapped, so that the events that change a file
(not a build's own reads) name that file in the session's :class:`ChangeLog` before
the server hears of them; the next build then scans those files alone
(:func:`sitegen.read.scan.rescan`). An event for a folder made, moved or removed, or a
warning from the watcher (events lost), makes the next build scan everything.
"""

from __future__ import annotations

import logging
import os
import weakref

import watchdog.events
import watchdog.observers
import watchdog.observers.polling

from .read.scan import ChangeLog


class NoteChanges(watchdog.events.FileSystemEventHandler):
    """Passes on the events that change a file, after writing down what they name for the next
    build's scan (ChangeLog): a build that opens and reads the sources must not look like an
    edit (inotify reports every open and close)."""

    READS = ("opened", "closed_no_write")

    def __init__(self, handler: watchdog.events.FileSystemEventHandler, log: ChangeLog):
        self.handler, self.log = handler, log

    def dispatch(self, event: watchdog.events.FileSystemEvent) -> None:
        if event.event_type in self.READS:
            return
        if not event.is_directory:
            self.log.add(os.fsdecode(event.src_path))
            if event.dest_path:
                self.log.add(os.fsdecode(event.dest_path))
        elif event.event_type != "modified":  # a folder made, removed or moved: which files?
            self.log.forget()
        self.handler.dispatch(event)


class _Watching:
    """An observer whose handlers note every change in the session's ChangeLog first."""

    def __init__(self, log: ChangeLog, **options):
        self.log = log
        super().__init__(**options)

    def schedule(self, event_handler, path, recursive=False, **options):
        return super().schedule(NoteChanges(event_handler, self.log), path, recursive=recursive, **options)

    def start(self) -> None:
        """Started by serve before its first build; MkDocs' server starts it again."""
        if not self.is_alive():
            super().start()


class EventObserver(_Watching, watchdog.observers.Observer):
    """The platform's file events (inotify on Linux) instead of MkDocs' polling, whose snapshot of
    every file under a watch takes 0.14 s of the interpreter at 12,000 files, every 0.2 s."""


class PollingObserver(_Watching, watchdog.observers.polling.PollingObserver):
    """MkDocs' polling, where file events cannot be had (``--poll``, or no inotify)."""


class MissedEvents(logging.Handler):
    """The watcher's warnings (an inotify queue that overflowed, watches it could not renew) mean
    events may be lost: the next build of every preview scans every file."""

    logs: "weakref.WeakSet[ChangeLog]" = weakref.WeakSet()

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        for log in list(self.logs):
            log.forget()


logging.getLogger("watchdog").addHandler(MissedEvents())
