"""Hooks mode with the real Claude Code CLI, against the fake upstream (no proxy).

`hooks.install` writes the PostToolUse hook into a temporary HOME's
`~/.claude/settings.json` and registers the MCP server in `~/.claude.json`.
Then `claude -p` (pinned in the Makefile, `make e2e-tools`) talks straight to
a `FakeUpstream`, which scripts three tool calls and an answer:

1. Bash `cat app.log` of a log too large for Claude Code to show inline: the
   hook compresses the whole log (from the file the CLI saved it to), and the
   model sees that instead of a 2 KB preview;
2. `mcp__headroom__headroom_retrieve` with the marker's id and a query: Claude
   Code starts `headroom mcp serve`, which finds the original in the store the
   hook wrote (both use HEADROOM_HOME);
3. Read of a large Python file: the content comes back compressed, numbered by
   Claude Code, with the note about line numbers.

Offline: HOME is temporary, the API key a dummy, and
CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 keeps the CLI off the internet.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from headroom.ccr import ccr_id, marker_ids
from headroom.integrations.hooks import install
from headroom.integrations.tool_output import READ_NOTE
from headroom.mcp.install import Scope, Where, headroom_argv
from headroom.testing import FakeUpstream, Reply
from tests.conftest import ROOT, in_ci
from tests.integrations.test_hooks import python_module
from tests.proxy.conftest import big_log

CLAUDE = ROOT / ".e2e" / "node_modules" / ".bin" / "claude"
NEEDLE = "2024-01-01T00:10:00 ERROR worker-3 request id=4242 failed: connection reset"
#: 150 KB: past Claude Code's inline cap (30,000 characters), so the CLI saves it to a
#: file and hands the hook a truncated `stdout`; the hook compresses the saved whole.
LOG = big_log(2000) + "\n" + NEEDLE
ANSWER = "Request 4242 failed: the connection was reset."
TIMEOUT_S = 120


@pytest.fixture
def claude_bin() -> Path:
    """The pinned Claude Code CLI; skips (fails under CI=true) when it is not installed."""
    if not os.access(CLAUDE, os.X_OK):
        missing = f"Claude Code is not installed at {CLAUDE}; run `make e2e-tools`"
        if in_ci():
            pytest.fail(f"CI=true but {missing}")
        pytest.skip(missing)
    return CLAUDE


def tool_result(body: dict[str, Any], tool_use_id: str) -> str:
    """The text of the tool_result answering `tool_use_id` in a request body."""
    for message in body["messages"]:
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "tool_result" and block["tool_use_id"] == tool_use_id:
                content = block["content"]
                return content if isinstance(content, str) else content[0]["text"]
    raise AssertionError(f"no tool_result for {tool_use_id}")


def test_claude_code_sees_compressed_outputs_and_retrieves_through_mcp(
    claude_bin: Path, tmp_path: Path
) -> None:
    home, work, headroom_home = tmp_path / "home", tmp_path / "work", tmp_path / "headroom"
    home.mkdir()
    work.mkdir()
    (work / "app.log").write_text(LOG)
    source = python_module()
    (work / "handlers.py").write_text(source)
    install(Scope.USER, Where(home, work, headroom_home), claude=None, argv=headroom_argv())

    with FakeUpstream() as up:
        up.script(
            Reply.tool_call("Bash", {"command": "cat app.log", "description": "Show the log"}),
            Reply.tool_call(
                "mcp__headroom__headroom_retrieve", {"id": ccr_id(LOG), "query": "4242"}
            ),
            Reply.tool_call("Read", {"file_path": str(work / "handlers.py")}),
            Reply.text(ANSWER),
        )
        env = {
            "HOME": str(home),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HEADROOM_HOME": str(headroom_home),
            "HEADROOM_RAISE_ERRORS": "1",
            "TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR", ""),
            "ANTHROPIC_BASE_URL": up.url,
            "ANTHROPIC_API_KEY": "sk-test-hooks-e2e",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }
        allowed = "Bash,Read,mcp__headroom__headroom_retrieve"
        done = subprocess.run(
            [str(claude_bin), "-p", "What failed in app.log?", "--allowedTools", allowed],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        requests = up.requests

    assert done.returncode == 0, done.stderr
    assert ANSWER in done.stdout
    assert len(requests) == 4
    last = requests[-1].json()
    ids = [
        block["id"]
        for message in last["messages"]
        if message["role"] == "assistant" and isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_use"
    ]
    bash_output, retrieved, read_output = (tool_result(last, i) for i in ids)

    assert marker_ids(bash_output) == [ccr_id(LOG)]  # the whole log, compressed by the hook
    assert "persisted-output" not in bash_output  # shown inline, not as a 2 KB preview
    assert NEEDLE in bash_output and len(bash_output) < len(LOG) / 3
    assert NEEDLE in retrieved and len(retrieved) < len(LOG) / 10  # the query's lines only
    assert "def handler_39(request):" in read_output
    assert READ_NOTE in read_output and len(read_output) < len(source) / 2
