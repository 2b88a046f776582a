"""The fake upstream as a server: lifecycle, script, recording, failures."""

from __future__ import annotations

import gzip
import logging
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from headroom.testing import FakeUpstream, Reply, parse_sse

MESSAGE = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": []}
STREAM = {**MESSAGE, "stream": True}


def text_of(response: httpx.Response) -> str:
    return str(response.json()["content"][0]["text"])


def test_each_server_gets_its_own_loopback_port_and_stops_cleanly() -> None:
    with FakeUpstream() as first, FakeUpstream() as second:
        assert first.url.startswith("http://127.0.0.1:")
        assert first.url != second.url
        url = first.url
        assert httpx.post(f"{url}/v1/messages", json=MESSAGE).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{url}/v1/messages", json=MESSAGE)


def test_url_is_unavailable_before_start() -> None:
    with pytest.raises(RuntimeError):
        _ = FakeUpstream().url


def test_replies_are_used_in_order_then_it_answers_ok(up: FakeUpstream) -> None:
    up.script(Reply.text("first"), Reply.text("second"))
    answers = [text_of(httpx.post(f"{up.url}/v1/messages", json=MESSAGE)) for _ in range(3)]
    assert answers == ["first", "second", "ok"]
    assert up.pending == 0


def test_records_method_path_query_headers_and_raw_body(up: FakeUpstream) -> None:
    raw = gzip.compress(b'{"model":"m","messages":[]}')
    headers = {"x-api-key": "sk-test", "anthropic-beta": "a,b", "content-encoding": "gzip"}
    httpx.post(f"{up.url}/v1/messages?beta=true", content=raw, headers=headers)
    (recorded,) = up.requests
    assert (recorded.method, recorded.path, recorded.query) == ("POST", "/v1/messages", "beta=true")
    assert recorded.headers["X-Api-Key"] == "sk-test"
    assert recorded.headers["anthropic-beta"] == "a,b"
    assert recorded.body == raw
    assert recorded.json() == {"model": "m", "messages": []}


def test_unknown_paths_are_recorded_and_answered_404(up: FakeUpstream) -> None:
    response = httpx.delete(f"{up.url}/v1/files/file_1")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
    assert [(r.method, r.path) for r in up.requests] == [("DELETE", "/v1/files/file_1")]


def test_a_body_that_is_not_json_gets_a_400_in_the_route_format(up: FakeUpstream) -> None:
    response = httpx.post(f"{up.url}/v1/chat/completions", content=b"not json")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_body_that_fails_to_decompress_gets_a_400(up: FakeUpstream) -> None:
    headers = {"content-encoding": "gzip"}
    response = httpx.post(f"{up.url}/v1/messages", content=b"not gzip", headers=headers)
    assert response.status_code == 400
    assert up.requests[0].body == b"not gzip"


def test_concurrent_requests_each_take_one_reply_and_are_all_recorded(up: FakeUpstream) -> None:
    texts = [f"reply {n}" for n in range(40)]
    up.script(*(Reply.text(t) for t in texts))
    with httpx.Client() as client, ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda _: text_of(client.post(f"{up.url}/v1/messages", json=MESSAGE)), texts)
        )
    assert sorted(answers) == sorted(texts)
    assert len(up.requests) == 40


def test_disconnect_drops_the_stream_after_the_given_number_of_events(
    up: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    up.script(Reply.disconnect(Reply.text("a reply that never finishes arriving"), after_events=3))
    received: list[bytes] = []
    with (
        caplog.at_level(logging.ERROR),
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", f"{up.url}/v1/messages", json=STREAM) as response,
    ):
        assert response.status_code == 200
        received.extend(response.iter_bytes())
    names = [e.event for e in parse_sse(b"".join(received).decode())]
    assert names == ["message_start", "ping", "content_block_start"]
    assert "Exception in ASGI application" not in caplog.text


def test_disconnect_cuts_a_non_streamed_body_halfway(up: FakeUpstream) -> None:
    up.script(Reply.disconnect(Reply.text("never whole"), after_events=0))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{up.url}/v1/messages", json=MESSAGE)


def test_the_server_keeps_serving_after_a_disconnect(up: FakeUpstream) -> None:
    up.script(Reply.disconnect(Reply.text("cut"), after_events=1), Reply.text("fine"))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{up.url}/v1/messages", json=STREAM)
    assert text_of(httpx.post(f"{up.url}/v1/messages", json=MESSAGE)) == "fine"


def test_a_slow_stream_delivers_the_same_events(up: FakeUpstream) -> None:
    reply = Reply.text("the same words either way")
    up.script(reply, Reply.slow(reply, delay=0.001))
    fast, slow = (httpx.post(f"{up.url}/v1/messages", json=STREAM).text for _ in range(2))
    strip = [e.event for e in parse_sse(fast)]
    assert strip == [e.event for e in parse_sse(slow)]
    assert len(strip) > 6


def test_error_replies_answer_before_any_stream_starts(up: FakeUpstream) -> None:
    up.script(Reply.error(529), Reply.error(500, "boom", {"x-should-retry": "true"}))
    overloaded = httpx.post(f"{up.url}/v1/messages", json=STREAM)
    assert overloaded.status_code == 529
    assert overloaded.headers["content-type"] == "application/json"
    assert overloaded.json()["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    failed = httpx.post(f"{up.url}/v1/messages", json=STREAM)
    assert failed.status_code == 500
    assert failed.headers["x-should-retry"] == "true"
    assert failed.json()["error"]["message"] == "boom"


def test_clear_forgets_requests_and_queued_replies(up: FakeUpstream) -> None:
    up.script(Reply.text("unused"))
    httpx.get(f"{up.url}/v1/models")
    up.clear()
    assert up.requests == []
    assert up.pending == 0


def test_a_mid_stream_error_on_a_non_streamed_request_is_an_http_error(up: FakeUpstream) -> None:
    up.script(Reply.error_mid_stream(Reply.text("never sent"), after_events=2, status=500))
    response = httpx.post(f"{up.url}/v1/messages", json=MESSAGE)
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "api_error"
