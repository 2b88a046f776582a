"""`default_app` and `headroom proxy`: the proxy with everything plugged in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import anthropic
import httpx
import pytest

from headroom.config import load_settings
from headroom.proxy.defaults import default_app
from headroom.proxy.ledger_hook import LedgerHook
from headroom.proxy.retrieve_hook import RetrieveHook
from headroom.proxy.routes import Upstreams
from headroom.testing import FakeUpstream, Reply
from tests.proxy import bodies
from tests.proxy.conftest import TEST_BUDGET_MS, Served, big_log
from tests.proxy.wired import marker_id


def test_default_app_runs_the_retrieve_loop_before_the_ledger(up: FakeUpstream) -> None:
    settings = load_settings(store="memory", pipeline_budget_ms=TEST_BUDGET_MS)
    app = default_app(settings, upstreams=Upstreams(up.url, up.url, up.url))
    hooks = app.state.proxy.hooks.hooks
    assert [type(hook) for hook in hooks] == [RetrieveHook, LedgerHook]
    assert app.state.ledger.store is app.state.proxy.runtime.store
    with Served(app) as served:
        assert httpx.get(served.url + "/stats").json()["requests"] == 0
        assert httpx.get(served.url + "/readyz").status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def cli_proxy(up: FakeUpstream) -> Iterator[str]:
    """`python -m headroom proxy` in a child process, forwarding to `up`."""
    port = _free_port()
    argv = [sys.executable, "-m", "headroom", "proxy", "--port", str(port), "--store", "memory"]
    argv += ["--upstream-anthropic", up.url]
    env = {**os.environ, "HEADROOM_PIPELINE_BUDGET_MS": str(TEST_BUDGET_MS)}
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while child.poll() is None and time.monotonic() < deadline:
            try:
                httpx.get(url + "/livez")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=10)


def test_headroom_proxy_serves_the_retrieve_loop_and_stats(
    up: FakeUpstream, cli_proxy: str
) -> None:
    client = anthropic.Anthropic(api_key="sk-test-cli", base_url=cli_proxy, max_retries=0)
    body = bodies.anthropic(big_log())
    client.messages.create(**body)
    up.script(Reply.tool_call("headroom_retrieve", {"id": marker_id(up.requests[-1])}))
    message = client.messages.create(**body)
    assert [block.type for block in message.content] == ["text"]
    deadline = time.monotonic() + 10
    stats = httpx.get(cli_proxy + "/stats").json()
    while stats["requests"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
        stats = httpx.get(cli_proxy + "/stats").json()
    assert (stats["requests"], stats["retrievals"]) == (2, 1)
