"""Test setup shared by the whole suite.

- The tokenizer files come from ../shared/tiktoken when that folder exists, so
  no test downloads anything.
- Every test gets its own HEADROOM_HOME, so nothing touches ~/.headroom.
- Internal errors re-raise (HEADROOM_RAISE_ERRORS=1) unless a test asks for
  fail-open behaviour explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

if (SHARED / "tiktoken").is_dir():
    os.environ["TIKTOKEN_CACHE_DIR"] = str(SHARED / "tiktoken")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "headroom-home"
    monkeypatch.setenv("HEADROOM_HOME", str(home))
    monkeypatch.setenv("HEADROOM_RAISE_ERRORS", "1")
    yield home


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


REDIS_URL = os.environ.get("HEADROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis URL; skips (or fails under CI=true) when there is none."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if in_ci():
            pytest.fail(f"CI=true but Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({exc}); start redis-server to run this")
    finally:
        client.close()
    return REDIS_URL


def require_corpus() -> Path:
    """The shared corpus folder; skips (or fails under CI=true) when it is missing."""
    if not (CORPUS / "manifest.jsonl").is_file():
        if in_ci():
            pytest.fail(f"CI=true but the corpus is missing at {CORPUS}")
        pytest.skip(f"the shared corpus is not beside the repo ({CORPUS})")
    return CORPUS
