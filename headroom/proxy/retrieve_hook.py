"""The retrieve loop in the proxy: `RetrieveHook` answers `headroom_retrieve` itself.

`headroom.proxy.retrieve` holds the loop as sans-IO logic; this hook does its
I/O at the three hook points:

- **prepare** puts back the retrieve pairs hidden from earlier mixed turns,
  then adds the tool at the end of `tools`. It does so on every request on a
  supported wire format (Anthropic, OpenAI Chat, OpenAI Responses), compressed
  or not, because the tool list is the front of the prompt cache and must not
  change between turns. `retrieve_rounds = 0` switches the loop off: no tool
  is added, since nothing would answer it.
- **relay, whole JSON**: the body arrives whole anyway, so it is buffered; only
  a body that names the tool is parsed. While the model's turn calls only the
  tool, the proxy answers from the CCR store and continues upstream
  (`exchange.resend`), up to `retrieve_rounds` times; the client gets one
  response holding every round's visible output and their summed usage.
- **relay, SSE**: the stream transformer passes text through as it arrives,
  holds the retrieve call back, and splices the continuation on. While the
  proxy answers and waits for the continuation, the client gets a ping at once
  and every `PING_INTERVAL_S`, so its idle timer never fires.

Either way a mixed turn (retrieve beside the client's own tools) has its
retrieve calls answered, hidden and kept, scoped to the caller's tenant hash,
before the client can see the turn end. Store work runs in worker threads.

A continuation that fails (unreachable, or an HTTP error) must not look like a
finished answer: a stream ends with the provider's own error event, and a
whole response has its connection cut (`UpstreamBroken`), which SDKs treat as a
connection error and retry.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Coroutine, Iterable
from typing import Any, Generic, TypeVar

import anyio.to_thread
import httpx
import orjson

from headroom.accounting import COMPRESSED
from headroom.guard import guarded
from headroom.proxy.errors import stream_error
from headroom.proxy.forward import UpstreamBroken, UpstreamUnreachable, relay_body
from headroom.proxy.hooks import End, Exchange, ProxyHooks
from headroom.proxy.ledger_hook import exchange_tenant, is_sse_response
from headroom.proxy.retrieve import (
    TOOL_NAME,
    HiddenTurn,
    PendingRetrievals,
    RetrieveCall,
    RetrieveStream,
    add_tool,
    answer_all,
    continuation,
    find_calls,
    is_only_retrieve,
    merge_responses,
    new_stream,
    supports,
)
from headroom.proxy.routes import Kind
from headroom.proxy.sse import SSEDecoder, SSEEvent, encode, encode_all
from headroom.runtime import Runtime
from headroom.types import JSONObject

#: Seconds between pings while the proxy waits on a continuation.
PING_INTERVAL_S = 5.0
_TOOL_BYTES = TOOL_NAME.encode()


class RetrieveHook(ProxyHooks):
    """Adds the `headroom_retrieve` tool and answers its calls (see the module doc)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        rounds: int,
        raise_errors: bool = False,
        pending: PendingRetrievals | None = None,
    ) -> None:
        self.runtime = runtime
        self.rounds = rounds
        self.raise_errors = raise_errors
        self.pending = pending or PendingRetrievals(
            runtime.store, ttl=runtime.settings.ccr_ttl_seconds, raise_errors=raise_errors
        )

    def prepare(self, exchange: Exchange, body: JSONObject) -> JSONObject:
        wire = self._wire(exchange)
        if wire is None:
            return body
        restored = self.pending.restore(body, wire, scope=exchange_tenant(exchange))
        return add_tool(restored, wire)

    def relay(self, exchange: Exchange, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        wire = self._wire(exchange)
        if wire is None or exchange.route.kind is not Kind.MODEL or exchange.status != 200:
            return chunks
        if exchange.body is None or exchange.resend is None:
            return chunks
        loop = _Loop(self, exchange, wire, exchange.body)
        if is_sse_response(exchange):
            return _relay_stream(loop, chunks)
        return _relay_whole(loop, chunks)

    def _wire(self, exchange: Exchange) -> str | None:
        """The wire format when the loop runs on this request, else None."""
        wire = exchange.route.wire
        if self.rounds <= 0 or exchange.route.kind is Kind.PASSTHROUGH:
            return None
        compression = exchange.compression
        prepared = compression.prepared if compression is not None else None
        if prepared is not None and prepared.arm != COMPRESSED:
            return None  # holdout and meter-only requests go exactly as the client sent them
        return wire if wire is not None and supports(wire) else None


class _Loop:
    """One client request's retrieve rounds: its latest body, rounds left, I/O."""

    def __init__(self, hook: RetrieveHook, exchange: Exchange, wire: str, body: JSONObject) -> None:
        self.hook = hook
        self.exchange = exchange
        self.wire = wire
        self.body = body
        self.rounds_left = hook.rounds
        self.scope = exchange_tenant(exchange)
        self._kept: HiddenTurn | None = None

    def answer(self, ccr_id: str, query: str | None) -> str:
        """One call's answer from the store (blocking), counted on the exchange."""
        self.exchange.retrievals += 1
        return self.hook.runtime.ccr.retrieve(ccr_id, query)

    async def answers(self, calls: Iterable[RetrieveCall]) -> dict[str, str]:
        return await anyio.to_thread.run_sync(answer_all, list(calls), self.answer)

    async def hide(self, response: JSONObject) -> JSONObject:
        """The response without retrieve calls; a mixed turn's calls are kept."""
        hide = functools.partial(self.hook.pending.hide, scope=self.scope)
        return await anyio.to_thread.run_sync(hide, response, self.wire, self.answer)

    async def keep(self, turn: HiddenTurn | None) -> None:
        """Keep a streamed mixed turn's hidden calls (once), answered."""
        if turn is None or turn is self._kept:
            return
        self._kept = turn
        await anyio.to_thread.run_sync(self._keep_now, turn)

    def _keep_now(self, turn: HiddenTurn) -> None:
        answers = answer_all(turn.calls, self.answer)
        self.hook.pending.keep(self.wire, turn, answers, scope=self.scope)

    async def whole_round(self, turn: JSONObject) -> JSONObject:
        """Answer `turn`'s calls and return the continuation's whole response."""
        started = time.perf_counter()
        answers = await self.answers(find_calls(turn, self.wire))
        self.body = continuation(self.body, turn, answers, self.wire)
        self.rounds_left -= 1
        try:
            response = await self.resend()
        except UpstreamUnreachable as exc:
            raise UpstreamBroken(f"the retrieve continuation failed: {exc}") from exc
        finally:
            self.exchange.added_ms += (time.perf_counter() - started) * 1000
        try:
            raw = await response.aread()
        except httpx.HTTPError as exc:
            raise UpstreamBroken(f"the retrieve continuation broke off: {exc}") from exc
        finally:
            await response.aclose()
        data = _object(raw) if response.status_code == 200 else None
        if data is None:
            raise UpstreamBroken(f"the retrieve continuation got HTTP {response.status_code}")
        return data

    async def stream_round(self, stream: RetrieveStream) -> httpx.Response | bytes:
        """Answer the held calls and open the continuation: its response, or an error event."""
        started = time.perf_counter()
        try:
            answers = await self.answers(stream.pending_calls)
            self.body = continuation(self.body, stream.turn_response(), answers, self.wire)
            self.rounds_left -= 1
            stream.start_continuation()
            response = await self.resend()
        except UpstreamUnreachable as exc:
            return self.failure(str(exc))
        finally:
            self.exchange.added_ms += (time.perf_counter() - started) * 1000
        if response.status_code == 200:
            return response
        try:
            detail = (await response.aread())[:500].decode("utf-8", "replace")
        finally:
            await response.aclose()
        return self.failure(f"HTTP {response.status_code}: {detail}")

    async def resend(self) -> httpx.Response:
        assert self.exchange.resend is not None  # checked before the loop starts
        return await self.exchange.resend(orjson.dumps(self.body))

    def failure(self, reason: str) -> bytes:
        """The error event that ends the client's stream when a continuation failed."""
        self.exchange.end = End.UPSTREAM_BROKEN
        message = f"headroom: the continuation after {TOOL_NAME} failed: {reason}"
        return stream_error(self.exchange.route.provider, self.wire, message)

    def feed(self, stream: RetrieveStream, event: SSEEvent) -> list[SSEEvent]:
        """The transformer's output for one event; on an internal error, the event itself."""
        step = functools.partial(stream.feed, event)
        return guarded("proxy:retrieve.stream", step, [event], raise_errors=self.hook.raise_errors)


async def _relay_whole(loop: _Loop, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        raw = b"".join([chunk async for chunk in chunks])
    finally:
        await _aclose(chunks)
    response = _object(raw) if _TOOL_BYTES in raw else None
    if response is None:
        yield raw
        return
    yield orjson.dumps(await _rounds(loop, response))


async def _rounds(loop: _Loop, turn: JSONObject) -> JSONObject:
    """What the client sees: every round's visible output, usage summed."""
    shown: JSONObject | None = None
    while loop.rounds_left > 0 and is_only_retrieve(turn, loop.wire):
        final = await loop.whole_round(turn)
        shown = turn if shown is None else merge_responses(shown, turn, loop.wire)
        turn = final
    visible = await loop.hide(turn)
    return visible if shown is None else merge_responses(shown, visible, loop.wire)


async def _relay_stream(loop: _Loop, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    stream = new_stream(loop.wire)
    source, current = chunks, None
    waiting: _Background[httpx.Response | bytes] | None = None
    try:
        while True:
            async for out in _stream_round(loop, stream, source):
                yield out
            if not stream.pending_calls or loop.exchange.end is End.UPSTREAM_BROKEN:
                return
            if loop.rounds_left <= 0:
                yield encode_all(stream.finish())
                return
            waiting = _Background(loop.stream_round(stream))
            yield encode(stream.ping())
            while not await waiting.done_within(PING_INTERVAL_S):
                yield encode(stream.ping())
            opened, waiting = waiting.result(), None
            if isinstance(opened, bytes):
                yield opened
                return
            await _aclose(source)
            if current is not None:
                await current.aclose()
            current, source = opened, relay_body(opened, loop.exchange)
    finally:
        await _close_all(source, current, waiting)


async def _stream_round(
    loop: _Loop, stream: RetrieveStream, source: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """One upstream stream through the transformer, as bytes for the client."""
    decoder = SSEDecoder()
    async for chunk in source:
        out = await _transform(loop, stream, decoder.feed(chunk))
        if out:
            yield out
    out = await _transform(loop, stream, decoder.close())
    if out:
        yield out


async def _transform(loop: _Loop, stream: RetrieveStream, events: list[SSEEvent]) -> bytes:
    out: list[SSEEvent] = []
    for event in events:
        out.extend(loop.feed(stream, event))
        # A mixed turn's pair is kept before the client can see the turn end.
        await loop.keep(stream.hidden_turn)
    return encode_all(out)


T = TypeVar("T")


class _Background(Generic[T]):
    """A coroutine running beside the relay, so the relay can send pings while it waits."""

    def __init__(self, work: Coroutine[Any, Any, T]) -> None:
        self._task = asyncio.ensure_future(work)

    async def done_within(self, seconds: float) -> bool:
        done, _ = await asyncio.wait({self._task}, timeout=seconds)
        return bool(done)

    def result(self) -> T:
        return self._task.result()

    async def discard(self) -> None:
        """Stop the work; close a response it already opened."""
        if not self._task.done():
            self._task.cancel()
            return
        if not self._task.cancelled() and self._task.exception() is None:
            result = self._task.result()
            if isinstance(result, httpx.Response):
                await result.aclose()


async def _close_all(
    source: AsyncIterator[bytes],
    current: httpx.Response | None,
    waiting: _Background[httpx.Response | bytes] | None,
) -> None:
    await _aclose(source)
    if current is not None:
        await current.aclose()
    if waiting is not None:
        await waiting.discard()


async def _aclose(chunks: AsyncIterator[bytes]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


def _object(raw: bytes) -> JSONObject | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
