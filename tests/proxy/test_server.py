"""Starting the proxy: loopback unless remote clients are explicitly allowed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from headroom.cli import app
from headroom.config import child_environment
from headroom.proxy.server import RemoteBindRefused, check_bind, is_loopback_host
from headroom.testing import FakeUpstream, Reply
from tests.cli.running import free_port, headroom_proxy
from tests.proxy import bodies


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_are_accepted(host: str) -> None:
    assert is_loopback_host(host)
    check_bind(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.com"])
def test_other_addresses_need_allow_remote(host: str) -> None:
    with pytest.raises(RemoteBindRefused, match="--allow-remote"):
        check_bind(host, allow_remote=False)
    check_bind(host, allow_remote=True)


def test_the_cli_refuses_to_listen_on_every_interface_without_allow_remote() -> None:
    result = CliRunner().invoke(app, ["proxy", "--host", "0.0.0.0", "--store", "memory"])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0" in result.output
    assert "--allow-remote" in result.output


def test_the_cli_names_a_bad_store_instead_of_a_traceback() -> None:
    result = CliRunner().invoke(app, ["proxy", "--store", "nowhere://x"])
    assert result.exit_code == 2
    assert "unknown store URL" in result.output


def test_keys_in_upstream_urls_never_reach_the_default_log(
    up: FakeUpstream, tmp_path: Path
) -> None:
    """Gemini puts its key in the query string; HTTP client INFO lines would print it."""
    port = free_port()
    env = child_environment()
    env.update(
        HEADROOM_HOME=str(tmp_path),
        HEADROOM_STORE="memory",
        HEADROOM_UPSTREAM_GEMINI=up.url,
        HEADROOM_UPSTREAM_ANTHROPIC=up.url,
    )
    log = tmp_path / "proxy.log"
    secret = "AIza-secret-key-7f3e9"
    up.script(Reply.text("ok"), Reply.text("ok"))
    with log.open("wb") as sink, headroom_proxy(env, port, sink) as url:
        httpx.post(f"{url}{bodies.GEMINI_PATH}?key={secret}", json=bodies.gemini("hi"))
        httpx.post(
            f"{url}/v1/messages",
            json=bodies.anthropic("hi"),
            headers={"x-api-key": secret, "anthropic-version": "2023-06-01"},
        )
    assert len(up.requests) == 2 and up.requests[0].query == f"key={secret}"
    text = log.read_text()
    assert "listening" in text  # the log was captured
    assert secret not in text
