"""The proxy under test, served for real: uvicorn on a free loopback port,
forwarding to a `FakeUpstream` on another one.

`proxy(**settings)` starts a proxy app with those setting overrides (plus
`runtime=` and `hooks=`) and returns its base URL; every proxy started in a
test stops when the test ends. Proxies share one runtime (memory store) unless
given another, since loading the tokenizer for each test would be slow.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import Any

import pytest
import uvicorn
from starlette.types import ASGIApp

from headroom.config import load_settings
from headroom.proxy import ProxyHooks, create_app
from headroom.runtime import Runtime, build_runtime
from headroom.testing import FakeUpstream

#: Generous, so a first compression (imports, tokenizer) never falls back in tests.
TEST_BUDGET_MS = 30_000

StartProxy = Callable[..., str]


class Served:
    """An ASGI app served by uvicorn in a daemon thread, lifespan included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Served:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="on")
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="proxy-under-test"
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the proxy under test did not start")
            time.sleep(0.005)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def runtime_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("proxy-home"))


@pytest.fixture(scope="session")
def shared_runtime(runtime_home: str) -> Runtime:
    return build_runtime(load_settings(store="memory", raise_errors=True, home=runtime_home))


@pytest.fixture
def up() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        yield upstream


@pytest.fixture
def proxy(up: FakeUpstream, shared_runtime: Runtime) -> Iterator[StartProxy]:
    with ExitStack() as stack:

        def start(
            *,
            runtime: Runtime | None = None,
            hooks: Sequence[ProxyHooks] = (),
            upstream: str | None = None,
            **overrides: Any,
        ) -> str:
            target = upstream or up.url
            values: dict[str, Any] = {
                "store": "memory",
                "pipeline_budget_ms": TEST_BUDGET_MS,
                "upstream_anthropic": target,
                "upstream_openai": target,
                "upstream_gemini": target,
                **overrides,
            }
            settings = load_settings(**values)
            app = create_app(settings, runtime=runtime or shared_runtime, hooks=hooks)
            return stack.enter_context(Served(app)).url

        yield start


def big_log(lines: int = 600) -> str:
    """A tool output the logs compressor cuts to a few lines and a marker."""
    return "\n".join(
        f"2024-01-01T00:00:{i % 60:02d} INFO worker-{i % 7} processed request "
        f"id={i} status=ok in {i % 90}ms"
        for i in range(lines)
    )


def closed_port_url() -> str:
    """A loopback URL nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
