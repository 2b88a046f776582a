"""Fixtures shared by the integration tests: free ports, a port squatter, a fake upstream."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from headroom.testing import FakeUpstream


@pytest.fixture
def squatter() -> Iterator[int]:
    """A port held by a plain TCP server that is not a Headroom proxy."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


@pytest.fixture(scope="module")
def fake_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        yield upstream


@pytest.fixture
def up(fake_upstream: FakeUpstream) -> FakeUpstream:
    """The module's fake upstream, with no requests recorded and nothing scripted."""
    fake_upstream.clear()
    return fake_upstream
