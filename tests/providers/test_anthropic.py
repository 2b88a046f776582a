"""The Anthropic Messages adapter: parse into the IR, render back by patching.

The fixtures are realistic request bodies (Claude Code sessions, parallel tool
calls, tool results with block arrays, server tools and unknown types). Every
test that edits a text checks the rendered body changes in exactly that string.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from headroom.providers.anthropic import ADAPTER, AnthropicAdapter
from headroom.providers.base import get_at
from headroom.types import (
    BlockAddress,
    Conversation,
    ImageBlock,
    OpaqueBlock,
    Role,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    ToolResultBlock,
    WireRef,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "anthropic"
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
        return [
            p
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for p in diff_paths(x, y, (*path, i))
        ]
    return [] if type(a) is type(b) and a == b else [path]


def text_addresses(conversation: Conversation) -> list[BlockAddress]:
    return [
        address
        for address, block in conversation.iter_blocks()
        if isinstance(block, TextBlock) and block.ref is not None
    ]


def tool_results(conversation: Conversation) -> list[ToolResultBlock]:
    return [block for _, block in conversation.iter_blocks() if isinstance(block, ToolResultBlock)]


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
    for address in text_addresses(conversation):
        ref = conversation.block_at(address).ref
        rendered = ADAPTER.render(conversation.with_text(address, "edited"))
        assert diff_paths(body, rendered) == [ref]
        assert ADAPTER.parse(rendered).block_at(address) == TextBlock(
            text="edited", ref=ref, query=conversation.block_at(address).query
        )


def test_edited_render_does_not_mutate_the_input_body() -> None:
    body = load("claude_code_session")
    before = copy.deepcopy(body)
    conversation = ADAPTER.parse(body)
    for address in text_addresses(conversation):
        conversation = conversation.with_text(address, "x")

    rendered = ADAPTER.render(conversation)

    assert body == before
    assert rendered != before


def test_read_tool_result_knows_its_tool_input_and_file_path() -> None:
    conversation = ADAPTER.parse(load("claude_code_session"))
    read = next(r for r in tool_results(conversation) if r.origin.tool_name == "Read")

    assert read.origin.tool_input == {"file_path": "/home/dev/ledger/src/ledger/totals.py"}
    assert read.origin.file_path == "/home/dev/ledger/src/ledger/totals.py"
    assert "def apply_discount" in read.text


def test_parallel_tool_results_map_to_their_own_calls_whatever_the_order() -> None:
    conversation = ADAPTER.parse(load("parallel_tool_calls"))
    by_id = {r.tool_call_id: r.origin for r in tool_results(conversation)}

    assert by_id["toolu_01A1cliX2y3z4w5v6u7t8s9r"].file_path == "src/ledger/cli.py"
    assert by_id["toolu_01B2csvQ9w8e7r6t5y4u3i2o"].file_path == "src/ledger/export/csv_writer.py"
    assert by_id["toolu_01C3grpZ1x2c3v4b5n6m7l8k"].tool_name == "grep"
    assert by_id["toolu_01C3grpZ1x2c3v4b5n6m7l8k"].tool_input == {
        "pattern": "write_header|writeheader",
        "path": "src",
    }


def test_tool_result_without_a_matching_call_has_an_empty_origin() -> None:
    conversation = ADAPTER.parse(load("unknown_types"))
    orphan = next(r for r in tool_results(conversation) if r.tool_call_id.endswith("_missing"))

    assert orphan.origin.tool_name is None
    assert orphan.parts == ()


def test_query_in_force_is_the_last_user_text_before_the_block() -> None:
    conversation = ADAPTER.parse(load("parallel_tool_calls"))
    results = tool_results(conversation)

    assert results[0].query is not None
    assert results[0].query.startswith("Why does `ledger export --format csv`")
    assert results[-1].query == "Makes sense. Fix it and run the export tests."
    assert all(p.query == results[-1].query for p in results[-1].parts)


def test_system_reminder_text_is_not_taken_as_the_question() -> None:
    conversation = ADAPTER.parse(load("claude_code_session"))
    edit_result = tool_results(conversation)[-1]

    assert edit_result.origin.tool_name == "Edit"
    assert edit_result.query == (
        "Invoice totals are a cent off when a discount applies. "
        "Why does test_discount_rounds_half_up_to_cent fail?"
    )


def test_thinking_blocks_keep_their_signature_and_are_never_editable() -> None:
    body = load("claude_code_session")
    conversation = ADAPTER.parse(body)
    thinking = [b for _, b in conversation.iter_blocks() if isinstance(b, ThinkingBlock)]

    assert len(thinking) == 3
    assert thinking[0].signature == body["messages"][1]["content"][0]["signature"]
    assert thinking[0].text.startswith("The user reports")
    assert all(block.ref is None for block in thinking)


def test_redacted_thinking_parses_as_thinking_without_text() -> None:
    conversation = ADAPTER.parse(load("unknown_types"))

    assert conversation.messages[1].blocks[0] == ThinkingBlock(
        query=conversation.messages[1].blocks[0].query
    )


def test_claude_code_system_blocks_keep_the_billing_header_first_with_refs() -> None:
    conversation = ADAPTER.parse(load("claude_code_session"))
    first = conversation.system[0]

    assert isinstance(first, TextBlock)
    assert first.text.startswith("x-anthropic-billing-header: cc_version=")
    assert first.ref == ("system", 0, "text")
    assert [b.ref for b in conversation.system] == [("system", i, "text") for i in range(3)]


def test_string_system_prompt_is_one_text_block_at_the_system_field() -> None:
    conversation = ADAPTER.parse(load("parallel_tool_calls"))

    assert len(conversation.system) == 1
    assert conversation.system[0].ref == ("system",)


def test_system_items_inside_messages_parse_as_system_role_and_round_trip() -> None:
    body = load("claude_code_session")
    conversation = ADAPTER.parse(body)
    message = conversation.messages[7]

    assert message.role is Role.SYSTEM
    assert message.wire_role == "system"
    assert message.blocks[0].ref == ("messages", 7, "content")
    rendered = ADAPTER.render(conversation.with_text(BlockAddress(7, 0), "Note: file changed."))
    assert rendered["messages"][7] == {"role": "system", "content": "Note: file changed."}


def test_unknown_roles_become_other_and_keep_their_wire_role() -> None:
    conversation = ADAPTER.parse(load("unknown_types"))
    critic = conversation.messages[3]

    assert critic.role is Role.OTHER
    assert critic.wire_role == "critic"


def test_unknown_and_server_block_types_pass_through_as_opaque() -> None:
    body = load("unknown_types")
    conversation = ADAPTER.parse(body)
    opaque = [b.type for _, b in conversation.iter_blocks() if isinstance(b, OpaqueBlock)]

    assert opaque == [
        "future_system_block",
        "container_upload",
        "server_tool_use",
        "web_search_tool_result",
        "mcp_tool_use",
        "mcp_tool_result",
        "search_result",
        "tool_reference",
        "future_part",
        "future_block",
    ]
    assert all(b.ref is None for _, b in conversation.iter_blocks() if isinstance(b, OpaqueBlock))


def test_tool_result_block_array_parses_into_text_and_image_parts() -> None:
    conversation = ADAPTER.parse(load("tool_result_blocks"))
    screenshot, snapshot, read = tool_results(conversation)

    assert [type(p).__name__ for p in screenshot.parts] == ["TextBlock", "ImageBlock"]
    assert screenshot.parts[1] == ImageBlock(media_type="image/png", query=screenshot.query)
    assert [p.ref for p in snapshot.parts] == [
        ("messages", 2, "content", 1, "content", 0, "text"),
        ("messages", 2, "content", 1, "content", 1, "text"),
    ]
    assert snapshot.text.startswith("### Page state")
    assert [type(p).__name__ for p in read.parts] == ["ImageBlock"]
    assert read.origin.file_path == "/home/dev/ledger-web/docs/mock-totals.png"


def test_error_tool_results_are_flagged() -> None:
    conversation = ADAPTER.parse(load("claude_code_session"))

    assert [r.is_error for r in tool_results(conversation)] == [True, False, False, False]


def test_images_and_documents_in_user_content_parse_without_refs() -> None:
    conversation = ADAPTER.parse(load("tool_result_blocks"))
    blocks = conversation.messages[0].blocks

    assert blocks[0] == ImageBlock(media_type="image/png")
    assert blocks[1] == ImageBlock(media_type=None)
    assert blocks[2] == OpaqueBlock(type="document")


def test_tools_include_server_tools_by_name() -> None:
    conversation = ADAPTER.parse(load("claude_code_session"))

    assert [t.name for t in conversation.tools] == ["Bash", "Grep", "Read", "Edit", "web_search"]
    assert conversation.tools[0].description.startswith("Executes a given bash command")
    assert conversation.tools[-1].description == ""


def test_model_and_provider_are_recorded_and_raw_is_the_body() -> None:
    body = load("claude_code_session")
    conversation = ADAPTER.parse(body)

    assert conversation.model == "claude-opus-4-6"
    assert conversation.provider == AnthropicAdapter.name == "anthropic"
    assert conversation.raw is body


def test_tool_calls_carry_their_input() -> None:
    conversation = ADAPTER.parse(load("claude_code_session"))
    calls = [b for _, b in conversation.iter_blocks() if isinstance(b, ToolCallBlock)]

    assert [c.name for c in calls] == ["Bash", "Grep", "Read", "Edit"]
    assert calls[0].input["command"] == "python -m pytest tests/test_totals.py -x -q"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "m"}, "'messages' list"),
        ({"messages": {"role": "user"}}, "'messages' list"),
        ({"messages": ["hello"]}, r"messages\[0\] must be an object"),
        ({"messages": [], "system": 42}, "'system' must be"),
        ({"messages": [], "tools": {"name": "x"}}, "'tools' must be a list"),
        ({"messages": [], "tools": ["Read"]}, r"tools\[0\] must be an object"),
    ],
)
def test_malformed_bodies_raise_value_error(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ADAPTER.parse(body)


def test_a_body_that_is_not_an_object_raises_value_error() -> None:
    with pytest.raises(ValueError, match="must be an object"):
        ADAPTER.parse([])  # type: ignore[arg-type]


def test_odd_but_parseable_shapes_become_opaque_and_round_trip() -> None:
    body: dict[str, Any] = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": None}, "bare", {"no": "type"}]},
            {"role": "assistant", "content": [{"type": ["list"]}, {"type": "tool_use"}]},
            {"role": "user", "content": [{"type": "tool_result", "content": {"odd": 1}}]},
            {"role": 7, "content": 12},
            {"content": None},
        ]
    }
    before = copy.deepcopy(body)
    conversation = ADAPTER.parse(body)

    assert [b for _, b in conversation.iter_blocks() if isinstance(b, OpaqueBlock)] == [
        OpaqueBlock(type="text"),
        OpaqueBlock(type="unknown"),
        OpaqueBlock(type="unknown"),
        OpaqueBlock(type="unknown"),
        OpaqueBlock(type="unknown"),
        OpaqueBlock(type="unknown"),
    ]
    assert conversation.messages[1].blocks[1] == ToolCallBlock(id="", name="", input={})
    assert conversation.messages[3].role is Role.OTHER
    assert conversation.messages[4].blocks == ()
    assert ADAPTER.render(conversation) == before


def test_render_refuses_a_conversation_from_another_provider() -> None:
    conversation = Conversation(provider="openai-chat", messages=(), raw={"messages": []})

    with pytest.raises(ValueError, match="cannot render"):
        ADAPTER.render(conversation)
