from __future__ import annotations

from typing import Any

import orjson
import pytest

from headroom.proxy.retrieve import add_tool
from headroom.proxy.splice import splice_tools

TOOL = {"name": "headroom_retrieve", "input_schema": {"type": "object"}}


def _spliced(raw: bytes) -> bytes | None:
    body = orjson.loads(raw)
    after = {**body, "tools": [*body.get("tools", []), TOOL]}
    return splice_tools(raw, body, after)


def test_the_tool_is_appended_inside_the_clients_own_bytes() -> None:
    raw = b'{ "model" : "m",\n  "tools": [ {"name":"Read"} ],\n  "x": "caf\\u00e9" }\n'
    out = _spliced(raw)
    assert out == (
        b'{ "model" : "m",\n  "tools": [ {"name":"Read"} ,'
        + orjson.dumps(TOOL)
        + b'],\n  "x": "caf\\u00e9" }\n'
    )
    assert orjson.loads(out)["tools"][-1] == TOOL


def test_an_empty_tools_array_gets_the_tool_without_a_comma() -> None:
    out = _spliced(b'{"tools": [], "m": 1}')
    assert out == b'{"tools": [' + orjson.dumps(TOOL) + b'], "m": 1}'


def test_a_body_without_tools_gets_a_tools_key_at_the_end() -> None:
    out = _spliced(b'{"model": "m", "messages": []}  ')
    assert out == b'{"model": "m", "messages": [],"tools":[' + orjson.dumps(TOOL) + b"]}  "
    assert _spliced(b"{}") == b'{"tools":[' + orjson.dumps(TOOL) + b"]}"


def test_nested_tools_keys_and_brackets_in_strings_are_not_confused() -> None:
    raw = (
        b'{"messages": [{"tools": ["x"], "content": "a ] } \\" [ tools"}],'
        b' "tools": [{"name": "Bash", "d": "]"}]}'
    )
    out = _spliced(raw)
    assert out is not None
    data = orjson.loads(out)
    assert data["messages"] == orjson.loads(raw)["messages"]
    assert [t["name"] for t in data["tools"]] == ["Bash", "headroom_retrieve"]


@pytest.mark.parametrize(
    "after",
    [
        {"model": "other", "tools": [TOOL]},  # another value changed
        {"model": "m", "tools": []},  # nothing appended
        {"model": "m", "extra": 1, "tools": [TOOL]},  # a key added
    ],
)
def test_anything_but_appended_tools_is_not_spliced(after: dict[str, Any]) -> None:
    raw = b'{"model": "m"}'
    assert splice_tools(raw, orjson.loads(raw), after) is None


def test_the_retrieve_tool_added_by_the_loop_splices_for_every_wire() -> None:
    raw = b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'
    for wire in ("anthropic", "openai-chat", "openai-responses"):
        body = orjson.loads(raw)
        out = splice_tools(raw, body, add_tool(body, wire))
        assert out is not None
        assert orjson.loads(out) == add_tool(body, wire)
        assert out.startswith(raw[:-1])
