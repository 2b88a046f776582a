"""The real Claude Code CLI through `headroom wrap claude`, against a fake Anthropic.

`make e2e-tools` installs the pinned CLI into `.e2e/node_modules/.bin/claude`.
Each test gives it a throwaway HOME, an API key the fake accepts, and
`CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`, which together keep it offline:
every request it makes goes to the loopback fake (through the proxy that
wrap starts, whose upstream is the fake).

The body the CLI itself sends also feeds the Anthropic adapter's round-trip
check, live, so the adapter is tested on what this CLI version really sends.
"""

from __future__ import annotations

import copy
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from headroom.ccr import marker_ids
from headroom.integrations.wrap.proxy_process import ProxyAddress, stop_proxy
from headroom.providers.anthropic import AnthropicAdapter
from headroom.testing import FakeUpstream, RecordedRequest, Reply
from headroom.tokens import count_tokens
from headroom.types import Role
from tests.cli.running import free_port
from tests.conftest import ROOT, in_ci

CLAUDE = ROOT / ".e2e" / "node_modules" / ".bin" / "claude"
FINAL = "The log shows 300 requests, all status=ok."
LOG_LINES = 300  # stays under the CLI's own output cap, so the whole log reaches the proxy
LOG_SCRIPT = (
    f"for i in range({LOG_LINES}): print(f'2024-01-01T00:00:{{i%60:02d}} INFO worker-{{i%7}} "
    "processed request id={i} status=ok in {i%90}ms')"
)


def expected_log() -> str:
    return "".join(
        f"2024-01-01T00:00:{i % 60:02d} INFO worker-{i % 7} processed request id={i} "
        f"status=ok in {i % 90}ms\n"
        for i in range(LOG_LINES)
    )


@pytest.fixture
def claude_bin() -> Path:
    if not os.access(CLAUDE, os.X_OK):
        reason = f"the Claude Code CLI is not installed at {CLAUDE}; run `make e2e-tools`"
        if in_ci():
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return CLAUDE


@pytest.fixture
def up() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        yield upstream


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    home = tmp_path / "user"
    home.mkdir()
    return home


@pytest.fixture
def env(up: FakeUpstream, user_home: Path) -> dict[str, str]:
    """An offline environment for the CLI, and for the proxy wrap starts."""
    values = dict(os.environ)
    for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CONFIG_DIR"):
        values.pop(name, None)
    values.update(
        HOME=str(user_home),
        ANTHROPIC_API_KEY="sk-ant-test",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        HEADROOM_STORE="memory",
        HEADROOM_UPSTREAM_ANTHROPIC=up.url,
        # The first compression in a fresh proxy loads the tokenizer; never let
        # that fall back to the original under the default 50 ms budget.
        HEADROOM_PIPELINE_BUDGET_MS="30000",
        # A loaded CI machine can take longer than the default 5 s to start a proxy.
        HEADROOM_WRAP_WAIT="60",
    )
    return values


@pytest.fixture
def port(env: dict[str, str]) -> Iterator[int]:
    chosen = free_port()
    yield chosen
    stop_proxy(ProxyAddress("127.0.0.1", chosen, Path(env["HEADROOM_HOME"])))


def run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=90, check=False
    )


def wrap_claude(
    claude_bin: Path, port: int, env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "headroom", "wrap", "claude", "--bin", str(claude_bin)]
    return run([*argv, "--port", str(port), "--", *args], env, cwd)


def messages_requests(up: FakeUpstream) -> list[RecordedRequest]:
    return [r for r in up.requests if r.path == "/v1/messages"]


def tool_result_text(body: dict[str, Any], tool_use_id: str) -> str:
    for message in body["messages"]:
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "tool_result" and block.get("tool_use_id") == tool_use_id:
                content = block["content"]
                if isinstance(content, str):
                    return content
                return "".join(part.get("text", "") for part in content)
    raise AssertionError(f"no tool_result for {tool_use_id}")


def test_a_large_bash_output_reaches_the_model_compressed_through_wrap(
    claude_bin: Path, up: FakeUpstream, env: dict[str, str], port: int, user_home: Path
) -> None:
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(LOG_SCRIPT)}"
    up.script(
        Reply.tool_call("Bash", {"command": command, "description": "Print the service log"}),
        Reply.text(FINAL),
    )

    result = wrap_claude(
        claude_bin,
        port,
        env,
        user_home,
        "-p",
        "Summarise the service log.",
        "--allowedTools",
        "Bash",
    )

    assert result.returncode == 0, result.stderr
    assert FINAL in result.stdout
    first, second = messages_requests(up)
    # Through the proxy: it adds its retrieve tool, which the CLI knows nothing of.
    assert "headroom_retrieve" in [tool["name"] for tool in first.json()["tools"]]
    tool_use_id = next(
        block["id"]
        for message in second.json()["messages"]
        if message["role"] == "assistant"
        for block in message["content"]
        if block["type"] == "tool_use"
    )
    received = tool_result_text(second.json(), tool_use_id)
    assert marker_ids(received), received[:500]
    assert f"id={LOG_LINES - 1} " in received  # the whole log got there, not the CLI's preview
    assert count_tokens(received) < count_tokens(expected_log()) / 3
    stats = httpx.get(f"http://127.0.0.1:{port}/stats", timeout=10).json()
    assert stats["requests"] == 2
    assert stats["blocks_changed"] >= 1


def test_wrap_claude_dash_p_hello_works(
    claude_bin: Path, up: FakeUpstream, env: dict[str, str], port: int, user_home: Path
) -> None:
    up.script(Reply.text("Hello! How can I help?"))
    env["PATH"] = f"{claude_bin.parent}{os.pathsep}{env['PATH']}"
    env["HEADROOM_PORT"] = str(port)

    result = run(
        [sys.executable, "-m", "headroom", "wrap", "claude", "--", "-p", "hello"], env, user_home
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Hello! How can I help?"
    assert result.stderr == ""
    assert len(messages_requests(up)) == 1


def test_the_body_the_cli_sends_round_trips_through_the_anthropic_adapter(
    claude_bin: Path, up: FakeUpstream, env: dict[str, str], user_home: Path
) -> None:
    up.script(Reply.text("hi"))
    env["ANTHROPIC_BASE_URL"] = up.url  # straight to the fake: the CLI's own bytes

    result = run([str(claude_bin), "-p", "hello"], env, user_home)

    assert result.returncode == 0, result.stderr
    [request] = messages_requests(up)
    body = request.json()
    before = copy.deepcopy(body)
    adapter = AnthropicAdapter()
    conversation = adapter.parse(body)
    assert adapter.render(conversation) == before
    assert body == before
    # What Claude Code 2.1.329 sends, as the adapter must keep it:
    assert any(m["role"] == "system" for m in body["messages"])
    assert any(m.role is Role.SYSTEM for m in conversation.messages)
    assert "context_management" in body
    names = [tool["name"] for tool in body["tools"]]
    assert {"Bash", "Read", "Edit", "Write"} <= set(names)
    assert len(conversation.tools) == len(names) >= 10
    assert body["system"][0]["text"].startswith("x-anthropic-billing-header:")
