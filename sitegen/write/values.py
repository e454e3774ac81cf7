"""Values of graph nodes kept on disk by their digest, for a new process to reuse.

Rebuilding ``data/facts.json`` after a one-sheet edit needs every sheet's
lines; making them again means making every sheet's view. The graph knows the
digest of each unchanged sheet's lines, so their text is fetched here by that
digest instead. The store is SQLite holding JSON text: nothing in it can run
code, and a value is used only if what it reads back hashes to the digest asked for,
so a corrupt, foreign or hand-edited entry is a miss, never a wrong value.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from ..model.graph import digest_of
from ..model import packed
from ..read.records import cache_journal

FORMAT = 2  # 2: a sheet's export lines are one text, a line each


def _text(value: Any) -> str:
    """The value as JSON text (a packed text unpacked first); read back, it hashes to its digest."""
    return json.dumps(packed.text(value), sort_keys=True, ensure_ascii=False)


class ValueStore:
    """digest -> JSON value, in ``cache_dir/values.sqlite``; every failure is a miss."""

    def __init__(self, folder: Path):
        self.path = folder / "values.sqlite"
        self._db: sqlite3.Connection | None = None
        self._opened = False

    def _connect(self) -> sqlite3.Connection | None:
        if not self._opened:
            self._opened = True
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=2, isolation_level=None)
                cache_journal(db)
                db.execute("CREATE TABLE IF NOT EXISTS value (digest TEXT PRIMARY KEY, kind TEXT, text TEXT)")
                db.execute("CREATE TABLE IF NOT EXISTS meta (format INTEGER)")
                if db.execute("SELECT format FROM meta").fetchall() != [(FORMAT,)]:
                    db.executescript(f"DELETE FROM value; DELETE FROM meta; INSERT INTO meta VALUES ({FORMAT})")
                self._db = db
            except sqlite3.Error:
                self._db = None
                self._discard()
        return self._db

    def _discard(self) -> None:
        """A database that cannot be read is replaced on the next build (it only cost time)."""
        try:
            self.path.unlink()
        except OSError:
            pass

    def get(self, digest: str, kind: str) -> Any | None:
        db = self._connect()
        if db is None:
            return None
        try:
            row = db.execute("SELECT text FROM value WHERE digest = ? AND kind = ?", (digest, kind)).fetchone()
        except sqlite3.Error:
            return None
        if row is None or not isinstance(row[0], str):
            return None
        value = _loads(row[0])
        return value if value is not None and digest_of(value) == digest else None

    def keep(self, wanted: set[str], new: dict[str, tuple[str, Any]]) -> None:
        """Hold the values of the ``wanted`` digests and no others: ``new`` (digest -> (kind, value))
        has those this build made, the rest are in the store already (else they are simply missing)."""
        db = self._connect()
        if db is None:
            return
        try:
            known = {d for (d,) in db.execute("SELECT digest FROM value")}
            gone = [(d,) for d in known - wanted]
            added = [d for d in new if d in wanted and d not in known]
            if not (gone or added):
                return
            db.execute("BEGIN")
            db.executemany("DELETE FROM value WHERE digest = ?", gone)
            # Encoded row by row: the texts of 10,000 sheets' export lines are not all held at once.
            db.executemany("INSERT OR REPLACE INTO value VALUES (?, ?, ?)",
                           ((d, new[d][0], _text(new[d][1])) for d in added))
            db.execute("COMMIT")
        except sqlite3.Error:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db, self._opened = None, False


def _loads(text: str) -> Any | None:
    try:
        return json.loads(text)
    except ValueError:
        return None
