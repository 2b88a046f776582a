"""Which fields of a Claude Code tool output are compressed, and that nothing else moves.

`rewrite` takes the compress function as an argument, so these tests hand it a
small recording one; `test_hooks` runs the real compressors.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from headroom.integrations.tool_output import (
    READ_NOTE,
    origin_of,
    query_of,
    rewrite,
    text_fields,
)
from headroom.types import Origin
from tests.integrations import claude_payloads as payloads


class Shouter:
    """Upper-cases texts that contain "log", and records what it was asked."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Origin, str | None]] = []

    def __call__(self, text: str, origin: Origin, query: str | None) -> str | None:
        self.seen.append((text, origin, query))
        return text.upper() if "log" in text else None


def run(event: dict[str, Any]) -> tuple[Any, Shouter]:
    shout = Shouter()
    before = copy.deepcopy(event["tool_response"])
    result = rewrite(event["tool_name"], event["tool_input"], event["tool_response"], shout)
    assert event["tool_response"] == before  # never changed in place
    return result, shout


def test_bash_compresses_stdout_and_stderr_separately() -> None:
    result, shout = run(payloads.bash("a log\n", stderr="another log\n"))
    assert (result["stdout"], result["stderr"]) == ("A LOG\n", "ANOTHER LOG\n")
    assert result["interrupted"] is False and result["isImage"] is False
    assert [text for text, _, _ in shout.seen] == ["a log\n", "another log\n"]
    assert shout.seen[0][1].tool_input == {"command": "cat app.log", "description": "Show the log"}


def test_nothing_changed_gives_none() -> None:
    result, shout = run(payloads.bash("plain\n", stderr="output\n"))
    assert result is None and len(shout.seen) == 2


def test_read_compresses_the_content_adds_the_note_and_tells_the_router_the_path() -> None:
    result, shout = run(payloads.read("/work/app.log", "log line\nlog line\n"))
    assert result["file"]["content"] == "LOG LINE\nLOG LINE\n" + READ_NOTE
    assert result["file"]["numLines"] == 3 and result["file"]["filePath"] == "/work/app.log"
    assert shout.seen[0][1].file_path == "/work/app.log"


def test_grep_uses_its_pattern_as_the_query() -> None:
    result, shout = run(payloads.grep("src/a.py:1:log = 1", pattern="log ="))
    assert result["content"] == "SRC/A.PY:1:LOG = 1"
    assert shout.seen[0][2] == "log ="


def test_webfetch_compresses_the_result_with_the_prompt_as_query() -> None:
    response = {"bytes": 9, "code": 200, "codeText": "OK", "result": "the log", "url": "u"}
    event = payloads.event("WebFetch", {"url": "u", "prompt": "find errors"}, response)
    result, shout = run(event)
    assert result == response | {"result": "THE LOG"}
    assert shout.seen[0][2] == "find errors"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("a log", "A LOG"),
        ([{"type": "text", "text": "a log"}], [{"type": "text", "text": "A LOG"}]),
        ({"content": [{"type": "text", "text": "log"}], "isError": False},
         {"content": [{"type": "text", "text": "LOG"}], "isError": False}),
    ],
    ids=["string", "blocks", "result-object"],
)  # fmt: skip
def test_mcp_results_in_each_shape(output: Any, expected: Any) -> None:
    result, _ = run(payloads.event("mcp__db__query", {"sql": "select 1"}, output))
    assert result == expected


@pytest.mark.parametrize(
    ("tool", "output"),
    [
        ("Bash", {"stdout": "iVBOR", "stderr": "", "interrupted": False, "isImage": True}),
        ("Read", {"type": "image", "file": {"base64": "iVBOR", "type": "image/png"}}),
        ("Read", "not a file object"),
        ("Glob", {"filenames": ["a.log"], "numFiles": 1}),
        ("TodoWrite", {"oldTodos": [], "newTodos": []}),
        ("Bash", None),
    ],
)
def test_shapes_with_nothing_to_compress(tool: str, output: Any) -> None:
    assert text_fields(tool, output) == []


def test_origin_and_query_ignore_values_of_the_wrong_type() -> None:
    assert origin_of("Read", {"file_path": 3}).file_path is None
    assert query_of("Grep", {"pattern": "  "}) is None
    assert query_of("Bash", {"command": "grep x"}) is None
