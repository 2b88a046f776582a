"""A fake upstream for the tests here: one real server, cleared before each test.

Starting and stopping uvicorn costs a few hundred milliseconds, so the server
is shared across the session and `clear()` gives each test an empty script
and an empty request log.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from headroom.testing import FakeUpstream


@pytest.fixture(scope="session")
def shared_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        yield upstream


@pytest.fixture
def up(shared_upstream: FakeUpstream) -> FakeUpstream:
    shared_upstream.clear()
    return shared_upstream
