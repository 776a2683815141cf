"""The persistent request cache: every paid reply, keyed by its request hash, and
`CachingModel`, which puts any chat model behind it.

`generate` consults the cache inside its driver (a cached reply also skips the budget);
everything else that asks a model — `select`'s probe, `eval`, a judge — can wrap the model in
`CachingModel` (lm-eval's `CachingLM` idea), so a rerun asks only what it has not asked.

Why SQLite in WAL mode: each reply is committed on its own (a crash loses at most the
request in flight, never one already paid for), readers never block the writer, and a
crash mid-commit leaves the database consistent — SQLite's journal guarantees it, where a
home-made file format would need its own recovery code. `synchronous=NORMAL` survives any
process crash (SIGKILL included); only a power cut can lose the last few commits, which a
rerun then simply re-requests.

The key is `request_hash(model, messages, params, sample_index)` — the whole
request, never the prompt text alone, so two legitimate identical prompts with different
sampling settings or sample indexes are two entries. The API key, base URL and headers are
never stored: a cache file can be shared without leaking anything but teacher replies.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

from cautious.errors import UserError
from cautious.models.chat import ChatModel, Completion, SamplingParams
from cautious.records import Message

def request_hash(
    model: str, messages: list[Message], params: SamplingParams, sample_index: int, steps: list[dict] | None = None
) -> str:
    """Identity of a request: model, full messages, sampling settings and sample index —
    never the prompt text alone, so legitimate duplicate prompts are not merged. `steps`
    (multi-call strategies) adds every call's template, so editing a later call re-generates."""
    payload = {
        "model": model,
        "messages": [m.model_dump() for m in messages],
        "params": params.model_dump(mode="json"),
        "sample_index": sample_index,
    }
    if steps is not None:
        payload["steps"] = steps
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


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


#: The wrapped model's async entry points are not passed through: a caller that found them
#: would ask the model directly, around the cache.
_BYPASS = frozenset({"achat", "open", "aclose"})


class CachingModel(ChatModel):
    """`inner` behind a request cache: a request asked before (same model, messages, sampling
    settings) is answered from `cache`; a new reply is committed as it arrives. Failed
    requests are never cached, so a rerun asks them again; nor are unseeded samples at a
    temperature above 0, whose repeats are meant to differ."""

    def __init__(self, inner: ChatModel, cache: RequestCache | str | Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.cache = cache if isinstance(cache, RequestCache) else RequestCache(cache)

    def chat(self, batch: list[list[Message]], params: SamplingParams) -> list[Completion]:
        if params.temperature > 0 and params.seed is None:
            return self.inner.chat(batch, params)  # every draw is meant to be new: nothing to reuse
        keys = [request_hash(self.name, messages, params, 0) for messages in batch]
        found: list[Completion | None] = [self.cache.get(k) for k in keys]
        missing = [i for i, hit in enumerate(found) if hit is None]
        if missing:
            for i, completion in zip(missing, self.inner.chat([batch[i] for i in missing], params)):
                if completion.finish_reason != "error":
                    self.cache.put(keys[i], self.name, completion)
                found[i] = completion
        return found  # type: ignore[return-value]

    def __getattr__(self, name: str):  # notes, concurrency, stats, ... of the wrapped model
        if name in _BYPASS:
            raise AttributeError(name)
        return getattr(self.inner, name)

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            self.cache.close()
