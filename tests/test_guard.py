from __future__ import annotations

import pytest

from headroom.guard import ErrorCounts, guarded


def _boom() -> str:
    raise RuntimeError("boom")


def test_guarded_returns_the_result_when_nothing_fails() -> None:
    counts = ErrorCounts()
    assert guarded("s", lambda: "new", "old", raise_errors=False, counts=counts) == "new"
    assert counts.total() == 0


def test_guarded_passes_the_fallback_through_and_counts_the_error() -> None:
    counts = ErrorCounts()
    assert guarded("stage", _boom, "original", raise_errors=False, counts=counts) == "original"
    assert counts.get("stage") == 1
    assert counts.snapshot() == {"stage": 1}


def test_guarded_reraises_under_tests_but_still_counts() -> None:
    counts = ErrorCounts()
    with pytest.raises(RuntimeError, match="boom"):
        guarded("stage", _boom, "original", raise_errors=True, counts=counts)
    assert counts.get("stage") == 1
