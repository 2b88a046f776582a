from __future__ import annotations

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

REASONING = {
    "type": "reasoning",
    "id": "rs_1",
    "summary": [],
    "encrypted_content": "gAAAAABo-opaque-reasoning==",
}
RETRIEVE_ITEM = {
    "type": "function_call",
    "id": "fc_R",
    "call_id": "call_R1",
    "name": "headroom_retrieve",
    "arguments": '{"id":"hr_3f9a2c1b7e4d"}',
    "status": "completed",
}
ANSWER = {
    "type": "message",
    "id": "msg_1",
    "status": "completed",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "14 jobs timed out.", "annotations": []}],
}
BODY: dict[str, Any] = {
    "model": "gpt-5-codex",
    "instructions": "You are Codex.",
    "input": [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "why did the jobs retry?"}],
        }
    ],
    "store": False,
    "stream": True,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "conv-1",
}


def _usage(inp: int, cached: int, out: int) -> dict[str, Any]:
    return {
        "input_tokens": inp,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": 8},
        "total_tokens": inp + out,
    }


def _response(rid: str, output: list[Any], usage: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "response",
        "created_at": 1760000000,
        "status": "completed" if usage else "in_progress",
        "model": "gpt-5-codex",
        "output": output,
        "usage": usage,
    }


FIRST = _response("resp_1", [REASONING, RETRIEVE_ITEM], _usage(2000, 1920, 40))
FINAL = _response("resp_2", [ANSWER], _usage(2100, 1920, 10))


def test_only_retrieve_turn_is_recognised_and_client_calls_are_not_looped_on() -> None:
    assert find_calls(FIRST, "openai-responses") == [
        RetrieveCall("call_R1", "hr_3f9a2c1b7e4d", None)
    ]
    assert is_only_retrieve(FIRST, "responses")
    shell = {"type": "local_shell_call", "call_id": "call_S", "action": {}}
    assert not is_only_retrieve({**FIRST, "output": [*FIRST["output"], shell]}, "responses")
    search = {"type": "web_search_call", "id": "ws_1", "status": "completed"}
    assert is_only_retrieve({**FIRST, "output": [search, *FIRST["output"]]}, "responses")


def test_continuation_appends_output_items_verbatim_and_function_call_outputs() -> None:
    out = continuation(BODY, FIRST, {"call_R1": "row 7"}, "openai-responses")
    assert out["input"] == [
        *BODY["input"],
        REASONING,
        RETRIEVE_ITEM,
        {"type": "function_call_output", "call_id": "call_R1", "output": "row 7"},
    ]
    assert {k: v for k, v in out.items() if k != "input"} == {
        k: v for k, v in BODY.items() if k != "input"
    }


def test_a_string_input_becomes_a_user_message_in_the_continuation() -> None:
    out = continuation({**BODY, "input": "why?"}, FIRST, {"call_R1": "x"}, "responses")
    assert out["input"][0] == {"role": "user", "content": "why?"}


def test_merge_keeps_visible_items_of_both_rounds_and_sums_usage() -> None:
    merged = merge_responses(FIRST, FINAL, "openai-responses")
    assert merged["output"] == [REASONING, ANSWER]
    assert merged["usage"] == {
        "input_tokens": 4100,
        "input_tokens_details": {"cached_tokens": 3840},
        "output_tokens": 50,
        "output_tokens_details": {"reasoning_tokens": 16},
        "total_tokens": 4150,
    }


# --- streaming ---------------------------------------------------------------


def _events(rid: str, items: list[dict[str, Any]], usage: dict[str, Any]) -> list[Any]:
    """A realistic Responses stream: each item added, streamed and done."""
    events: list[Any] = [
        {"type": "response.created", "response": _response(rid, [], None)},
        {"type": "response.in_progress", "response": _response(rid, [], None)},
    ]
    for index, item in enumerate(items):
        events.append(
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": {**item, "status": "in_progress"},
            }
        )
        if item["type"] == "function_call":
            events.append(
                {
                    "type": "response.function_call_arguments.delta",
                    "item_id": item["id"],
                    "output_index": index,
                    "delta": item["arguments"],
                }
            )
        if item["type"] == "message":
            events.append(
                {
                    "type": "response.output_text.delta",
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "delta": item["content"][0]["text"],
                }
            )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": _response(rid, items, usage)})
    return [(e["type"], {**e, "sequence_number": n}) for n, e in enumerate(events)]


FIRST_STREAM = sse(*_events("resp_1", [REASONING, RETRIEVE_ITEM], _usage(2000, 1920, 40)))
SECOND_STREAM = sse(*_events("resp_2", [ANSWER], _usage(2100, 1920, 10)))


def test_retrieve_item_is_held_back_and_the_completed_event_waits() -> None:
    stream = new_stream("openai-responses")
    events = datas(relay(stream, FIRST_STREAM))
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
    ]
    assert stream.pending_calls == [RetrieveCall("call_R1", "hr_3f9a2c1b7e4d", None)]
    assert stream.turn_response()["output"] == [REASONING, RETRIEVE_ITEM]


def test_continuation_renumbers_output_index_and_sequence_and_completes_once() -> None:
    stream = new_stream("openai-responses")
    sent = relay(stream, FIRST_STREAM)
    stream.start_continuation()
    sent += relay(stream, SECOND_STREAM)
    events = datas(sent)
    kinds = [e["type"] for e in events]
    assert kinds.count("response.created") == 1 and kinds.count("response.completed") == 1
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    added = [e for e in events if e["type"] == "response.output_item.added"]
    assert [(e["output_index"], e["item"]["type"]) for e in added] == [
        (0, "reasoning"),
        (1, "message"),
    ]
    completed = events[-1]["response"]
    assert completed["id"] == "resp_1"
    assert completed["output"] == [REASONING, ANSWER]
    assert completed["usage"]["input_tokens"] == 4100
    assert "headroom_retrieve" not in str(events)


def test_a_stream_without_retrieve_calls_is_relayed_byte_for_byte() -> None:
    stream = new_stream("openai-responses")
    assert encode_all(relay(stream, SECOND_STREAM)) == SECOND_STREAM


def test_finish_completes_the_response_when_the_rounds_run_out() -> None:
    stream = new_stream("openai-responses")
    events = datas(relay(stream, FIRST_STREAM) + stream.finish())
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["output"] == [REASONING]
    assert events[-1]["sequence_number"] == len(events) - 1
