"""Starting the proxy: loopback unless remote clients are explicitly allowed."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from headroom.cli import app
from headroom.proxy.server import RemoteBindRefused, check_bind, is_loopback_host


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
