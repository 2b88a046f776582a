from __future__ import annotations

import logging

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


def test_a_failure_logs_its_stage_and_type_but_never_the_content_it_quotes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def leaks() -> str:
        raise ValueError("could not parse 'sk-secret user data'")

    with caplog.at_level(logging.WARNING, logger="headroom.guard"):
        guarded("compressor:json", leaks, "original", raise_errors=False, counts=ErrorCounts())
    (record,) = caplog.records
    assert "compressor:json" in record.getMessage() and "ValueError" in record.getMessage()
    assert "sk-secret" not in caplog.text
