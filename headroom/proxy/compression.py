"""One request body through the compression pipeline, on a time budget.

The pipeline is pure and synchronous, so it runs in a worker thread while the
event loop keeps relaying other streams. It gets `pipeline_budget_ms`; past
that, the request goes upstream as it came, the thread's late result is
dropped, and the miss is counted (stage `proxy:budget` in the fail-open error
counts, so /metrics shows it). Any error on the way is caught by `guarded` (logged, counted, and
re-raised under tests), and the original goes upstream too. Bodies that are
not JSON objects, or that the adapter does not recognise, pass through.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field, replace
from enum import StrEnum

import anyio
import anyio.to_thread
import orjson

from headroom.guard import ERRORS, guarded
from headroom.pipeline import PipelineResult
from headroom.prepare import Prepared, prepare_request
from headroom.runtime import Runtime
from headroom.types import Conversation, JSONObject

#: Bodies larger than this are decoded from JSON in a worker thread.
_INLINE_JSON_BYTES = 64 * 1024


class Outcome(StrEnum):
    COMPRESSED = "compressed"
    UNCHANGED = "unchanged"
    NOT_JSON = "not-json"
    UNKNOWN_SHAPE = "unknown-shape"
    TOO_LARGE = "too-large"
    #: An encoding the proxy does not read, corrupt data, or too large once decoded.
    UNREADABLE = "unreadable"
    OVER_BUDGET = "over-budget"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Compression:
    """What the pipeline did to one request body."""

    outcome: Outcome
    #: The parsed original body (None unless it is a JSON object).
    original: JSONObject | None = None
    #: The body to forward: the rendered compressed body when `outcome` is
    #: COMPRESSED, else the original.
    body: JSONObject | None = None
    #: The original as the adapter parsed it, when it did.
    conversation: Conversation | None = None
    result: PipelineResult | None = None
    #: Wall time spent, including any wait for a worker thread.
    ms: float = 0.0
    #: What was done to the body, when the pipeline ran.
    prepared: Prepared | None = field(default=None, repr=False, compare=False)

    @property
    def changed(self) -> bool:
        """Whether what goes upstream differs from what the client sent."""
        return self.body is not None and self.body is not self.original


async def decode_json(data: bytes) -> JSONObject | None:
    """The body as a JSON object, or None when it is not one."""
    if len(data) > _INLINE_JSON_BYTES:
        return await anyio.to_thread.run_sync(_loads, data)
    return _loads(data)


def _loads(data: bytes) -> JSONObject | None:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


#: Bodies up to this size are compressed on the event loop, not in a worker thread.
INLINE_PIPELINE_BYTES = 16 * 1024


async def compress_body(
    runtime: Runtime,
    wire: str,
    body: JSONObject,
    *,
    budget_ms: float,
    raise_errors: bool,
    size: int = INLINE_PIPELINE_BYTES + 1,
    session: str | None = None,
    upstream: str | None = None,
) -> Compression:
    """Prepare `body` (align, compress, breakpoints), falling back on error or timeout.

    Past the time budget, the request goes with only what was decided on
    earlier turns (frozen history, applied without compressing anything new),
    so the history the provider has cached is still sent byte for byte; the
    late result is dropped and never remembered.
    """
    started = time.perf_counter()
    work = _Work(runtime, wire, body, session, upstream)
    failed = Compression(Outcome.FAILED, body, body)
    guarded_work = functools.partial(
        guarded, "proxy:pipeline", work.run, failed, raise_errors=raise_errors
    )
    outcome: Compression | None = None
    if size <= INLINE_PIPELINE_BYTES:
        # A small body compresses in well under a millisecond: a thread hand-off
        # would cost more than the work, and the budget cannot be reached.
        outcome = guarded_work()
    else:
        with anyio.move_on_after(budget_ms / 1000):
            outcome = await anyio.to_thread.run_sync(guarded_work, abandon_on_cancel=True)
        if outcome is None:
            outcome = work.abandon()
    if outcome is None:
        ERRORS.add("proxy:budget")
        fallback = functools.partial(_frozen_only, runtime, wire, body, session, upstream)
        outcome = guarded(
            "proxy:frozen",
            fallback,
            Compression(Outcome.OVER_BUDGET, body, body),
            raise_errors=raise_errors,
        )
    ms = (time.perf_counter() - started) * 1000
    return replace(outcome, original=body, ms=ms)


class _Work:
    """The pipeline run in a worker thread, committed only if it is used."""

    def __init__(
        self,
        runtime: Runtime,
        wire: str,
        body: JSONObject,
        session: str | None,
        upstream: str | None,
    ) -> None:
        self.args = (runtime, wire, body, session, upstream)
        self.lock = threading.Lock()
        self.abandoned = False
        self.done: Compression | None = None

    def run(self) -> Compression:
        outcome = _compress(*self.args)
        with self.lock:
            if not self.abandoned:
                if outcome.prepared is not None:
                    outcome.prepared.commit()
                self.done = outcome
        return outcome

    def abandon(self) -> Compression | None:
        """The result if it just made it; else mark it too late to commit."""
        with self.lock:
            self.abandoned = self.done is None
            return self.done


def _compress(
    runtime: Runtime, wire: str, body: JSONObject, session: str | None, upstream: str | None
) -> Compression:
    prepared = prepare_request(runtime, wire, body, session=session, upstream=upstream)
    return _outcome(prepared, Outcome.COMPRESSED)


def _frozen_only(
    runtime: Runtime, wire: str, body: JSONObject, session: str | None, upstream: str | None
) -> Compression:
    prepared = prepare_request(
        runtime, wire, body, session=session, frozen_only=True, upstream=upstream
    )
    prepared.commit()
    return _outcome(prepared, Outcome.OVER_BUDGET)


def _outcome(prepared: Prepared, changed: Outcome) -> Compression:
    if prepared.conversation is None:
        return Compression(Outcome.UNKNOWN_SHAPE, prepared.original, prepared.original)
    outcome = changed if prepared.changed else Outcome.UNCHANGED
    if changed is Outcome.OVER_BUDGET:
        outcome = changed
    return Compression(
        outcome,
        prepared.original,
        prepared.body,
        prepared.conversation,
        prepared.result,
        prepared=prepared,
    )
