"""Errors the proxy itself reports, in each provider's own format.

When the upstream cannot be reached, or a stream breaks half-way, the client
must get an error its SDK understands (and retries), never an empty 200. So
each wire format gets its error as that provider would send it: a JSON body
for a failed request, and a final SSE event for a broken stream.
"""

from __future__ import annotations

import orjson

from headroom.proxy.routes import Provider

#: The HTTP status for an upstream that could not be reached or answered badly.
BAD_GATEWAY = 502


def error_body(provider: Provider, status: int, message: str) -> bytes:
    """A JSON error body as `provider` would send it for `status`."""
    if provider is Provider.ANTHROPIC:
        kind = "overloaded_error" if status == 529 else "api_error"
        return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})
    if provider is Provider.GEMINI:
        return orjson.dumps(
            {"error": {"code": status, "message": message, "status": "UNAVAILABLE"}}
        )
    return orjson.dumps(
        {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    )


def stream_error(provider: Provider, wire: str | None, message: str) -> bytes:
    """The SSE event(s) that end a broken stream, for this wire format.

    `wire` is the adapter name of the request ("openai-responses" gets the
    Responses API's named events); None means the provider's chat format.
    """
    if provider is Provider.ANTHROPIC:
        data = {"type": "error", "error": {"type": "api_error", "message": message}}
        return _event("error", data)
    if provider is Provider.GEMINI:
        return _event(None, {"error": {"code": 502, "message": message, "status": "UNAVAILABLE"}})
    if wire == "openai-responses":
        error = {"code": "server_error", "message": message}
        failed = {
            "type": "response.failed",
            "response": {"object": "response", "status": "failed", "error": error, "output": []},
        }
        return _event("error", {"type": "error", "param": None, **error}) + _event(
            "response.failed", failed
        )
    data = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    return _event(None, data)


def _event(name: str | None, data: object) -> bytes:
    head = f"event: {name}\n".encode() if name is not None else b""
    return head + b"data: " + orjson.dumps(data) + b"\n\n"
