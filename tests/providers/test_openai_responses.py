"""The OpenAI Responses adapter: parse into the IR, render edits back, touch nothing else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from headroom.providers.openai_responses import ADAPTER, OpenAIResponsesAdapter
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

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openai_responses"
FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return body


def diff(a: Any, b: Any, path: WireRef = ()) -> list[WireRef]:
    """Every path where two JSON values differ (a whole subtree counts once)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = list(a) + [k for k in b if k not in a]
        return [p for k in keys for p in diff(a.get(k, ...), b.get(k, ...), (*path, k))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in diff(x, y, (*path, i))
        ]
    return [] if a == b and type(a) is type(b) else [path]


def result_for(conversation: Conversation, call_id: str) -> tuple[BlockAddress, ToolResultBlock]:
    for address, block in conversation.iter_blocks():
        if isinstance(block, ToolResultBlock) and block.tool_call_id == call_id:
            return address, block
    raise AssertionError(f"no tool result answers {call_id}")


def first_text_part(conversation: Conversation, call_id: str) -> tuple[BlockAddress, TextBlock]:
    address, result = result_for(conversation, call_id)
    for index, part in enumerate(result.parts):
        if isinstance(part, TextBlock):
            return BlockAddress(address.message, address.block, index), part
    raise AssertionError(f"the result for {call_id} has no text part")


def test_fixture_folder_has_the_required_sessions() -> None:
    assert len(FIXTURE_FILES) >= 4


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_round_trip_without_edits_returns_an_equal_body(path: Path) -> None:
    body = json.loads(path.read_text())
    before = copy.deepcopy(body)

    rendered = ADAPTER.render(ADAPTER.parse(body))

    assert rendered == before
    assert body == before


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_editing_every_text_never_mutates_the_original_body(path: Path) -> None:
    body = json.loads(path.read_text())
    before = copy.deepcopy(body)
    conversation = ADAPTER.parse(body)
    for address, block in list(conversation.iter_blocks()):
        if isinstance(block, TextBlock):
            conversation = conversation.with_text(address, block.text + " [edited]")

    rendered = ADAPTER.render(conversation)

    assert body == before
    assert rendered != before


def test_editing_one_tool_result_changes_only_that_string() -> None:
    body = load("codex_session")
    conversation = ADAPTER.parse(body)
    address, part = first_text_part(conversation, "call_0PvK3cC2bZ9mWq1e8Rr5TnHd")

    rendered = ADAPTER.render(conversation.with_text(address, "L30-L32: def total(...)"))

    assert part.ref == ("input", 8, "output")
    assert diff(body, rendered) == [part.ref]
    assert rendered["input"][8]["output"] == "L30-L32: def total(...)"


def test_editing_a_text_part_of_an_output_array_changes_only_that_part() -> None:
    body = load("output_parts")
    conversation = ADAPTER.parse(body)
    address, _ = first_text_part(conversation, "call_img_3")

    rendered = ADAPTER.render(conversation.with_text(address, "chart attached"))

    assert diff(body, rendered) == [("input", 8, "output", 0, "text")]


def test_shell_call_output_streams_are_separately_editable() -> None:
    body = load("output_parts")
    conversation = ADAPTER.parse(body)
    address, result = result_for(conversation, "call_shell_2")
    refs = [p.ref for p in result.parts if isinstance(p, TextBlock)]
    stderr_index = refs.index(("input", 6, "output", 1, "stderr"))
    stderr_address = BlockAddress(address.message, address.block, stderr_index)

    rendered = ADAPTER.render(conversation.with_text(stderr_address, "1 coverage warning"))

    assert refs == [
        ("input", 6, "output", 0, "stdout"),
        ("input", 6, "output", 1, "stdout"),
        ("input", 6, "output", 1, "stderr"),
    ]
    assert diff(body, rendered) == [("input", 6, "output", 1, "stderr")]


def test_instructions_become_the_editable_system_prompt() -> None:
    body = load("codex_session")
    conversation = ADAPTER.parse(body)

    assert conversation.system == (TextBlock(text=body["instructions"], ref=("instructions",)),)
    rendered = ADAPTER.render(conversation.with_text(BlockAddress(-1, 0), "Be brief."))
    assert diff(body, rendered) == [("instructions",)]


def test_string_input_is_one_user_message() -> None:
    conversation = ADAPTER.parse(load("string_input"))

    (message,) = conversation.messages
    assert message.role is Role.USER
    assert message.blocks[0] == TextBlock(
        text="Summarise why last night's nightly build of acme-billing failed, in two sentences.",
        ref=("input",),
    )


def test_model_and_tools_are_read_from_the_body() -> None:
    conversation = ADAPTER.parse(load("codex_session"))

    assert conversation.model == "gpt-5-codex"
    assert conversation.provider == "openai-responses"
    assert [tool.name for tool in conversation.tools] == ["shell", "read_file", "web_search"]
    assert conversation.tools[0].description == "Runs a shell command and returns its output."


def test_tool_results_know_the_call_that_produced_them() -> None:
    conversation = ADAPTER.parse(load("codex_session"))

    _, read = result_for(conversation, "call_0PvK3cC2bZ9mWq1e8Rr5TnHd")
    _, shell = result_for(conversation, "call_m3L9xT4vB8nQ2wE6rY1uI0oP")

    assert read.origin.tool_name == "read_file"
    assert read.origin.file_path == "/home/dev/acme-billing/src/billing/invoice.py"
    assert read.origin.tool_input == {
        "file_path": "/home/dev/acme-billing/src/billing/invoice.py",
        "offset": 1,
        "limit": 80,
    }
    assert shell.origin.tool_name == "shell"
    assert shell.origin.tool_input is not None
    assert shell.origin.tool_input["command"] == ["bash", "-lc", 'rg -n "round_money" src tests']


def test_parallel_calls_map_to_their_own_results_whatever_the_output_order() -> None:
    conversation = ADAPTER.parse(load("parallel_calls"))

    _, money = result_for(conversation, "call_A1")
    _, credit = result_for(conversation, "call_B2")
    _, grep = result_for(conversation, "call_C3")

    assert money.origin.file_path == "/home/dev/acme-billing/src/billing/money.py"
    assert "def round_money" in money.text
    assert credit.origin.file_path == "/home/dev/acme-billing/src/billing/credit_note.py"
    assert "class CreditNote" in credit.text
    assert grep.origin.tool_name == "grep_files"
    assert grep.origin.tool_input == {
        "pattern": "round_money",
        "path": "/home/dev/acme-billing/src",
        "include": "*.py",
    }


def test_query_in_force_is_the_last_user_text_before_the_block() -> None:
    conversation = ADAPTER.parse(load("codex_session"))

    _, first = result_for(conversation, "call_Y2hdbN1qQnS0u7lY0tMfK1rE")
    _, last = result_for(conversation, "call_m3L9xT4vB8nQ2wE6rY1uI0oP")

    assert first.query is not None and first.query.startswith("tests/test_invoice.py::")
    assert first.parts[0].query == first.query
    assert last.query == (
        "Sounds right. Before you change it, check whether credit notes go through the same helper."
    )


def test_reasoning_items_are_unreferenced_thinking_and_survive_edits() -> None:
    body = load("codex_session")
    conversation = ADAPTER.parse(body)
    thinking = [b for m in conversation.messages for b in m.blocks if isinstance(b, ThinkingBlock)]
    address, _ = first_text_part(conversation, "call_Y2hdbN1qQnS0u7lY0tMfK1rE")

    rendered = ADAPTER.render(conversation.with_text(address, "1 failed, 13 passed"))

    assert len(thinking) == 3
    assert all(block.ref is None for block in thinking)
    assert thinking[0].signature == body["input"][3]["encrypted_content"]
    assert thinking[0].text.startswith("**Reproducing the failure**")
    assert [rendered["input"][i] for i in (3, 6, 11)] == [body["input"][i] for i in (3, 6, 11)]
    for key in ("include", "store", "prompt_cache_key", "reasoning", "text", "tools"):
        assert rendered[key] == body[key]


def test_unknown_items_roles_and_parts_pass_through_as_opaque() -> None:
    body = load("images_and_unknown")
    conversation = ADAPTER.parse(body)
    opaque = [b.type for m in conversation.messages for b in m.blocks if isinstance(b, OpaqueBlock)]
    critic = conversation.messages[9]

    assert opaque == [
        "input_file",
        "input_audio",
        "web_search_call",
        "refusal",
        "item_reference",
        "unknown",
        "compaction",
        "mcp_call",
        "program_output_v2",
    ]
    assert (critic.role, critic.wire_role) == (Role.OTHER, "critic")
    assert conversation.messages[0].role is Role.SYSTEM
    assert conversation.messages[0].blocks[0].ref == ("input", 0, "content")

    rendered = ADAPTER.render(conversation.with_text(BlockAddress(10, 0), "Safe for credits?"))
    assert diff(body, rendered) == [("input", 10, "content", 0, "text")]


def test_images_become_image_blocks_with_the_data_url_media_type() -> None:
    conversation = ADAPTER.parse(load("images_and_unknown"))
    images = [b for m in conversation.messages for b in m.blocks if isinstance(b, ImageBlock)]

    assert [image.media_type for image in images] == ["image/jpeg", None]


def test_custom_and_builtin_tool_items_are_calls_and_results() -> None:
    conversation = ADAPTER.parse(load("output_parts"))
    calls = {
        b.id: b for m in conversation.messages for b in m.blocks if isinstance(b, ToolCallBlock)
    }

    assert calls["call_patch_1"].name == "apply_patch"
    assert str(calls["call_patch_1"].input["input"]).startswith("*** Begin Patch")
    assert calls["call_local_1"].name == "local_shell"
    assert calls["call_local_1"].input["working_directory"] == "/home/dev/acme-billing"
    assert calls["call_shell_2"].name == "shell"
    _, local_output = result_for(conversation, "call_local_1")
    assert local_output.origin.tool_name == "local_shell"
    assert conversation.messages[4].role is Role.TOOL


def test_invalid_arguments_json_is_kept_raw() -> None:
    body = {
        "input": [
            {"type": "function_call", "call_id": "c1", "name": "shell", "arguments": "{oops"},
            {"type": "function_call", "call_id": "c2", "name": "shell", "arguments": "[1, 2]"},
        ]
    }

    conversation = ADAPTER.parse(body)

    first, second = (m.blocks[0] for m in conversation.messages)
    assert isinstance(first, ToolCallBlock) and first.input == {"_raw": "{oops"}
    assert isinstance(second, ToolCallBlock) and second.input == {"_raw": "[1, 2]"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"input": 42}, "`input` must be a string or an array"),
        ({"input": ["hello"]}, r"input\[0\] must be an object"),
        ({"input": [{"role": "user", "content": [7]}]}, r"input\[0\]\.content\[0\]"),
        ({"tools": {"type": "web_search"}}, "`tools` must be an array"),
        ({"tools": ["shell"]}, r"tools\[0\] must be an object"),
    ],
)
def test_malformed_bodies_raise_a_clear_value_error(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ADAPTER.parse(body)


def test_a_body_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        ADAPTER.parse([])  # type: ignore[arg-type]


def test_unexpected_but_valid_shapes_become_opaque() -> None:
    body = {
        "instructions": [{"type": "message", "role": "system", "content": "x"}],
        "input": [
            {"type": "message", "role": "user", "content": {"odd": True}},
            {"type": "function_call_output", "call_id": "c9", "output": {"odd": True}},
            {"type": 5},
        ],
    }

    conversation = ADAPTER.parse(body)

    assert conversation.system == (OpaqueBlock(type="instructions"),)
    assert conversation.messages[0].blocks == (OpaqueBlock(type="content", query=None),)
    result = conversation.messages[1].blocks[0]
    assert isinstance(result, ToolResultBlock) and result.parts == (OpaqueBlock(type="output"),)
    assert conversation.messages[2].role is Role.OTHER
    assert ADAPTER.render(conversation) == body


def test_rendering_another_providers_conversation_is_refused() -> None:
    conversation = Conversation(provider="gemini", messages=())

    with pytest.raises(ValueError, match="openai-responses"):
        OpenAIResponsesAdapter().render(conversation)
