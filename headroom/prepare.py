"""One request body, made ready for the provider: align, compress, place breakpoints.

This is what the proxy does to every model request, and what the replay
benchmark does to every turn of a recorded session, so the bill the benchmark
computes is the bill the proxy causes:

1. **Align** (`headroom.providers.align`): volatile bits of the system prompt
   move into one dynamic block at its end, tool definitions get a stable key
   order. A system prompt the aligner cannot parse is left alone.
2. **Compress** (the pipeline): tool results go through their compressors.
   Blocks seen before get their first-seen form back (frozen history), and a
   block the previous request already sent as it was is changed only when the
   cache planner says it pays.
3. **Breakpoints** (`headroom.providers.breakpoints`): Anthropic cache
   breakpoints where the client set none (up to 4, above the model's minimum
   cacheable length), or an OpenAI `prompt_cache_key` per session.

Nothing is remembered until `Prepared.commit()`: the caller commits once the
body is really what goes upstream, so a result that came too late to be used
never pins bytes the provider did not see.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from headroom import telemetry
from headroom.accounting import COMPRESSED, HOLDOUT, METER_ONLY, arm_of
from headroom.cache.planner import CachePlan
from headroom.cache.session import SessionState, derive_session_key
from headroom.cache.volatile import DYNAMIC_HEADER
from headroom.config import min_cacheable_tokens
from headroom.guard import guarded
from headroom.pipeline import PipelineResult
from headroom.providers.registry import adapter_for
from headroom.runtime import Runtime
from headroom.tokens import estimate_tokens
from headroom.types import Conversation, JSONObject, ToolResultBlock

__all__ = ["Prepared", "prepare_request"]


@dataclass(slots=True)
class Prepared:
    """A request body ready to forward, and what was done to it."""

    #: The body to send (the very object passed in when nothing changed).
    body: JSONObject
    original: JSONObject
    #: The original as the adapter parsed it; None when it has a shape no adapter knows.
    conversation: Conversation | None = None
    result: PipelineResult | None = None
    #: What the aligner moved out of the cacheable prefix (kind, text).
    moved: tuple[tuple[str, str], ...] = ()
    #: Where breakpoints were placed ("tools", "system", "message:3", "prompt_cache_key").
    breakpoints: tuple[str, ...] = ()
    session: str | None = None
    #: `compressed`, `holdout` (left alone to measure against) or `meter-only`
    #: (computed, not applied: `body` is the original, `result` what would have been).
    arm: str = COMPRESSED
    state: SessionState = field(default_factory=SessionState)
    now: float = 0.0
    _runtime: Runtime | None = field(default=None, repr=False)
    _committed: bool = field(default=False, repr=False)

    @property
    def changed(self) -> bool:
        return self.body is not self.original

    @property
    def compressed(self) -> bool:
        return self.result is not None and bool(self.result.changed)

    def commit(self) -> None:
        """Remember first-seen decisions and the session's progress (once)."""
        runtime = self._runtime
        if self._committed or runtime is None:
            return
        self._committed = True
        if self.result is not None and self.result.frozen and self.arm == COMPRESSED:
            runtime.frozen.commit(self.result.frozen)
        if self.session is not None and self.conversation is not None:
            runtime.sessions.sent(
                self.session,
                self.state,
                now=self.now,
                messages=len(self.conversation.messages),
            )


def prepare_request(
    runtime: Runtime,
    wire: str,
    body: JSONObject,
    *,
    session: str | None = None,
    now: float | None = None,
    frozen_only: bool = False,
    upstream: str | None = None,
) -> Prepared:
    """Align, compress and place breakpoints on one request body (not committed).

    `session` names the conversation (a client's session header); without one,
    a key is derived from the conversation's first user message. `now` is the
    request's time (the replay passes recorded times). With `frozen_only`,
    nothing new is compressed (the proxy's fallback when the time budget ran out).
    `upstream` is the base URL the request goes to: OpenAI's `prompt_cache_key`
    is only added for OpenAI's own API, since OpenAI-compatible servers (Azure,
    vLLM, gateways) may reject a parameter they do not know.
    Each stage is a span when tracing is on (`headroom.telemetry`).
    """
    with telemetry.span("headroom.prepare", {"headroom.wire": wire}) as span:
        prepared = _prepare(
            runtime,
            wire,
            body,
            session=session,
            now=now,
            frozen_only=frozen_only,
            cache_key=is_openai_api(upstream),
        )
        span.set_attribute("headroom.arm", prepared.arm)
        span.set_attribute("headroom.changed", prepared.changed)
        return prepared


def _prepare(
    runtime: Runtime,
    wire: str,
    body: JSONObject,
    *,
    session: str | None,
    now: float | None,
    frozen_only: bool,
    cache_key: bool,
) -> Prepared:
    settings = runtime.settings
    now = time.time() if now is None else now
    adapter = adapter_for(wire)
    with telemetry.span("headroom.align") as span:
        aligned_body, moved, static_system = _align(runtime, adapter.name, body)
        span.set_attribute("headroom.moved", len(moved))
    try:
        conversation = adapter.parse(aligned_body)
    except ValueError:  # adapters reject shapes they do not know this way
        return Prepared(body, body, now=now, _runtime=runtime)
    key = session or derive_session_key(conversation)
    if arm_of(key, settings.holdout) == HOLDOUT:
        return Prepared(body, body, conversation, session=key, arm=HOLDOUT, now=now)
    prepared = Prepared(aligned_body, body, conversation, moved=moved, now=now, _runtime=runtime)
    if settings.meter_only:
        prepared.arm = METER_ONLY
    if _has_tool_results(conversation):
        prepared.session = key
        prepared.state = runtime.sessions.get(key)
        plan = CachePlan(prepared.state, now, _ttl(runtime)) if settings.cache_planner else None
        pipeline = runtime.pipeline(plan=plan, frozen_only=frozen_only)
        with telemetry.span("headroom.compress", {"headroom.frozen_only": frozen_only}) as span:
            prepared.result = pipeline.run(conversation)
            _trace_blocks(span, prepared.result)
        if prepared.result.changed:
            prepared.body = adapter.render(prepared.result.conversation)
    if settings.cache_breakpoints:
        with telemetry.span("headroom.breakpoints") as span:
            prepared.body, prepared.breakpoints = _breakpoints(
                runtime,
                adapter.name,
                prepared.body,
                conversation,
                static_system,
                key if cache_key else None,
            )
            span.set_attribute("headroom.placed", list(prepared.breakpoints))
    if prepared.arm == METER_ONLY:
        prepared.body = body  # measured, not applied
    return prepared


def _trace_blocks(span: telemetry.Span, result: PipelineResult) -> None:
    """One child span per changed block: kind, compressor, estimated tokens; never text."""
    if not telemetry.enabled():
        return
    span.set_attribute("headroom.blocks", len(result.records))
    span.set_attribute("headroom.blocks_changed", len(result.changed))
    for record in result.changed:
        outcome = record.outcome
        attributes: dict[str, str | int] = {
            "headroom.block.kind": outcome.kind,
            "headroom.block.decision": outcome.decision.value,
            "headroom.block.tokens_before": estimate_tokens(outcome.original),
            "headroom.block.tokens_after": estimate_tokens(outcome.text),
        }
        if outcome.compressor:
            attributes["headroom.block.compressor"] = outcome.compressor
        if record.tool:
            attributes["headroom.block.tool"] = record.tool
        telemetry.instant("headroom.compress.block", attributes)


def _align(
    runtime: Runtime, wire: str, body: JSONObject
) -> tuple[JSONObject, tuple[tuple[str, str], ...], int | None]:
    """The aligned body, what moved, and how many system blocks stay static."""
    if not runtime.settings.cache_align:
        return body, (), None
    from headroom.providers.align import align

    aligned = guarded(
        "cache:align",
        functools.partial(align, wire, body),
        None,
        raise_errors=runtime.settings.raise_errors,
    )
    new_body: JSONObject = body if aligned is None or not aligned.changed else dict(aligned.body)
    moved = () if aligned is None else tuple((m.kind, m.text) for m in aligned.moved)
    return new_body, moved, _static_system_blocks(new_body.get("system"))


def _static_system_blocks(system: Any) -> int | None:
    """How many leading system blocks are static: all but a dynamic block at the end."""
    if not isinstance(system, list) or not system:
        return None
    last = system[-1]
    text = last.get("text") if isinstance(last, dict) else None
    if isinstance(text, str) and text.startswith(DYNAMIC_HEADER):
        return len(system) - 1
    return None


def _breakpoints(
    runtime: Runtime,
    wire: str,
    body: JSONObject,
    conversation: Conversation,
    static_system: int | None,
    session: str | None,
) -> tuple[JSONObject, tuple[str, ...]]:
    settings = runtime.settings
    from headroom.providers import breakpoints as bp

    if wire == "anthropic":
        placed = guarded(
            "cache:breakpoints",
            functools.partial(
                bp.place_breakpoints,
                body,
                min_tokens=min_cacheable_tokens(conversation.model, settings.cache_min_tokens),
                ttl=_ttl(runtime),
                static_system_blocks=static_system,
            ),
            None,
            raise_errors=settings.raise_errors,
        )
        if placed is None or not placed.placed:
            return body, ()
        return dict(placed.body), tuple(placed.placed)
    if wire in {"openai-chat", "openai-responses"} and session and "prompt_cache_key" not in body:
        keyed: dict[str, Any] = dict(
            bp.ensure_prompt_cache_key(body, bp.session_cache_key(session))
        )
        return keyed, ("prompt_cache_key",)
    return body, ()


def is_openai_api(url: str | None) -> bool:
    """Whether `url` is OpenAI's own API (where `prompt_cache_key` is known)."""
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    return host == "api.openai.com"


def _ttl(runtime: Runtime) -> str:
    ttl = runtime.settings.cache_ttl
    if ttl != "auto":
        return ttl
    from headroom.cache.ttl import effective_ttl

    return guarded(
        "cache:ttl",
        functools.partial(effective_ttl, runtime.settings, runtime.store),
        "5m",
        raise_errors=runtime.settings.raise_errors,
    )


def _has_tool_results(conversation: Conversation) -> bool:
    return any(
        isinstance(block, ToolResultBlock)
        for message in conversation.messages
        for block in message.blocks
    )
