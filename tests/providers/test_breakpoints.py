"""Anthropic cache breakpoints and the OpenAI prompt cache key.

Bodies are built in the shapes Claude Code and the SDKs send: tool
definitions, a system prompt of text blocks (static blocks, then the aligner's
dynamic block), and a tool loop of assistant `tool_use` and user `tool_result`
messages, with thinking blocks. Sizes use the declared estimate (4 characters
per token), so `"x" * 4000` is 1,000 tokens: the three tools come to about
1,230 tokens, the static system blocks to about 2,000 more.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from headroom.providers.breakpoints import (
    MAX_CACHE_KEY_CHARS,
    ensure_prompt_cache_key,
    place_breakpoints,
    session_cache_key,
)

EPHEMERAL = {"type": "ephemeral"}
ONE_HOUR = {"type": "ephemeral", "ttl": "1h"}


def tool(name: str, *, size: int = 1500) -> dict[str, Any]:
    return {
        "name": name,
        "description": "d" * size,
        "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}},
    }


def text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": body}


def tool_loop_body(turns: int = 3, *, big: int = 8000) -> dict[str, Any]:
    """A Claude Code-like body: `turns` user turns, each answered by a tool call."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "fix the failing test"}]
    for n in range(turns - 1):
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "thinking",
                        "thinking": "look at the file",
                        "signature": "EuY" + "a" * 40,
                    },
                    {
                        "type": "tool_use",
                        "id": f"toolu_{n}",
                        "name": "Read",
                        "input": {"path": "a.py"},
                    },
                ],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": "y" * big},
                    text(f"note {n}"),
                ],
            }
        )
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 1024,
        "tools": [tool("Read"), tool("Grep"), tool("Bash")],
        "system": [
            text("You are an agent. " * 222),
            text("Rule one. " * 400),
            text("date: today"),
        ],
        "messages": messages,
    }


def markers(body: Mapping[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every cache_control in a body, in prefix order, with its address."""
    for t, item in enumerate(body.get("tools") or []):
        if item.get("cache_control") is not None:
            yield ("tools", t), item["cache_control"]
    system = body.get("system")
    for s, block in enumerate(system if isinstance(system, list) else []):
        if block.get("cache_control") is not None:
            yield ("system", s), block["cache_control"]
    for i, message in enumerate(body.get("messages") or []):
        content = message["content"]
        for j, block in enumerate(content if isinstance(content, list) else []):
            nested = block.get("content")
            for k, inner in enumerate(nested if isinstance(nested, list) else []):
                if isinstance(inner, dict) and inner.get("cache_control") is not None:
                    yield ("message", i, j, k), inner["cache_control"]
            if block.get("cache_control") is not None:
                yield ("message", i, j), block["cache_control"]
    if body.get("cache_control") is not None:
        yield ("automatic",), body["cache_control"]


def assert_ttls_ordered(body: Mapping[str, Any]) -> None:
    """No 1h breakpoint follows a 5m one (the provider rejects that)."""
    seen_short = False
    for where, control in markers(body):
        if control.get("ttl") == "1h":
            assert not seen_short, f"1h breakpoint at {where} follows a 5m one"
        else:
            seen_short = True


# -- placing when the client set none -----------------------------------------------------------


def test_four_breakpoints_go_after_tools_static_system_last_message_and_previous_turn() -> None:
    body = tool_loop_body(turns=3)
    body["messages"][-1]["content"].append(text("   "))  # blank text cannot carry a marker

    result = place_breakpoints(body, min_tokens=1024, static_system_blocks=2)

    assert result.existing == 0
    assert result.skipped is None
    assert result.placed == ("tools", "system", "message:2", "message:4")
    out = result.body
    assert dict(markers(out)) == {
        ("tools", 2): EPHEMERAL,
        ("system", 1): EPHEMERAL,  # the last static block, not the dynamic one after it
        ("message", 2, 1): EPHEMERAL,  # previous user turn: its last cacheable block
        ("message", 4, 1): EPHEMERAL,  # last message: the text before the blank one
    }


def test_all_system_blocks_count_as_static_when_not_told_otherwise() -> None:
    result = place_breakpoints(tool_loop_body(), min_tokens=0)
    assert ("system", 2) in dict(markers(result.body))


def test_no_static_system_block_means_no_system_breakpoint() -> None:
    result = place_breakpoints(tool_loop_body(), min_tokens=0, static_system_blocks=0)
    assert "system" not in result.placed
    assert not [w for w, _ in markers(result.body) if w[0] == "system"]


def test_first_request_has_no_previous_turn() -> None:
    body = tool_loop_body(turns=1)
    body["messages"][0]["content"] = "z" * 8000
    result = place_breakpoints(body, min_tokens=1024)
    assert result.placed == ("tools", "system", "message:0")


def test_last_deferred_tool_is_skipped_for_the_one_before_it() -> None:
    body = tool_loop_body()
    body["tools"][-1]["defer_loading"] = True
    result = place_breakpoints(body, min_tokens=0)
    out_tools = result.body["tools"]
    assert out_tools[1]["cache_control"] == EPHEMERAL
    assert "cache_control" not in out_tools[2]


# -- minimum cacheable length -------------------------------------------------------------------


def test_short_prompt_gets_no_breakpoint_and_the_same_body_back() -> None:
    body = {
        "model": "claude-sonnet-4-6",
        "tools": [tool("Read", size=40)],
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "hi"}],
    }
    result = place_breakpoints(body, min_tokens=1024)
    assert result.body is body
    assert result.placed == ()
    assert result.skipped is not None and "< 1024 tokens" in result.skipped


def test_breakpoints_start_where_the_prefix_reaches_the_minimum() -> None:
    body = tool_loop_body(turns=3, big=8000)
    result = place_breakpoints(body, min_tokens=2048)
    assert "tools" not in result.placed
    assert result.placed == ("system", "message:2", "message:4")
    assert result.skipped is not None and result.skipped.startswith("tools:")


def test_minimum_is_counted_over_the_whole_prefix_not_the_block() -> None:
    body = tool_loop_body(turns=2, big=40)  # small blocks, long tools and system before them
    result = place_breakpoints(body, min_tokens=1500)
    assert "message:2" in result.placed


# -- respecting the client's breakpoints --------------------------------------------------------


def test_client_with_two_breakpoints_gets_at_most_two_more_and_keeps_its_own() -> None:
    body = tool_loop_body(turns=3)
    body["system"][0]["cache_control"] = {"type": "ephemeral"}
    body["messages"][4]["content"][0]["cache_control"] = {"type": "ephemeral"}
    original = copy.deepcopy(body)

    result = place_breakpoints(body, min_tokens=0)

    assert result.existing == 2
    assert len(result.placed) <= 2
    assert result.placed == ("tools", "system")  # priority: tools, system, last message, ...
    found = dict(markers(result.body))
    assert len(found) == 4
    assert found[("system", 0)] == original["system"][0]["cache_control"]
    assert found[("message", 4, 0)] == original["messages"][4]["content"][0]["cache_control"]
    assert result.skipped is not None and "no free slot" in result.skipped


def test_client_with_four_breakpoints_is_left_alone() -> None:
    body = tool_loop_body(turns=3)
    for block in (body["tools"][0], body["system"][0], *body["messages"][2]["content"]):
        block["cache_control"] = {"type": "ephemeral"}
    result = place_breakpoints(body, min_tokens=0)
    assert result.existing == 4
    assert result.placed == ()
    assert result.body is body


def test_client_over_the_limit_is_left_alone_and_the_reason_given() -> None:
    body = tool_loop_body(turns=3)
    for t in body["tools"]:
        t["cache_control"] = {"type": "ephemeral"}
    body["system"][0]["cache_control"] = {"type": "ephemeral"}
    body["system"][1]["cache_control"] = {"type": "ephemeral"}
    result = place_breakpoints(body, min_tokens=0)
    assert result.existing == 5
    assert result.body is body
    assert result.skipped is not None and "over the limit" in result.skipped


def test_breakpoints_nested_in_tool_results_count_against_the_limit() -> None:
    body = tool_loop_body(turns=3)
    body["messages"][2]["content"][0]["content"] = [
        {"type": "text", "text": "a", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}},
    ]
    body["system"][0]["cache_control"] = {"type": "ephemeral"}
    result = place_breakpoints(body, min_tokens=0)
    assert result.existing == 3
    assert len(result.placed) == 1
    assert len(list(markers(result.body))) == 4


def test_a_lower_limit_is_respected() -> None:
    result = place_breakpoints(tool_loop_body(), min_tokens=0, max_breakpoints=2)
    assert result.placed == ("tools", "system")
    assert len(list(markers(result.body))) == 2


def test_automatic_mode_uses_a_slot_and_keeps_the_last_block_to_the_provider() -> None:
    body = tool_loop_body(turns=3)
    body["cache_control"] = {"type": "ephemeral"}
    result = place_breakpoints(body, min_tokens=0)
    assert result.existing == 1
    assert result.placed == ("tools", "system", "message:2")
    assert result.body["cache_control"] == {"type": "ephemeral"}
    assert not any(w[:2] == ("message", 4) for w, _ in markers(result.body))
    assert len(list(markers(result.body))) == 4


def test_automatic_mode_with_one_hour_makes_ours_one_hour() -> None:
    body = tool_loop_body(turns=3)
    body["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    result = place_breakpoints(body, min_tokens=0)
    assert result.placed
    assert all(control == ONE_HOUR for _, control in markers(result.body))


# -- TTLs ---------------------------------------------------------------------------------------


def test_ours_before_a_client_one_hour_breakpoint_become_one_hour() -> None:
    body = tool_loop_body(turns=3)
    body["messages"][4]["content"][1]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    result = place_breakpoints(body, min_tokens=0, ttl="5m")
    found = dict(markers(result.body))
    assert found[("message", 4, 1)] == ONE_HOUR  # the client's 1h is kept
    assert found[("tools", 2)] == ONE_HOUR
    assert found[("system", 2)] == ONE_HOUR
    assert found[("message", 2, 1)] == ONE_HOUR
    assert_ttls_ordered(result.body)


def test_client_one_hour_is_never_shortened_and_ours_after_a_client_five_minutes_stay_short() -> (
    None
):
    body = tool_loop_body(turns=3)
    body["tools"][2]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    body["system"][0]["cache_control"] = {"type": "ephemeral"}
    result = place_breakpoints(body, min_tokens=0, ttl="1h")
    found = dict(markers(result.body))
    assert found[("tools", 2)] == ONE_HOUR
    assert found[("system", 0)] == EPHEMERAL
    assert found[("system", 2)] == EPHEMERAL  # after the client's 5m one, ours must be 5m
    assert found[("message", 4, 1)] == EPHEMERAL
    assert_ttls_ordered(result.body)


def test_one_hour_setting_marks_ours_one_hour() -> None:
    result = place_breakpoints(tool_loop_body(), min_tokens=0, ttl="1h")
    assert len(result.placed) == 4
    assert all(control == ONE_HOUR for _, control in markers(result.body))


def test_spot_between_out_of_order_client_ttls_is_not_used() -> None:
    body = tool_loop_body(turns=3)
    body["tools"][0]["cache_control"] = {"type": "ephemeral"}
    body["messages"][4]["content"][1]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    result = place_breakpoints(body, min_tokens=0)
    assert "system" not in result.placed
    assert result.skipped is not None and "out of order" in result.skipped


def test_unknown_ttl_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="auto"):
        place_breakpoints(tool_loop_body(), min_tokens=0, ttl="auto")


# -- block kinds and shapes ---------------------------------------------------------------------


def test_thinking_blocks_never_get_a_breakpoint() -> None:
    body = tool_loop_body(turns=3)
    body["messages"].append(
        {
            "role": "assistant",
            "content": [
                text("partial answer"),
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
            ],
        }
    )
    result = place_breakpoints(body, min_tokens=0)
    last = result.body["messages"][-1]["content"]
    assert last[0]["cache_control"] == EPHEMERAL
    for message in result.body["messages"]:
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block["type"] in ("thinking", "redacted_thinking"):
                assert "cache_control" not in block


def test_a_message_of_only_thinking_gets_none() -> None:
    body = tool_loop_body(turns=2)
    body["messages"].append(
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "s"}]}
    )
    result = place_breakpoints(body, min_tokens=0)
    assert "message:3" not in result.placed
    assert "cache_control" not in result.body["messages"][3]["content"][0]


def test_string_content_and_string_system_become_one_marked_text_block() -> None:
    system = "You are helpful. " * 400
    body: dict[str, Any] = {
        "model": "claude-sonnet-4-6",
        "system": system,
        "messages": [
            {"role": "user", "content": "first question " * 100},
            {"role": "assistant", "content": "an answer"},
            {"role": "user", "content": "second question"},
        ],
    }
    result = place_breakpoints(body, min_tokens=1024)
    out = result.body
    assert result.placed == ("system", "message:0", "message:2")
    assert out["system"] == [{**text(system), "cache_control": EPHEMERAL}]
    assert out["messages"][2]["content"] == [
        {**text("second question"), "cache_control": EPHEMERAL}
    ]
    assert out["messages"][0]["content"][0]["text"] == body["messages"][0]["content"]
    assert out["messages"][1] is body["messages"][1]  # untouched message kept as it was


def test_empty_string_content_is_not_marked() -> None:
    body = tool_loop_body(turns=1)
    body["messages"][0]["content"] = ""
    result = place_breakpoints(body, min_tokens=0)
    assert result.placed == ("tools", "system")
    assert result.body["messages"][0]["content"] == ""


def test_input_is_never_mutated_and_only_the_changed_spine_is_copied() -> None:
    body = tool_loop_body(turns=3)
    snapshot = copy.deepcopy(body)
    result = place_breakpoints(body, min_tokens=0)
    assert body == snapshot
    out = result.body
    assert out is not body
    assert out["tools"][0] is body["tools"][0]
    assert out["messages"][0] is body["messages"][0]
    assert out["messages"][4]["content"][0] is body["messages"][4]["content"][0]


def test_placing_twice_adds_nothing() -> None:
    first = place_breakpoints(tool_loop_body(), min_tokens=1024)
    second = place_breakpoints(first.body, min_tokens=1024)
    assert second.placed == ()
    assert second.body is first.body
    assert second.existing == len(first.placed) == 4


def test_placing_twice_with_free_slots_left_adds_nothing() -> None:
    body = tool_loop_body(turns=2, big=40)
    first = place_breakpoints(body, min_tokens=2100)
    assert 0 < len(first.placed) < 4
    second = place_breakpoints(first.body, min_tokens=2100)
    assert second.placed == ()
    assert second.body is first.body


def test_rolling_breakpoints_let_each_request_read_what_the_last_one_wrote() -> None:
    body = tool_loop_body(turns=1)
    body["messages"][0]["content"] = "start " * 50
    previous_last: tuple[int, int] | None = None
    previous_block: dict[str, Any] | None = None
    for n in range(12):
        result = place_breakpoints(body, min_tokens=1024, static_system_blocks=2)
        found = dict(markers(result.body))
        assert len(found) <= 4
        assert_ttls_ordered(result.body)
        message_marks = sorted(w[1:] for w in found if w[0] == "message")
        if previous_last is not None and previous_block is not None:
            i, j = previous_last
            block = result.body["messages"][i]["content"][j]
            # still a block boundary, with the same content, and read back by a breakpoint
            assert {k: v for k, v in block.items() if k != "cache_control"} == previous_block
            assert previous_last in message_marks
        previous_last = message_marks[-1]
        i, j = previous_last
        marked = result.body["messages"][i]["content"][j]
        previous_block = {k: v for k, v in marked.items() if k != "cache_control"}
        # the client sends the whole history again, without our markers, plus one turn
        body = copy.deepcopy(body)
        body["messages"] += [
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": f"t{n}", "name": "Read", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": f"t{n}", "content": "r" * 300}],
            },
        ]


# -- OpenAI prompt_cache_key --------------------------------------------------------------------


def test_prompt_cache_key_is_added_when_missing() -> None:
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}
    out = ensure_prompt_cache_key(body, "hr-abc")
    assert out["prompt_cache_key"] == "hr-abc"
    assert "prompt_cache_key" not in body
    assert out["messages"] is body["messages"]


def test_clients_prompt_cache_key_is_kept() -> None:
    body = {"model": "gpt-5", "input": [], "prompt_cache_key": "conv-1"}
    assert ensure_prompt_cache_key(body, "hr-abc") is body


def test_long_keys_are_hashed_short_and_stable() -> None:
    long = "session-" + "9" * 100
    out = ensure_prompt_cache_key({"input": []}, long)
    key = out["prompt_cache_key"]
    assert len(key) <= MAX_CACHE_KEY_CHARS
    assert key == ensure_prompt_cache_key({"input": []}, long)["prompt_cache_key"]


def test_session_cache_key_is_stable_short_and_distinct() -> None:
    key = session_cache_key("0b6c2f4e-session")
    assert key == session_cache_key("0b6c2f4e-session")
    assert key != session_cache_key("another-session")
    assert key.startswith("hr-") and len(key) == 19
    int(key[3:], 16)
