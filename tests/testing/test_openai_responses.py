"""The fake speaks the OpenAI Responses API well enough for the official SDK."""

from __future__ import annotations

import json

import httpx
import openai

from headroom.testing import FakeUpstream, Reply, parse_sse

MODEL = "gpt-5"


def client(up: FakeUpstream) -> openai.OpenAI:
    return openai.OpenAI(base_url=up.url + "/v1", api_key="test", max_retries=0)


def test_sdk_reads_text_and_usage(up: FakeUpstream) -> None:
    up.script(Reply.text("Hello.").with_usage(input_tokens=10, cache_read_tokens=90))
    response = client(up).responses.create(model=MODEL, input="hi")
    assert response.output_text == "Hello."
    assert response.usage is not None
    assert response.usage.input_tokens == 100
    assert response.usage.input_tokens_details.cached_tokens == 90


def test_sdk_reads_a_function_call_item(up: FakeUpstream) -> None:
    up.script(Reply.tool_call("headroom_retrieve", {"id": "hr_1"}, id="call_7"))
    response = client(up).responses.create(model=MODEL, input="hi")
    item = response.output[0]
    assert item.type == "function_call"
    assert item.call_id == "call_7"
    assert item.name == "headroom_retrieve"
    assert json.loads(item.arguments) == {"id": "hr_1"}


def test_sdk_stream_accumulates_reasoning_and_text(up: FakeUpstream) -> None:
    up.script(Reply.of(*Reply.thinking("Think it through.", "gAAAAB-encrypted", "Calling.").parts))
    with client(up).responses.stream(model=MODEL, input="hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    reasoning, message = final.output
    assert reasoning.type == "reasoning"
    assert reasoning.encrypted_content == "gAAAAB-encrypted"
    assert message.type == "message"
    assert final.output_text == "Calling."
    assert "".join(deltas) == "Calling."


def test_stream_has_named_numbered_events_and_no_done(up: FakeUpstream) -> None:
    up.script(Reply.tool_calls([("Read", {"path": "src/a/long/module/name.py"})], text="Hm"))
    body = {"model": MODEL, "input": "hi", "stream": True}
    events = parse_sse(httpx.post(f"{up.url}/v1/responses", json=body).text)
    names = [e.event for e in events]
    assert names[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert names[-1] == "response.completed"
    assert "[DONE]" not in [e.data for e in events]
    assert [e.json()["sequence_number"] for e in events] == list(range(len(events)))
    assert all(e.event == e.json()["type"] for e in events)
    arguments = [
        e.json()["delta"] for e in events if e.event == "response.function_call_arguments.delta"
    ]
    assert len(arguments) > 1
    assert json.loads("".join(arguments)) == {"path": "src/a/long/module/name.py"}
    assert events[-1].json()["response"]["usage"]["output_tokens"] > 0


def test_errors_use_the_openai_error_body(up: FakeUpstream) -> None:
    up.script(Reply.error(500, "boom"))
    response = httpx.post(f"{up.url}/v1/responses", json={"model": MODEL, "stream": True})
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "boom"


def test_a_mid_stream_error_is_a_numbered_error_event(up: FakeUpstream) -> None:
    up.script(Reply.error_mid_stream(Reply.text("partial"), after_events=2, status=500))
    body = {"model": MODEL, "input": "hi", "stream": True}
    response = httpx.post(f"{up.url}/v1/responses", json=body)
    assert response.status_code == 200
    events = parse_sse(response.text)
    assert [e.event for e in events] == ["response.created", "response.in_progress", "error"]
    assert events[-1].json()["sequence_number"] == 2
