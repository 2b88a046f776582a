"""Fail-open, through one mechanism.

Any transform or compressor runs inside `guarded(...)`. When it raises, the
original content goes on instead, the error is logged and counted under the
stage's name, and, when `raise_errors` is set (the test suite sets it), the
error is re-raised so bugs surface in tests instead of hiding.

This is the only place in the package that catches broad exceptions.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class ErrorCounts:
    """Thread-safe counts of swallowed errors, by stage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, stage: str) -> None:
        with self._lock:
            self._counts[stage] += 1

    def get(self, stage: str) -> int:
        with self._lock:
            return self._counts[stage]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())


#: Process-wide error counts, exported to /stats and /metrics.
ERRORS = ErrorCounts()


def guarded(
    stage: str,
    fn: Callable[[], T],
    fallback: T,
    *,
    raise_errors: bool,
    counts: ErrorCounts = ERRORS,
) -> T:
    """Run `fn()`; on any error return `fallback`, log and count it.

    With `raise_errors` the error is counted and then re-raised.
    """
    try:
        return fn()
    except Exception as exc:
        counts.add(stage)
        if raise_errors:
            raise
        # The error's message may quote the content being compressed, so the
        # default level names only its type; DEBUG (`--verbose`) has the rest.
        log.warning(
            "headroom: %s failed (%s), passing the original through",
            stage,
            type(exc).__name__,
        )
        log.debug("headroom: %s failed", stage, exc_info=True)
        return fallback
