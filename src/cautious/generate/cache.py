"""The persistent request cache: every paid teacher reply, keyed by its request hash.

Why SQLite in WAL mode: each reply is committed on its own (a crash loses at most the
request in flight, never one already paid for), readers never block the writer, and a
crash mid-commit leaves the database consistent — SQLite's journal guarantees it, where a
home-made file format would need its own recovery code. `synchronous=NORMAL` survives any
process crash (SIGKILL included); only a power cut can lose the last few commits, which a
rerun then simply re-requests.

The key is `generate.request_hash(model, messages, params, sample_index)` — the whole
request, never the prompt text alone, so two legitimate identical prompts with different
sampling settings or sample indexes are two entries. The API key, base URL and headers are
never stored: a cache file can be shared without leaking anything but teacher replies.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import time
from pathlib import Path

from cautious.errors import UserError
from cautious.models.base import Completion

SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    hash TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    completion TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
CACHE_FORMAT = "cautious-request-cache/1"


class RequestCache:
    """A dict-like store `request hash -> Completion`, safe to kill at any moment."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.hits = 0
        self.misses = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
            if row is None:
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (CACHE_FORMAT,))
            elif row[0] != CACHE_FORMAT:
                raise UserError(f"{self.path}: cache format {row[0]!r}, this cautious reads {CACHE_FORMAT!r}; use another --cache path")
            # A quick structural check catches a file that is SQLite but damaged.
            check = self.db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(check)
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"{self.path}: not a readable cautious request cache ({exc}); move it away or pass another --cache path"
            ) from None

    def get(self, key: str) -> Completion | None:
        row = self.db.execute("SELECT completion FROM replies WHERE hash=?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return Completion.model_validate(json.loads(row[0]))

    def peek(self, key: str) -> Completion | None:
        """Like `get` without counting a hit or miss (for estimates)."""
        row = self.db.execute("SELECT completion FROM replies WHERE hash=?", (key,)).fetchone()
        return None if row is None else Completion.model_validate(json.loads(row[0]))

    def put(self, key: str, model: str, completion: Completion) -> None:
        """Commit one reply now (autocommit): once this returns, a crash cannot lose it."""
        try:
            self.db.execute(
                "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?)",
                (key, model, json.dumps(completion.model_dump(mode="json"), ensure_ascii=False), time.time()),
            )
        except sqlite3.OperationalError as exc:
            raise self._os_error(exc) from exc

    def _os_error(self, exc: sqlite3.OperationalError) -> Exception:
        """SQLite's words for a full or read-only disk, as the OSError they are (naming the
        cache file, so the CLI prints one line); anything else stays what it was."""
        text = str(exc)
        for needle, code in (("full", errno.ENOSPC), ("readonly", errno.EROFS), ("disk I/O", errno.EIO)):
            if needle in text:
                return OSError(code, f"{os.strerror(code)} ({text})", str(self.path))
        return exc

    def __contains__(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM replies WHERE hash=?", (key,)).fetchone() is not None

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM replies").fetchone()[0]

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass

    def __enter__(self) -> "RequestCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
