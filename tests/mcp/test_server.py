"""The MCP server, driven by the official `mcp` client.

Most tests connect the client to the server in-process (fast). One session
spawns `python -m headroom mcp serve` over stdio and one over streamable HTTP,
as an agent would; both use the SQLite store under a temporary HEADROOM_HOME.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.types import CallToolResult, TextContent
from typer.testing import CliRunner

from headroom.ccr import marker_ids
from headroom.cli import app
from headroom.mcp.server import TOOL_NAMES, build_server
from headroom.proxy.ledger import Ledger, LedgerEntry
from headroom.runtime import get_runtime
from tests.cli.running import free_port
from tests.proxy.conftest import big_log

NEEDLE = "2024-01-01T00:10:00 ERROR worker-3 request id=4242 failed: connection reset"
LOG = big_log(400) + "\n" + NEEDLE + "\n"


def text_of(result: CallToolResult) -> str:
    assert not result.is_error, result
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def run_client(server: Any, session: Callable[[Client], Awaitable[None]]) -> None:
    async def main() -> None:
        async with Client(server) as client:
            await session(client)

    anyio.run(main)


def test_lists_the_three_tools_with_descriptions_written_for_a_model() -> None:
    async def session(client: Client) -> None:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tuple(tools) == TOOL_NAMES
        retrieve = tools["headroom_retrieve"]
        assert retrieve.input_schema["required"] == ["id"]
        assert "query" in retrieve.input_schema["properties"]
        assert "marker" in (retrieve.description or "")
        assert set(tools["headroom_compress"].input_schema["properties"]) == {
            "text",
            "query",
            "kind",
        }
        assert retrieve.annotations is not None and retrieve.annotations.read_only_hint

    run_client(build_server(), session)


def test_compress_then_retrieve_gives_the_original_back() -> None:
    async def session(client: Client) -> None:
        compressed = text_of(await client.call_tool("headroom_compress", {"text": LOG}))
        assert len(compressed) < len(LOG) / 3
        assert NEEDLE in compressed  # error lines survive
        (ccr,) = marker_ids(compressed)
        whole = text_of(await client.call_tool("headroom_retrieve", {"id": ccr}))
        assert whole == LOG
        some = text_of(await client.call_tool("headroom_retrieve", {"id": ccr, "query": "4242"}))
        assert NEEDLE in some and len(some) < len(LOG) / 10

    run_client(build_server(), session)


def test_small_text_comes_back_unchanged() -> None:
    async def session(client: Client) -> None:
        text = "a short note\n"
        assert text_of(await client.call_tool("headroom_compress", {"text": text})) == text

    run_client(build_server(), session)


def test_unknown_and_malformed_ids_get_a_clear_message_not_an_error() -> None:
    async def session(client: Client) -> None:
        unknown = text_of(await client.call_tool("headroom_retrieve", {"id": "hr_0123456789ab"}))
        assert "unknown or has expired" in unknown
        malformed = text_of(await client.call_tool("headroom_retrieve", {"id": "nope"}))
        assert "not a Headroom id" in malformed

    run_client(build_server(), session)


def test_ids_the_proxy_stored_are_retrievable_through_the_shared_store() -> None:
    original = big_log(300)
    ccr = get_runtime().ccr.put(original, kind="logs", tool="Bash")  # what the proxy does

    async def session(client: Client) -> None:
        assert text_of(await client.call_tool("headroom_retrieve", {"id": ccr})) == original

    run_client(build_server(), session)


def test_stats_reports_store_counters_and_the_ledger_totals() -> None:
    runtime = get_runtime()
    Ledger(runtime.store).record(
        LedgerEntry(provider="anthropic", model="claude-sonnet-4-6", tenant="t_1",
                    tokens_before=1000, tokens_after=200)
    )  # fmt: skip

    async def session(client: Client) -> None:
        text_of(await client.call_tool("headroom_compress", {"text": LOG}))
        result = await client.call_tool("headroom_stats", {})
        stats = result.structured_content
        assert stats is not None
        assert stats["store"]["ccr.stored"] == 1
        assert stats["ledger"]["requests"] == 1
        assert stats["ledger"]["tokens_saved"] == 800
        assert "recent" not in stats["ledger"]
        assert [row["compressed"] for row in stats["learned"]] == [1]

    run_client(build_server(), session)


def test_settings_overrides_reach_the_tools() -> None:
    async def session(client: Client) -> None:
        same = text_of(await client.call_tool("headroom_compress", {"text": LOG}))
        assert same == LOG  # min_tokens above the log's size: left alone

    run_client(build_server({"min_tokens": 100_000}), session)


# --- the real command, over stdio and streamable HTTP ------------------------------


def test_a_stdio_session_with_the_real_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "headroom", "mcp", "serve"],
        env={
            "HEADROOM_HOME": str(home),
            "TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR", ""),
        },
        cwd=str(tmp_path),
    )

    async def session(client: Client) -> None:
        assert {t.name for t in (await client.list_tools()).tools} == set(TOOL_NAMES)
        compressed = text_of(await client.call_tool("headroom_compress", {"text": LOG}))
        (ccr,) = marker_ids(compressed)
        assert text_of(await client.call_tool("headroom_retrieve", {"id": ccr})) == LOG
        some = text_of(await client.call_tool("headroom_retrieve", {"id": ccr, "query": "4242"}))
        assert NEEDLE in some
        missing = text_of(await client.call_tool("headroom_retrieve", {"id": "hr_ffffffffffff"}))
        assert "unknown or has expired" in missing
        stats = (await client.call_tool("headroom_stats", {})).structured_content
        assert stats is not None and stats["store"]["ccr.retrieve"] == 2

    run_client(params, session)
    assert (home / "store.db").is_file()  # the default store, shared with the proxy


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ, HEADROOM_HOME=str(tmp_path / "home"))
    command = [sys.executable, "-m", "headroom", "mcp", "serve", "--transport", "http"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _, err = process.communicate(timeout=10)
                raise RuntimeError(f"the MCP server did not start: {err.decode()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


def test_a_call_over_streamable_http(http_server: str) -> None:
    async def session(client: Client) -> None:
        compressed = text_of(await client.call_tool("headroom_compress", {"text": LOG}))
        (ccr,) = marker_ids(compressed)
        assert text_of(await client.call_tool("headroom_retrieve", {"id": ccr})) == LOG

    run_client(http_server, session)


def test_http_refuses_a_public_address_without_allow_remote() -> None:
    result = CliRunner().invoke(
        app, ["mcp", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "1"]
    )
    assert result.exit_code == 2
    assert "--allow-remote" in result.output
