"""What the fake upstream says back: scripted replies, independent of wire format.

A `Reply` describes one model turn (text, tool calls, thinking) or one HTTP
error, plus how to deliver it (slowly, or cut off mid-stream). It says nothing
about Anthropic, OpenAI or Gemini: the route a request arrives on picks the
renderer (`headroom.testing.anthropic` and its siblings), so one script can
drive a test of any provider.

Replies are immutable; the modifiers (`Reply.slow`, `Reply.disconnect`,
`Reply.error_mid_stream`, `Reply.with_usage`) return changed copies, so they
compose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeAlias


@dataclass(frozen=True)
class Text:
    """A text block of the reply."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """A tool call. With `id=None` each wire format makes up an id in its own style."""

    name: str
    input: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Thinking:
    """A signed thinking block (Anthropic thinking, Responses reasoning, Gemini thought)."""

    thinking: str
    signature: str


Part: TypeAlias = Text | ToolCall | Thinking


@dataclass(frozen=True)
class Usage:
    """Token counts to report instead of the fake's estimates.

    The fields follow Anthropic's split: `input_tokens` is the uncached input,
    and cache reads and writes come on top. OpenAI and Gemini renderings add
    them back together, since their prompt counts include cached tokens.
    `None` means "estimate it": the input from the request body's size, the
    output from the reply's length.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class ErrorSpec:
    """An HTTP error answered before any body or stream starts.

    `type` overrides the provider's error type (for example
    `"overloaded_error"`); by default it follows from the status code.
    """

    status: int
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)
    type: str | None = None


#: Messages for `Reply.error` when the test gives none.
_DEFAULT_MESSAGES = {
    400: "Invalid request",
    401: "Invalid API key",
    403: "Permission denied",
    404: "Not found",
    413: "Request too large",
    429: "Rate limit exceeded",
    500: "Internal server error",
    503: "Service unavailable",
    529: "Overloaded",
}


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the fake upstream.

    Build replies with the class methods (`Reply.text`, `Reply.tool_call`,
    `Reply.tool_calls`, `Reply.thinking`, `Reply.of`, `Reply.error`) and adjust delivery
    with `Reply.slow`, `Reply.disconnect` and `Reply.error_mid_stream`.
    """

    parts: tuple[Part, ...] = ()
    #: Answer with this HTTP error instead of the parts.
    failure: ErrorSpec | None = None
    usage: Usage = Usage()
    #: Seconds to wait between SSE events (or once, before a non-streamed body).
    delay: float = 0.0
    #: Stream this many SSE events, then end the stream (`None`: never cut).
    cut_after: int | None = None
    #: How a cut stream ends: with this error event, or (`None`) a dropped connection.
    stream_error: ErrorSpec | None = None

    @classmethod
    def text(cls, text: str) -> Reply:
        """A plain text answer that ends the turn."""
        return cls(parts=(Text(text),))

    @classmethod
    def tool_call(cls, name: str, input: Mapping[str, Any], id: str | None = None) -> Reply:
        """A turn that ends with one tool call (for example `headroom_retrieve`)."""
        return cls(parts=(ToolCall(name, dict(input), id),))

    @classmethod
    def tool_calls(
        cls,
        calls: Sequence[ToolCall | tuple[str, Mapping[str, Any]]],
        *,
        text: str | None = None,
    ) -> Reply:
        """Parallel tool calls in one turn, optionally after some text.

        Each call is a `ToolCall` or a `(name, input)` pair.
        """
        parts: list[Part] = [Text(text)] if text else []
        for call in calls:
            parts.append(call if isinstance(call, ToolCall) else ToolCall(call[0], dict(call[1])))
        return cls(parts=tuple(parts))

    @classmethod
    def thinking(cls, thinking: str, signature: str, text: str) -> Reply:
        """A signed thinking block followed by a text answer."""
        return cls(parts=(Thinking(thinking, signature), Text(text)))

    @classmethod
    def of(cls, *parts: Part) -> Reply:
        """A turn made of any sequence of parts, in order."""
        return cls(parts=parts)

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        type: str | None = None,
    ) -> Reply:
        """An HTTP error with the provider's error body.

        A 429 without explicit headers carries `retry-after: 1`, as real
        upstreams send a retry hint with it.
        """
        if headers is None:
            headers = {"retry-after": "1"} if status == 429 else {}
        text = message if message is not None else _DEFAULT_MESSAGES.get(status, "Error")
        return cls(failure=ErrorSpec(status, text, dict(headers), type))

    @staticmethod
    def slow(reply: Reply, delay: float = 0.05) -> Reply:
        """`reply`, with `delay` seconds between its SSE events."""
        return replace(reply, delay=delay)

    @staticmethod
    def disconnect(reply: Reply, after_events: int) -> Reply:
        """`reply`, cut off after `after_events` SSE events.

        A non-streamed reply is cut halfway through its body instead.
        """
        return replace(reply, cut_after=after_events, stream_error=None)

    @staticmethod
    def error_mid_stream(
        reply: Reply,
        after_events: int,
        status: int = 529,
        message: str | None = None,
        *,
        type: str | None = None,
    ) -> Reply:
        """`reply`, with the provider's own error event after `after_events` events.

        The HTTP status stays 200, as when a real upstream fails mid-stream
        (Anthropic's `event: error` with `overloaded_error`, for instance).
        A non-streamed request gets the error as an HTTP error instead.
        """
        text = message if message is not None else _DEFAULT_MESSAGES.get(status, "Error")
        spec = ErrorSpec(status, text, {}, type)
        return replace(reply, cut_after=after_events, stream_error=spec)

    def with_usage(
        self,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> Reply:
        """This reply, reporting the given token counts (see `Usage`)."""
        usage = Usage(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
        return replace(self, usage=usage)
