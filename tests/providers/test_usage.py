"""Usage extraction, from response bodies and SSE event sequences, per provider.

The bodies and events follow the shapes in PROTOCOLS.md §1.3, §1.5, §2.1, §2.2
and §3. Every provider is normalized to: input = uncached input only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from headroom.providers.usage import PROVIDERS, Usage, UsageStream, from_response

ANTHROPIC_BODY = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "content": [{"type": "text", "text": "Done."}],
    "stop_reason": "end_turn",
    "usage": {
        "input_tokens": 21,
        "cache_creation_input_tokens": 300,
        "cache_read_input_tokens": 18000,
        "cache_creation": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 120,
    },
}

OPENAI_CHAT_BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4.1",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "ok"},
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 2000,
        "completion_tokens": 50,
        "total_tokens": 2050,
        "prompt_tokens_details": {"cached_tokens": 1536, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 10},
    },
}

RESPONSES_USAGE = {
    "input_tokens": 5000,
    "input_tokens_details": {"cached_tokens": 4096, "cache_write_tokens": 256},
    "output_tokens": 80,
    "output_tokens_details": {"reasoning_tokens": 64},
    "total_tokens": 5080,
}

RESPONSES_BODY = {
    "id": "resp_1",
    "object": "response",
    "status": "completed",
    "output": [
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "ok"}],
        }
    ],
    "usage": RESPONSES_USAGE,
}

GEMINI_USAGE = {
    "promptTokenCount": 3000,
    "candidatesTokenCount": 40,
    "cachedContentTokenCount": 2048,
    "thoughtsTokenCount": 25,
    "totalTokenCount": 3065,
}

GEMINI_BODY = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": GEMINI_USAGE,
}


def test_anthropic_body_input_already_excludes_cache_counts() -> None:
    assert from_response("anthropic", ANTHROPIC_BODY) == Usage(
        input_tokens=21, output_tokens=120, cache_read_tokens=18000, cache_write_tokens=300
    )


def test_openai_chat_body_takes_cached_tokens_out_of_prompt_tokens() -> None:
    assert from_response("openai-chat", OPENAI_CHAT_BODY) == Usage(
        input_tokens=464, output_tokens=50, cache_read_tokens=1536
    )


def test_openai_responses_body_takes_cache_reads_and_writes_out_of_input() -> None:
    usage = from_response("openai-responses", RESPONSES_BODY)
    assert usage == Usage(
        input_tokens=648, output_tokens=80, cache_read_tokens=4096, cache_write_tokens=256
    )
    assert usage.prompt_tokens == 5000


def test_gemini_body_counts_thoughts_as_output_and_cached_content_as_reads() -> None:
    assert from_response("gemini", GEMINI_BODY) == Usage(
        input_tokens=952, output_tokens=65, cache_read_tokens=2048
    )


def test_gemini_json_array_stream_takes_the_last_usage() -> None:
    first = {**GEMINI_BODY, "usageMetadata": {"promptTokenCount": 3000}}
    assert from_response("gemini", [first, GEMINI_BODY]) == from_response("gemini", GEMINI_BODY)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_body_without_usage_gives_none(provider: str) -> None:
    assert from_response(provider, {"id": "x", "usage": None}) is None
    assert from_response(provider, "not a body") is None


def test_missing_detail_fields_read_as_zero() -> None:
    body = {"usage": {"prompt_tokens": 10, "completion_tokens": 2}}
    assert from_response("openai-chat", body) == Usage(input_tokens=10, output_tokens=2)


def test_an_unknown_provider_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"'cohere'.*anthropic"):
        from_response("cohere", {})
    with pytest.raises(ValueError, match="unknown provider"):
        UsageStream("cohere")


def test_usages_add_field_by_field() -> None:
    a = Usage(input_tokens=1, output_tokens=2, cache_read_tokens=3, cache_write_tokens=4)
    b = Usage(input_tokens=10, output_tokens=20, cache_read_tokens=30, cache_write_tokens=40)
    assert a + b == Usage(11, 22, 33, 44)
    assert a + Usage() == a


def _feed_all(provider: str, events: list[tuple[str | None, Any]]) -> Usage | None:
    stream = UsageStream(provider)
    for name, data in events:
        stream.feed(name, data if isinstance(data, str) else json.dumps(data))
    return stream.usage


ANTHROPIC_EVENTS: list[tuple[str | None, Any]] = [
    (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "role": "assistant",
                "content": [],
                "usage": {"input_tokens": 12, "cache_read_input_tokens": 4000, "output_tokens": 1},
            },
        },
    ),
    ("ping", {"type": "ping"}),
    (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": "the usage is fine"},
        },
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 15},
        },
    ),
    (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 31},
        },
    ),
    ("message_stop", {"type": "message_stop"}),
]


def test_anthropic_stream_keeps_start_input_and_takes_cumulative_delta_output() -> None:
    assert _feed_all("anthropic", ANTHROPIC_EVENTS) == Usage(
        input_tokens=12, output_tokens=31, cache_read_tokens=4000
    )


def test_anthropic_delta_usage_with_input_fields_replaces_the_start_counts() -> None:
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use"},
        "usage": {
            "input_tokens": 14,
            "cache_creation_input_tokens": 100,
            "cache_read_input_tokens": None,
            "output_tokens": 40,
        },
    }
    usage = _feed_all("anthropic", [*ANTHROPIC_EVENTS[:1], ("message_delta", delta)])
    assert usage == Usage(
        input_tokens=14, output_tokens=40, cache_read_tokens=4000, cache_write_tokens=100
    )


def test_anthropic_stream_that_errors_after_start_keeps_the_start_usage() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    usage = _feed_all("anthropic", [*ANTHROPIC_EVENTS[:1], ("error", error)])
    assert usage == Usage(input_tokens=12, output_tokens=1, cache_read_tokens=4000)


def _chat_chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-4.1",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        "usage": None,
    }


def test_openai_chat_stream_reads_the_final_usage_chunk_before_done() -> None:
    events: list[tuple[str | None, Any]] = [
        (None, _chat_chunk({"role": "assistant", "content": ""})),
        (None, _chat_chunk({"content": "usage: fine"})),
        (None, _chat_chunk({}, "stop")),
        (
            None,
            {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "choices": [],
                "usage": OPENAI_CHAT_BODY["usage"],
            },
        ),
        (None, "[DONE]"),
    ]
    assert _feed_all("openai-chat", events) == from_response("openai-chat", OPENAI_CHAT_BODY)


def test_openai_chat_stream_without_include_usage_has_none() -> None:
    events: list[tuple[str | None, Any]] = [
        (None, _chat_chunk({"content": "hi"})),
        (None, _chat_chunk({}, "stop")),
        (None, "[DONE]"),
    ]
    assert _feed_all("openai-chat", events) is None


def test_openai_responses_stream_reads_usage_from_response_completed() -> None:
    created = {"id": "resp_1", "object": "response", "status": "in_progress", "usage": None}
    events: list[tuple[str | None, Any]] = [
        (
            "response.created",
            {"type": "response.created", "sequence_number": 0, "response": created},
        ),
        (
            "response.output_text.delta",
            {
                "type": "response.output_text.delta",
                "sequence_number": 1,
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": "ok",
            },
        ),
        (
            "response.completed",
            {"type": "response.completed", "sequence_number": 2, "response": RESPONSES_BODY},
        ),
    ]
    assert _feed_all("openai-responses", events) == from_response(
        "openai-responses", RESPONSES_BODY
    )


def test_gemini_stream_takes_the_last_chunks_usage_metadata() -> None:
    def chunk(text: str, meta: dict[str, int]) -> dict[str, Any]:
        return {
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}}],
            "usageMetadata": meta,
        }

    events: list[tuple[str | None, Any]] = [
        (None, chunk("o", {"promptTokenCount": 3000, "totalTokenCount": 3000})),
        (None, chunk("k", GEMINI_USAGE)),
    ]
    assert _feed_all("gemini", events) == from_response("gemini", GEMINI_BODY)


def test_stream_accepts_bytes_and_parsed_objects_and_skips_garbage() -> None:
    stream = UsageStream("openai-chat")
    stream.feed(None, b"{not json usage")
    stream.feed(None, b"[1, 2, 3]")
    assert stream.usage is None
    stream.feed(None, json.dumps({"choices": [], "usage": {"prompt_tokens": 5}}).encode())
    assert stream.usage == Usage(input_tokens=5)
    stream.feed(None, {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 1}})
    assert stream.usage == Usage(input_tokens=7, output_tokens=1)


def test_two_streams_of_one_retrieve_round_trip_sum_with_plus() -> None:
    first = _feed_all("anthropic", ANTHROPIC_EVENTS)
    second = _feed_all("anthropic", ANTHROPIC_EVENTS)
    assert first is not None and second is not None
    assert (first + second).output_tokens == 62
