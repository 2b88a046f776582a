"""The retrieve loop end to end: real SDKs → `default_app` → the fake upstream.

The upstream is scripted to call `headroom_retrieve` with the id of the marker
the proxy put into the request; the proxy answers it from the store, continues
upstream, and the client only ever sees the final answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import orjson
import pytest

from headroom.proxy.retrieve import tool_definition
from headroom.runtime import Runtime
from headroom.testing import FakeUpstream, Reply, ToolCall
from tests.proxy import bodies
from tests.proxy.conftest import Served, big_log
from tests.proxy.wired import marker_id, serve_default, tool_names

RETRIEVE = "headroom_retrieve"
ANSWER = "Request id=42 failed."
KEY = "sk-test-retrieve"


@pytest.fixture
def served(up: FakeUpstream, shared_runtime: Runtime) -> Iterator[Served]:
    with serve_default(up, shared_runtime) as app:
        yield app


def _anthropic(served: Served) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=served.url, max_retries=0)


def _openai(served: Served) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=served.url + "/v1", max_retries=0)


def _prime(up: FakeUpstream, send: Any) -> str:
    """Send the request once with a plain answer; the id of the marker it got."""
    send()
    return marker_id(up.requests[-1])


def _script_retrieve(up: FakeUpstream, ccr_id: str) -> None:
    up.script(
        Reply.tool_call(RETRIEVE, {"id": ccr_id}).with_usage(input_tokens=100, output_tokens=10),
        Reply.text(ANSWER).with_usage(input_tokens=200, output_tokens=20),
    )


def _anthropic_results(request: Any) -> list[dict[str, Any]]:
    last = request.json()["messages"][-1]
    return [b for b in last["content"] if b.get("type") == "tool_result"]


# --- the tool ---------------------------------------------------------------


def test_the_tool_is_last_in_tools_with_the_same_bytes_on_every_turn(
    up: FakeUpstream, served: Served
) -> None:
    client = _anthropic(served)
    tool = {"name": "Bash", "input_schema": {"type": "object"}}
    body = bodies.anthropic(big_log(), tools=[tool])
    client.messages.create(**body)
    client.messages.create(**body)
    tools = [orjson.dumps(r.json()["tools"]) for r in up.requests]
    assert tools[0] == tools[1]
    sent = up.requests[0].json()["tools"]
    assert tool_names(sent) == ["Bash", RETRIEVE]
    assert orjson.dumps(sent[-1]) == orjson.dumps(tool_definition("anthropic"))


def test_a_request_nothing_was_cut_from_keeps_the_clients_bytes_plus_the_tool(
    up: FakeUpstream, served: Served
) -> None:
    raw = (
        b'{ "model": "claude-sonnet-4-6", "max_tokens": 64,\n'
        b'  "messages": [ {"role": "user", "content": "caf\\u00e9 ok?"} ] }'
    )
    headers = {"content-type": "application/json", "x-api-key": "k"}
    httpx.post(served.url + "/v1/messages", content=raw, headers=headers)
    sent = up.requests[0].body
    # Every byte the client chose up to its closing brace, then the tool.
    assert sent.startswith(raw[:-1].rstrip() + b',"tools":[')
    assert orjson.loads(sent)["tools"] == [tool_definition("anthropic")]


def test_gemini_requests_get_no_tool(up: FakeUpstream, served: Served) -> None:
    httpx.post(served.url + bodies.GEMINI_PATH, json=bodies.gemini(big_log()))
    assert "tools" not in up.requests[0].json()


def test_rounds_zero_switches_the_loop_off(up: FakeUpstream, shared_runtime: Runtime) -> None:
    with serve_default(up, shared_runtime, retrieve_rounds=0) as served:
        _anthropic(served).messages.create(**bodies.anthropic(big_log()))
    assert "tools" not in up.requests[0].json()


# --- Anthropic --------------------------------------------------------------


def test_anthropic_retrieve_is_answered_by_the_proxy(up: FakeUpstream, served: Served) -> None:
    client = _anthropic(served)
    body = bodies.anthropic(big_log())
    ccr_id = _prime(up, lambda: client.messages.create(**body))
    _script_retrieve(up, ccr_id)
    message = client.messages.create(**body)
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == ANSWER
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (300, 30)
    first, continued = up.requests[1].json(), up.requests[2]
    [result] = _anthropic_results(continued)
    assert result["content"] == big_log()
    assert continued.json()["messages"][:-2] == first["messages"]
    assert continued.json()["tools"] == first["tools"]


def test_anthropic_stream_hides_the_retrieve_round(up: FakeUpstream, served: Served) -> None:
    client = _anthropic(served)
    body = bodies.anthropic(big_log())
    ccr_id = _prime(up, lambda: client.messages.create(**body))
    _script_retrieve(up, ccr_id)
    with client.messages.stream(**body) as stream:
        events = [event.type for event in stream]
        message = stream.get_final_message()
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == ANSWER  # type: ignore[union-attr]
    assert (message.usage.input_tokens, message.usage.output_tokens) == (300, 30)
    assert events.count("message_start") == 1 and events.count("message_stop") == 1
    assert [r["content"] for r in _anthropic_results(up.requests[2])] == [big_log()]


def test_anthropic_stream_pings_while_the_proxy_continues(up: FakeUpstream, served: Served) -> None:
    body = bodies.anthropic(big_log(), stream=True)
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    httpx.post(served.url + "/v1/messages", json={**body, "stream": False}, headers=headers)
    _script_retrieve(up, marker_id(up.requests[-1]))
    response = httpx.post(served.url + "/v1/messages", json=body, headers=headers)
    names = [line for line in response.text.splitlines() if line.startswith("event:")]
    assert RETRIEVE not in response.text
    # The fake pings once per stream; the third ping is the proxy's, sent during the round trip.
    assert names[:4] == ["event: message_start", *["event: ping"] * 3]
    assert names.count("event: message_start") == 1


def test_anthropic_rounds_run_out_with_an_ended_turn(
    up: FakeUpstream, shared_runtime: Runtime
) -> None:
    with serve_default(up, shared_runtime, retrieve_rounds=1) as served:
        client = _anthropic(served)
        body = bodies.anthropic(big_log())
        ccr_id = _prime(up, lambda: client.messages.create(**body))
        call = Reply.tool_calls([(RETRIEVE, {"id": ccr_id})], text="Looking.")
        up.script(call, call)
        message = client.messages.create(**body)
        up.script(call, call)
        with client.messages.stream(**body) as stream:
            streamed = stream.get_final_message()
    for got in (message, streamed):
        assert got.stop_reason == "end_turn"
        assert [b.type for b in got.content] == ["text", "text"]
    assert len(up.requests) == 5


def test_anthropic_continuation_error_ends_the_stream_with_an_error_event(
    up: FakeUpstream, served: Served
) -> None:
    client = _anthropic(served)
    body = bodies.anthropic(big_log())
    ccr_id = _prime(up, lambda: client.messages.create(**body))
    up.script(Reply.tool_call(RETRIEVE, {"id": ccr_id}), Reply.error(529))
    with pytest.raises(anthropic.APIStatusError), client.messages.stream(**body) as stream:
        stream.get_final_message()
    up.script(Reply.tool_call(RETRIEVE, {"id": ccr_id}), Reply.error(529))
    with pytest.raises(anthropic.APIConnectionError):
        client.messages.create(**body)


# --- OpenAI Chat Completions ------------------------------------------------


def test_openai_chat_retrieve_is_answered_by_the_proxy(up: FakeUpstream, served: Served) -> None:
    client = _openai(served)
    body = bodies.openai_chat(big_log())
    ccr_id = _prime(up, lambda: client.chat.completions.create(**body))
    _script_retrieve(up, ccr_id)
    completion = client.chat.completions.create(**body)
    choice = completion.choices[0]
    assert (choice.message.content, choice.message.tool_calls) == (ANSWER, None)
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (300, 30)
    tool_message = up.requests[2].json()["messages"][-1]
    assert (tool_message["role"], tool_message["content"]) == ("tool", big_log())


def test_openai_chat_stream_hides_the_retrieve_round(up: FakeUpstream, served: Served) -> None:
    client = _openai(served)
    body = bodies.openai_chat(big_log())
    ccr_id = _prime(up, lambda: client.chat.completions.create(**body))
    _script_retrieve(up, ccr_id)
    chunks = list(
        client.chat.completions.create(**body, stream=True, stream_options={"include_usage": True})
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ANSWER
    assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    usage = [c.usage for c in chunks if c.usage is not None]
    assert [(u.prompt_tokens, u.completion_tokens) for u in usage] == [(300, 30)]
    assert up.requests[2].json()["messages"][-1]["content"] == big_log()


# --- OpenAI Responses -------------------------------------------------------


def test_openai_responses_retrieve_is_answered_by_the_proxy(
    up: FakeUpstream, served: Served
) -> None:
    client = _openai(served)
    body = bodies.openai_responses(big_log())
    ccr_id = _prime(up, lambda: client.responses.create(**body))
    _script_retrieve(up, ccr_id)
    response = client.responses.create(**body)
    assert response.output_text == ANSWER
    assert [item.type for item in response.output] == ["message"]
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (300, 30)
    output = up.requests[2].json()["input"][-1]
    assert (output["type"], output["output"]) == ("function_call_output", big_log())


def test_openai_responses_stream_hides_the_retrieve_round(up: FakeUpstream, served: Served) -> None:
    client = _openai(served)
    body = bodies.openai_responses(big_log())
    ccr_id = _prime(up, lambda: client.responses.create(**body))
    _script_retrieve(up, ccr_id)
    with client.responses.stream(**body) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert final.output_text == ANSWER
    assert [item.type for item in final.output] == ["message"]
    assert final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens) == (300, 30)
    assert kinds.count("response.created") == 1 and kinds.count("response.completed") == 1
    assert up.requests[2].json()["input"][-1]["output"] == big_log()


# --- mixed turns ------------------------------------------------------------


def _mixed(ccr_id: str) -> Reply:
    return Reply.tool_calls(
        [
            ToolCall(RETRIEVE, {"id": ccr_id}, "toolu_hr"),
            ToolCall("Bash", {"command": "ls"}, "toolu_ls"),
        ]
    )


@pytest.mark.parametrize("stream", [False, True])
def test_mixed_turn_shows_the_client_only_its_call_and_restores_the_pair(
    up: FakeUpstream, served: Served, stream: bool
) -> None:
    client = _anthropic(served)
    body = bodies.anthropic(big_log())
    ccr_id = _prime(up, lambda: client.messages.create(**body))
    up.script(_mixed(ccr_id))
    if stream:
        with client.messages.stream(**body) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**body)
    assert [(b.type, getattr(b, "name", None)) for b in message.content] == [("tool_use", "Bash")]
    assert len(up.requests) == 2
    turn = message.model_dump(include={"role", "content"}, exclude_none=True)
    result = {"type": "tool_result", "tool_use_id": "toolu_ls", "content": "a.txt"}
    history = [*body["messages"], turn, {"role": "user", "content": [result]}]
    client.messages.create(**{**body, "messages": history})
    assistant, answers = up.requests[2].json()["messages"][-2:]
    assert [b.get("name") for b in assistant["content"]] == [RETRIEVE, "Bash"]
    restored = [(r["tool_use_id"], r["content"]) for r in answers["content"]]
    assert restored == [("toolu_hr", big_log()), ("toolu_ls", "a.txt")]


def test_openai_chat_mixed_turn_is_restored_on_the_next_request(
    up: FakeUpstream, served: Served
) -> None:
    client = _openai(served)
    body = bodies.openai_chat(big_log())
    ccr_id = _prime(up, lambda: client.chat.completions.create(**body))
    up.script(
        Reply.tool_calls(
            [
                ToolCall(RETRIEVE, {"id": ccr_id}, "call_hr"),
                ToolCall("Bash", {"command": "ls"}, "call_ls"),
            ]
        )
    )
    message = client.chat.completions.create(**body).choices[0].message
    assert [call.id for call in message.tool_calls or []] == ["call_ls"]
    turn = message.model_dump(exclude_none=True)
    result = {"role": "tool", "tool_call_id": "call_ls", "content": "a.txt"}
    client.chat.completions.create(**{**body, "messages": [*body["messages"], turn, result]})
    sent = up.requests[-1].json()["messages"]
    assistant = next(m for m in reversed(sent) if m["role"] == "assistant")
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_hr", "call_ls"]
    tools = [(m["tool_call_id"], m["content"]) for m in sent if m["role"] == "tool"]
    assert tools[-2:] == [("call_hr", big_log()), ("call_ls", "a.txt")]
