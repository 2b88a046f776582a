"""The library API: `compress`, `compress_text` and `retrieve`.

These are thin: they resolve settings, take the cached runtime for them, and
run the same pipeline the proxy runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from headroom.pipeline import BlockRecord
from headroom.providers.registry import adapter_for, detect_provider, messages_key
from headroom.runtime import get_runtime
from headroom.tokens import TokenCounter
from headroom.types import (
    CompressContext,
    Conversation,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)


@dataclass(frozen=True, slots=True)
class BlockChange:
    """One block that `compress` changed."""

    kind: str
    compressor: str
    tokens_before: int
    tokens_after: int
    ccr_id: str | None
    tool: str | None


@dataclass(frozen=True, slots=True)
class CompressResult:
    """The compressed messages, in the format they came in, and what it saved.

    `ratio` is tokens_after / tokens_before (1.0 means nothing was saved).
    """

    messages: list[Any]
    tokens_before: int
    tokens_after: int
    blocks: tuple[BlockChange, ...]
    provider: str

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    @property
    def ratio(self) -> float:
        return self.tokens_after / self.tokens_before if self.tokens_before else 1.0


@dataclass(frozen=True, slots=True)
class TextResult:
    """One compressed text. `ccr_id` is set when the original was stored."""

    text: str
    kind: str
    tokens_before: int
    tokens_after: int
    ccr_id: str | None
    compressor: str | None = None

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


def compress(
    messages: Sequence[Any],
    *,
    model: str | None = None,
    provider: str | None = None,
    system: Any = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    query: str | None = None,
    **options: Any,
) -> CompressResult:
    """Compress a conversation's tool outputs.

    `messages` may be Anthropic or OpenAI chat messages (also OpenAI Responses
    `input` items or Gemini `contents` with an explicit `provider`); the result
    comes back in the same format. `options` are settings (see
    `headroom.config.SETTINGS`), e.g. `min_tokens=500`.
    """
    runtime = get_runtime(**options)
    name = provider or detect_provider(messages, system=system)
    adapter = adapter_for(name)
    body: dict[str, Any] = {messages_key(name): list(messages)}
    body["model"] = model or runtime.settings.default_model
    if system is not None:
        body["system"] = system
    if tools is not None:
        body["tools"] = list(tools)
    conversation = adapter.parse(body)
    result = runtime.pipeline(query=query).run(conversation)
    runtime.frozen.commit(result.frozen)
    rendered = adapter.render(result.conversation)
    before = conversation_tokens(conversation, runtime.counter)
    return CompressResult(
        messages=rendered[messages_key(name)],
        tokens_before=before,
        tokens_after=before - result.tokens_saved,
        blocks=tuple(_change(r) for r in result.changed),
        provider=adapter.name,
    )


def compress_text(
    text: str, *, query: str | None = None, kind: str | None = None, **options: Any
) -> TextResult:
    """Compress one text (a tool output, a file, a page) on its own."""
    runtime = get_runtime(**options)
    outcome = runtime.engine.compress(text, CompressContext(query=query, kind=kind))
    if outcome.changed and outcome.ccr_id:
        runtime.ccr.put(text, kind=outcome.kind, signature=outcome.signature)
    return TextResult(
        text=outcome.text,
        kind=outcome.kind,
        tokens_before=outcome.tokens_before,
        tokens_after=outcome.tokens_after,
        ccr_id=outcome.ccr_id if outcome.changed else None,
        compressor=outcome.compressor if outcome.changed else None,
    )


def retrieve(ccr_id: str, *, query: str | None = None, **options: Any) -> str:
    """The original behind a marker's id; with `query`, only the parts that match.

    Unknown or expired ids give a clear message, never an exception.
    """
    return get_runtime(**options).ccr.retrieve(ccr_id, query)


def conversation_tokens(conversation: Conversation, counter: TokenCounter) -> int:
    """Tokens in everything a model reads: texts, thinking, tool-call inputs."""
    total = 0
    for _, block in conversation.iter_blocks():
        if isinstance(block, TextBlock | ThinkingBlock):
            total += counter.count(block.text)
        elif isinstance(block, ToolCallBlock):
            total += counter.count(orjson.dumps(dict(block.input)).decode())
    return total


def _change(record: BlockRecord) -> BlockChange:
    return BlockChange(
        kind=record.kind,
        compressor=record.compressor or "",
        tokens_before=record.tokens_before,
        tokens_after=record.tokens_after,
        ccr_id=record.ccr_id,
        tool=record.tool,
    )
