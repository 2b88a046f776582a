"""The storage protocol every backend implements.

A store keeps byte values under string keys with a time-to-live, plus named
integer counters. CCR originals, compression memos and learned feedback all go
through it, so a backend only has to get these few operations right; one
conformance suite (tests/store/test_conformance.py) holds every backend to them.

Time comes from an injectable clock so expiry can be tested without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

Clock = Callable[[], float]


class StoreError(RuntimeError):
    """A store backend could not be opened or reached.

    Raised at construction (a bad URL, a server that does not answer) so the
    caller that chose the backend (config, CLI) can tell the user what to fix,
    rather than failing later inside a request.
    """


@dataclass(frozen=True, slots=True)
class Item:
    """A stored value with its metadata."""

    value: bytes
    created_at: float
    expires_at: float | None
    meta: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Store(Protocol):
    """Key-value storage with TTL, a size cap and counters."""

    def put(
        self,
        key: str,
        value: bytes,
        *,
        ttl: float | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> None:
        """Store `value` under `key`, replacing what was there.

        `ttl` is in seconds; None means the store's default TTL. When the total
        size passes the store's cap, the oldest items are evicted first.
        """
        ...

    def get(self, key: str) -> Item | None:
        """The item under `key`, or None when it is missing or expired."""
        ...

    def delete(self, key: str) -> bool:
        """Remove `key`; True when something was removed."""
        ...

    def expire(self) -> int:
        """Drop every expired item now; returns how many were dropped."""
        ...

    def incr(self, counter: str, amount: int = 1) -> int:
        """Add `amount` to a named counter and return the new value."""
        ...

    def counters(self, prefix: str = "") -> dict[str, int]:
        """Every counter whose name starts with `prefix`."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


DEFAULT_TTL_SECONDS = 24 * 3600
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def system_clock() -> float:
    return time.time()
