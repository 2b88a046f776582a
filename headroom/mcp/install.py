"""Registering the MCP server with Claude Code, and taking it out again.

When the `claude` CLI is on PATH it does the work (`claude mcp add --scope
user|project headroom -- <headroom> mcp serve`), since it knows its own config
layout best. Without it Headroom edits the file the CLI would have written:
`~/.claude.json` (`mcpServers`) for the user scope, `.mcp.json` in the
current folder for the project scope, undoably (see `claude_settings`).

Whether the server is already registered is read from that same file in both
cases, so installing twice does nothing the second time and the hooks
installer knows whether it was the one that registered the server.
"""

from __future__ import annotations

import enum
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headroom.config import child_environment
from headroom.integrations.claude_settings import (
    Change,
    Reverted,
    apply,
    manifest_for,
    read_object,
    revert,
)

__all__ = [
    "ClaudeCLIError",
    "Install",
    "Scope",
    "Where",
    "headroom_argv",
    "install",
    "is_registered",
    "uninstall",
]

SERVER = "headroom"  # the name in Claude Code; its tools become mcp__headroom__*
_CLI_TIMEOUT_S = 60


class Scope(enum.StrEnum):
    USER = "user"
    PROJECT = "project"


class ClaudeCLIError(RuntimeError):
    """The `claude` CLI refused a command; the message carries its output."""


@dataclass(frozen=True, slots=True)
class Where:
    """The folders an install works in: the user's home, the project, Headroom's home."""

    home: Path
    cwd: Path
    headroom_home: Path


@dataclass(frozen=True, slots=True)
class Install:
    """What `install` did: `via` is "claude", "file", or "" when it was already there."""

    via: str
    lines: tuple[str, ...]


def headroom_argv() -> list[str]:
    """The absolute command that runs this Headroom: its console script, else `python -m`."""
    beside = Path(sys.executable).parent / "headroom"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [os.path.abspath(beside)]
    found = shutil.which("headroom")
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", "headroom"]


def config_file(scope: Scope, where: Where) -> Path:
    """The file that lists Claude Code's MCP servers for `scope`."""
    return where.home / ".claude.json" if scope is Scope.USER else where.cwd / ".mcp.json"


def is_registered(scope: Scope, where: Where) -> bool:
    _, data = read_object(config_file(scope, where))
    servers = data.get("mcpServers")
    return isinstance(servers, dict) and SERVER in servers


def server_entry(argv: list[str]) -> dict[str, Any]:
    """The `mcpServers` entry, as `claude mcp add` writes it."""
    return {"type": "stdio", "command": argv[0], "args": [*argv[1:], "mcp", "serve"], "env": {}}


def install(scope: Scope, where: Where, *, claude: str | None, argv: list[str]) -> Install:
    """Register the server for `scope`; `claude` is the CLI's path, or None to edit the file."""
    path = config_file(scope, where)
    if is_registered(scope, where):
        return Install("", (f"the {SERVER} MCP server is already registered in {path}",))
    if claude is not None:
        serve = [*argv, "mcp", "serve"]
        command = [claude, "mcp", "add", "--scope", scope.value, SERVER, "--", *serve]
        output = _run(command, where.cwd)
        return Install("claude", (f"ran: {shlex.join(command)}", *output))
    apply(path, _adder(argv), manifest_for(where.headroom_home, "mcp", path), note={})
    return Install("file", (f"added mcpServers.{SERVER} to {path}",))


def uninstall(scope: Scope, where: Where, *, claude: str | None) -> tuple[str, ...]:
    """Take the server out of `scope`; returns what was done, one line each."""
    path = config_file(scope, where)
    manifest = manifest_for(where.headroom_home, "mcp", path)
    if claude is None or manifest.load() is not None:  # Headroom edited the file itself
        outcome, _ = revert(path, _remover, manifest)
        return (_reverted_line(outcome, path),)
    if not is_registered(scope, where):
        return (f"the {SERVER} MCP server is not registered in {path}; nothing to do",)
    command = [claude, "mcp", "remove", "--scope", scope.value, SERVER]
    return (f"ran: {shlex.join(command)}", *_run(command, where.cwd))


def _adder(argv: list[str]) -> Change:
    def add(data: dict[str, Any]) -> bool:
        servers = data.setdefault("mcpServers", {})
        if not isinstance(servers, dict) or SERVER in servers:
            return False
        servers[SERVER] = server_entry(argv)
        return True

    return add


def _remover(data: dict[str, Any]) -> bool:
    servers = data.get("mcpServers")
    if not isinstance(servers, dict) or SERVER not in servers:
        return False
    del servers[SERVER]
    return True


def _reverted_line(outcome: Reverted, path: Path) -> str:
    if outcome is Reverted.RESTORED:
        return f"restored {path} to what it was before the install"
    if outcome is Reverted.REMOVED:
        return f"removed mcpServers.{SERVER} from {path} (it had changed since; the rest is kept)"
    return f"the {SERVER} MCP server is not registered in {path}; nothing to do"


def _run(command: list[str], cwd: Path) -> tuple[str, ...]:
    """Run a `claude` command; its output lines, or ClaudeCLIError when it fails."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env=child_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=_CLI_TIMEOUT_S,
        check=False,
    )
    output = tuple(line for line in (done.stdout + done.stderr).splitlines() if line.strip())
    if done.returncode != 0:
        said = " / ".join(output) or "no output"
        raise ClaudeCLIError(f"{shlex.join(command)} failed (exit {done.returncode}): {said}")
    return output
