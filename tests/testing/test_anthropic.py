"""The fake speaks Anthropic Messages well enough for the official SDK."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from headroom.testing import FakeUpstream, Reply, parse_sse

MODEL = "claude-sonnet-4-6"
HELLO: list[anthropic.types.MessageParam] = [{"role": "user", "content": "hello"}]


def client(up: FakeUpstream) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=up.url, api_key="test", max_retries=0)


def test_sdk_reads_a_plain_text_reply(up: FakeUpstream) -> None:
    up.script(Reply.text("Hello from the fake upstream."))
    message = client(up).messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hello from the fake upstream."
    assert message.stop_reason == "end_turn"
    assert message.model == MODEL
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens > 0


def test_sdk_streams_text_that_arrives_in_several_deltas(up: FakeUpstream) -> None:
    text = "A sentence long enough to arrive in several separate pieces."
    up.script(Reply.text(text))
    with client(up).messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces) == text
    assert final.content[0].type == "text"
    assert final.content[0].text == text


def test_sdk_reads_a_retrieve_tool_call_streamed_and_not(up: FakeUpstream) -> None:
    call = Reply.tool_call("headroom_retrieve", {"id": "hr_0123456789ab", "query": "errors"})
    up.script(call, call)
    sdk = client(up)
    plain = sdk.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    with sdk.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        streamed = stream.get_final_message()
    for message in (plain, streamed):
        block = message.content[0]
        assert block.type == "tool_use"
        assert block.name == "headroom_retrieve"
        assert block.input == {"id": "hr_0123456789ab", "query": "errors"}
        assert block.id.startswith("toolu_")
        assert message.stop_reason == "tool_use"


def test_streamed_thinking_keeps_its_signature_intact(up: FakeUpstream) -> None:
    signature = "EuYBCkQYAiJA" + "x/+=" * 40
    up.script(Reply.thinking("Let me look at the failing test first.", signature, "Done."))
    with client(up).messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        final = stream.get_final_message()
    thinking, text = final.content
    assert thinking.type == "thinking"
    assert thinking.signature == signature
    assert thinking.thinking == "Let me look at the failing test first."
    assert text.type == "text"
    assert text.text == "Done."


def test_stream_follows_the_real_event_sequence(up: FakeUpstream) -> None:
    up.script(Reply.tool_calls([("Read", {"file_path": "a/long/path/to/module.py"})], text="Hi"))
    body = {"model": MODEL, "max_tokens": 64, "messages": HELLO, "stream": True}
    events = parse_sse(httpx.post(f"{up.url}/v1/messages", json=body).text)
    names = [e.event for e in events]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert all(e.event == e.json()["type"] for e in events)
    starts = [e.json() for e in events if e.event == "content_block_start"]
    assert [(s["index"], s["content_block"]["type"]) for s in starts] == [
        (0, "text"),
        (1, "tool_use"),
    ]
    json_pieces = [
        e.json()["delta"]["partial_json"]
        for e in events
        if e.event == "content_block_delta" and e.json()["delta"]["type"] == "input_json_delta"
    ]
    assert len(json_pieces) > 1
    assert "".join(json_pieces) == '{"file_path":"a/long/path/to/module.py"}'
    delta = events[-2].json()
    assert delta["delta"]["stop_reason"] == "tool_use"
    assert delta["usage"]["output_tokens"] > 0


def test_scripted_usage_reports_cache_reads_and_writes(up: FakeUpstream) -> None:
    reply = Reply.text("cached").with_usage(
        input_tokens=21, output_tokens=7, cache_read_tokens=18000, cache_write_tokens=300
    )
    up.script(reply, reply)
    sdk = client(up)
    plain = sdk.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    with sdk.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        streamed = stream.get_final_message()
    for message in (plain, streamed):
        assert message.usage.input_tokens == 21
        assert message.usage.output_tokens == 7
        assert message.usage.cache_read_input_tokens == 18000
        assert message.usage.cache_creation_input_tokens == 300


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(429, "rate_limit_error"), (500, "api_error"), (529, "overloaded_error")],
)
def test_errors_reach_the_sdk_with_the_anthropic_error_body(
    up: FakeUpstream, status: int, error_type: str
) -> None:
    up.script(Reply.error(status))
    with pytest.raises(anthropic.APIStatusError) as caught:
        client(up).messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    assert caught.value.status_code == status
    body = caught.value.response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == error_type


def test_rate_limit_carries_retry_headers(up: FakeUpstream) -> None:
    up.script(Reply.error(429, "slow down", {"retry-after": "7", "anthropic-ratelimit-x": "0"}))
    with pytest.raises(anthropic.RateLimitError) as caught:
        client(up).messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.response.headers["anthropic-ratelimit-x"] == "0"
    assert caught.value.response.json()["error"]["message"] == "slow down"


def test_count_tokens_answers_without_using_the_script(up: FakeUpstream) -> None:
    up.script(Reply.text("kept for later"))
    counted = client(up).messages.count_tokens(model=MODEL, messages=HELLO)
    assert counted.input_tokens > 0
    assert up.pending == 1


def test_models_list_parses_in_the_sdk(up: FakeUpstream) -> None:
    ids = [model.id for model in client(up).models.list()]
    assert MODEL in ids


def test_a_mid_stream_error_arrives_as_an_error_event_after_a_200(up: FakeUpstream) -> None:
    up.script(Reply.error_mid_stream(Reply.text("partial answer"), after_events=3))
    body = {"model": MODEL, "max_tokens": 64, "messages": HELLO, "stream": True}
    response = httpx.post(f"{up.url}/v1/messages", json=body)
    assert response.status_code == 200
    events = parse_sse(response.text)
    assert [e.event for e in events] == ["message_start", "ping", "content_block_start", "error"]
    assert events[-1].json()["error"]["type"] == "overloaded_error"


def test_sdk_raises_on_a_mid_stream_error(up: FakeUpstream) -> None:
    up.script(Reply.error_mid_stream(Reply.text("partial answer"), after_events=4))
    with (
        pytest.raises(anthropic.APIStatusError, match="Overloaded"),
        client(up).messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream,
    ):
        stream.get_final_message()
