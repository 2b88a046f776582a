"""The OpenAI Chat Completions adapter: parse into the IR, render back by patching.

The fixtures are realistic request bodies (a coding session, parallel tool
calls, multimodal content parts, reasoning fields with unknown roles and
tools). Every test that edits a text checks the rendered body changes in
exactly that string.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from headroom.providers.base import get_at
from headroom.providers.openai_chat import ADAPTER, OpenAIChatAdapter
from headroom.types import (
    BlockAddress,
    Conversation,
    ImageBlock,
    OpaqueBlock,
    Role,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    ToolDef,
    ToolResultBlock,
    WireRef,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openai_chat"
FIXTURE_NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return body


def diff_paths(a: Any, b: Any, path: WireRef = ()) -> list[WireRef]:
    """Every path where two JSON values differ (a whole list when lengths differ)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[WireRef] = []
        for key in sorted(a.keys() | b.keys()):
            if key in a and key in b:
                out.extend(diff_paths(a[key], b[key], (*path, key)))
            else:
                out.append((*path, key))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = zip(a, b, strict=True)
        return [p for i, (x, y) in enumerate(pairs) for p in diff_paths(x, y, (*path, i))]
    return [] if type(a) is type(b) and a == b else [path]


def tool_results(conversation: Conversation) -> list[ToolResultBlock]:
    return [block for _, block in conversation.iter_blocks() if isinstance(block, ToolResultBlock)]


def tool_calls(conversation: Conversation) -> list[ToolCallBlock]:
    return [block for _, block in conversation.iter_blocks() if isinstance(block, ToolCallBlock)]


def test_fixture_folder_holds_the_required_shapes() -> None:
    assert len(FIXTURE_NAMES) >= 4


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_round_trip_without_edits_returns_an_equal_body(name: str) -> None:
    body = load(name)
    before = copy.deepcopy(body)

    rendered = ADAPTER.render(ADAPTER.parse(body))

    assert rendered == before
    assert body == before


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_editing_one_tool_result_changes_only_that_string(name: str) -> None:
    body = load(name)
    before = copy.deepcopy(body)
    conversation = ADAPTER.parse(body)
    address, part = next(
        (a, b)
        for a, b in conversation.iter_blocks()
        if a.part is not None and isinstance(b, TextBlock)
    )

    rendered = ADAPTER.render(conversation.with_text(address, "[compressed: 3 lines kept]"))

    assert part.ref is not None
    assert diff_paths(before, rendered) == [part.ref]
    assert get_at(rendered, part.ref) == "[compressed: 3 lines kept]"
    assert body == before


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_editable_text_renders_back_to_its_own_ref_only(name: str) -> None:
    body = load(name)
    conversation = ADAPTER.parse(body)
    for address, block in conversation.iter_blocks():
        if not isinstance(block, TextBlock):
            continue
        rendered = ADAPTER.render(conversation.with_text(address, "edited"))
        assert diff_paths(body, rendered) == [block.ref]
        assert ADAPTER.parse(rendered).block_at(address) == TextBlock(
            text="edited", ref=block.ref, query=block.query
        )


def test_tool_result_content_array_parts_each_have_their_own_ref() -> None:
    conversation = ADAPTER.parse(load("content_parts"))
    (logs,) = tool_results(conversation)

    assert [p.ref for p in logs.parts] == [
        ("messages", 3, "content", 0, "text"),
        ("messages", 3, "content", 1, "text"),
    ]
    assert logs.origin.tool_name == "fetch_logs"
    assert "pool exhausted" in logs.text


def test_tool_call_arguments_are_decoded_from_json() -> None:
    conversation = ADAPTER.parse(load("coding_session"))
    first = tool_calls(conversation)[0]

    assert first == ToolCallBlock(
        id="call_Qm3xV8pL2nR7tY1w",
        name="run_shell",
        input={"command": "python -m pytest tests/test_ratelimit.py", "timeout_s": 120},
        query=first.query,
    )


def test_arguments_that_are_not_a_json_object_are_kept_raw() -> None:
    conversation = ADAPTER.parse(load("parallel_tool_calls"))
    broken = tool_calls(conversation)[3]

    assert broken.input == {"_raw": '{"pattern": "os.environ[\\"GATEKEEPER_'}


def test_read_file_result_knows_its_tool_input_and_file_path() -> None:
    conversation = ADAPTER.parse(load("coding_session"))
    read = next(r for r in tool_results(conversation) if r.origin.tool_name == "read_file")

    assert read.origin.tool_input == {"path": "src/gatekeeper/ratelimit.py"}
    assert read.origin.file_path == "src/gatekeeper/ratelimit.py"
    assert "class SlidingWindowLimiter" in read.text


def test_parallel_tool_results_map_to_their_own_calls_whatever_the_order() -> None:
    conversation = ADAPTER.parse(load("parallel_tool_calls"))
    by_id = {r.tool_call_id: r.origin for r in tool_results(conversation)}

    assert by_id["call_A1pK9mZ2"].file_path == "src/gatekeeper/config.py"
    assert by_id["call_B2qL8nY3"].file_path == "src/gatekeeper/middleware.py"
    assert by_id["call_C3rM7oX4"].tool_input == {"pattern": "RATE_LIMIT", "path": "."}
    assert by_id["call_D4sN6pW5"].tool_name == "grep"


def test_tool_messages_have_the_tool_role_and_one_result() -> None:
    conversation = ADAPTER.parse(load("coding_session"))
    message = conversation.messages[3]

    assert message.role is Role.TOOL
    assert message.wire_role == "tool"
    assert len(message.blocks) == 1
    result = message.blocks[0]
    assert isinstance(result, ToolResultBlock)
    assert result.parts[0].ref == ("messages", 3, "content")


def test_query_in_force_is_the_last_user_text_before_the_block() -> None:
    conversation = ADAPTER.parse(load("coding_session"))
    results = tool_results(conversation)

    assert results[0].query is not None
    assert results[0].query.startswith("test_rejects_request_over_limit started failing")
    assert results[-1].query == "Go ahead and patch it, then rerun the test file."


def test_system_reminder_text_is_not_taken_as_the_question() -> None:
    body: dict[str, Any] = {
        "messages": [
            {"role": "user", "content": "Why does the build fail?"},
            {"role": "user", "content": "<system-reminder>Todo list is empty.</system-reminder>"},
            {"role": "assistant", "content": None, "tool_calls": [_call("c1", "sh", "{}")]},
            {"role": "tool", "tool_call_id": "c1", "content": "make: *** [all] Error 2"},
        ]
    }

    (result,) = tool_results(ADAPTER.parse(body))

    assert result.query == "Why does the build fail?"


def test_system_and_developer_messages_are_system_role_messages() -> None:
    coding = ADAPTER.parse(load("coding_session"))
    parallel = ADAPTER.parse(load("parallel_tool_calls"))

    assert coding.system == ()
    assert coding.messages[0].role is Role.SYSTEM
    assert coding.messages[0].wire_role == "system"
    assert parallel.messages[0].role is Role.SYSTEM
    assert parallel.messages[0].wire_role == "developer"
    assert parallel.messages[0].blocks[0].ref == ("messages", 0, "content", 0, "text")


def test_reasoning_fields_parse_as_thinking_without_refs_and_round_trip() -> None:
    body = load("reasoning_and_unknown")
    conversation = ADAPTER.parse(body)
    thinking = [b for _, b in conversation.iter_blocks() if isinstance(b, ThinkingBlock)]

    assert [t.text for t in thinking] == [
        body["messages"][2]["reasoning_content"],
        "Confirmed by the file.",
        "Extend the accepted set; keep it lowercase.",
        "",
    ]
    assert thinking[2].signature == "EqoBCkgIBxABGAIiQL4nZ2tYb3Vuc2lnbmF0dXJl"
    assert all(t.ref is None for t in thinking)


def test_custom_tool_calls_keep_their_free_form_input_raw() -> None:
    conversation = ADAPTER.parse(load("reasoning_and_unknown"))
    patch = next(c for c in tool_calls(conversation) if c.name == "apply_patch")
    result = next(r for r in tool_results(conversation) if r.tool_call_id == patch.id)

    assert str(patch.input["_raw"]).startswith("*** Begin Patch")
    assert result.origin.tool_name == "apply_patch"


def test_legacy_function_role_and_unknown_roles_pass_through() -> None:
    conversation = ADAPTER.parse(load("reasoning_and_unknown"))
    function_call, function, critic = conversation.messages[8:11]

    assert function_call.blocks == (
        OpaqueBlock(type="function_call", query=function.blocks[0].query),
    )
    assert function.role is Role.OTHER
    assert function.wire_role == "function"
    assert function.blocks == (OpaqueBlock(type="function", query=function.blocks[0].query),)
    assert critic.role is Role.OTHER
    assert critic.wire_role == "critic"


def test_content_parts_parse_images_and_keep_audio_files_and_refusals_opaque() -> None:
    conversation = ADAPTER.parse(load("content_parts"))
    user, assistant = conversation.messages[1], conversation.messages[4]

    assert [type(b).__name__ for b in user.blocks] == [
        "TextBlock",
        "ImageBlock",
        "ImageBlock",
        "OpaqueBlock",
        "OpaqueBlock",
    ]
    first_image, remote_image = user.blocks[1], user.blocks[2]
    assert isinstance(first_image, ImageBlock)
    assert isinstance(remote_image, ImageBlock)
    assert (first_image.media_type, remote_image.media_type) == ("image/png", None)
    assert [b.type for b in user.blocks if isinstance(b, OpaqueBlock)] == ["input_audio", "file"]
    assert isinstance(assistant.blocks[1], OpaqueBlock)
    assert assistant.blocks[1].type == "refusal"


def test_tools_use_the_nested_name_or_else_the_type() -> None:
    conversation = ADAPTER.parse(load("reasoning_and_unknown"))

    assert conversation.tools == (
        ToolDef(name="read_file", description="Read a file from the workspace."),
        ToolDef(name="apply_patch", description="Apply a patch in the V4A diff format."),
        ToolDef(name="mcp"),
    )


def test_extra_top_level_fields_survive_an_edit() -> None:
    body = load("reasoning_and_unknown")
    conversation = ADAPTER.parse(body)
    address = next(a for a, b in conversation.iter_blocks() if isinstance(b, TextBlock))

    rendered = ADAPTER.render(conversation.with_text(address, "Be terse."))

    for key in ("stream_options", "reasoning_effort", "provider", "x_future_option", "tools"):
        assert rendered[key] == body[key]
    assert rendered["messages"][6]["thinking_blocks"] == body["messages"][6]["thinking_blocks"]


def test_model_and_provider_are_recorded_and_raw_is_the_body() -> None:
    body = load("parallel_tool_calls")
    conversation = ADAPTER.parse(body)

    assert conversation.model == "gpt-5"
    assert conversation.provider == OpenAIChatAdapter.name == "openai-chat"
    assert conversation.raw is body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "m"}, "'messages' list"),
        ({"messages": "hi"}, "'messages' list"),
        ({"messages": [None]}, r"messages\[0\] must be an object"),
        ({"messages": [], "tools": "read_file"}, "'tools' must be a list"),
        ({"messages": [], "tools": [None]}, r"tools\[0\] must be an object"),
    ],
)
def test_malformed_bodies_raise_value_error(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ADAPTER.parse(body)


def test_odd_but_parseable_shapes_become_opaque_and_round_trip() -> None:
    body: dict[str, Any] = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": 3}, "bare", {"type": ["x"]}]},
            {"role": "assistant", "content": 5, "tool_calls": "none"},
            {"role": "assistant", "tool_calls": [None, {"type": "web", "web": {}}, {"id": 1}]},
            {"role": "tool", "content": None},
            {"role": None, "content": [{"type": "image_url", "image_url": "data:,"}]},
        ]
    }
    before = copy.deepcopy(body)
    conversation = ADAPTER.parse(body)

    assert [b.type for _, b in conversation.iter_blocks() if isinstance(b, OpaqueBlock)] == [
        "text",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
        "web",
        "unknown",
    ]
    assert conversation.messages[3].blocks == (ToolResultBlock(tool_call_id=""),)
    assert conversation.messages[4].role is Role.OTHER
    assert conversation.messages[4].blocks == (ImageBlock(),)
    assert ADAPTER.render(conversation) == before


def test_edited_render_does_not_mutate_the_input_body() -> None:
    body = load("coding_session")
    before = copy.deepcopy(body)
    conversation = ADAPTER.parse(body)
    for address, block in conversation.iter_blocks():
        if isinstance(block, TextBlock):
            conversation = conversation.with_text(address, "x")

    rendered = ADAPTER.render(conversation)

    assert body == before
    assert rendered["messages"][3]["content"] == "x"
    assert rendered["messages"][2] == before["messages"][2]


def test_render_refuses_a_conversation_from_another_provider() -> None:
    conversation = Conversation(provider="anthropic", messages=(), raw={"messages": []})

    with pytest.raises(ValueError, match="cannot render"):
        ADAPTER.render(conversation)


def test_tool_message_text_is_addressed_as_part_zero_of_its_result() -> None:
    conversation = ADAPTER.parse(load("coding_session"))

    assert conversation.block_at(BlockAddress(3, 0, 0)).ref == ("messages", 3, "content")


def _call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
