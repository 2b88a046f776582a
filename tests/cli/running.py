"""A real `python -m headroom proxy` process for the CLI tests, as a user starts it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def headroom_proxy(
    env: dict[str, str], port: int, output: IO[bytes] | int = subprocess.DEVNULL
) -> Iterator[str]:
    """The proxy on `port` with the environment `env`, until the block ends; yields its URL.

    Its stdout and stderr go to `output` (discarded unless given).
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "headroom", "proxy", "--port", str(port)],
        env=env,
        stdout=output,
        stderr=output,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/livez", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the proxy did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
