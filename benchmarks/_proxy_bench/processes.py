"""Starting and stopping the benchmark's server processes.

Three servers, each its own process on a free loopback port: the fake
upstream and the bare pass-through (`serve.py`), and the proxy exactly as a
user runs it, `python -m headroom proxy --store memory` (the in-memory store,
so disk writes do not dominate), with every upstream pointed at the fake.
Each is ready once its health path answers 200. Output goes to a log file
that is shown if the process dies, and every process is stopped on exit,
whatever happens.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

_SERVE = str(Path(__file__).with_name("serve.py"))
#: Importing the proxy (tokenizer included) takes seconds on a loaded host.
_START_TIMEOUT_S = 90.0


class ServerDied(RuntimeError):
    """A server process exited or never answered its health check."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One server process; `url` once started."""

    def __init__(self, name: str, argv: list[str], health: str) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._argv = [a.replace("{port}", str(self.port)) for a in argv]
        self._health = health
        self._log = ""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        fd, self._log = tempfile.mkstemp(prefix=f"bench-{self.name}-", suffix=".log")
        try:
            self._process = subprocess.Popen(
                self._argv, stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT
            )
        finally:
            os.close(fd)  # the child has its own copy
        try:
            self._wait_ready(self._process)
        except ServerDied:
            self.stop()
            raise
        return self

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerDied(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + self._health, timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise ServerDied(f"{self.name} did not answer {self._health}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        text = Path(self._log).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log:
            Path(self._log).unlink(missing_ok=True)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def fake_upstream() -> Server:
    return Server("upstream", [sys.executable, _SERVE, "upstream", "{port}"], "/v1/models")


def passthrough(upstream: str) -> Server:
    argv = [sys.executable, _SERVE, "passthrough", "{port}", upstream]
    return Server("passthrough", argv, "/v1/models")


def headroom_proxy(upstream: str) -> Server:
    argv = [sys.executable, "-m", "headroom", "proxy", "--port", "{port}", "--store", "memory"]
    for provider in ("anthropic", "openai", "gemini"):
        argv += [f"--upstream-{provider}", upstream]
    return Server("proxy", argv, "/livez")
