"""The fake speaks OpenAI Chat Completions well enough for the official SDK."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from headroom.testing import FakeUpstream, Reply, ToolCall, parse_sse

MODEL = "gpt-4.1"
HELLO: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def client(up: FakeUpstream) -> openai.OpenAI:
    return openai.OpenAI(base_url=up.url + "/v1", api_key="test", max_retries=0)


def test_sdk_reads_a_plain_text_reply(up: FakeUpstream) -> None:
    up.script(Reply.text("Hello from the fake upstream."))
    completion = client(up).chat.completions.create(model=MODEL, messages=HELLO)
    choice = completion.choices[0]
    assert choice.message.content == "Hello from the fake upstream."
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0


def test_sdk_reads_parallel_tool_calls_with_json_string_arguments(up: FakeUpstream) -> None:
    up.script(
        Reply.tool_calls(
            [ToolCall("headroom_retrieve", {"id": "hr_1"}, id="call_a"), ("Read", {"path": "x"})]
        )
    )
    completion = client(up).chat.completions.create(model=MODEL, messages=HELLO)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = [c for c in choice.message.tool_calls or [] if c.type == "function"]
    assert calls[0].id == "call_a"
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("headroom_retrieve", {"id": "hr_1"}),
        ("Read", {"path": "x"}),
    ]


def test_sdk_stream_accumulates_text_and_tool_call_fragments(up: FakeUpstream) -> None:
    reply = Reply.tool_calls(
        [("headroom_retrieve", {"id": "hr_0123456789ab", "query": "a long query"})],
        text="Let me fetch the original.",
    )
    up.script(reply)
    with client(up).chat.completions.stream(model=MODEL, messages=HELLO) as stream:
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert message.content == "Let me fetch the original."
    call = (message.tool_calls or [])[0]
    assert call.function.name == "headroom_retrieve"
    assert json.loads(call.function.arguments) == {
        "id": "hr_0123456789ab",
        "query": "a long query",
    }
    assert final.choices[0].finish_reason == "tool_calls"


def test_stream_ends_with_a_usage_chunk_then_done(up: FakeUpstream) -> None:
    up.script(Reply.text("cached").with_usage(input_tokens=100, cache_read_tokens=1024))
    body = {
        "model": MODEL,
        "messages": HELLO,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    events = parse_sse(httpx.post(f"{up.url}/v1/chat/completions", json=body).text)
    assert events[-1].data == "[DONE]"
    usage_chunk = events[-2].json()
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["prompt_tokens"] == 1124
    assert usage_chunk["usage"]["prompt_tokens_details"]["cached_tokens"] == 1024
    assert all(e.json()["usage"] is None for e in events[:-2])
    assert events[-3].json()["choices"][0]["finish_reason"] == "stop"


def test_stream_without_include_usage_has_no_usage_chunk(up: FakeUpstream) -> None:
    body = {"model": MODEL, "messages": HELLO, "stream": True}
    events = parse_sse(httpx.post(f"{up.url}/v1/chat/completions", json=body).text)
    assert events[-1].data == "[DONE]"
    assert all("usage" not in e.json() for e in events[:-1])


@pytest.mark.parametrize("status", [429, 500])
def test_errors_reach_the_sdk_with_the_openai_error_body(up: FakeUpstream, status: int) -> None:
    up.script(Reply.error(status))
    with pytest.raises(openai.APIStatusError) as caught:
        client(up).chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    assert caught.value.status_code == status
    assert set(caught.value.response.json()["error"]) == {"message", "type", "param", "code"}


def test_models_list_parses_in_the_sdk(up: FakeUpstream) -> None:
    assert MODEL in [model.id for model in client(up).models.list()]


def test_sdk_raises_on_a_mid_stream_error(up: FakeUpstream) -> None:
    up.script(Reply.error_mid_stream(Reply.text("partial answer"), after_events=2, status=500))
    stream = client(up).chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    with pytest.raises(openai.APIError, match="Internal server error"):
        list(stream)
