"""Responses through the proxy: streams relayed as they arrive, breaks reported."""

from __future__ import annotations

import anthropic
import httpx
import openai
import orjson
import pytest

from headroom.testing import FakeUpstream, Reply, SSEEvent, parse_sse
from tests.proxy import bodies
from tests.proxy.conftest import StartProxy

ANTHROPIC_HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
LONG_TEXT = "one two three four five six seven eight nine ten eleven twelve"


def stream_chunks(url: str, path: str, body: bytes, headers: dict[str, str]) -> list[bytes]:
    with httpx.stream("POST", url + path, content=body, headers=headers, timeout=30) as response:
        assert response.status_code == 200
        return list(response.iter_bytes())


def events_of(chunks: list[bytes]) -> list[SSEEvent]:
    return parse_sse(b"".join(chunks).decode())


def test_sse_is_relayed_event_by_event_in_order(up: FakeUpstream, proxy: StartProxy) -> None:
    body = orjson.dumps(bodies.anthropic("short", stream=True))
    up.script(Reply.slow(Reply.text(LONG_TEXT), delay=0.02), Reply.text(LONG_TEXT))
    relayed = stream_chunks(proxy(), "/v1/messages", body, ANTHROPIC_HEADERS)
    direct = stream_chunks(up.url, "/v1/messages", body, ANTHROPIC_HEADERS)
    # Paced events arrive in many chunks: the proxy did not wait for the end.
    assert len(relayed) > 3
    names = [e.event for e in events_of(relayed)]
    assert names == [e.event for e in events_of(direct)]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    deltas = [orjson.loads(e.data) for e in events_of(relayed) if e.event == "content_block_delta"]
    assert "".join(d["delta"]["text"] for d in deltas) == LONG_TEXT


def _anthropic_error(events: list[SSEEvent]) -> bool:
    last = events[-1]
    return last.event == "error" and orjson.loads(last.data)["error"]["type"] == "api_error"


def _openai_chat_error(events: list[SSEEvent]) -> bool:
    message: str = orjson.loads(events[-1].data)["error"]["message"]
    return "upstream stream broke off" in message


def _responses_error(events: list[SSEEvent]) -> bool:
    names = [e.event for e in events[-2:]]
    failed = orjson.loads(events[-1].data)["response"]
    return names == ["error", "response.failed"] and failed["status"] == "failed"


def _gemini_error(events: list[SSEEvent]) -> bool:
    status: str = orjson.loads(events[-1].data)["error"]["status"]
    return status == "UNAVAILABLE"


@pytest.mark.parametrize(
    ("path", "body", "is_error_event"),
    [
        ("/v1/messages", bodies.anthropic("x", stream=True), _anthropic_error),
        ("/v1/chat/completions", bodies.openai_chat("x", stream=True), _openai_chat_error),
        ("/v1/responses", bodies.openai_responses("x", stream=True), _responses_error),
        (bodies.GEMINI_STREAM_PATH + "?alt=sse", bodies.gemini("x"), _gemini_error),
    ],
    ids=["anthropic", "openai-chat", "openai-responses", "gemini"],
)
def test_a_stream_broken_mid_way_ends_with_the_providers_error_event(
    up: FakeUpstream,
    proxy: StartProxy,
    path: str,
    body: dict[str, object],
    is_error_event: object,
) -> None:
    up.script(Reply.disconnect(Reply.text(LONG_TEXT), after_events=3))
    headers = {**ANTHROPIC_HEADERS, "authorization": "Bearer k"}
    events = events_of(stream_chunks(proxy(), path, orjson.dumps(body), headers))
    assert len(events) >= 4  # what arrived before the break, then the error
    assert callable(is_error_event) and is_error_event(events)


def test_a_plain_body_broken_mid_way_never_looks_complete(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    up.script(Reply.disconnect(Reply.text(LONG_TEXT), after_events=1))
    body = orjson.dumps(bodies.anthropic("x"))
    with pytest.raises(httpx.TransportError):
        httpx.post(proxy() + "/v1/messages", content=body, headers=ANTHROPIC_HEADERS)


def test_a_429_on_a_streaming_request_reaches_the_client_as_a_429(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    up.script(Reply.error(429, "rate limited"))
    body = orjson.dumps(bodies.anthropic("x", stream=True))
    url = proxy()
    response = httpx.post(url + "/v1/messages", content=body, headers=ANTHROPIC_HEADERS)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["type"] == "rate_limit_error"


def test_the_anthropic_sdk_streams_through_the_proxy_and_sees_a_break_as_an_error(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    client = anthropic.Anthropic(base_url=proxy(), api_key="sk-ant-test", max_retries=0)
    up.script(Reply.text(LONG_TEXT), Reply.disconnect(Reply.text(LONG_TEXT), after_events=3))
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": "count"}]
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=messages) as s:
        assert "".join(s.text_stream) == LONG_TEXT
    with (
        pytest.raises(anthropic.APIError),
        client.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=messages) as s,
    ):
        "".join(s.text_stream)


def test_the_openai_sdk_streams_through_the_proxy_and_sees_a_break_as_an_error(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    client = openai.OpenAI(base_url=proxy() + "/v1", api_key="sk-test", max_retries=0)
    up.script(Reply.text(LONG_TEXT), Reply.disconnect(Reply.text(LONG_TEXT), after_events=3))
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": "count"}
    ]
    chunks = client.chat.completions.create(model="gpt-4.1", messages=messages, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == LONG_TEXT
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model="gpt-4.1", messages=messages, stream=True):
            pass


def test_a_gemini_json_array_stream_broken_mid_way_ends_with_an_error_item(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    """Without `alt=sse` Gemini streams one JSON array; a break closes it with an error."""
    up.script(Reply.disconnect(Reply.text(LONG_TEXT), after_events=3))
    body = orjson.dumps(bodies.gemini("x"))
    response = httpx.post(
        proxy() + bodies.GEMINI_STREAM_PATH, content=body, headers={"x-goog-api-key": "k"}
    )
    items = orjson.loads(response.content)  # a whole, valid JSON array
    assert len(items) == 4
    assert all("candidates" in item for item in items[:3])
    assert items[-1]["error"]["status"] == "UNAVAILABLE"
    assert "broke off" in items[-1]["error"]["message"]
