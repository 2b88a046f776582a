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
import time
from dataclasses import dataclass
from enum import StrEnum

import anyio
import anyio.to_thread
import orjson

from headroom.guard import ERRORS, guarded
from headroom.pipeline import PipelineResult
from headroom.providers.registry import adapter_for
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

    @property
    def changed(self) -> bool:
        return self.outcome is Outcome.COMPRESSED


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
) -> Compression:
    """Run the pipeline over `body`, falling back to it on error or timeout."""
    started = time.perf_counter()
    work = functools.partial(_compress, runtime, wire, body)
    failed = Compression(Outcome.FAILED, body, body)
    guarded_work = functools.partial(
        guarded, "proxy:pipeline", work, failed, raise_errors=raise_errors
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
        ERRORS.add("proxy:budget")
        outcome = Compression(Outcome.OVER_BUDGET, body, body)
    ms = (time.perf_counter() - started) * 1000
    return Compression(
        outcome.outcome, body, outcome.body, outcome.conversation, outcome.result, ms
    )


def _compress(runtime: Runtime, wire: str, body: JSONObject) -> Compression:
    adapter = adapter_for(wire)
    try:
        conversation = adapter.parse(body)
    except ValueError:  # adapters reject shapes they do not know this way
        return Compression(Outcome.UNKNOWN_SHAPE, body, body)
    result = runtime.pipeline().run(conversation)
    if not result.changed:
        return Compression(Outcome.UNCHANGED, body, body, conversation, result)
    rendered = adapter.render(result.conversation)
    return Compression(Outcome.COMPRESSED, body, rendered, conversation, result)
