from __future__ import annotations

import copy

import orjson
import pytest

from headroom.proxy.retrieve import TOOL_NAME, add_tool, tool_definition

#: The definitions as the upstream sees them; a change here busts every
#: user's prompt cache once, so it must be deliberate.
EXPECTED = {
    "anthropic": (
        '{"name":"headroom_retrieve","description":"Get back content Headroom compressed. '
        "Where a tool result shows a marker like [headroom: … headroom_retrieve id=hr_…], "
        "pass that id to get the original back; add a query to get only the lines, rows or "
        'sections that match it.","input_schema":{"type":"object","properties":{"id":'
        '{"type":"string","description":"The id from the marker, e.g. hr_3f9a2c1b7e4d."},'
        '"query":{"type":"string","description":"Optional words to match; only the matching '
        'parts come back."}},"required":["id"]}}'
    ),
}

PROVIDERS = ["anthropic", "openai-chat", "openai-responses"]


def _names(body: dict[str, object], provider: str) -> list[str]:
    tools = body["tools"]
    assert isinstance(tools, list)
    if provider == "openai-chat":
        return [t["function"]["name"] for t in tools]
    return [t["name"] for t in tools]


def test_anthropic_definition_is_byte_stable_and_matches_the_checked_in_bytes() -> None:
    dumped = {orjson.dumps(tool_definition("anthropic")) for _ in range(5)}
    assert dumped == {EXPECTED["anthropic"].encode()}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_definition_serializes_the_same_on_every_call(provider: str) -> None:
    first = tool_definition(provider)
    expected = orjson.dumps(first)
    first.clear()
    assert orjson.dumps(tool_definition(provider)) == expected


def test_responses_definition_is_not_strict_so_query_may_be_left_out() -> None:
    definition = tool_definition("openai-responses")
    assert definition["strict"] is False
    assert definition["parameters"]["required"] == ["id"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tool_goes_at_the_end_and_the_input_is_untouched(provider: str) -> None:
    client_tool = (
        {"type": "function", "function": {"name": "Read", "parameters": {}}}
        if provider == "openai-chat"
        else {"name": "Read", "input_schema": {"type": "object"}}
    )
    body = {"model": "m", "tools": [client_tool], "messages": [{"role": "user", "content": "hi"}]}
    before = copy.deepcopy(body)
    out = add_tool(body, provider)
    assert body == before
    assert _names(out, provider) == ["Read", TOOL_NAME]
    assert list(out) == list(body)
    assert out["messages"] is body["messages"]
    assert out["tools"][0] is body["tools"][0]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tools_list_is_created_when_the_request_has_none(provider: str) -> None:
    out = add_tool({"model": "m", "messages": []}, provider)
    assert list(out) == ["model", "messages", "tools"]
    assert _names(out, provider) == [TOOL_NAME]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_tool_already_named_headroom_retrieve_is_left_as_it_is(provider: str) -> None:
    body = add_tool({"messages": []}, provider)
    again = add_tool(body, provider)
    assert again == body and again is not body


def test_the_tool_is_added_even_when_tool_choice_forces_another_tool() -> None:
    body = {"tool_choice": {"type": "tool", "name": "Read"}, "tools": [{"name": "Read"}]}
    assert _names(add_tool(body, "anthropic"), "anthropic") == ["Read", TOOL_NAME]


def test_two_turns_send_byte_identical_tool_lists() -> None:
    turn1 = add_tool({"tools": [{"name": "Read"}], "messages": [1]}, "anthropic")
    turn2 = add_tool({"tools": [{"name": "Read"}], "messages": [1, 2, 3]}, "anthropic")
    assert orjson.dumps(turn1["tools"]) == orjson.dumps(turn2["tools"])
