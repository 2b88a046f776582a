"""Headroom as an MCP server: retrieve, compress and stats as tools a model can call.

The server is a thin edge over the library, like the proxy and the CLI. Its
tools call `headroom.api.retrieve` and `headroom.api.compress_text`, so they
use the runtime the settings name: with the default SQLite store under the
Headroom home, an id written by the proxy, by the Claude Code hook or by
`headroom compress` is retrievable here, and the reverse.

It is built on the official `mcp` SDK, major version 2 (`MCPServer`, which
version 1 called FastMCP). The SDK is imported here and nowhere on the CLI's
startup path: it takes most of a second to import.

The tool descriptions are written for the model that reads them: what the
tool is for and when to call it, in a few lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from mcp.server import MCPServer
from mcp.types import ToolAnnotations

from headroom.api import compress_text, retrieve
from headroom.proxy.ledger import Ledger
from headroom.runtime import get_runtime
from headroom.stats_view import learned_rows

__all__ = ["SERVER_NAME", "TOOL_NAMES", "build_server", "serve"]

#: The name agents register the server under; Claude Code then calls its tools
#: `mcp__headroom__<tool>` (the default tool policy never compresses those).
SERVER_NAME = "headroom"
TOOL_NAMES = ("headroom_retrieve", "headroom_compress", "headroom_stats")

Transport = Literal["stdio", "http"]

INSTRUCTIONS = (
    "Headroom shortens large tool outputs and leaves a marker such as "
    "[headroom: 412 of 450 rows omitted; headroom_retrieve id=hr_3f9a2c1b7e4d]. "
    "Nothing is lost: call headroom_retrieve with that id to see what was cut."
)

RETRIEVE_DOC = """Get back what Headroom cut from a tool output.

Call this when a marker like `[headroom: … omitted …; headroom_retrieve id=hr_…]`
hides something you need. `id` is the marker's id. With `query` (words, names,
numbers to look for) only the matching lines, rows or functions come back,
which is cheaper than the whole original; leave it out to get everything.
"""

COMPRESS_DOC = """Shorten a large text (logs, JSON, search results, code, diffs, web pages).

Call this on a big text you want to keep in context at lower cost. Returns the
shortened text; every cut is marked, and headroom_retrieve with the marker's id
gives it back. `query` says what matters (kept in full); `kind` forces the
content kind (json, logs, search, diff, code, html, text) instead of detecting it.
Small texts come back unchanged.
"""

STATS_DOC = """Headroom's counters: originals stored, retrievals answered, unknown ids,
and what the proxy saved (requests, tokens before and after, by compressor and model).
Call it when the user asks what Headroom did; normal work never needs it.
"""


def build_server(settings: Mapping[str, Any] | None = None) -> MCPServer:
    """The MCP server with Headroom's three tools.

    `settings` are overrides (see `headroom.config.SETTINGS`), e.g.
    `{"store": "memory"}`; by default the settings come from the environment
    and the config file, as for the proxy.
    """
    overrides = dict(settings or {})
    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS)

    def headroom_retrieve(id: str, query: str | None = None) -> str:
        return retrieve(id, query=query, **overrides)

    def headroom_compress(text: str, query: str | None = None, kind: str | None = None) -> str:
        return compress_text(text, query=query, kind=kind, **overrides).text

    def headroom_stats() -> dict[str, Any]:
        return stats(overrides)

    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    server.add_tool(
        headroom_retrieve, description=RETRIEVE_DOC, annotations=read_only, structured_output=False
    )
    server.add_tool(
        headroom_compress,
        description=COMPRESS_DOC,
        structured_output=False,
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, open_world_hint=False
        ),
    )
    server.add_tool(headroom_stats, description=STATS_DOC, annotations=read_only)
    return server


def stats(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Store counters, the ledger's totals and the learned state, as `/stats` and
    `headroom stats` show them (without the per-request entries)."""
    runtime = get_runtime(**overrides)
    ledger = Ledger(runtime.store).summary(last=0)
    ledger.pop("recent", None)
    return {
        "store": runtime.store.counters("ccr."),
        "ledger": ledger,
        "learned": learned_rows(runtime),
    }


def serve(transport: Transport = "stdio", *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the server until the client disconnects (stdio) or it is interrupted (http).

    Over HTTP it speaks the streamable-HTTP transport at `http://host:port/mcp`.
    """
    server = build_server()
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)
