"""Storage for CCR originals, compression memos and counters.

Every backend implements the one `Store` protocol in `base.py`; `open_store`
turns the configured store URL into a backend, so callers never name one:

- "memory": in-process, gone when the process ends;
- "sqlite": the embedded default, `store.db` in the Headroom home;
- "sqlite:///abs/path.db" or "sqlite:relative/path.db": SQLite at that path;
- "redis://…" or "rediss://…": Redis, shared by several proxy replicas.

RedisStore is imported on first use, so processes that never touch Redis do
not pay for importing redis-py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from headroom.store.base import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TTL_SECONDS,
    Item,
    Store,
    StoreError,
)
from headroom.store.memory import MemoryStore
from headroom.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from headroom.store.redis import RedisStore

__all__ = [
    "Item",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "Store",
    "StoreError",
    "open_store",
]

ACCEPTED_FORMS = (
    '"memory", "sqlite", "sqlite:///abs/path.db", "sqlite:relative/path.db", '
    '"redis://host:port/db" or "rediss://host:port/db"'
)


def open_store(
    url: str,
    *,
    default_ttl: float | None = None,
    max_bytes: int | None = None,
    home: Path | None = None,
) -> Store:
    """The backend named by `url`; None settings fall back to the store defaults.

    Raises ValueError for a URL of no accepted form, and StoreError when the
    backend cannot be reached.
    """
    ttl = DEFAULT_TTL_SECONDS if default_ttl is None else default_ttl
    cap = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    if url == "memory":
        return MemoryStore(default_ttl=ttl, max_bytes=cap)
    if url.startswith(("redis://", "rediss://")):
        from headroom.store.redis import RedisStore

        return RedisStore(url, default_ttl=ttl, max_bytes=cap)
    path = _sqlite_path(url, home)
    if path is not None:
        return SQLiteStore(path, default_ttl=ttl, max_bytes=cap)
    raise ValueError(f"unknown store URL {url!r}; accepted forms: {ACCEPTED_FORMS}")


def _sqlite_path(url: str, home: Path | None) -> Path | None:
    """The file a sqlite URL names, or None when `url` is not a sqlite URL."""
    if url == "sqlite":
        if home is None:
            raise ValueError('the bare "sqlite" store needs a home directory to put store.db in')
        return home / "store.db"
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url.removeprefix("sqlite://"))
    rest = url.removeprefix("sqlite:")
    if rest != url and rest and not rest.startswith("/"):
        return Path(rest).expanduser()
    return None


def __getattr__(name: str) -> object:
    if name == "RedisStore":
        from headroom.store.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
