"""What one process remembers between builds (``sitegen serve``).

A one-off ``sitegen build`` starts from the on-disk record cache
(:mod:`sitegen.read.records`). A process that builds again and again keeps, from
one build to the next, in memory: each input file's sha256 (hashed again only
when its size, times or inode change) and parse (with the problems
it reported), each stored text's normalised form and the quotes located in it,
the citations found in each body, each sheet's citation check, and the
dependency graph of the last build with the views it made (``memo``: each
sheet's card and view, feed entry and export lines (compressed), each with the digests of
what it read; see :mod:`sitegen.model.graph`). Every entry is looked up by the exact
inputs it was made from — a file's bytes, the digests of records — so an
edited file misses and is parsed again: the memo saves time and never changes a byte.

Entries are replaced, not added, when their file changes, so memory stays
bounded by the size of the site. A change of settings, templates or sitegen
itself (the build's salt) empties every memo.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from . import memory
from .config import SiteConfig
from .model.graph import Memo
from .read.records import RecordStore, parse_salt
from .read.scan import ChangeLog, Scan, rescan, scan
from .render.linkcheck import LinkMemo
from .resolve import CheckMemo
from .write.cache import BuildCache

if TYPE_CHECKING:
    import jinja2

    from .render.digests import LeafMemo
    from .render.markup import MarkdownRenderer

RESUME_AT = 200  # a build that renders more pages collects garbage while it renders them


class Session(CheckMemo):
    def __init__(self, update_in_place: bool = False) -> None:
        # Rewrite only the changed files of site_dir instead of building a fresh folder
        # and swapping it in: for a private preview folder, where that guarantee is not needed.
        self.update_in_place = update_in_place
        self.salt = ""
        self.builds = 0
        self.paused = False                             # automatic collection is off (collection_paused)
        self.collect_later = False                      # the caller calls settle() after each build
        self.changes: ChangeLog | None = None           # file events since the last scan (serve)
        self.clear()

    def clear(self) -> None:
        self.clear_check()                              # files, parses, citations, texts, checks
        self.memo = Memo()                             # the last build's graph, with the views it made
        self.node_digests: dict[str, str] = {}         # every node's digest in that build
        self.leaves: LeafMemo | None = None             # leaf digests, by the objects they were made from
        self.markdown: MarkdownRenderer | None = None  # one converter for the whole session
        self.environment: jinja2.Environment | None = None
        self.cache: BuildCache | None = None            # an update-in-place session's manifest, in memory
        self.sitemap: tuple | None = None               # (site_url, page paths, the sitemap made of them)
        self.last_scan: Scan | None = None              # the last build's scan of docs_dir, for `changes`
        self.links_memo = LinkMemo()                    # each file's link problems, with what they were found from
        if getattr(self, "records", None) is not None:
            self.records.close()
        self.records: RecordStore | None = None         # the record cache, kept open from build to build

    def start(self, salt: str) -> None:
        """Called at the start of each build: other settings or templates make every entry suspect."""
        if salt != self.salt:
            self.clear()
            self.salt = salt

    def settle(self) -> None:
        """Collect this build's cyclic garbage, then leave everything that is still alive out of
        later collections: otherwise each collection walks the whole memo again, and an edit's
        rebuild takes twice as long whenever one falls inside it. Automatic collection, if a
        build left it paused, is on again afterwards. The index of readers the next build will
        want is made here, while nobody waits (after a session's first build, it is new)."""
        self.memo.readers()
        self.builds += 1
        if self.builds % 50 == 0:  # now and then, everything again: frozen cycles are never freed
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        if self.paused:
            self.paused = False
            gc.enable()

    @contextmanager
    def collection_paused(self) -> Iterator[None]:
        """No automatic garbage collection inside the block. A build allocates a new site,
        indexes and plan, almost none of them garbage in cycles: collections during the build
        would walk them all, several times as they age (in a new process's one-sheet edit, three
        full collections took 0.2 s of 0.75 s; in a session, with the last build's objects
        frozen, a full one comes every few dozen young ones). With ``collect_later`` set,
        collection stays off after the block until :meth:`settle`, which the caller calls when
        nobody waits (serve: once the browsers have reloaded). Otherwise what the block made
        joins the oldest generation, for the next full collection, without the walk of it all
        that the first young collection after the block would be (70 ms of that edit): unless
        something was frozen before, which must stay so."""
        if self.paused or not gc.isenabled():
            yield
            return
        gc.disable()
        self.paused = True
        try:
            yield
        finally:
            if not self.collect_later:
                self.paused = False
                if gc.get_freeze_count() == 0:
                    gc.freeze()  # resets the young count; unfreeze puts it all in the oldest generation
                    gc.unfreeze()
                gc.enable()

    @contextmanager
    def collection_resumed(self, pages: int) -> Iterator[None]:
        """Automatic collection inside a paused block, for rendering more than RESUME_AT pages:
        that may make cyclic garbage in proportion to the pages, which should not wait for the
        end of the build. A few pages make little, and the first collection would walk all the
        build made before (0.15 s of a new process's one-sheet edit at 1,000 sheets)."""
        if not self.paused or pages <= RESUME_AT:
            yield
            return
        gc.enable()
        try:
            yield
        finally:
            gc.disable()

    def scan_docs(self, config: SiteConfig, known: dict, keep: int = 0) -> Scan:
        """This build's scan of docs_dir: the last one with only the files that file events named
        since looked at again, when the events tell (``changes``, serve's); else a full one."""
        changed = self.changes.take() if self.changes is not None else None
        previous, self.last_scan = self.last_scan, None  # until this scan is done
        found = rescan(config, previous, changed, keep) if changed is not None and previous is not None else None
        self.last_scan = found or scan(config, known, keep=keep)
        return self.last_scan

    def build_cache(self, config: SiteConfig, salt: str) -> BuildCache:
        """The manifest of site_dir: read from disk, or, for a session that updates its own private
        folder in place (serve), kept in memory from its last build."""
        if not self.update_in_place:
            return BuildCache(config, salt)
        kept = self.cache
        if kept is None or kept.forgotten or kept.salt != salt or (kept.config.site_dir, kept.config.cache_dir) != (
                config.site_dir, config.cache_dir):
            kept = self.cache = BuildCache(config, salt, resident=True)
        kept.config = config
        return kept

    def record_store(self, config: SiteConfig) -> RecordStore:
        """The record cache, open: a session's stays open from build to build, its index read
        again only when another process wrote the file since (RecordStore.fresh)."""
        kept, salt = self.records, parse_salt(config)
        if kept is not None and kept.path.parent == config.cache_dir and kept.salt == salt and kept.fresh():
            return kept
        if kept is not None:
            kept.close()
        self.records = RecordStore(config.cache_dir, salt)
        return self.records

    def forget_sources(self) -> None:
        """Drop what only the next build would use (parses, stored texts, citation checks, link
        checks), keeping the views the pages are being rendered from."""
        self.clear_check()
        self.links_memo = LinkMemo()
        memory.release()
