from __future__ import annotations

import copy
from typing import Any

import orjson

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

SIGNATURE = "EuYBCkQYAiJAk3+Q9v0zL7m0x1V8Yp2d6bG+Zx5Lw1mO0w8Yg==" * 3
THINKING = {"type": "thinking", "thinking": "The marker says 14 retries.", "signature": SIGNATURE}
RETRIEVE = {
    "type": "tool_use",
    "id": "toolu_01A",
    "name": "headroom_retrieve",
    "input": {"id": "hr_3f9a2c1b7e4d", "query": "status=retry"},
}
BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 4096,
    "thinking": {"type": "enabled", "budget_tokens": 2048},
    "messages": [{"role": "user", "content": "why did the jobs retry?"}],
}


def _response(content: list[Any], stop: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }


FIRST = _response(
    [THINKING, {"type": "text", "text": "Let me look."}, RETRIEVE],
    "tool_use",
    {
        "input_tokens": 120,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 4000,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 60,
        "service_tier": "standard",
    },
)
FINAL = _response(
    [{"type": "text", "text": "14 jobs hit a timeout."}],
    "end_turn",
    {
        "input_tokens": 300,
        "cache_creation_input_tokens": 500,
        "cache_read_input_tokens": 4000,
        "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 20,
        "service_tier": "standard",
    },
)


def test_retrieve_calls_are_found_with_id_and_query() -> None:
    assert find_calls(FIRST, "anthropic") == [
        RetrieveCall("toolu_01A", "hr_3f9a2c1b7e4d", "status=retry")
    ]
    assert is_only_retrieve(FIRST, "anthropic")
    assert not is_only_retrieve(FINAL, "anthropic")


def test_a_turn_that_also_calls_a_client_tool_is_not_only_retrieve() -> None:
    mixed = copy.deepcopy(FIRST)
    mixed["content"].append({"type": "tool_use", "id": "toolu_02", "name": "Read", "input": {}})
    assert not is_only_retrieve(mixed, "anthropic")


def test_continuation_sends_the_turn_verbatim_then_the_tool_results() -> None:
    body = copy.deepcopy(BODY)
    out = continuation(body, FIRST, {"toolu_01A": "row 7: status=retry"}, "anthropic")
    assert body == BODY
    assert out["messages"][:1] == BODY["messages"]
    assistant, user = out["messages"][1:]
    assert assistant == {"role": "assistant", "content": FIRST["content"]}
    assert orjson.dumps(assistant["content"][0]) == orjson.dumps(THINKING)
    assert user == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "row 7: status=retry"}
        ],
    }
    assert {k: v for k, v in out.items() if k != "messages"} == {
        k: v for k, v in BODY.items() if k != "messages"
    }


def test_merge_shows_every_round_but_the_retrieve_call_and_sums_usage() -> None:
    merged = merge_responses(FIRST, FINAL, "anthropic")
    assert merged["content"] == [
        THINKING,
        {"type": "text", "text": "Let me look."},
        *FINAL["content"],
    ]
    assert merged["stop_reason"] == "end_turn"
    assert merged["usage"] == {
        "input_tokens": 420,
        "cache_creation_input_tokens": 500,
        "cache_read_input_tokens": 8000,
        "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 80,
        "service_tier": "standard",
    }


def test_merge_of_a_round_that_still_only_retrieves_ends_the_turn_without_the_call() -> None:
    merged = merge_responses(FIRST, FIRST, "anthropic")
    assert all(block.get("name") != "headroom_retrieve" for block in merged["content"])
    assert merged["stop_reason"] == "end_turn"


# --- streaming ---------------------------------------------------------------


def _start(msg_id: str, usage: dict[str, int]) -> tuple[str, dict[str, Any]]:
    message: dict[str, Any] = {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return "message_start", {"type": "message_start", "message": message}


def _block(index: int, block: dict[str, Any], *deltas: dict[str, Any]) -> list[Any]:
    events: list[Any] = [
        (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )
    ]
    events += [
        ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
        for d in deltas
    ]
    events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def _end(stop: str, usage: dict[str, int]) -> list[Any]:
    delta = {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}}
    return [
        ("message_delta", {**delta, "usage": usage}),
        ("message_stop", {"type": "message_stop"}),
    ]


FIRST_STREAM = sse(
    _start("msg_01", {"input_tokens": 120, "cache_read_input_tokens": 4000, "output_tokens": 1}),
    ("ping", {"type": "ping"}),
    *_block(
        0,
        {"type": "thinking", "thinking": ""},
        {"type": "thinking_delta", "thinking": "The marker says 14 retries."},
        {"type": "signature_delta", "signature": SIGNATURE},
    ),
    *_block(1, {"type": "text", "text": ""}, {"type": "text_delta", "text": "Let me look."}),
    *_block(
        2,
        {"type": "tool_use", "id": "toolu_01A", "name": "headroom_retrieve", "input": {}},
        {"type": "input_json_delta", "partial_json": '{"id": "hr_3f9a2c1b7e4d", '},
        {"type": "input_json_delta", "partial_json": '"query": "status=retry"}'},
    ),
    *_end("tool_use", {"output_tokens": 60}),
)
SECOND_STREAM = sse(
    _start("msg_02", {"input_tokens": 300, "cache_read_input_tokens": 4000, "output_tokens": 1}),
    *_block(0, {"type": "text", "text": ""}, {"type": "text_delta", "text": "14 jobs timed out."}),
    *_end("end_turn", {"output_tokens": 20}),
)


def test_text_streams_through_untouched_and_the_retrieve_block_is_held_back() -> None:
    stream = new_stream("anthropic")
    sent = relay(stream, FIRST_STREAM)
    blocks = ["content_block_start", "content_block_delta", "content_block_stop"]
    kinds = [e.event for e in sent]
    assert kinds == ["message_start", "ping", *blocks[:2], *blocks[1:], *blocks]
    held_from = FIRST_STREAM.index(b'{"type":"content_block_start","index":2')
    held_from = FIRST_STREAM.rindex(b"event:", 0, held_from)
    assert encode_all(sent) == FIRST_STREAM[:held_from]
    assert stream.pending_calls == [RetrieveCall("toolu_01A", "hr_3f9a2c1b7e4d", "status=retry")]


def test_streamed_turn_gives_the_continuation_the_blocks_verbatim() -> None:
    stream = new_stream("anthropic")
    relay(stream, FIRST_STREAM)
    turn = stream.turn_response()
    assert turn["content"] == [THINKING, {"type": "text", "text": "Let me look."}, RETRIEVE]
    assert turn["stop_reason"] == "tool_use"
    out = continuation(BODY, turn, {"toolu_01A": "row 7"}, "anthropic")
    assert orjson.dumps(out["messages"][1]["content"][0]) == orjson.dumps(THINKING)


def test_continuation_is_spliced_with_renumbered_indices_and_summed_usage() -> None:
    stream = new_stream("anthropic")
    sent = relay(stream, FIRST_STREAM)
    stream.start_continuation()
    sent += [stream.ping()]
    sent += relay(stream, SECOND_STREAM)
    events = datas(sent)
    kinds = [e["type"] for e in events]
    assert kinds.count("message_start") == 1 and kinds.count("message_stop") == 1
    assert kinds[-1] == "message_stop" and kinds.count("ping") == 2
    indices = [e["index"] for e in events if e["type"] == "content_block_start"]
    assert indices == [0, 1, 2]
    text = [e for e in events if e["type"] == "content_block_delta" and e["index"] == 2]
    assert text[0]["delta"]["text"] == "14 jobs timed out."
    (delta,) = [e for e in events if e["type"] == "message_delta"]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"] == {
        "input_tokens": 420,
        "cache_read_input_tokens": 8000,
        "output_tokens": 80,
    }
    assert stream.pending_calls == [] and stream.hidden_turn is None


def test_a_stream_without_retrieve_calls_is_relayed_byte_for_byte() -> None:
    stream = new_stream("anthropic")
    assert encode_all(relay(stream, SECOND_STREAM)) == SECOND_STREAM
    assert stream.pending_calls == []


def test_finish_closes_the_message_when_the_rounds_run_out() -> None:
    stream = new_stream("anthropic")
    sent = relay(stream, FIRST_STREAM) + stream.finish()
    events = datas(sent)
    assert [e["type"] for e in events[-2:]] == ["message_delta", "message_stop"]
    assert events[-2]["delta"]["stop_reason"] == "end_turn"
    assert events[-2]["usage"]["output_tokens"] == 60


MIXED_STREAM = sse(
    _start("msg_03", {"input_tokens": 50, "output_tokens": 1}),
    *_block(0, {"type": "text", "text": ""}, {"type": "text_delta", "text": "Both."}),
    *_block(
        1,
        {"type": "tool_use", "id": "toolu_01A", "name": "headroom_retrieve", "input": {}},
        {"type": "input_json_delta", "partial_json": '{"id": "hr_3f9a2c1b7e4d"}'},
    ),
    *_block(
        2,
        {"type": "tool_use", "id": "toolu_B", "name": "Bash", "input": {}},
        {"type": "input_json_delta", "partial_json": '{"command": "ls"}'},
    ),
    *_end("tool_use", {"output_tokens": 40}),
)


def test_mixed_stream_hides_the_retrieve_block_and_reports_the_hidden_turn() -> None:
    stream = new_stream("anthropic")
    events = datas(relay(stream, MIXED_STREAM))
    starts = [e for e in events if e["type"] == "content_block_start"]
    assert [(e["index"], e["content_block"]["type"]) for e in starts] == [
        (0, "text"),
        (1, "tool_use"),
    ]
    assert starts[1]["content_block"]["name"] == "Bash"
    assert {e["index"] for e in events if "index" in e} == {0, 1}
    assert events[-1]["type"] == "message_stop" and stream.pending_calls == []
    turn = stream.hidden_turn
    assert turn is not None
    assert turn.client_call_ids == ("toolu_B",) and turn.visible_count == 2
    assert turn.hidden == ((1, {**RETRIEVE, "input": {"id": "hr_3f9a2c1b7e4d"}}),)
