"""Replies in the Anthropic Messages wire format (`POST /v1/messages`).

The stream follows the real event sequence: `message_start`, a `ping`, then per
content block `content_block_start`, `content_block_delta`* and
`content_block_stop`, then `message_delta` (stop reason, cumulative usage) and
`message_stop`. Text and thinking arrive in several deltas, tool input as
`input_json_delta` pieces, and a thinking block's signature as one
`signature_delta` just before its stop, which is what the proxy has to relay
without changing a byte.
"""

from __future__ import annotations

from typing import Any

from headroom.testing.replies import ErrorSpec, Part, Reply, Text, Thinking, ToolCall
from headroom.testing.wire import Call, Counts, Wire, arguments_json, counts, pieces, sse
from headroom.types import JSONObject

#: Error types by status (platform.claude.com errors page).
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_body(spec: ErrorSpec) -> JSONObject:
    """`{"type": "error", "error": {...}, "request_id": ...}`."""
    kind = spec.type or _ERROR_TYPES.get(spec.status, "api_error")
    return {
        "type": "error",
        "error": {"type": kind, "message": spec.message},
        "request_id": "req_fake",
    }


def _usage(c: Counts) -> JSONObject:
    return {
        "input_tokens": c.input,
        "cache_creation_input_tokens": c.cache_write,
        "cache_read_input_tokens": c.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": c.cache_write,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": c.output,
        "service_tier": "standard",
    }


def _stop_reason(reply: Reply) -> str:
    return "tool_use" if any(isinstance(p, ToolCall) for p in reply.parts) else "end_turn"


def _block(part: Part, call: Call) -> JSONObject:
    if isinstance(part, Text):
        return {"type": "text", "text": part.text}
    if isinstance(part, Thinking):
        return {"type": "thinking", "thinking": part.thinking, "signature": part.signature}
    tool_id = part.id or call.ids("toolu_")
    return {"type": "tool_use", "id": tool_id, "name": part.name, "input": dict(part.input)}


def _message(
    call: Call, content: list[JSONObject], stop_reason: str | None, usage: JSONObject
) -> JSONObject:
    return {
        "id": call.ids("msg_"),
        "type": "message",
        "role": "assistant",
        "model": call.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def body(reply: Reply, call: Call) -> JSONObject:
    """The whole `message` object of a non-streamed reply."""
    content = [_block(p, call) for p in reply.parts]
    return _message(call, content, _stop_reason(reply), _usage(counts(reply, call)))


def events(reply: Reply, call: Call) -> list[bytes]:
    """The SSE events of a streamed reply, in the order the real API sends them."""
    c = counts(reply, call)
    start_usage = {**_usage(c), "output_tokens": 1}
    start = _message(call, [], None, start_usage)
    out = [sse({"type": "message_start", "message": start}, "message_start")]
    out.append(sse({"type": "ping"}, "ping"))
    for index, part in enumerate(reply.parts):
        out.extend(_block_events(index, part, call))
    delta_usage = {
        k: v for k, v in _usage(c).items() if k not in {"cache_creation", "service_tier"}
    }
    stop = {"stop_reason": _stop_reason(reply), "stop_sequence": None}
    out.append(sse({"type": "message_delta", "delta": stop, "usage": delta_usage}, "message_delta"))
    out.append(sse({"type": "message_stop"}, "message_stop"))
    return out


def _block_events(index: int, part: Part, call: Call) -> list[bytes]:
    deltas: list[JSONObject]
    if isinstance(part, Text):
        first: JSONObject = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": t} for t in pieces(part.text)]
    elif isinstance(part, Thinking):
        first = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": t} for t in pieces(part.thinking)]
        deltas.append({"type": "signature_delta", "signature": part.signature})
    else:
        first = {**_block(part, call), "input": {}}
        json_text = arguments_json(part)
        deltas = [{"type": "input_json_delta", "partial_json": t} for t in pieces(json_text)]
    frames = [_frame("content_block_start", index, content_block=first)]
    frames.extend(_frame("content_block_delta", index, delta=d) for d in deltas)
    frames.append(_frame("content_block_stop", index))
    return frames


def _frame(kind: str, index: int, **fields: Any) -> bytes:
    return sse({"type": kind, "index": index, **fields}, kind)


def error_event(spec: ErrorSpec, position: int) -> bytes:
    """`event: error`, which Anthropic sends after a 200 when it fails mid-stream."""
    return sse(error_body(spec), "error")


WIRE = Wire(body=body, events=events, error_body=error_body, error_event=error_event)
