"""The Gemini adapter: parse into the IR, render edits back, touch nothing else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from headroom.providers.gemini import ADAPTER, GeminiAdapter
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

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gemini"
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


def results(conversation: Conversation) -> list[tuple[BlockAddress, ToolResultBlock]]:
    return [
        (address, block)
        for address, block in conversation.iter_blocks()
        if isinstance(block, ToolResultBlock)
    ]


def calls(conversation: Conversation) -> list[ToolCallBlock]:
    return [b for m in conversation.messages for b in m.blocks if isinstance(b, ToolCallBlock)]


def text_part(address: BlockAddress) -> BlockAddress:
    return BlockAddress(address.message, address.block, 0)


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
    body = load("multi_turn")
    conversation = ADAPTER.parse(body)
    address, result = results(conversation)[0]

    rendered = ADAPTER.render(conversation.with_text(text_part(address), "1 failed, 13 passed"))

    ref = ("contents", 2, "parts", 0, "functionResponse", "response", "output")
    assert result.parts[0].ref == ref
    assert diff(body, rendered) == [ref]
    assert rendered["contents"][2]["parts"][0]["functionResponse"]["response"] == {
        "output": "1 failed, 13 passed"
    }


def test_a_string_beside_scalars_is_edited_in_place() -> None:
    body = load("multi_turn")
    conversation = ADAPTER.parse(body)
    address, result = results(conversation)[2]

    rendered = ADAPTER.render(conversation.with_text(text_part(address), "1 failed"))

    assert result.text.startswith("FAILED tests/test_invoice.py")
    response = rendered["contents"][8]["parts"][0]["functionResponse"]["response"]
    assert response == {"stdout": "1 failed", "exit_code": 1, "timed_out": False}


def test_an_edited_json_object_response_becomes_an_output_string() -> None:
    body = load("parallel_calls")
    conversation = ADAPTER.parse(body)
    address, result = results(conversation)[1]
    original = body["contents"][2]["parts"][1]["functionResponse"]["response"]

    rendered = ADAPTER.render(conversation.with_text(text_part(address), "3 matches in 2 files"))

    ref = ("contents", 2, "parts", 1, "functionResponse", "response")
    assert result.parts[0].ref == ref
    assert json.loads(result.text) == original
    assert rendered["contents"][2]["parts"][1]["functionResponse"]["response"] == {
        "output": "3 matches in 2 files"
    }
    assert {path[: len(ref)] for path in diff(body, rendered)} == {ref}
    assert body["contents"][2]["parts"][1]["functionResponse"]["response"] is original


def test_an_unchanged_json_dump_leaves_the_response_object_alone() -> None:
    body = load("parallel_calls")
    conversation = ADAPTER.parse(body)
    address, result = results(conversation)[1]
    dump = result.parts[0]
    assert isinstance(dump, TextBlock)

    rendered = ADAPTER.render(conversation.with_text(text_part(address), dump.text))

    assert rendered == body


def test_system_instruction_parts_are_the_editable_system_prompt() -> None:
    body = load("multi_turn")
    conversation = ADAPTER.parse(body)

    assert [block.ref for block in conversation.system] == [
        ("systemInstruction", "parts", 0, "text"),
        ("systemInstruction", "parts", 1, "text"),
    ]
    rendered = ADAPTER.render(conversation.with_text(BlockAddress(-1, 1), "Root: ~/acme"))
    assert diff(body, rendered) == [("systemInstruction", "parts", 1, "text")]


def test_model_is_not_in_the_body_and_tools_are_read() -> None:
    conversation = ADAPTER.parse(load("multi_turn"))

    assert conversation.model is None
    assert conversation.provider == "gemini"
    assert [tool.name for tool in conversation.tools] == [
        "read_file",
        "run_shell_command",
        "search_file_content",
        "googleSearch",
    ]
    assert conversation.tools[0].description == "Reads a file from the workspace."


def test_roles_follow_the_wire_and_function_responses_stay_user_turns() -> None:
    conversation = ADAPTER.parse(load("multi_turn"))
    other = ADAPTER.parse(load("images_and_unknown"))

    assert [m.role for m in conversation.messages[:3]] == [Role.USER, Role.ASSISTANT, Role.USER]
    assert conversation.messages[1].wire_role == "model"
    assert isinstance(conversation.messages[2].blocks[0], ToolResultBlock)
    assert (other.messages[0].role, other.messages[0].wire_role) == (Role.USER, "")
    assert (other.messages[2].role, other.messages[2].wire_role) == (Role.OTHER, "critic")


def test_tool_results_know_the_call_that_produced_them() -> None:
    conversation = ADAPTER.parse(load("multi_turn"))
    (_, shell), (_, read), _ = results(conversation)

    assert shell.origin.tool_name == "run_shell_command"
    assert shell.origin.tool_input == {
        "command": "python -m pytest tests/test_invoice.py -q",
        "directory": "/home/dev/acme-billing",
    }
    assert read.origin.tool_name == "read_file"
    assert read.origin.file_path == "src/billing/invoice.py"


def test_calls_without_ids_pair_with_responses_by_name_and_order() -> None:
    conversation = ADAPTER.parse(load("parallel_calls"))
    money, search, credit = (result for _, result in results(conversation))

    assert [call.id for call in calls(conversation)] == [
        "gemini:read_file:0",
        "gemini:read_file:1",
        "gemini:search_file_content:0",
    ]
    assert money.origin.file_path == "src/billing/money.py"
    assert "def round_money" in money.text
    assert search.origin.tool_name == "search_file_content"
    assert credit.origin.file_path == "src/billing/credit_note.py"
    assert "class CreditNote" in credit.text


def test_wire_ids_are_used_when_present() -> None:
    conversation = ADAPTER.parse(load("thought_signatures"))
    ((_, result),) = results(conversation)

    assert [call.id for call in calls(conversation)] == ["fc_9c1e7a"]
    assert result.tool_call_id == "fc_9c1e7a"
    assert result.origin.file_path == "pyproject.toml"


def test_a_response_without_a_call_still_knows_its_tool_name() -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"functionResponse": {"name": "run", "response": {}}}]}
        ]
    }

    ((_, result),) = results(ADAPTER.parse(body))

    assert result.origin.tool_name == "run"
    assert result.text == "{}"


def test_query_in_force_is_the_last_user_text_before_the_block() -> None:
    conversation = ADAPTER.parse(load("multi_turn"))
    (_, first), _, (_, last) = results(conversation)

    assert first.query == (
        "The invoice total test fails since the rounding change. Run it and tell me why."
    )
    assert last.query == (
        "OK. Show me the failing test's exit status once more, but only the summary."
    )
    assert last.parts[0].query == last.query


def test_thoughts_and_signed_text_are_not_editable() -> None:
    body = load("thought_signatures")
    conversation = ADAPTER.parse(body)
    model_turn = conversation.messages[1]

    thought, signed, call = model_turn.blocks
    assert isinstance(thought, ThinkingBlock) and thought.ref is None
    assert isinstance(signed, ThinkingBlock) and signed.ref is None
    assert signed.text == "Let me look at the project configuration."
    assert signed.signature == body["contents"][1]["parts"][1]["thoughtSignature"]
    assert isinstance(call, ToolCallBlock) and call.name == "read_file"
    signature_only = conversation.messages[3].blocks[1]
    assert isinstance(signature_only, ThinkingBlock) and signature_only.signature is not None


def test_thought_signatures_survive_an_edit_elsewhere() -> None:
    body = load("multi_turn")
    conversation = ADAPTER.parse(body)
    address, _ = results(conversation)[1]

    rendered = ADAPTER.render(conversation.with_text(text_part(address), "def total(): ..."))

    assert rendered["contents"][1] == body["contents"][1]
    assert rendered["contents"][7]["parts"][0]["thoughtSignature"].startswith("CiQB")
    for key in ("generationConfig", "toolConfig", "safetySettings", "tools"):
        assert rendered[key] == body[key]


def test_images_and_unknown_parts_pass_through() -> None:
    body = load("images_and_unknown")
    conversation = ADAPTER.parse(body)
    blocks = [b for m in conversation.messages for b in m.blocks]

    assert [b.media_type for b in blocks if isinstance(b, ImageBlock)] == [
        "image/png",
        "application/pdf",
        "video/mp4",
    ]
    assert [b.type for b in blocks if isinstance(b, OpaqueBlock)] == [
        "executableCode",
        "codeExecutionResult",
        "toolCall",
        "someFutureField",
    ]
    assert [tool.name for tool in conversation.tools] == ["codeExecution", "urlContext"]
    rendered = ADAPTER.render(conversation.with_text(BlockAddress(3, 0), "And credit notes?"))
    assert diff(body, rendered) == [("contents", 3, "parts", 0, "text")]
    assert rendered["cachedContent"] == body["cachedContent"]


def test_snake_case_field_names_are_understood_and_kept() -> None:
    body = load("snake_case")
    conversation = ADAPTER.parse(body)
    ((address, result),) = results(conversation)

    assert conversation.system[0].ref == ("system_instruction", "parts", 0, "text")
    assert isinstance(conversation.messages[3].blocks[0], ImageBlock)
    assert conversation.messages[3].blocks[0].media_type == "image/webp"
    assert result.origin.tool_name == "run_shell_command"
    assert [tool.name for tool in conversation.tools] == ["run_shell_command", "google_search"]
    rendered = ADAPTER.render(conversation.with_text(text_part(address), "48k lines"))
    assert diff(body, rendered) == [
        ("contents", 2, "parts", 0, "function_response", "response", "output")
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"contents": {"role": "user"}}, "`contents` must be an array"),
        ({"contents": ["hi"]}, r"contents\[0\] must be an object"),
        ({"contents": [{"role": "user", "parts": "hi"}]}, r"contents\[0\]\.parts must be an array"),
        ({"contents": [{"parts": [3]}]}, r"contents\[0\]\.parts\[0\] must be an object"),
        ({"systemInstruction": "be brief"}, "`systemInstruction` must be an object"),
        ({"tools": {"googleSearch": {}}}, "`tools` must be an array"),
        ({"tools": ["googleSearch"]}, r"tools\[0\] must be an object"),
    ],
)
def test_malformed_bodies_raise_a_clear_value_error(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ADAPTER.parse(body)


def test_unexpected_but_valid_shapes_become_opaque() -> None:
    body = {
        "contents": [
            {"role": 7, "parts": [{"functionCall": "read"}]},
            {"parts": [{"functionResponse": {"name": "read", "response": ["a", "b"]}}]},
        ]
    }

    conversation = ADAPTER.parse(body)

    first, second = conversation.messages
    assert first.role is Role.OTHER
    assert first.blocks == (OpaqueBlock(type="functionCall"),)
    result = second.blocks[0]
    assert isinstance(result, ToolResultBlock)
    assert result.parts == (OpaqueBlock(type="response"),)
    assert ADAPTER.render(conversation) == body


def test_rendering_another_providers_conversation_is_refused() -> None:
    with pytest.raises(ValueError, match="gemini"):
        GeminiAdapter().render(Conversation(provider="anthropic", messages=()))
