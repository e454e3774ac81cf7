"""The record cache: parsed files and checked sheets, kept on disk between processes.

A new ``sitegen build`` after a one-sheet edit should parse one file and check
one sheet. So the records the loader makes (with their problems) and the
resolver's per-sheet results are stored in SQLite under ``cache_dir``, keyed by
the sha256 of the file's bytes (or of everything a check read) and a salt of
sitegen's version and the settings that shape them.

Nothing here can run code: values are JSON, decoded by an explicit codec that
only builds the model's own classes from a fixed table of tags. Every entry
carries a checksum of its key and its JSON; an entry that does not check out,
of another format, or that does not decode is ignored. A database that is not
one is replaced; a locked one is skipped. The cache changes how fast a build
is, never what it gives.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..model.hashing import digest
from .codec import CodecError, decode, encode

FORMAT = "sitegen-records 4"
RACY_NS = 2_000_000_000  # a file modified this close to when it was hashed may change again unseen
ROWS_HELD = 1_000  # new records or checks waiting as text before they are written: at 10,000 sheets, 150 MB


def parse_salt(config) -> str:
    """What a file's record depends on besides its bytes and shown path."""
    return digest(f"sitegen {__version__} {FORMAT}", str(config.max_file_size))


CHECK_SALT = digest(f"sitegen {__version__} {FORMAT} check")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, stat TEXT, sha TEXT, recorded INTEGER)",
    "CREATE TABLE IF NOT EXISTS records (kind TEXT, shown TEXT, sha TEXT, salt TEXT, value TEXT, checksum TEXT,"
    " PRIMARY KEY (kind, shown))",
    "CREATE TABLE IF NOT EXISTS checks (sheet TEXT PRIMARY KEY, key TEXT, value TEXT, checksum TEXT)",
    "CREATE TABLE IF NOT EXISTS scans (key TEXT PRIMARY KEY, value TEXT, checksum TEXT)",
)


def _locked(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


class ReadMemo:
    """What a long-lived process keeps of the files it read, above the on-disk store:
    each file's sha256 by its stat, each parse by the sha256 it was made from, and
    each body's inline citations. Every entry is looked up by a digest, never by identity."""

    def __init__(self) -> None:
        self.clear_read()

    def clear_read(self) -> None:
        self.files: dict[str, tuple] = {}                # file -> ((size, mtime, ctime, inode), sha256, when hashed)
        self.parsed: dict[tuple[str, str], tuple[str, Any, list, bool]] = {}  # (kind, file) -> sha256, result, problems, failed
        self.citations: dict[tuple, list] = {}         # (file, sheet digest) -> inline citations
        self.last_load = None                          # loader.LastLoad of the last build, if it scanned


class RecordStore:
    """The record cache of one project, in ``cache_dir/records.sqlite``; a dead store does nothing."""

    def __init__(self, folder: Path, salt: str):
        self.path, self.salt = Path(folder) / "records.sqlite", salt
        self.stats: dict[str, tuple] = {}          # path -> (stat, sha, recorded ns)
        self.present: set[tuple[str, str, str]] = set()  # (kind, shown, sha) stored for this salt
        self.new_records: dict[tuple[str, str], tuple[str, str]] = {}
        self.new_checks: dict[str, tuple[str, str]] = {}
        self.write_early = True                    # rows are written ROWS_HELD at a time (until that fails)
        self.scans: dict[str, Any] | None = None    # body digest -> what a scan of it found (read at first use)
        self.new_scans: dict[str, str] = {}
        self.used_scans: set[str] = set()
        self.scanned = 0                           # bodies whose scan this build did not find stored
        self.broken = False                        # a read found the file damaged: replace it when saving
        self.version: int | None = None            # PRAGMA data_version when the index was read
        # What the last save left the tables holding rows of (shown paths, sheet ids): a store kept
        # open between builds (a session's) need not look for rows of files gone when they are the same.
        self.clean: tuple[set[str] | None, set[str] | None] = (None, None)
        self.db = self._open()

    def fresh(self) -> bool:
        """For a store kept open from one build to the next: True if it can be used again, with its
        index read again when another connection (another process) wrote the file since."""
        if self.db is None or self.broken:
            return False
        try:
            version = self.db.execute("PRAGMA data_version").fetchone()[0]
            if version != self.version:
                self.stats, self.present, self.clean = {}, set(), (None, None)
                self._read_index(self.db)
        except sqlite3.Error:
            return False
        return True

    def _open(self) -> sqlite3.Connection | None:
        for attempt in (1, 2):
            try:
                db = self._connect()
                self._read_index(db)
                return db
            except sqlite3.Error as exc:
                if _locked(exc):
                    return None  # another process writes it: build without, at the cost of time
                if attempt == 2 or not self._discard():
                    return None
            except OSError:
                return None
        return None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=0.5, isolation_level=None, check_same_thread=False)
        try:
            cache_journal(db)
            row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if self._has_meta(db) else None
            if row is None or row[0] != FORMAT:  # foreign or of another version: start afresh
                for table in ("meta", "files", "records", "checks", "scans"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _has_meta(db: sqlite3.Connection) -> bool:
        return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is not None

    def _read_index(self, db: sqlite3.Connection) -> None:
        for path, stat, sha, recorded in db.execute("SELECT path, stat, sha, recorded FROM files"):
            try:
                self.stats[path] = (tuple(json.loads(stat)), sha, int(recorded))
            except (ValueError, TypeError):
                pass
        self.present = {(k, s, h) for k, s, h in db.execute("SELECT kind, shown, sha FROM records WHERE salt = ?",
                                                              (self.salt,))}
        self.version = db.execute("PRAGMA data_version").fetchone()[0]

    def _discard(self) -> bool:
        """Remove a database that is not one (corrupt, truncated, another program's)."""
        try:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return True
        except OSError:
            return False

    # -- records of files -----------------------------------------------------
    def get(self, kind: str, shown: str, sha: str) -> Any:
        """The decoded value stored for this file's bytes, or None."""
        if self.db is None or (kind, shown, sha) not in self.present:
            return None
        try:
            row = self.db.execute("SELECT value, checksum FROM records WHERE kind = ? AND shown = ? AND sha = ? "
                                  "AND salt = ?", (kind, shown, sha, self.salt)).fetchone()
        except sqlite3.Error as exc:
            self.broken = self.broken or not _locked(exc)
            return None
        value = _loads(row[0]) if row is not None and row[1] == digest(kind, shown, sha, self.salt, row[0]) else None
        if value is None:
            self.present.discard((kind, shown, sha))  # a bad entry is replaced by this build's
        return value

    def reject(self, kind: str, shown: str, sha: str) -> None:
        """A value :meth:`get` gave that its reader cannot use: this build's replaces it."""
        self.present.discard((kind, shown, sha))

    def wants(self, kind: str, shown: str, sha: str) -> bool:
        """Whether an entry for these bytes is missing (worth encoding and storing)."""
        return self.db is not None and (kind, shown, sha) not in self.present

    def put(self, kind: str, shown: str, sha: str, value: Any) -> None:
        if not self.wants(kind, shown, sha):
            return
        try:
            text = json.dumps(encode(value), ensure_ascii=False, separators=(",", ":"))
        except (CodecError, ValueError):
            return
        self.new_records[(kind, shown)] = (sha, text)
        self.present.add((kind, shown, sha))

    # -- checks of sheets -------------------------------------------------------
    def get_check(self, sheet: str, key: str) -> Any:
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT value, checksum FROM checks WHERE sheet = ? AND key = ?",
                                  (sheet, key)).fetchone()
        except sqlite3.Error as exc:
            self.broken = self.broken or not _locked(exc)
            return None
        if row is None or row[1] != digest(sheet, key, row[0]):
            return None
        return _loads(row[0])

    def put_check(self, sheet: str, key: str, value: Any) -> None:
        if self.db is None:
            return
        try:
            self.new_checks[sheet] = (key, json.dumps(encode(value), ensure_ascii=False, separators=(",", ":")))
        except (CodecError, ValueError):
            return
        self.write_pending()

    def write_pending(self) -> None:
        """Write the new records and checks before the save once ROWS_HELD of them wait (an entry
        is keyed by all it read, so it is right even if the build then fails); if the store is
        busy they wait for :meth:`save`."""
        if (self.db is None or self.broken or not self.write_early
                or len(self.new_records) + len(self.new_checks) < ROWS_HELD):
            return
        try:
            with _transaction(self.db) as db:
                self._write_rows(db)
            self.new_records, self.new_checks = {}, {}
        except sqlite3.Error as exc:
            self.broken = not _locked(exc)
            self.write_early = False  # not again in this build: each try waits for the lock

    # -- scans of bodies ----------------------------------------------------------
    def get_scan(self, key: str) -> Any:
        """What a scan of the body with this digest found (plain lists), or None; all are read
        in one query when the first is asked for, since a build looks at every body."""
        self.used_scans.add(key)
        if self.scans is None:
            self.scans = self._read_scans()
        return self.scans.get(key)

    def _read_scans(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.db is None:
            return found
        try:
            rows = self.db.execute("SELECT key, value, checksum FROM scans").fetchall()
        except sqlite3.Error as exc:
            self.broken = self.broken or not _locked(exc)
            return found
        for key, text, checksum in rows:
            if checksum == digest("scan", key, text):
                try:
                    found[key] = json.loads(text)
                except ValueError:
                    pass
        return found

    def put_scan(self, key: str, value: Any) -> None:
        self.used_scans.add(key)
        self.scanned += 1
        if self.db is not None and key not in self.new_scans:
            self.new_scans[key] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    # -- saving -------------------------------------------------------------------
    def save(self, stats: dict[str, tuple], shown: set[str], sheets: set[str] | None) -> None:
        """Write this build's entries and drop those of files and sheets that are gone
        (``sheets`` None: checks are kept as they are)."""
        if self.db is None:
            return
        for attempt in (1, 2):
            try:
                if self.broken:  # start afresh with what this build made
                    self.close()
                    self._discard()
                    self.db, self.broken, self.stats, self.clean = self._connect(), False, {}, (None, None)
                clean, self.clean = self.clean, (None, None)  # unknown until the write is done
                with _transaction(self.db) as db:
                    self._write(db, stats, shown, sheets, clean)
                self.stats = {p: (tuple(e[0]), e[1], e[2]) for p, e in stats.items()}
                self.clean = (shown, clean[1] if sheets is None else sheets)
                break
            except sqlite3.Error as exc:  # locked: the next build parses again; damaged: replaced
                self.broken = not _locked(exc) and attempt == 1
                if not self.broken:
                    break
            except OSError:
                break
        self.new_records, self.new_checks, self.new_scans, self.used_scans, self.scans = {}, {}, {}, set(), None

    def _write(self, db: sqlite3.Connection, stats: dict[str, tuple], shown: set[str], sheets: set[str] | None,
               clean: tuple) -> None:
        if db.execute("PRAGMA data_version").fetchone()[0] != self.version:
            clean = (None, None)  # another process wrote since the index was read: look at every row
        db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in self.stats if p not in stats])
        db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                       [(p, json.dumps(list(entry[0])), entry[1], entry[2]) for p, entry in stats.items()
                        if self.stats.get(p) != (tuple(entry[0]), entry[1], entry[2])])
        self._write_rows(db)
        db.executemany("INSERT OR REPLACE INTO scans VALUES (?, ?, ?)",
                       [(key, text, digest("scan", key, text)) for key, text in self.new_scans.items()])
        if self.used_scans:  # a build that checked links: the scans of bodies no longer there go
            db.executemany("DELETE FROM scans WHERE key = ?", [(k,) for (k,) in db.execute("SELECT key FROM scans")
                                                               if k not in self.used_scans])
        if clean[0] != shown:
            gone = [(k, s) for k, s in db.execute("SELECT kind, shown FROM records") if s not in shown]
            db.executemany("DELETE FROM records WHERE kind = ? AND shown = ?", gone)
        if sheets is not None and clean[1] != sheets:
            gone = [(i,) for (i,) in db.execute("SELECT sheet FROM checks") if i not in sheets]
            db.executemany("DELETE FROM checks WHERE sheet = ?", gone)

    def _write_rows(self, db: sqlite3.Connection) -> None:
        db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?)",
                       [(k, s, sha, self.salt, text, digest(k, s, sha, self.salt, text))
                        for (k, s), (sha, text) in self.new_records.items()])
        db.executemany("INSERT OR REPLACE INTO checks VALUES (?, ?, ?, ?)",
                       [(i, key, text, digest(i, key, text)) for i, (key, text) in self.new_checks.items()])

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def cache_journal(db: sqlite3.Connection) -> None:
    """A cache's journal: a commit need not reach the disk before the build goes on (no fsync in
    WAL mode with synchronous=NORMAL), and a reader is not kept waiting by a writer. A crash of
    the machine may lose the last builds' rows but leaves the file consistent; every value is
    verified when read."""
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")


class _transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, exc, tb) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _loads(text: str) -> Any:
    try:
        return decode(text)
    except CodecError:
        return None


def known_sha(stats: dict[str, tuple], path: str, stat: tuple) -> str | None:
    """The sha256 recorded for a file whose stat is unchanged, unless it was racily clean:
    modified so close to when it was hashed that a later write could keep its stat."""
    entry = stats.get(path)
    if entry is None or not stat or tuple(entry[0]) != tuple(stat):
        return None
    if entry[2] - stat[1] < RACY_NS:
        return None
    return entry[1]


def now_ns() -> int:
    return time.time_ns()


def file_stat(st: os.stat_result) -> tuple:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
