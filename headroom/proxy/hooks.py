"""Where the retrieve loop and the usage ledger plug into a request.

A handler reads top to bottom: parse, compress, prepare, forward, relay,
record. Three of those steps are hook points, shaped like mitmproxy's addons:
a plain object whose method names are the hook names, each with a default
that changes nothing, so a hook overrides only what it needs.

- `prepare(exchange, body) -> body` runs after compression and before the
  body is forwarded, on every model request whose body is a JSON object
  (compressed or not, since a tool list must not change from turn to turn):
  the retrieve loop adds its tool here and puts back the pairs it hid.
- `relay(exchange, chunks) -> chunks` wraps the response body on its way to
  the client. Chunks are the upstream's decoded bytes; for SSE each chunk holds
  whole events only. The retrieve loop holds back its own tool calls here and
  streams the continuation, using `exchange.resend` for the extra round trips;
  the ledger reads usage here. A relay must close what it opens (try/finally:
  the proxy closes the chain when the client leaves).
- `record(exchange)` runs in a worker thread after the response has ended,
  one hook at a time, each under `guarded`: the ledger writes its entry here.

`Hooks` runs a sequence of them; the first sees the upstream's bytes first.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

from headroom.guard import guarded
from headroom.proxy.compression import Compression
from headroom.proxy.routes import Route
from headroom.types import JSONObject


class End(StrEnum):
    """How a response ended."""

    COMPLETE = "complete"
    #: The client went away before the end; the upstream call was closed.
    CLIENT_GONE = "client-gone"
    #: The upstream connection failed mid-body (an SSE stream got an error event).
    UPSTREAM_BROKEN = "upstream-broken"
    #: The upstream could not be reached; the client got a 502.
    UNREACHABLE = "unreachable"


#: Opens another upstream call to the same URL with the same headers, given
#: a new body; the caller must close the response.
Resend = Callable[[bytes], Awaitable[httpx.Response]]


@dataclass(slots=True)
class Exchange:
    """One client request on its way through the proxy, as hooks see it."""

    route: Route
    method: str
    path: str
    #: The raw query string (Gemini keys may be in it: never log it).
    query: str
    #: The client's headers, lower-case names.
    headers: Mapping[str, str]
    started: float = field(default_factory=time.perf_counter)
    started_at: float = field(default_factory=time.time)
    compression: Compression | None = None
    #: Size of the request body as the client sent it (decoded), in bytes.
    body_bytes: int = 0
    #: The body as forwarded upstream, parsed (None when it is not a JSON
    #: object, or was passed through unparsed) and as bytes.
    body: JSONObject | None = None
    content: bytes = b""
    resend: Resend | None = None
    #: When the upstream request was sent and when its headers came back.
    sent: float | None = None
    answered: float | None = None
    status: int | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    end: End | None = None
    #: Retrievals the proxy answered itself (set by the retrieve loop).
    retrievals: int = 0
    #: The caller's tenant hash, once computed (see `ledger_hook.exchange_tenant`).
    tenant: str | None = None
    #: Time hooks added after forwarding (e.g. retrieve round trips), in ms.
    added_ms: float = 0.0

    @property
    def streaming(self) -> bool:
        body = self.body
        return self.route.streams or bool(body is not None and body.get("stream") is True)

    @property
    def model(self) -> str:
        body = self.body
        model = body.get("model") if body is not None else None
        if isinstance(model, str):
            return model
        if self.path.startswith(("/v1beta/models/", "/v1/models/")):
            return self.path.split("/models/", 1)[1].split(":", 1)[0]
        return ""

    @property
    def proxy_ms(self) -> float:
        """Time the proxy added: before forwarding, plus what hooks added later."""
        before = (self.sent - self.started) * 1000 if self.sent is not None else 0.0
        return before + self.added_ms


class ProxyHooks:
    """Hook points of one request; the defaults change nothing."""

    def prepare(self, exchange: Exchange, body: JSONObject) -> JSONObject:
        """The body to forward. Return `body` itself when nothing changes."""
        return body

    def relay(self, exchange: Exchange, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """The response body on its way to the client."""
        return chunks

    def record(self, exchange: Exchange) -> None:
        """After the response ended (in a worker thread)."""


class Hooks:
    """A sequence of `ProxyHooks`, run in order."""

    def __init__(self, hooks: Sequence[ProxyHooks] = (), *, raise_errors: bool = False) -> None:
        self.hooks = tuple(hooks)
        self.raise_errors = raise_errors

    def __bool__(self) -> bool:
        return bool(self.hooks)

    def prepare(self, exchange: Exchange, body: JSONObject) -> JSONObject:
        for hook in self.hooks:
            step = functools.partial(hook.prepare, exchange, body)
            body = guarded(_stage(hook, "prepare"), step, body, raise_errors=self.raise_errors)
        return body

    def relay(self, exchange: Exchange, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        for hook in self.hooks:
            chunks = hook.relay(exchange, chunks)
        return chunks

    def record(self, exchange: Exchange) -> None:
        for hook in self.hooks:
            step = functools.partial(hook.record, exchange)
            guarded(_stage(hook, "record"), step, None, raise_errors=self.raise_errors)


def _stage(hook: ProxyHooks, name: str) -> str:
    return f"proxy:{type(hook).__name__}.{name}"
