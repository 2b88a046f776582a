"""`headroom mcp serve|install|uninstall`.

Nothing heavy is imported here: the `mcp` SDK takes most of a second to load,
and this module is imported by every `headroom` command (the Claude Code hook
included), so the SDK is loaded only inside `serve`.
"""

from __future__ import annotations

import enum
import shutil
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from headroom.config import ConfigError, load_settings
from headroom.integrations.claude_settings import ClaudeConfigError
from headroom.mcp.install import (
    ClaudeCLIError,
    Scope,
    Where,
    headroom_argv,
    install,
    uninstall,
)

__all__ = ["register", "where"]


class TransportName(enum.StrEnum):
    STDIO = "stdio"
    HTTP = "http"


ScopeOption = Annotated[
    Scope,
    typer.Option(
        "--scope",
        help="user: ~/.claude.json, for every project; project: .mcp.json in this folder.",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the `mcp` command group to the `headroom` CLI."""
    group = typer.Typer(
        help="The MCP server: headroom_retrieve, headroom_compress, headroom_stats."
    )
    group.command("serve")(serve_command)
    group.command("install")(install_command)
    group.command("uninstall")(uninstall_command)
    app.add_typer(group, name="mcp", no_args_is_help=True)


def serve_command(
    transport: Annotated[
        TransportName,
        typer.Option(help="stdio (an agent starts the server) or http (streamable HTTP at /mcp)."),
    ] = TransportName.STDIO,
    host: Annotated[str, typer.Option(help="Address to listen on (http).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (http).")] = 8000,
    allow_remote: Annotated[
        bool, typer.Option(help="Allow listening on a non-loopback address (http).")
    ] = False,
) -> None:
    """Run the MCP server (stdio by default; stdout is the protocol, logs go to stderr)."""
    from headroom.proxy.server import is_loopback_host

    if transport is TransportName.HTTP and not allow_remote and not is_loopback_host(host):
        _fail(
            f"refusing to listen on {host}: the tools hand out stored tool outputs, so the "
            "server listens on loopback (127.0.0.1) unless you pass --allow-remote"
        )
    from headroom.mcp.server import serve

    if transport is TransportName.HTTP:
        sys.stderr.write(f"headroom MCP server on http://{host}:{port}/mcp\n")
        serve("http", host=host, port=port)
    else:
        serve("stdio")


def install_command(scope: ScopeOption = Scope.USER) -> None:
    """Register the MCP server with Claude Code (`claude mcp add`, else its config file)."""
    try:
        done = install(scope, where(), claude=shutil.which("claude"), argv=headroom_argv())
    except (ClaudeCLIError, ClaudeConfigError, ConfigError, OSError) as exc:
        _fail(str(exc))
    for line in done.lines:
        typer.echo(line)


def uninstall_command(scope: ScopeOption = Scope.USER) -> None:
    """Take the MCP server out of Claude Code's config again."""
    try:
        lines = uninstall(scope, where(), claude=shutil.which("claude"))
    except (ClaudeCLIError, ClaudeConfigError, ConfigError, OSError) as exc:
        _fail(str(exc))
    for line in lines:
        typer.echo(line)


def where() -> Where:
    """This user's home, the current folder and the Headroom home."""
    return Where(home=Path.home(), cwd=Path.cwd(), headroom_home=load_settings().home_path)


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"headroom: {message}\n")
    raise typer.Exit(2)
