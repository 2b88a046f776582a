"""The proxy's request handler: parse, compress, prepare, forward, relay, record.

Model routes (see `routes`) read the body, decode it, run it through the
compression pipeline on its time budget and through the hooks' `prepare`, and
forward it. A body nothing changed is forwarded as its original bytes. Every
other route is forwarded untouched, body and all. Either way the upstream's
status, headers and body come back as they arrive (`forward`, `relay`).
With tracing on (`headroom.telemetry`), each request is a span, with the
pipeline's stages and the upstream call as its children.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio.to_thread
import httpx
import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from headroom import telemetry
from headroom.config import Settings
from headroom.proxy.body import decode
from headroom.proxy.compression import (
    INLINE_PIPELINE_BYTES,
    Compression,
    Outcome,
    compress_body,
    decode_json,
)
from headroom.proxy.errors import BAD_GATEWAY, error_body
from headroom.proxy.forward import UpstreamUnreachable, new_client, open_upstream, relay_body
from headroom.proxy.headers import (
    RawHeaders,
    client_response_headers,
    upstream_request_headers,
)
from headroom.proxy.hooks import End, Exchange, Hooks
from headroom.proxy.ledger import SESSION_HEADERS
from headroom.proxy.recorder import Recorder
from headroom.proxy.relay import RelayResponse
from headroom.proxy.routes import Kind, Upstreams, classify
from headroom.proxy.splice import splice_tools
from headroom.runtime import Runtime

log = logging.getLogger("headroom.proxy")


@dataclass(slots=True)
class ProxyState:
    """What every request shares: settings, runtime, upstreams, hooks, client."""

    settings: Settings
    runtime: Runtime
    upstreams: Upstreams
    hooks: Hooks
    recorder: Recorder
    _client: httpx.AsyncClient | None = field(default=None, repr=False)

    @property
    def client(self) -> httpx.AsyncClient:
        """The pooled upstream client (opened by the app's lifespan, or here)."""
        if self._client is None:
            self._client = new_client()
        return self._client

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.recorder.close)
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class ProxyEndpoint:
    """The catch-all ASGI endpoint: every provider request comes through here."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await handle(self.state, Request(scope, receive))
        await response(scope, receive, send)


async def handle(state: ProxyState, request: Request) -> ASGIApp:
    """Forward one request and return the response that relays the answer."""
    route = classify(request.method, request.url.path, request.headers)
    exchange = Exchange(route, request.method, request.url.path, request.url.query, request.headers)
    trace = telemetry.request_trace(functools.partial(_span_attributes, exchange))
    with trace.active():
        return await _handle(state, request, exchange, trace)


async def _handle(
    state: ProxyState, request: Request, exchange: Exchange, trace: telemetry.Trace
) -> ASGIApp:
    route = exchange.route
    url = _upstream_url(state.upstreams, exchange, request.scope)
    content: bytes | AsyncIterator[bytes]
    if route.kind is Kind.PASSTHROUGH:
        # Streamed on as it arrives (uploads can be large); length and encoding hold.
        content = request.stream() if _has_body(request) else b""
        headers = upstream_request_headers(request.scope["headers"], body_as_sent=True)
    else:
        raw = await request.body()
        content = exchange.content = await _outgoing(state, exchange, raw, request)
        client_headers = request.scope["headers"]
        headers = upstream_request_headers(client_headers, body_as_sent=content is raw)
        # A continuation carries a new body: its length is set afresh.
        fresh = upstream_request_headers(client_headers, body_as_sent=False)
        exchange.resend = functools.partial(open_upstream, state.client, request.method, url, fresh)
    return await _forward(state, exchange, url, headers, content, trace)


def _span_attributes(exchange: Exchange) -> dict[str, str]:
    """A request's span attributes: method, route template, provider; no query, no text."""
    return {
        "http.request.method": exchange.method,
        "http.route": _MODEL_SEGMENT.sub("/models/{model}", exchange.path),
        "headroom.provider": exchange.route.provider.value,
        "headroom.route_kind": exchange.route.kind.value,
    }


_MODEL_SEGMENT = re.compile(r"/models/[^/:]+")


async def _forward(
    state: ProxyState,
    exchange: Exchange,
    url: str,
    headers: RawHeaders,
    content: bytes | AsyncIterator[bytes],
    trace: telemetry.Trace = telemetry.NO_TRACE,
) -> ASGIApp:
    exchange.sent = time.perf_counter()
    trace.upstream_sent()
    try:
        upstream = await open_upstream(state.client, exchange.method, url, headers, content)
    except UpstreamUnreachable as exc:
        trace.failed(str(exc))
        return _unreachable(state, exchange, str(exc))
    exchange.answered = time.perf_counter()
    exchange.status = upstream.status_code
    trace.upstream_answered(upstream.status_code, streaming=exchange.streaming)
    exchange.response_headers = upstream.headers
    hooked = exchange.route.kind is not Kind.PASSTHROUGH and bool(state.hooks)
    chunks = relay_body(upstream, exchange)
    if hooked:
        chunks = state.hooks.relay(exchange, chunks)
    on_end = functools.partial(_finish, state, exchange, upstream, trace)
    headers_out = client_response_headers(upstream.headers.raw)
    whole = hooked and _arrives_whole(exchange, upstream)
    return RelayResponse(upstream.status_code, headers_out, chunks, on_end, whole=whole)


def _arrives_whole(exchange: Exchange, upstream: httpx.Response) -> bool:
    """A model response sent as one JSON document (not SSE, not a streamed array)."""
    content_type = upstream.headers.get("content-type", "")
    streamed = "streamGenerateContent" in exchange.path
    return content_type.startswith("application/json") and not streamed


def _has_body(request: Request) -> bool:
    headers = request.headers
    return "transfer-encoding" in headers or headers.get("content-length", "0") != "0"


async def _outgoing(state: ProxyState, exchange: Exchange, raw: bytes, request: Request) -> bytes:
    """The body to forward: `raw` itself, or its decoded or compressed form."""
    limit = state.settings.max_body_bytes
    if not raw:
        exchange.compression = Compression(Outcome.NOT_JSON)
        return raw
    data = decode(raw, request.headers.get("content-encoding", ""), limit=limit)
    if data is None:
        outcome = Outcome.TOO_LARGE if len(raw) > limit else Outcome.UNREADABLE
        exchange.compression = Compression(outcome)
        return raw
    exchange.body_bytes = len(data)
    body = await decode_json(data)
    if body is None:
        exchange.compression = Compression(Outcome.NOT_JSON)
        return data
    wire = exchange.route.wire or ""
    settings = state.settings
    compression = await compress_body(
        state.runtime,
        wire,
        body,
        budget_ms=settings.pipeline_budget_ms,
        raise_errors=settings.raise_errors,
        size=len(data),
        session=_session_header(request),
        upstream=state.upstreams.base(exchange.route.provider),
    )
    exchange.compression = compression
    forwarded = compression.body if compression.body is not None else body
    if state.hooks and len(data) <= INLINE_PIPELINE_BYTES:
        forwarded = state.hooks.prepare(exchange, forwarded)
    elif state.hooks:
        forwarded = await anyio.to_thread.run_sync(state.hooks.prepare, exchange, forwarded)
    exchange.body = forwarded
    if forwarded is body:
        return data
    if compression.body is None or compression.body is body:
        # Only the hooks changed it (the retrieve tool): keep the client's bytes.
        spliced = splice_tools(data, body, forwarded)
        if spliced is not None:
            return spliced
    return orjson.dumps(forwarded)


def _session_header(request: Request) -> str | None:
    headers = request.headers
    for name in SESSION_HEADERS:
        value = headers.get(name)
        if value:
            return value[:128]
    return None


def _upstream_url(upstreams: Upstreams, exchange: Exchange, scope: Scope) -> str:
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else exchange.path
    query = scope.get("query_string", b"").decode("latin-1")
    url = upstreams.base(exchange.route.provider) + path
    return f"{url}?{query}" if query else url


def _unreachable(state: ProxyState, exchange: Exchange, reason: str) -> Response:
    exchange.status = BAD_GATEWAY
    exchange.end = End.UNREACHABLE
    provider = exchange.route.provider
    message = f"headroom: could not reach the {provider.value} upstream: {reason}"
    log.warning("%s %s: %s", exchange.method, exchange.path, message)
    body = error_body(provider, BAD_GATEWAY, message)
    response = Response(body, BAD_GATEWAY, media_type="application/json")
    if exchange.route.kind is not Kind.PASSTHROUGH and state.hooks:
        response.background = BackgroundTask(state.recorder.asubmit, exchange)
    return response


async def _finish(
    state: ProxyState,
    exchange: Exchange,
    upstream: httpx.Response,
    trace: telemetry.Trace,
    end: End,
) -> None:
    if exchange.end is None:
        exchange.end = end
    trace.finish(exchange.end.value, retrievals=exchange.retrievals)
    await upstream.aclose()
    if exchange.route.kind is not Kind.PASSTHROUGH and state.hooks:
        state.recorder.submit(exchange)
