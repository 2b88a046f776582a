"""`FakeUpstream`: the fake provider as a real HTTP server on a loopback port.

Tests need a real socket between the proxy and its upstream, or they would
not see what streaming, dropped connections and pooled clients really do. So
the fake runs uvicorn in a daemon thread, on a port the OS picked, and the
test thread scripts it and reads what it recorded through thread-safe calls.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from headroom.testing.app import Script, build_app, hide_deliberate_disconnects
from headroom.testing.recorded import RecordedRequest
from headroom.testing.replies import Reply

#: How long `start()` waits for uvicorn to accept connections.
_START_TIMEOUT_S = 10.0
#: How long `stop()` lets open streams finish before closing them.
_GRACE_S = 1


class FakeUpstream:
    """A scriptable Anthropic-, OpenAI- and Gemini-compatible upstream.

        with FakeUpstream() as up:
            up.script(Reply.tool_call("headroom_retrieve", {"id": "hr_1"}), Reply.text("done"))
            client = anthropic.Anthropic(base_url=up.url, api_key="test")
            ...
            assert up.requests[0].json()["model"] == "claude-sonnet-4-6"

    Each model request takes the next scripted reply, rendered in the wire
    format of the route it came in on; with the script empty it answers
    `Reply.text("ok")`.
    """

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self._host = host
        self._script = Script()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    @property
    def url(self) -> str:
        """The base URL, such as `http://127.0.0.1:54321` (no trailing slash, no `/v1`)."""
        if self._server is None:
            raise RuntimeError("FakeUpstream is not running; use it as a context manager")
        return f"http://{self._host}:{self._port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        return self._script.requests()

    @property
    def pending(self) -> int:
        """How many scripted replies are still unused."""
        return self._script.pending()

    def script(self, *replies: Reply) -> None:
        """Queue replies; each model request consumes the next one."""
        self._script.add(replies)

    def clear(self) -> None:
        """Forget the recorded requests and any replies still queued."""
        self._script.clear()

    def start(self) -> None:
        """Start serving; returns once the server accepts connections."""
        if self._server is not None:
            raise RuntimeError("FakeUpstream is already running")
        hide_deliberate_disconnects()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            build_app(self._script),
            lifespan="off",
            ws="none",
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=_GRACE_S,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-upstream", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        self._wait_until_started(server, thread, sock)

    def _wait_until_started(
        self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket
    ) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self._server = self._thread = None
                sock.close()
                raise RuntimeError("the fake upstream did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving and wait for the server thread to end."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout=_GRACE_S + 5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeUpstream:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
