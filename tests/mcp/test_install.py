"""`headroom mcp install|uninstall`: through the `claude` CLI when it is on PATH,
by editing Claude Code's config file when it is not.

HOME, the working folder and PATH are temporary, so nothing touches the real
`~/.claude.json`; the CLI is a fake that records its arguments (`fake_claude`).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from headroom.cli import app
from headroom.mcp.install import headroom_argv, server_entry
from tests.mcp.fake_claude import calls, install_fake_claude

#: Formatting no JSON writer would produce, and keys that are not Headroom's.
ODD_CLAUDE_JSON = (
    b'{"numStartups": 3,\n\t"theme" : "dark",   "mcpServers": {\n "other": {"command": "x"}}}'
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary HOME and project folder, and a PATH with no `claude` on it."""
    home = tmp_path / "user"
    home.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.chdir(project)
    return home


def headroom(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_install_runs_claude_mcp_add_when_the_cli_is_on_path(home: Path, tmp_path: Path) -> None:
    log = install_fake_claude(tmp_path / "bin")
    result = headroom("mcp", "install")
    assert result.exit_code == 0, result.output
    (call,) = calls(log)
    expected = ["mcp", "add", "--scope", "user", "headroom", "--", *headroom_argv(), "mcp", "serve"]
    assert call["argv"] == expected
    assert "ran: " in result.output and "claude mcp add --scope user headroom" in result.output
    assert "Added stdio MCP server headroom" in result.output  # the CLI's own report

    result = headroom("mcp", "uninstall")
    assert result.exit_code == 0, result.output
    assert calls(log)[-1]["argv"] == ["mcp", "remove", "--scope", "user", "headroom"]
    assert json.loads((home / ".claude.json").read_text())["mcpServers"] == {}


def test_installing_twice_registers_once(home: Path, tmp_path: Path) -> None:
    log = install_fake_claude(tmp_path / "bin")
    headroom("mcp", "install")
    result = headroom("mcp", "install")
    assert result.exit_code == 0
    assert "already registered" in result.output
    assert len(calls(log)) == 1


def test_project_scope_runs_the_cli_in_the_current_folder(home: Path, tmp_path: Path) -> None:
    log = install_fake_claude(tmp_path / "bin")
    assert headroom("mcp", "install", "--scope", "project").exit_code == 0
    (call,) = calls(log)
    assert call["argv"][:5] == ["mcp", "add", "--scope", "project", "headroom"]
    assert call["cwd"] == str(Path.cwd())
    assert "headroom" in json.loads((Path.cwd() / ".mcp.json").read_text())["mcpServers"]


def test_a_failing_cli_is_reported_with_its_own_message(home: Path, tmp_path: Path) -> None:
    install_fake_claude(tmp_path / "bin", fail=True)
    result = headroom("mcp", "install")
    assert result.exit_code == 2
    assert "unknown option '--scope'" in result.output
    assert "exit 1" in result.output


def test_without_the_cli_the_user_config_file_is_edited_and_restored_byte_for_byte(
    home: Path,
) -> None:
    config = home / ".claude.json"
    config.write_bytes(ODD_CLAUDE_JSON)
    config.chmod(0o600)

    result = headroom("mcp", "install")
    assert result.exit_code == 0, result.output
    assert f"added mcpServers.headroom to {config}" in result.output
    data = json.loads(config.read_bytes())
    assert data["mcpServers"]["headroom"] == server_entry(headroom_argv())
    assert data["mcpServers"]["other"] == {"command": "x"} and data["theme"] == "dark"
    assert config.stat().st_mode & 0o777 == 0o600  # it holds credentials

    result = headroom("mcp", "uninstall")
    assert result.exit_code == 0, result.output
    assert "restored" in result.output
    assert config.read_bytes() == ODD_CLAUDE_JSON
    assert config.stat().st_mode & 0o777 == 0o600


def test_without_the_cli_project_scope_writes_mcp_json_and_uninstall_deletes_it(
    home: Path,
) -> None:
    mcp_json = Path.cwd() / ".mcp.json"
    assert headroom("mcp", "install", "--scope", "project").exit_code == 0
    assert json.loads(mcp_json.read_text()) == {
        "mcpServers": {"headroom": server_entry(headroom_argv())}
    }
    assert headroom("mcp", "uninstall", "--scope", "project").exit_code == 0
    assert not mcp_json.exists()
    assert not (home / ".claude.json").exists()  # the user scope was never touched


def test_uninstall_keeps_what_changed_in_the_file_since_install(home: Path) -> None:
    config = home / ".claude.json"
    config.write_bytes(ODD_CLAUDE_JSON)
    headroom("mcp", "install")
    data = json.loads(config.read_bytes())
    data["numStartups"] = 4  # Claude Code writes to this file all the time
    config.write_text(json.dumps(data))

    result = headroom("mcp", "uninstall")
    assert result.exit_code == 0
    assert "the rest is kept" in result.output
    after = json.loads(config.read_bytes())
    assert after == {"numStartups": 4, "theme": "dark", "mcpServers": {"other": {"command": "x"}}}


def test_uninstall_with_nothing_installed_says_so(home: Path) -> None:
    result = headroom("mcp", "uninstall")
    assert result.exit_code == 0
    assert "not registered" in result.output
    assert not (home / ".claude.json").exists()


def test_a_config_file_that_is_not_json_is_left_alone(home: Path) -> None:
    config = home / ".claude.json"
    config.write_bytes(b"{not json")
    result = headroom("mcp", "install")
    assert result.exit_code == 2
    assert "is not valid JSON" in result.output
    assert config.read_bytes() == b"{not json"


def test_the_registered_command_runs_this_headroom() -> None:
    entry = server_entry(headroom_argv())
    assert entry["args"][-2:] == ["mcp", "serve"]
    argv = [entry["command"], *entry["args"][:-2], "--version"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.startswith("headroom ")
