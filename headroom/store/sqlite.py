"""The embedded default store: one SQLite file under ~/.headroom/.

Several processes may share the file (the proxy, the MCP server, the CLI run
from a hook), so it runs in WAL mode with a busy timeout, and every write opens
with BEGIN IMMEDIATE: a writer takes the lock up front and waits for it, rather
than failing with "database is locked" when a read turns into a write.

Within a process one connection is shared behind a lock. The byte total used
by the size cap is kept by triggers, so every path that adds or removes a row
(put, delete, expire, eviction, another process) keeps it right.

Schema changes are named functions in MIGRATIONS, recorded in the `migrations`
table once they have run; add a new function at the end, never edit an old one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from headroom.store.base import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TTL_SECONDS,
    Clock,
    Item,
    system_clock,
)

BUSY_TIMEOUT_SECONDS = 30.0


def m001_create_items(db: sqlite3.Connection) -> None:
    """Items, plus a byte total kept by triggers for the size cap."""
    db.execute(
        """
        CREATE TABLE items (
            key TEXT PRIMARY KEY,
            value BLOB NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL,
            meta TEXT NOT NULL DEFAULT '{}',
            size INTEGER NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX items_created_at ON items (created_at)")
    db.execute("CREATE INDEX items_expires_at ON items (expires_at)")
    db.execute("CREATE TABLE totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT INTO totals (name, value) VALUES ('bytes', 0)")
    db.execute(
        """
        CREATE TRIGGER items_insert AFTER INSERT ON items BEGIN
            UPDATE totals SET value = value + NEW.size WHERE name = 'bytes';
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER items_delete AFTER DELETE ON items BEGIN
            UPDATE totals SET value = value - OLD.size WHERE name = 'bytes';
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER items_update AFTER UPDATE OF size ON items BEGIN
            UPDATE totals SET value = value - OLD.size + NEW.size WHERE name = 'bytes';
        END
        """
    )


def m002_create_counters(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    m001_create_items,
    m002_create_counters,
]

# Deletes the oldest rows (by created_at, then insertion order) whose sizes add
# up to at least the excess, sparing the row just written.
_EVICT_OLDEST = """
DELETE FROM items WHERE rowid IN (
    SELECT rowid FROM (
        SELECT rowid,
               SUM(size) OVER (
                   ORDER BY created_at, rowid ROWS UNBOUNDED PRECEDING
               ) - size AS freed_before
        FROM items WHERE key != ?
    ) WHERE freed_before < ?
)
"""


class SQLiteStore:
    """A `Store` in one SQLite file, safe to share between processes."""

    def __init__(
        self,
        path: str | Path,
        *,
        default_ttl: float = DEFAULT_TTL_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Clock = system_clock,
    ) -> None:
        if default_ttl <= 0:
            raise ValueError(f"default_ttl must be positive, got {default_ttl}")
        self.path = Path(path)
        self._default_ttl = default_ttl
        self._max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = _connect(self.path)
        with self._transaction() as db:
            _migrate(db)

    def put(
        self,
        key: str,
        value: bytes,
        *,
        ttl: float | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> None:
        """Store `value`; when over the cap, drop expired then oldest rows.

        The row just written is never evicted by its own put, so a value larger
        than the cap is kept (alone) rather than silently lost.
        """
        ttl = self._default_ttl if ttl is None else ttl
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, got {ttl}")
        now = self._clock()
        row = (key, bytes(value), now, now + ttl, json.dumps(dict(meta or {})), len(value))
        with self._transaction() as db:
            db.execute("DELETE FROM items WHERE key = ?", (key,))
            db.execute(
                "INSERT INTO items (key, value, created_at, expires_at, meta, size)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
            if _total_bytes(db) > self._max_bytes:
                db.execute("DELETE FROM items WHERE expires_at <= ? AND key != ?", (now, key))
                excess = _total_bytes(db) - self._max_bytes
                if excess > 0:
                    db.execute(_EVICT_OLDEST, (key, excess))

    def get(self, key: str) -> Item | None:
        """The live item under `key`; an expired one is deleted on the way."""
        with self._lock:
            row = self._db.execute(
                "SELECT value, created_at, expires_at, meta FROM items WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        value, created_at, expires_at, meta = row
        now = self._clock()
        if expires_at is not None and expires_at <= now:
            with self._transaction() as db:
                db.execute("DELETE FROM items WHERE key = ? AND expires_at <= ?", (key, now))
            return None
        return Item(bytes(value), created_at, expires_at, json.loads(meta))

    def delete(self, key: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM items WHERE key = ?", (key,)).rowcount > 0

    def expire(self) -> int:
        with self._transaction() as db:
            cursor = db.execute("DELETE FROM items WHERE expires_at <= ?", (self._clock(),))
            return cursor.rowcount

    def incr(self, counter: str, amount: int = 1) -> int:
        with self._transaction() as db:
            row = db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value"
                " RETURNING value",
                (counter, amount),
            ).fetchone()
        return int(row[0])

    def counters(self, prefix: str = "") -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT name, value FROM counters").fetchall()
        # Filtered here rather than with LIKE, whose % and _ wildcards a prefix may contain.
        return {name: int(value) for name, value in rows if name.startswith(prefix)}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the file's write lock up front."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            committed = False
            try:
                yield self._db
                self._db.execute("COMMIT")
                committed = True
            finally:
                # SQLite rolls some failures back by itself; a second ROLLBACK
                # would then raise and hide the original error.
                if not committed and self._db.in_transaction:
                    self._db.execute("ROLLBACK")


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; _transaction() opens them.
    db = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    db.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable across application crashes in WAL mode; only an OS crash
    # can lose the last commits, which is fine for a cache of recoverable data.
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def _migrate(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    done = {name for (name,) in db.execute("SELECT name FROM migrations")}
    for migration in MIGRATIONS:
        if migration.__name__ in done:
            continue
        migration(db)
        db.execute(
            "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
            (migration.__name__, time.time()),
        )


def _total_bytes(db: sqlite3.Connection) -> int:
    (total,) = db.execute("SELECT value FROM totals WHERE name = 'bytes'").fetchone()
    return int(total)
