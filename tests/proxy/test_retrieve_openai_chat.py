from __future__ import annotations

import copy
from typing import Any

from headroom.proxy.retrieve import (
    RetrieveCall,
    continuation,
    find_calls,
    is_only_retrieve,
    merge_responses,
    new_stream,
)
from headroom.proxy.sse import encode_all
from tests.proxy.sse_streams import datas, relay, sse

RETRIEVE_CALL = {
    "id": "call_R1",
    "type": "function",
    "function": {
        "name": "headroom_retrieve",
        "arguments": '{"id":"hr_3f9a2c1b7e4d","query":"status=retry"}',
    },
}
BODY: dict[str, Any] = {
    "model": "gpt-4.1",
    "stream_options": {"include_usage": True},
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "why did the jobs retry?"},
    ],
}


def _completion(message: dict[str, Any], finish: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1760000000,
        "model": "gpt-4.1-2025-04-14",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
        "system_fingerprint": "fp_1",
    }


def _usage(prompt: int, cached: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


FIRST = _completion(
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [RETRIEVE_CALL],
        "refusal": None,
        "annotations": [],
    },
    "tool_calls",
    _usage(1200, 1024, 30),
)
FINAL = _completion(
    {"role": "assistant", "content": "14 jobs timed out.", "refusal": None, "annotations": []},
    "stop",
    _usage(1300, 1152, 12),
)


def test_only_retrieve_turn_is_recognised() -> None:
    assert find_calls(FIRST, "openai") == [
        RetrieveCall("call_R1", "hr_3f9a2c1b7e4d", "status=retry")
    ]
    assert is_only_retrieve(FIRST, "openai-chat")
    assert not is_only_retrieve(FINAL, "openai-chat")


def test_unreadable_arguments_give_an_empty_id_for_the_store_to_explain() -> None:
    broken = copy.deepcopy(FIRST)
    broken["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = '{"id": "hr_'
    assert find_calls(broken, "openai-chat") == [RetrieveCall("call_R1", "", None)]


def test_continuation_appends_the_assistant_message_and_tool_messages() -> None:
    out = continuation(BODY, FIRST, {"call_R1": "row 7: status=retry"}, "openai-chat")
    assert out["messages"][:2] == BODY["messages"]
    assert out["messages"][2:] == [
        {"role": "assistant", "content": None, "tool_calls": [RETRIEVE_CALL]},
        {"role": "tool", "tool_call_id": "call_R1", "content": "row 7: status=retry"},
    ]
    assert out["stream_options"] is BODY["stream_options"]


def test_merge_sums_usage_and_shows_no_retrieve_call() -> None:
    merged = merge_responses(FIRST, FINAL, "openai-chat")
    message = merged["choices"][0]["message"]
    assert message["content"] == "14 jobs timed out."
    assert "tool_calls" not in message
    assert merged["choices"][0]["finish_reason"] == "stop"
    assert merged["usage"] == {
        "prompt_tokens": 2500,
        "completion_tokens": 42,
        "total_tokens": 2542,
        "prompt_tokens_details": {"cached_tokens": 2176, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


# --- streaming ---------------------------------------------------------------


def _chunk(cid: str, delta: dict[str, Any], finish: str | None = None) -> tuple[None, Any]:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return None, {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": 1760000000,
        "model": "gpt-4.1-2025-04-14",
        "system_fingerprint": "fp_1",
        "choices": [choice],
        "usage": None,
    }


def _usage_chunk(cid: str, usage: dict[str, Any]) -> tuple[None, Any]:
    return None, {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": 1760000000,
        "model": "gpt-4.1-2025-04-14",
        "system_fingerprint": "fp_1",
        "choices": [],
        "usage": usage,
    }


def _fragment(index: int, **fields: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, **fields}]}


MIXED_STREAM = sse(
    _chunk("chatcmpl-1", {"role": "assistant", "content": None, "refusal": None}),
    _chunk(
        "chatcmpl-1",
        _fragment(
            0,
            id="call_R1",
            type="function",
            function={"name": "headroom_retrieve", "arguments": ""},
        ),
    ),
    _chunk("chatcmpl-1", _fragment(0, function={"arguments": '{"id":"hr_3f9a2c1b7e4d"}'})),
    _chunk(
        "chatcmpl-1",
        _fragment(1, id="call_A", type="function", function={"name": "run_tests", "arguments": ""}),
    ),
    _chunk("chatcmpl-1", _fragment(1, function={"arguments": '{"path":"tests/"}'})),
    _chunk("chatcmpl-1", {}, "tool_calls"),
    _usage_chunk("chatcmpl-1", _usage(1200, 1024, 30)),
    (None, "[DONE]"),
)
ONLY_RETRIEVE_STREAM = sse(
    _chunk("chatcmpl-1", {"role": "assistant", "content": None, "refusal": None}),
    _chunk(
        "chatcmpl-1",
        _fragment(
            0,
            id="call_R1",
            type="function",
            function={"name": "headroom_retrieve", "arguments": ""},
        ),
    ),
    _chunk("chatcmpl-1", _fragment(0, function={"arguments": '{"id":"hr_3f9a2c1b7e4d",'})),
    _chunk("chatcmpl-1", _fragment(0, function={"arguments": '"query":"status=retry"}'})),
    _chunk("chatcmpl-1", {}, "tool_calls"),
    _usage_chunk("chatcmpl-1", _usage(1200, 1024, 30)),
    (None, "[DONE]"),
)
TEXT_STREAM = sse(
    _chunk("chatcmpl-2", {"role": "assistant", "content": "", "refusal": None}),
    _chunk("chatcmpl-2", {"content": "14 jobs "}),
    _chunk("chatcmpl-2", {"content": "timed out."}),
    _chunk("chatcmpl-2", {}, "stop"),
    _usage_chunk("chatcmpl-2", _usage(1300, 1152, 12)),
    (None, "[DONE]"),
)


def test_only_retrieve_stream_holds_back_its_calls_finish_usage_and_done() -> None:
    stream = new_stream("openai-chat")
    sent = datas(relay(stream, ONLY_RETRIEVE_STREAM))
    assert len(sent) == 1
    assert sent[0]["choices"][0]["delta"] == {"role": "assistant", "content": None, "refusal": None}
    assert stream.pending_calls == [RetrieveCall("call_R1", "hr_3f9a2c1b7e4d", "status=retry")]
    message = stream.turn_response()["choices"][0]["message"]
    assert message["tool_calls"] == [RETRIEVE_CALL]


def test_continuation_streams_on_under_one_id_with_summed_usage_and_one_done() -> None:
    stream = new_stream("openai-chat")
    sent = relay(stream, ONLY_RETRIEVE_STREAM)
    stream.start_continuation()
    sent += relay(stream, TEXT_STREAM)
    events = datas(sent)
    assert events[-1] == "[DONE]" and events.count("[DONE]") == 1
    chunks = events[:-1]
    assert {c["id"] for c in chunks} == {"chatcmpl-1"}
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert [f for f in finishes if f] == ["stop"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "14 jobs timed out."
    assert chunks[-1]["usage"]["prompt_tokens"] == 2500
    assert chunks[-1]["usage"]["prompt_tokens_details"]["cached_tokens"] == 2176


def test_mixed_stream_shows_only_the_client_call_renumbered_to_index_0() -> None:
    stream = new_stream("openai-chat")
    events = datas(relay(stream, MIXED_STREAM))
    fragments = [
        tc for c in events[:-1] for ch in c["choices"] for tc in ch["delta"].get("tool_calls", [])
    ]
    assert [f["index"] for f in fragments] == [0, 0]
    assert fragments[0]["id"] == "call_A"
    assert "headroom_retrieve" not in str(events)
    assert events[-1] == "[DONE]"
    turn = stream.hidden_turn
    assert turn is not None and turn.client_call_ids == ("call_A",)
    assert turn.hidden[0][0] == 0 and turn.hidden[0][1]["id"] == "call_R1"


def test_a_stream_without_retrieve_calls_is_relayed_byte_for_byte() -> None:
    stream = new_stream("openai-chat")
    assert encode_all(relay(stream, TEXT_STREAM)) == TEXT_STREAM
