"""Replies in the OpenAI Chat Completions wire format (`POST /v1/chat/completions`).

A stream is a run of `data: {chat.completion.chunk}` lines: the role first,
text in several `delta.content` pieces, each tool call as a first fragment
with its id and name and then `arguments` pieces, a last choice chunk with
`finish_reason`, one usage chunk with `choices: []` when the request asked for
`stream_options.include_usage`, and `data: [DONE]`.

Chat Completions has no thinking blocks, so `Thinking` parts are left out and
only counted as `reasoning_tokens`.
"""

from __future__ import annotations

import time
from typing import Any

from headroom.testing.replies import ErrorSpec, Reply, Text, ToolCall
from headroom.testing.wire import Call, Counts, Wire, arguments_json, counts, pieces, sse
from headroom.types import JSONObject

#: (type, code) of OpenAI error bodies by status.
_ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


def error_body(spec: ErrorSpec) -> JSONObject:
    """`{"error": {"message", "type", "param", "code"}}`."""
    kind, code = _ERRORS.get(spec.status, ("server_error", None))
    error = {"message": spec.message, "type": spec.type or kind, "param": None, "code": code}
    return {"error": error}


def usage(c: Counts) -> JSONObject:
    """Chat usage: `prompt_tokens` includes the cached tokens."""
    return {
        "prompt_tokens": c.prompt_total,
        "completion_tokens": c.output,
        "total_tokens": c.prompt_total + c.output,
        "prompt_tokens_details": {
            "cached_tokens": c.cache_read,
            "cache_write_tokens": c.cache_write,
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": c.reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_calls(reply: Reply, call: Call) -> list[tuple[str, ToolCall]]:
    return [(p.id or call.ids("call_"), p) for p in reply.parts if isinstance(p, ToolCall)]


def _text(reply: Reply) -> str:
    return "".join(p.text for p in reply.parts if isinstance(p, Text))


def _finish_reason(reply: Reply) -> str:
    return "tool_calls" if any(isinstance(p, ToolCall) for p in reply.parts) else "stop"


def body(reply: Reply, call: Call) -> JSONObject:
    """The whole `chat.completion` object of a non-streamed reply."""
    message: JSONObject = {"role": "assistant", "content": _text(reply) or None, "refusal": None}
    calls = _tool_calls(reply, call)
    if calls:
        message["tool_calls"] = [
            {
                "id": i,
                "type": "function",
                "function": {"name": p.name, "arguments": arguments_json(p)},
            }
            for i, p in calls
        ]
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": _finish_reason(reply),
    }
    return {
        **_envelope(call, "chat.completion"),
        "choices": [choice],
        "usage": usage(counts(reply, call)),
    }


def _envelope(call: Call, obj: str) -> JSONObject:
    return {
        "id": call.ids("chatcmpl-"),
        "object": obj,
        "created": int(time.time()),
        "model": call.model,
        "system_fingerprint": "fp_fake",
        "service_tier": "default",
    }


def events(reply: Reply, call: Call) -> list[bytes]:
    """The `data:` chunks of a streamed reply, ending with `[DONE]`."""
    head = _envelope(call, "chat.completion.chunk")
    options = call.body.get("stream_options")
    with_usage = isinstance(options, dict) and bool(options.get("include_usage"))

    def chunk(delta: JSONObject, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        extra: dict[str, Any] = {"usage": None} if with_usage else {}
        return sse({**head, "choices": [choice], **extra})

    out = [chunk({"role": "assistant", "content": "", "refusal": None})]
    out.extend(chunk({"content": t}) for t in pieces(_text(reply)))
    for index, (tool_id, part) in enumerate(_tool_calls(reply, call)):
        function = {"name": part.name, "arguments": ""}
        first = {"index": index, "id": tool_id, "type": "function", "function": function}
        out.append(chunk({"tool_calls": [first]}))
        for piece in pieces(arguments_json(part)):
            fragment = {"index": index, "function": {"arguments": piece}}
            out.append(chunk({"tool_calls": [fragment]}))
    out.append(chunk({}, _finish_reason(reply)))
    if with_usage:
        out.append(sse({**head, "choices": [], "usage": usage(counts(reply, call))}))
    out.append(sse("[DONE]"))
    return out


def error_event(spec: ErrorSpec, position: int) -> bytes:
    """A `data: {"error": ...}` line, how Chat Completions reports a failed stream."""
    return sse(error_body(spec))


WIRE = Wire(body=body, events=events, error_body=error_body, error_event=error_event)
