"""The fake upstream's Starlette app: routes, the reply script, the request log.

Every request is recorded first, whatever its route. Model routes (Anthropic
`/v1/messages`, OpenAI `/v1/chat/completions` and `/v1/responses`, Gemini
`/v1beta/models/{model}:generateContent` and `:streamGenerateContent`) each
take the next scripted `Reply` and render it in their own wire format,
streamed when the request asks for it. Token counting and model listing
answer from estimates and never consume the script; any other path is
recorded and answered with a 404.

A scripted disconnect raises `DeliberateDisconnect` mid-body: uvicorn then
closes the connection without finishing the response, which is exactly what a
dropped upstream looks like to a client. A log filter keeps that deliberate
failure out of uvicorn's error log. A scripted mid-stream error instead ends
the stream cleanly with the provider's own error event.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import orjson
import zstandard
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from headroom.testing import anthropic, gemini, openai_chat, openai_responses
from headroom.testing.recorded import RecordedRequest
from headroom.testing.replies import ErrorSpec, Reply
from headroom.testing.wire import Call, IdMaker, Wire, estimate_tokens

Frames = Callable[[Reply, Call], list[bytes]]

#: Model ids listed by `GET /v1/models`.
MODELS = ("claude-sonnet-4-6", "claude-haiku-4-5", "gpt-4.1", "gpt-5", "gemini-2.5-flash")

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class DeliberateDisconnect(Exception):
    """Raised inside a response body to drop the connection as scripted."""


class _HideDeliberateDisconnects(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        return not isinstance(error, DeliberateDisconnect)


def hide_deliberate_disconnects() -> None:
    """Install the uvicorn log filter once per process."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDeliberateDisconnects) for f in logger.filters):
        logger.addFilter(_HideDeliberateDisconnects())


class Script:
    """Queued replies and recorded requests, shared by the test and server threads."""

    def __init__(self) -> None:
        self._replies: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self.ids = IdMaker()

    def add(self, replies: Iterable[Reply]) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next_reply(self) -> Reply:
        """The next scripted reply, or `Reply.text("ok")` once the script runs out."""
        with self._lock:
            return self._replies.popleft() if self._replies else Reply.text("ok")

    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()
            self._requests.clear()


async def _record(request: Request, script: Script) -> RecordedRequest:
    recorded = RecordedRequest(
        method=request.method,
        path=request.url.path,
        query=request.scope["query_string"].decode("latin-1"),
        headers=request.headers,
        body=await request.body(),
    )
    script.record(recorded)
    return recorded


def _payload(recorded: RecordedRequest) -> dict[str, Any] | None:
    try:
        payload = orjson.loads(recorded.content())
    except (ValueError, OSError, zlib.error, zstandard.ZstdError):  # bad JSON or bad encoding
        return None
    return payload if isinstance(payload, dict) else None


def _bad_request(wire: Wire) -> Response:
    spec = ErrorSpec(400, "The request body is not a JSON object.")
    return JSONResponse(wire.error_body(spec), status_code=400)


async def _paced(
    frames: list[bytes], reply: Reply, error_frame: Callable[[ErrorSpec, int], bytes]
) -> AsyncIterator[bytes]:
    for number, frame in enumerate(frames):
        if reply.cut_after is not None and number >= reply.cut_after:
            if reply.stream_error is None:
                raise DeliberateDisconnect(f"scripted disconnect after {number} events")
            yield error_frame(reply.stream_error, number)
            return
        if number and reply.delay:
            await asyncio.sleep(reply.delay)
        yield frame


async def _half_then_drop(data: bytes) -> AsyncIterator[bytes]:
    yield data[: len(data) // 2]
    raise DeliberateDisconnect("scripted disconnect halfway through the body")


async def deliver(reply: Reply, call: Call, wire: Wire, frames: Frames | None) -> Response:
    """Answer with `reply`: an error, a whole body, or streamed `frames`."""
    request_id = {"request-id": call.ids("req_")}
    if reply.delay and (frames is None or reply.failure is not None):
        await asyncio.sleep(reply.delay)
    failure = reply.failure or (reply.stream_error if frames is None else None)
    if failure is not None:
        headers = {**request_id, **failure.headers}
        return JSONResponse(wire.error_body(failure), failure.status, headers=headers)
    if frames is not None:
        is_sse = frames is not gemini.array_frames
        media = "text/event-stream" if is_sse else "application/json"
        error_frame = wire.error_event if is_sse else gemini.array_error
        stream = _paced(frames(reply, call), reply, error_frame)
        headers = {**request_id, "cache-control": "no-cache"}
        return StreamingResponse(stream, media_type=media, headers=headers)
    data = orjson.dumps(wire.body(reply, call))
    if reply.cut_after is None:
        return Response(data, media_type="application/json", headers=request_id)
    headers = {**request_id, "content-length": str(len(data))}
    return StreamingResponse(_half_then_drop(data), media_type="application/json", headers=headers)


def _call(script: Script, payload: dict[str, Any], recorded: RecordedRequest, model: str) -> Call:
    input_estimate = estimate_tokens(recorded.content().decode("utf-8", "replace"))
    return Call(model=model, body=payload, input_estimate=input_estimate, ids=script.ids)


def _json_route(script: Script, wire: Wire) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        recorded = await _record(request, script)
        payload = _payload(recorded)
        if payload is None:
            return _bad_request(wire)
        model = payload.get("model")
        call = _call(script, payload, recorded, model if isinstance(model, str) else "fake-model")
        frames = wire.events if payload.get("stream") is True else None
        return await deliver(script.next_reply(), call, wire, frames)

    return endpoint


def _gemini_route(script: Script) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        recorded = await _record(request, script)
        model, _, action = request.path_params["target"].partition(":")
        payload = _payload(recorded)
        if payload is None:
            return _bad_request(gemini.WIRE)
        call = _call(script, payload, recorded, model)
        if action == "countTokens":
            return JSONResponse({"totalTokens": call.input_estimate})
        frames: Frames | None = None
        if action == "streamGenerateContent":
            sse = "alt=sse" in recorded.query.split("&")
            frames = gemini.events if sse else gemini.array_frames
        elif action != "generateContent":
            return JSONResponse(gemini.error_body(ErrorSpec(404, f"No action {action}")), 404)
        return await deliver(script.next_reply(), call, gemini.WIRE, frames)

    return endpoint


def _count_tokens_route(script: Script) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        recorded = await _record(request, script)
        if _payload(recorded) is None:
            return _bad_request(anthropic.WIRE)
        text = recorded.content().decode("utf-8", "replace")
        return JSONResponse({"input_tokens": estimate_tokens(text)})

    return endpoint


def _models_route(script: Script) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        await _record(request, script)
        if request.url.path.startswith("/v1beta"):
            return JSONResponse({"models": [{"name": f"models/{m}"} for m in MODELS]})
        if "anthropic-version" in request.headers:
            data = [
                {"type": "model", "id": m, "display_name": m, "created_at": "2026-01-01T00:00:00Z"}
                for m in MODELS
            ]
            page = {"first_id": MODELS[0], "last_id": MODELS[-1], "has_more": False}
            return JSONResponse({"data": data, **page})
        listed = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in MODELS]
        return JSONResponse({"object": "list", "data": listed})

    return endpoint


def _fallback_route(script: Script) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        await _record(request, script)
        message = f"The fake upstream has no route for {request.method} {request.url.path}."
        error = {"type": "not_found_error", "message": message}
        return JSONResponse({"type": "error", "error": error}, status_code=404)

    return endpoint


def build_app(script: Script) -> Starlette:
    """The fake upstream's routes over `script`."""
    routes = [
        Route("/v1/messages/count_tokens", _count_tokens_route(script), methods=["POST"]),
        Route("/v1/messages", _json_route(script, anthropic.WIRE), methods=["POST"]),
        Route("/v1/chat/completions", _json_route(script, openai_chat.WIRE), methods=["POST"]),
        Route("/v1/responses", _json_route(script, openai_responses.WIRE), methods=["POST"]),
        Route("/v1/models", _models_route(script), methods=["GET"]),
        Route("/v1beta/models", _models_route(script), methods=["GET"]),
        Route("/v1beta/models/{target}", _gemini_route(script), methods=["POST"]),
        Route("/v1/models/{target}", _gemini_route(script), methods=["POST"]),
        Route("/{path:path}", _fallback_route(script), methods=_ALL_METHODS),
    ]
    return Starlette(routes=routes)
