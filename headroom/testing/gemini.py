"""Replies in the Gemini wire format (`:generateContent`, `:streamGenerateContent`).

Gemini has no event names: a stream is a series of partial
`GenerateContentResponse`s, as `data:` lines with `?alt=sse` or as one JSON
array without it. Text arrives in pieces, a function call whole in one chunk,
and the last chunk carries `finishReason` and `usageMetadata`.

Thinking becomes a `thought: true` text part holding the signature in
`thoughtSignature`. Tool calls keep an `id` only when the test gave one,
since most Gemini models send none.
"""

from __future__ import annotations

import orjson

from headroom.testing.replies import ErrorSpec, Part, Reply, Text, Thinking, ToolCall
from headroom.testing.wire import Call, Counts, Wire, counts, pieces, sse
from headroom.types import JSONObject

#: Google RPC status names by HTTP status.
_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def error_body(spec: ErrorSpec) -> JSONObject:
    """`{"error": {"code", "message", "status"}}`."""
    status = spec.type or _STATUSES.get(spec.status, "UNKNOWN")
    return {"error": {"code": spec.status, "message": spec.message, "status": status}}


def usage(c: Counts) -> JSONObject:
    """`usageMetadata`: `promptTokenCount` includes the cached tokens."""
    meta: JSONObject = {
        "promptTokenCount": c.prompt_total,
        "candidatesTokenCount": c.output - c.reasoning,
        "totalTokenCount": c.prompt_total + c.output,
    }
    if c.cache_read:
        meta["cachedContentTokenCount"] = c.cache_read
    if c.reasoning:
        meta["thoughtsTokenCount"] = c.reasoning
    return meta


def _part(part: Part) -> JSONObject:
    if isinstance(part, Text):
        return {"text": part.text}
    if isinstance(part, Thinking):
        return {"text": part.thinking, "thought": True, "thoughtSignature": part.signature}
    function: JSONObject = {"name": part.name, "args": dict(part.input)}
    if part.id is not None:
        function["id"] = part.id
    return {"functionCall": function}


def _response(parts: list[JSONObject], call: Call, response_id: str) -> JSONObject:
    candidate = {"content": {"role": "model", "parts": parts}, "index": 0}
    return {"candidates": [candidate], "modelVersion": call.model, "responseId": response_id}


def _finish(response: JSONObject, reply: Reply, call: Call) -> JSONObject:
    response["candidates"][0]["finishReason"] = "STOP"
    response["usageMetadata"] = usage(counts(reply, call))
    return response


def body(reply: Reply, call: Call) -> JSONObject:
    """The whole `GenerateContentResponse` of a non-streamed reply."""
    parts = [_part(p) for p in reply.parts]
    return _finish(_response(parts, call, call.ids("resp_")), reply, call)


def chunks(reply: Reply, call: Call) -> list[JSONObject]:
    """The partial responses of a stream; the last one carries the usage."""
    response_id = call.ids("resp_")
    out = [_response([piece], call, response_id) for p in reply.parts for piece in _pieces(p)]
    if not out:
        out.append(_response([{"text": ""}], call, response_id))
    _finish(out[-1], reply, call)
    return out


def _pieces(part: Part) -> list[JSONObject]:
    if isinstance(part, ToolCall):
        return [_part(part)]
    if isinstance(part, Text):
        return [{"text": t} for t in pieces(part.text)]
    thoughts: list[JSONObject] = [{"text": t, "thought": True} for t in pieces(part.thinking)]
    if not thoughts:
        thoughts.append({"text": "", "thought": True})
    thoughts[-1]["thoughtSignature"] = part.signature
    return thoughts


def events(reply: Reply, call: Call) -> list[bytes]:
    """`data:` events for `:streamGenerateContent?alt=sse`."""
    return [sse(chunk) for chunk in chunks(reply, call)]


def array_frames(reply: Reply, call: Call) -> list[bytes]:
    """The pieces of the JSON array sent by `:streamGenerateContent` without `alt=sse`."""
    items = [orjson.dumps(chunk) for chunk in chunks(reply, call)]
    frames = [b"[" + items[0]]
    frames.extend(b",\r\n" + item for item in items[1:])
    frames.append(b"]")
    return frames


def error_event(spec: ErrorSpec, position: int) -> bytes:
    """A `data: {"error": ...}` chunk, as Gemini ends a failed stream."""
    return sse(error_body(spec))


def array_error(spec: ErrorSpec, position: int) -> bytes:
    """The error object closing a JSON-array stream cut after `position` chunks."""
    head = b",\r\n" if position else b"["
    return head + orjson.dumps(error_body(spec)) + b"]"


WIRE = Wire(body=body, events=events, error_body=error_body, error_event=error_event)
