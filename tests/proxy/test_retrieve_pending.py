from __future__ import annotations

from typing import Any

import orjson
import pytest

from headroom.proxy.retrieve import PendingRetrievals, new_stream, split_turn
from headroom.store.memory import MemoryStore
from tests.proxy.sse_streams import datas, relay
from tests.proxy.test_retrieve_openai_chat import MIXED_STREAM

SIGNATURE = "EqQBCkYIBRgCKkBu+signature-bytes-that-must-not-change=="


def _answer(ccr_id: str, query: str | None) -> str:
    return f"original of {ccr_id} for {query}"


@pytest.fixture
def pending() -> PendingRetrievals:
    return PendingRetrievals(MemoryStore(), raise_errors=True)


# --- Anthropic ---------------------------------------------------------------

A_CONTENT = [
    {"type": "thinking", "thinking": "Need rows and the tests.", "signature": SIGNATURE},
    {"type": "text", "text": "Checking both."},
    {
        "type": "tool_use",
        "id": "toolu_R",
        "name": "headroom_retrieve",
        "input": {"id": "hr_3f9a2c1b7e4d", "query": "retry"},
    },
    {"type": "tool_use", "id": "toolu_A", "name": "Bash", "input": {"command": "pytest -x"}},
]
A_RESPONSE = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": A_CONTENT,
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 50},
}
A_HISTORY = [{"role": "user", "content": "why do the jobs retry and do tests pass?"}]


def _anthropic_next(visible: list[Any], *later: Any) -> dict[str, Any]:
    result = {"type": "tool_result", "tool_use_id": "toolu_A", "content": "3 passed"}
    messages = [
        *A_HISTORY,
        {"role": "assistant", "content": visible},
        {"role": "user", "content": [result]},
        *later,
    ]
    return {"model": "claude-sonnet-4-6", "max_tokens": 1024, "messages": messages}


def test_anthropic_mixed_turn_is_hidden_from_the_client(pending: PendingRetrievals) -> None:
    visible = pending.hide(A_RESPONSE, "anthropic", _answer, scope="tenant-1")
    assert [b.get("name") for b in visible["content"]] == [None, None, "Bash"]
    assert visible["stop_reason"] == "tool_use"
    assert A_RESPONSE["content"] is A_CONTENT and len(A_CONTENT) == 4


def test_anthropic_hidden_pair_is_restored_byte_exactly(pending: PendingRetrievals) -> None:
    visible = pending.hide(A_RESPONSE, "anthropic", _answer, scope="tenant-1")
    body = _anthropic_next(visible["content"])
    restored = pending.restore(body, "anthropic", scope="tenant-1")
    assistant, user = restored["messages"][1:3]
    assert orjson.dumps(assistant["content"]) == orjson.dumps(A_CONTENT)
    assert user["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_R",
            "content": "original of hr_3f9a2c1b7e4d for retry",
        },
        {"type": "tool_result", "tool_use_id": "toolu_A", "content": "3 passed"},
    ]
    assert body["messages"][1]["content"] == visible["content"]


def test_anthropic_restore_gives_the_same_bytes_on_every_later_turn() -> None:
    store = MemoryStore()
    first = PendingRetrievals(store, raise_errors=True)
    visible = first.hide(A_RESPONSE, "anthropic", _answer, scope="t")
    turn2 = first.restore(_anthropic_next(visible["content"]), "anthropic", scope="t")
    later = [{"role": "assistant", "content": "All green."}, {"role": "user", "content": "thanks"}]
    replica = PendingRetrievals(store, raise_errors=True)  # another proxy process
    turn3 = replica.restore(_anthropic_next(visible["content"], *later), "anthropic", scope="t")
    assert orjson.dumps(turn3["messages"][:3]) == orjson.dumps(turn2["messages"])


def test_another_tenant_never_gets_the_hidden_pair(pending: PendingRetrievals) -> None:
    visible = pending.hide(A_RESPONSE, "anthropic", _answer, scope="tenant-1")
    body = _anthropic_next(visible["content"])
    assert pending.restore(body, "anthropic", scope="tenant-2") == body


def test_a_history_with_nothing_hidden_comes_back_equal(pending: PendingRetrievals) -> None:
    body = _anthropic_next([{"type": "tool_use", "id": "toolu_Z", "name": "Bash", "input": {}}])
    assert pending.restore(body, "anthropic") == body


def test_streamed_mixed_turn_is_kept_and_restored(pending: PendingRetrievals) -> None:
    stream = new_stream("openai-chat")
    relay(stream, MIXED_STREAM)
    turn = stream.hidden_turn
    assert turn is not None
    pending.keep("openai-chat", turn, {"call_R1": "rows"}, scope="t")
    client_call = {
        "id": "call_A",
        "type": "function",
        "function": {"name": "run_tests", "arguments": '{"path":"tests/"}'},
    }
    body = {
        "model": "gpt-4.1",
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [client_call]},
            {"role": "tool", "tool_call_id": "call_A", "content": "ok"},
        ],
    }
    restored = pending.restore(body, "openai", scope="t")["messages"]
    assert [c["id"] for c in restored[1]["tool_calls"]] == ["call_R1", "call_A"]
    assert restored[1]["tool_calls"][0]["function"]["arguments"] == '{"id":"hr_3f9a2c1b7e4d"}'
    assert restored[2:] == [
        {"role": "tool", "tool_call_id": "call_R1", "content": "rows"},
        {"role": "tool", "tool_call_id": "call_A", "content": "ok"},
    ]
    assert "headroom_retrieve" not in str(datas(relay(new_stream("openai"), MIXED_STREAM)))


# --- OpenAI Chat ---------------------------------------------------------------

C_CALLS = [
    {"id": "call_A", "type": "function", "function": {"name": "Read", "arguments": '{"p":"a"}'}},
    {
        "id": "call_R",
        "type": "function",
        "function": {"name": "headroom_retrieve", "arguments": '{"id":"hr_3f9a2c1b7e4d"}'},
    },
]
C_RESPONSE = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4.1",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {"role": "assistant", "content": None, "tool_calls": C_CALLS},
        }
    ],
}


def test_chat_mixed_turn_is_hidden_and_restored_in_place(pending: PendingRetrievals) -> None:
    visible = pending.hide(C_RESPONSE, "openai-chat", _answer)
    message = visible["choices"][0]["message"]
    assert message["tool_calls"] == C_CALLS[:1]
    body = {
        "messages": [
            {"role": "user", "content": "read a"},
            {"role": "assistant", "content": None, "tool_calls": message["tool_calls"]},
            {"role": "tool", "tool_call_id": "call_A", "content": "A"},
        ]
    }
    restored = pending.restore(body, "openai-chat")["messages"]
    assert orjson.dumps(restored[1]["tool_calls"]) == orjson.dumps(C_CALLS)
    assert restored[2] == {
        "role": "tool",
        "tool_call_id": "call_R",
        "content": "original of hr_3f9a2c1b7e4d for None",
    }
    assert restored[3] == body["messages"][2]


# --- OpenAI Responses ----------------------------------------------------------

R_OUTPUT = [
    {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA=="},
    {
        "type": "function_call",
        "id": "fc_R",
        "call_id": "call_R",
        "name": "headroom_retrieve",
        "arguments": '{"id":"hr_3f9a2c1b7e4d"}',
        "status": "completed",
    },
    {
        "type": "function_call",
        "id": "fc_A",
        "call_id": "call_A",
        "name": "shell",
        "arguments": '{"command":["ls"]}',
        "status": "completed",
    },
]
R_RESPONSE = {"id": "resp_1", "object": "response", "status": "completed", "output": R_OUTPUT}


def test_responses_mixed_turn_is_hidden_and_restored_in_place(
    pending: PendingRetrievals,
) -> None:
    visible = pending.hide(R_RESPONSE, "openai-responses", _answer)
    assert visible["output"] == [R_OUTPUT[0], R_OUTPUT[2]]
    user = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "ls"}]}
    output_a = {"type": "function_call_output", "call_id": "call_A", "output": "a.py"}
    body = {"model": "gpt-5-codex", "input": [user, *visible["output"], output_a]}
    restored = pending.restore(body, "responses")["input"]
    assert orjson.dumps(restored[1:4]) == orjson.dumps(R_OUTPUT)
    assert restored[4:] == [
        {
            "type": "function_call_output",
            "call_id": "call_R",
            "output": "original of hr_3f9a2c1b7e4d for None",
        },
        output_a,
    ]


def test_split_of_a_turn_without_client_calls_keeps_nothing() -> None:
    only = {**R_RESPONSE, "output": R_OUTPUT[:2]}
    visible, turn = split_turn(only, "openai-responses")
    assert visible["output"] == R_OUTPUT[:1] and turn is None
