"""The in-process store: a dict behind a lock.

It backs tests and the library used without any configuration, and it is the
reference the other backends are compared against in the conformance suite.
Nothing survives the process, so it is never the default for the proxy.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from headroom.store.base import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TTL_SECONDS,
    Clock,
    Item,
    system_clock,
)


@dataclass(frozen=True, slots=True)
class _Entry:
    item: Item
    seq: int  # insertion order; breaks ties between equal created_at values


class MemoryStore:
    """A thread-safe in-memory `Store` with TTL, a size cap and counters."""

    def __init__(
        self,
        *,
        default_ttl: float = DEFAULT_TTL_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Clock = system_clock,
    ) -> None:
        if default_ttl <= 0:
            raise ValueError(f"default_ttl must be positive, got {default_ttl}")
        self._default_ttl = default_ttl
        self._max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        # A min-heap of (created_at, seq, key) so eviction finds the oldest item
        # without a scan. Overwritten and deleted keys leave stale tuples behind;
        # they are skipped when popped and compacted away when they pile up.
        self._age: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._bytes = 0
        self._counters: dict[str, int] = {}

    def put(
        self,
        key: str,
        value: bytes,
        *,
        ttl: float | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> None:
        """Store `value`; when over the cap, drop expired then oldest items.

        The item just written is never evicted by its own put, so a value larger
        than the cap is kept (alone) rather than silently lost.
        """
        ttl = self._default_ttl if ttl is None else ttl
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, got {ttl}")
        now = self._clock()
        item = Item(bytes(value), now, now + ttl, dict(meta or {}))
        with self._lock:
            self._remove(key)
            seq = next(self._seq)
            self._entries[key] = _Entry(item, seq)
            heapq.heappush(self._age, (now, seq, key))
            self._bytes += len(item.value)
            if self._bytes > self._max_bytes:
                self._drop_expired(now, keep=key)
                self._evict_oldest(keep=key)
            self._compact_age_heap()

    def get(self, key: str) -> Item | None:
        """The live item under `key`; an expired one is dropped on the way."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if _expired(entry.item, self._clock()):
                self._remove(key)
                return None
            return entry.item

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._remove(key)

    def expire(self) -> int:
        with self._lock:
            return self._drop_expired(self._clock(), keep=None)

    def incr(self, counter: str, amount: int = 1) -> int:
        with self._lock:
            value = self._counters.get(counter, 0) + amount
            self._counters[counter] = value
            return value

    def counters(self, prefix: str = "") -> dict[str, int]:
        with self._lock:
            return {k: v for k, v in self._counters.items() if k.startswith(prefix)}

    def close(self) -> None:
        """Free the memory; the store is empty afterwards."""
        with self._lock:
            self._entries.clear()
            self._age.clear()
            self._counters.clear()
            self._bytes = 0

    # The helpers below run with the lock held.

    def _remove(self, key: str) -> bool:
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        self._bytes -= len(entry.item.value)
        return True

    def _drop_expired(self, now: float, *, keep: str | None) -> int:
        dead = [k for k, e in self._entries.items() if k != keep and _expired(e.item, now)]
        for key in dead:
            self._remove(key)
        return len(dead)

    def _evict_oldest(self, *, keep: str) -> None:
        kept: tuple[float, int, str] | None = None
        while self._bytes > self._max_bytes and self._age:
            oldest = heapq.heappop(self._age)
            _, seq, key = oldest
            entry = self._entries.get(key)
            if entry is None or entry.seq != seq:
                continue  # stale: the key was overwritten or deleted since
            if key == keep:
                kept = oldest
                continue
            self._remove(key)
        if kept is not None:
            heapq.heappush(self._age, kept)

    def _compact_age_heap(self) -> None:
        if len(self._age) <= 2 * len(self._entries) + 64:
            return
        self._age = [(e.item.created_at, e.seq, k) for k, e in self._entries.items()]
        heapq.heapify(self._age)


def _expired(item: Item, now: float) -> bool:
    return item.expires_at is not None and item.expires_at <= now
