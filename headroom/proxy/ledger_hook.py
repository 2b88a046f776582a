"""The usage ledger in the proxy: `LedgerHook` records one entry per model request.

It reads the provider's usage from the bytes on their way to the client: an
SSE stream event by event (`UsageStream`), a whole JSON body once it has ended
(`from_response`). Placed after the retrieve hook, it sees what the client
sees, where the retrieve loop has already summed the usage of every round it
ran (the closing `message_delta`, the usage chunk, `response.completed`, or
the merged body), so one client request is one entry with the usage of all
its upstream calls.

`record` runs in a worker thread once the response has ended (under `guarded`,
by the hook runner): it turns the exchange into a `LedgerEntry` (estimated
tokens before and after compression, from the pipeline's block records, over
the blocks the pipeline looked at) and hands it to the Prometheus metrics and
then to the ledger, whose store I/O may block. Token counting is lazy in the
records, so it happens here too, off the event loop.

Only model requests are recorded; token counting (`count_tokens`) is not a
model call and would count a request's savings twice.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson

from headroom.accounting import COMPRESSED, METER_ONLY, Costs, costs
from headroom.guard import guarded
from headroom.pipeline import BlockRecord
from headroom.providers.usage import PROVIDERS, Usage, UsageStream, from_response
from headroom.proxy.hooks import Exchange, ProxyHooks
from headroom.proxy.ledger import Ledger, LedgerEntry, session_of, tenant_of
from headroom.proxy.metrics import Metrics
from headroom.proxy.routes import Kind
from headroom.proxy.sse import SSEDecoder
from headroom.tokens import estimate_tokens

#: Whole (non-SSE) response bodies are kept for their usage up to this size.
MAX_BUFFER_BYTES = 32 * 1024 * 1024
_MODEL_SEGMENT = re.compile(r"/models/[^/:]+")


def exchange_tenant(exchange: Exchange) -> str:
    """The caller's tenant hash (never its key), from headers or a Gemini `?key=`."""
    if exchange.tenant is None:  # prepare and record both ask: hash the key once
        exchange.tenant = tenant_of(exchange.headers, dict(parse_qsl(exchange.query)))
    return exchange.tenant


def is_sse_response(exchange: Exchange) -> bool:
    content_type = exchange.response_headers.get("content-type", "")
    return content_type.startswith("text/event-stream")


class LedgerHook(ProxyHooks):
    """Reads usage from responses and records every model request."""

    def __init__(self, ledger: Ledger, metrics: Metrics, *, raise_errors: bool = False) -> None:
        self.ledger = ledger
        self.metrics = metrics
        self.raise_errors = raise_errors
        #: Usage tallies by exchange, from relay until record (same request).
        self._tallies: dict[int, _Tally] = {}

    def relay(self, exchange: Exchange, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        wire = exchange.route.wire
        if exchange.route.kind is not Kind.MODEL or wire not in PROVIDERS:
            return chunks
        tally = _Tally(wire, sse=is_sse_response(exchange), raise_errors=self.raise_errors)
        self._tallies[id(exchange)] = tally
        return _follow(chunks, tally)

    def record(self, exchange: Exchange) -> None:
        tally = self._tallies.pop(id(exchange), None)
        if exchange.route.kind is not Kind.MODEL:
            return
        usage = tally.usage() if tally is not None else None
        entry = entry_of(exchange, usage, raise_errors=self.raise_errors)
        self.metrics.observe(entry)
        self.ledger.record(entry)


class _Tally:
    """The usage one response reports, read from its bytes as they pass."""

    def __init__(self, wire: str, *, sse: bool, raise_errors: bool) -> None:
        self.wire = wire
        self.sse = sse
        self.raise_errors = raise_errors
        self._stream = UsageStream(wire)
        self._decoder = SSEDecoder()
        self._body: list[bytes] = []
        self._size = 0
        self._broken = False

    def feed(self, chunk: bytes) -> None:
        if self._broken:
            return
        if not self.sse:
            self._size += len(chunk)
            self._body.append(chunk)
            self._broken = self._size > MAX_BUFFER_BYTES
            return
        read = functools.partial(self._events, chunk)
        ok = guarded("ledger:usage", read, False, raise_errors=self.raise_errors)
        self._broken = not ok

    def _events(self, chunk: bytes) -> bool:
        for event in self._decoder.feed(chunk):
            if not event.comment:
                self._stream.feed(event.event, event.data)
        return True

    def usage(self) -> Usage | None:
        """The usage reported, once the response has ended."""
        if self._broken:
            return None
        if self.sse:
            for event in self._decoder.close():
                self._stream.feed(event.event, event.data)
            return self._stream.usage
        try:
            body = orjson.loads(b"".join(self._body))
        except orjson.JSONDecodeError:
            return None
        return from_response(self.wire, body)


async def _follow(chunks: AsyncIterator[bytes], tally: _Tally) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            tally.feed(chunk)
            yield chunk
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def entry_of(exchange: Exchange, usage: Usage | None, *, raise_errors: bool = False) -> LedgerEntry:
    """The ledger entry of one finished request."""
    compression = exchange.compression
    result = compression.result if compression is not None else None
    records = result.records if result is not None else ()
    prepared = compression.prepared if compression is not None else None
    arm = prepared.arm if prepared is not None else COMPRESSED
    # Records of a result that was not forwarded (over budget, failed) saved
    # nothing; in meter-only mode they are what would have been saved.
    used = compression is not None and compression.changed
    counted = result is not None and (used or arm == METER_ONLY)
    changed = result.changed if result is not None and counted else ()
    # Estimated, as the ledger promises: exact counts of large originals would
    # hold the interpreter while the next request is being compressed.
    before = sum(estimate_tokens(r.outcome.original) for r in records)
    saved = sum(
        estimate_tokens(r.outcome.original) - estimate_tokens(r.outcome.text) for r in changed
    )
    original = compression.original if compression is not None else None
    session = session_of(exchange.headers, original or exchange.body)
    provider = exchange.route.provider.value
    body_tokens = exchange.body_bytes // BYTES_PER_TOKEN
    money = _costs(usage, exchange.model, provider, body_tokens, saved, arm, raise_errors)
    return LedgerEntry(
        provider=provider,
        model=exchange.model,
        tenant=exchange_tenant(exchange),
        time=exchange.started_at,
        request_id=_request_id(exchange.response_headers),
        route=_MODEL_SEGMENT.sub("/models/{model}", exchange.path),
        session=session or (prepared.session if prepared is not None else None),
        tokens_before=before,
        tokens_after=before - saved,
        usage=usage,
        compressors=dict(Counter(r.compressor for r in changed if r.compressor)),
        blocks_changed=len(changed),
        retrievals=exchange.retrievals,
        proxy_ms=exchange.proxy_ms,
        upstream_ms=_upstream_ms(exchange),
        status=exchange.status or 0,
        streaming=exchange.streaming,
        moved=tuple(kind for kind, _ in prepared.moved) if prepared is not None and used else (),
        breakpoints=prepared.breakpoints if prepared is not None and used else (),
        decisions=tuple(decision_of(r) for r in records),
        arm=arm,
        body_tokens=body_tokens,
        dollars=None if money is None else money.dollars,
        dollars_without=None if money is None else money.dollars_without,
    )


#: Bytes of a JSON request body per token, for the estimate of its size.
BYTES_PER_TOKEN = 4


def _costs(
    usage: Usage | None,
    model: str,
    provider: str,
    body_tokens: int,
    saved: int,
    arm: str,
    raise_errors: bool,
) -> Costs | None:
    if usage is None:
        return None
    work = functools.partial(
        costs,
        usage,
        model,
        provider=provider,
        body_tokens=body_tokens,
        tokens_saved=saved,
        applied=arm != METER_ONLY,
    )
    return guarded("ledger:costs", work, None, raise_errors=raise_errors)


def decision_of(record: BlockRecord) -> dict[str, Any]:
    """One block's decision, as the ledger keeps it (sizes estimated)."""
    outcome = record.outcome
    address = record.address
    changed = outcome.changed
    return {
        "block": f"m{address.message}.b{address.block}.p{address.part}",
        "tool": record.tool,
        "kind": outcome.kind,
        "compressor": outcome.compressor,
        "decision": outcome.decision.value,
        "reason": outcome.reason.value,
        "plan": record.plan,
        "tokens_before": estimate_tokens(outcome.original),
        "tokens_after": estimate_tokens(outcome.text if changed else outcome.original),
        "ccr_id": outcome.ccr_id if changed else None,
        # What the model saw instead of the original (the original is in the
        # store under ccr_id), for the side-by-side view; capped.
        "text": outcome.text[:DECISION_TEXT_CAP] if changed else None,
    }


#: The most characters of a compressed block kept in a decision record.
DECISION_TEXT_CAP = 16_384


def _request_id(headers: Mapping[str, str]) -> str:
    return headers.get("request-id") or headers.get("x-request-id") or ""


def _upstream_ms(exchange: Exchange) -> float | None:
    if exchange.sent is None or exchange.answered is None:
        return None
    return (exchange.answered - exchange.sent) * 1000
