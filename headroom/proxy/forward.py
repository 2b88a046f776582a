"""Sending a request upstream and relaying the response body as it arrives.

One pooled `httpx.AsyncClient` serves every request. The response is opened
as a stream and its decoded bytes go to the client chunk by chunk. For SSE the
chunks are cut at event boundaries (a partial event waits for its end, which
upstreams send at once anyway), so that when the connection breaks mid-stream
the client's stream can end with a whole, well-formed error event in the
provider's own format, instead of a torn event or a silent end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from headroom.proxy.errors import BAD_GATEWAY, error_body, stream_error
from headroom.proxy.headers import RawHeaders
from headroom.proxy.hooks import End, Exchange

#: LLM calls can think for minutes between bytes; connecting must be quick.
TIMEOUT = httpx.Timeout(connect=15.0, read=900.0, write=120.0, pool=60.0)
LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=200, keepalive_expiry=60.0)

_EVENT_ENDS = (b"\n\n", b"\r\n\r\n", b"\r\r")


class UpstreamUnreachable(Exception):
    """The upstream could not be reached, or failed before its response headers."""


class UpstreamBroken(Exception):
    """The upstream connection failed in the middle of a non-SSE body."""


def new_client() -> httpx.AsyncClient:
    """The pooled upstream client; the app opens one in its lifespan.

    It keeps no cookies: one client serves every caller, so a cookie an
    upstream set for one must never ride along on another's request. Redirects
    go back to the client as they came.
    """
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        timeout=TIMEOUT, limits=LIMITS, follow_redirects=False, cookies=no_cookies
    )


async def open_upstream(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: RawHeaders,
    content: bytes | AsyncIterator[bytes],
) -> httpx.Response:
    """Send the request; the response is open for streaming (close it)."""
    request = client.build_request(method, url, headers=headers, content=content)
    try:
        return await client.send(request, stream=True)
    except httpx.TransportError as exc:
        raise UpstreamUnreachable(_describe(exc)) from exc


def is_sse(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("text/event-stream")


async def relay_body(response: httpx.Response, exchange: Exchange) -> AsyncIterator[bytes]:
    """The response body's decoded chunks, as they arrive.

    A broken SSE stream ends with the provider's error event (and
    `exchange.end` says so); a broken plain body raises `UpstreamBroken`, so
    the client's connection is cut and a torn JSON body never looks complete.
    """
    if not is_sse(response):
        array = _ArrayScan() if "streamGenerateContent" in exchange.path else None
        try:
            async for chunk in response.aiter_bytes():
                if array is not None:
                    array.feed(chunk)
                yield chunk
        except (httpx.TransportError, httpx.DecodingError) as exc:
            if array is None or not array.between_items:
                raise UpstreamBroken(_describe(exc)) from exc
            # Gemini's streamed JSON array: close it with an error item, as Gemini does.
            exchange.end = End.UPSTREAM_BROKEN
            message = f"headroom: the upstream stream broke off: {_describe(exc)}"
            error = error_body(exchange.route.provider, BAD_GATEWAY, message)
            yield (b",\r\n" if array.items else b"") + error + b"]"
        return
    pending = b""
    try:
        async for chunk in response.aiter_bytes():
            pending += chunk
            cut = _last_event_end(pending)
            if cut:
                yield pending[:cut]
                pending = pending[cut:]
    except (httpx.TransportError, httpx.DecodingError) as exc:
        exchange.end = End.UPSTREAM_BROKEN
        message = f"headroom: the upstream stream broke off: {_describe(exc)}"
        yield stream_error(exchange.route.provider, exchange.route.wire, message)
        return
    if pending:
        yield pending


class _ArrayScan:
    """Follows a streamed top-level JSON array: is it open, and between two items?

    Only the structure is tracked (depth, strings, escapes), byte by byte, so a
    chunk boundary anywhere (inside a string, an escape) is handled.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.escaped = False
        self.items = 0
        self.opened = False

    @property
    def between_items(self) -> bool:
        """Open and not inside an item: an error item can close the array cleanly."""
        return self.opened and self.depth == 1 and not self.in_string

    def feed(self, chunk: bytes) -> None:
        for byte in chunk:
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif byte == 0x5C:  # backslash
                    self.escaped = True
                elif byte == 0x22:  # quote
                    self.in_string = False
            elif byte == 0x22:
                self.in_string = True
            elif byte in (0x5B, 0x7B):  # [ {
                self.depth += 1
                self.opened = True
            elif byte in (0x5D, 0x7D):  # ] }
                self.depth -= 1
                if self.depth == 1:
                    self.items += 1


def _last_event_end(data: bytes) -> int:
    """Where the last complete SSE event in `data` ends (0: none yet)."""
    best = 0
    for end in _EVENT_ENDS:
        at = data.rfind(end)
        if at >= 0:
            best = max(best, at + len(end))
    return best


def _describe(exc: httpx.HTTPError) -> str:
    detail = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {detail}"
