from __future__ import annotations

import logging
from pathlib import Path

import pytest

from headroom.tokens import O200K_FILE, TokenCounter, count_tokens
from tests.conftest import SHARED

needs_tiktoken = pytest.mark.skipif(
    not (SHARED / "tiktoken" / O200K_FILE).is_file(),
    reason="../shared/tiktoken is not beside the repo",
)


@needs_tiktoken
def test_counts_with_o200k_base_from_the_offline_files() -> None:
    counter = TokenCounter([SHARED / "tiktoken"])
    assert counter.exact
    assert counter.count("hello world") == 2
    assert counter.count("") == 0
    assert counter.count("<|endoftext|>") > 1  # special tokens are plain text here


@needs_tiktoken
def test_count_tokens_uses_the_configured_folder() -> None:
    assert count_tokens("hello world") == 2


def test_missing_files_fall_back_to_an_estimate_and_warn_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="headroom.tokens"):
        counter = TokenCounter([tmp_path])
        assert not counter.exact
        assert counter.count("x" * 40) == 10
        assert counter.count("x" * 41) == 11
    warnings = [r for r in caplog.records if "estimate" in r.getMessage()]
    assert len(warnings) == 1
    assert str(tmp_path) in warnings[0].getMessage()
