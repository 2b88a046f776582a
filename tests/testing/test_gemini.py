"""The fake speaks Gemini `generateContent` and `streamGenerateContent`."""

from __future__ import annotations

import httpx

from headroom.testing import FakeUpstream, Reply, parse_sse

BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def test_generate_content_renders_text_and_function_calls(up: FakeUpstream) -> None:
    up.script(Reply.tool_calls([("headroom_retrieve", {"id": "hr_1"})], text="Fetching"))
    url = f"{up.url}/v1beta/models/gemini-2.5-flash:generateContent"
    data = httpx.post(url, json=BODY).json()
    candidate = data["candidates"][0]
    assert candidate["content"]["parts"] == [
        {"text": "Fetching"},
        {"functionCall": {"name": "headroom_retrieve", "args": {"id": "hr_1"}}},
    ]
    assert candidate["finishReason"] == "STOP"
    assert data["usageMetadata"]["promptTokenCount"] > 0
    assert data["modelVersion"] == "gemini-2.5-flash"


def test_sse_stream_puts_usage_in_the_last_chunk(up: FakeUpstream) -> None:
    text = "A long enough answer to come in pieces."
    up.script(Reply.text(text).with_usage(input_tokens=50, cache_read_tokens=2048))
    url = f"{up.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    chunks = [e.json() for e in parse_sse(httpx.post(url, json=BODY).text)]
    assert len(chunks) > 1
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == text
    assert all("usageMetadata" not in c for c in chunks[:-1])
    usage = chunks[-1]["usageMetadata"]
    assert usage["promptTokenCount"] == 2098
    assert usage["cachedContentTokenCount"] == 2048


def test_stream_without_alt_sse_is_one_json_array(up: FakeUpstream) -> None:
    up.script(Reply.thinking("Consider.", "sig-1", "Answer."))
    url = f"{up.url}/v1beta/models/gemini-2.5-pro:streamGenerateContent"
    chunks = httpx.post(url, json=BODY).json()
    parts = [p for c in chunks for p in c["candidates"][0]["content"]["parts"]]
    assert parts[0] == {"text": "Consider.", "thought": True, "thoughtSignature": "sig-1"}
    assert parts[-1] == {"text": "Answer."}
    assert chunks[-1]["usageMetadata"]["thoughtsTokenCount"] > 0


def test_rate_limit_uses_the_google_error_body(up: FakeUpstream) -> None:
    up.script(Reply.error(429))
    url = f"{up.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    response = httpx.post(url, json=BODY)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_count_tokens_answers_without_using_the_script(up: FakeUpstream) -> None:
    up.script(Reply.text("kept"))
    url = f"{up.url}/v1beta/models/gemini-2.5-flash:countTokens"
    assert httpx.post(url, json=BODY).json()["totalTokens"] > 0
    assert up.pending == 1


def test_a_mid_stream_error_closes_the_json_array(up: FakeUpstream) -> None:
    up.script(Reply.error_mid_stream(Reply.text("partial answer here"), after_events=1))
    url = f"{up.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    chunks = httpx.post(url, json=BODY).json()
    assert len(chunks) == 2
    assert chunks[-1]["error"]["code"] == 529
