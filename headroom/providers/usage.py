"""The provider's own token usage, read from its responses.

Provider `usage` is the truth for savings (DESIGN §1.7), so the proxy reads it
from every response, streamed or not, and the ledger records it. The four wire
formats count differently; `Usage` puts them on one footing:

- `input_tokens`: input tokens neither read from nor written to the prompt
  cache, billed at the plain input price;
- `cache_read_tokens`: input tokens served from the cache;
- `cache_write_tokens`: input tokens written to the cache;
- `output_tokens`: generated tokens, reasoning/thinking included.

So the whole prompt is always `input + cache_read + cache_write`. Anthropic
already counts this way (its `input_tokens` excludes both cache counts), while
OpenAI's `prompt_tokens`/`input_tokens` and Gemini's `promptTokenCount` include
the cached tokens, which are subtracted here. Gemini's `candidatesTokenCount`
leaves out thinking, which is added back from `thoughtsTokenCount`, matching
the other providers whose output counts include reasoning.

`from_response` reads a non-streaming body; `UsageStream` follows an SSE stream
one event at a time. Neither raises on odd input: usage that is missing or not
understood gives None, since a response without usage must still reach the
client. Each provider's rules are one small function in a table, not a branch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["PROVIDERS", "Usage", "UsageStream", "from_response"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage in one normalized form; `+` sums two of them."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )

    @property
    def prompt_tokens(self) -> int:
        """The whole prompt: uncached input plus cache reads and writes."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def as_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
        }


def _int(value: object) -> int:
    """A token count from JSON; anything that is not a count reads as 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _anthropic(usage: Mapping[str, Any]) -> Usage:
    return Usage(
        input_tokens=_int(usage.get("input_tokens")),
        output_tokens=_int(usage.get("output_tokens")),
        cache_read_tokens=_int(usage.get("cache_read_input_tokens")),
        cache_write_tokens=_int(usage.get("cache_creation_input_tokens")),
    )


def _openai(prompt: object, details: object, output: object) -> Usage:
    """OpenAI's prompt count includes cached tokens; take them out of input."""
    cached = _int(_obj(details).get("cached_tokens"))
    written = _int(_obj(details).get("cache_write_tokens"))
    return Usage(
        input_tokens=max(0, _int(prompt) - cached - written),
        output_tokens=_int(output),
        cache_read_tokens=cached,
        cache_write_tokens=written,
    )


def _openai_chat(usage: Mapping[str, Any]) -> Usage:
    return _openai(
        usage.get("prompt_tokens"),
        usage.get("prompt_tokens_details"),
        usage.get("completion_tokens"),
    )


def _openai_responses(usage: Mapping[str, Any]) -> Usage:
    return _openai(
        usage.get("input_tokens"),
        usage.get("input_tokens_details"),
        usage.get("output_tokens"),
    )


def _gemini(meta: Mapping[str, Any]) -> Usage:
    """promptTokenCount includes cachedContentTokenCount; thoughts are output."""
    cached = _int(meta.get("cachedContentTokenCount"))
    return Usage(
        input_tokens=max(0, _int(meta.get("promptTokenCount")) - cached),
        output_tokens=_int(meta.get("candidatesTokenCount")) + _int(meta.get("thoughtsTokenCount")),
        cache_read_tokens=cached,
    )


def _usage_of(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    usage = body.get("usage")
    return usage if isinstance(usage, Mapping) else None


def _gemini_usage_of(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    meta = body.get("usageMetadata")
    return meta if isinstance(meta, Mapping) else None


#: One stream step: the running state (owned by the stream), the event's name
#: and data in; the usage so far out (None when the event carried none).
Step = Callable[[dict[str, Any], str | None, Mapping[str, Any]], Usage | None]


def _last_wins(
    locate: Callable[[Mapping[str, Any]], Mapping[str, Any] | None],
    read: Callable[[Mapping[str, Any]], Usage],
) -> Step:
    """A step for streams whose latest usage replaces any earlier one."""

    def step(state: dict[str, Any], name: str | None, event: Mapping[str, Any]) -> Usage | None:
        usage = locate(event)
        return None if usage is None else read(usage)

    return step


def _anthropic_step(
    state: dict[str, Any], name: str | None, event: Mapping[str, Any]
) -> Usage | None:
    """message_start sets every count; message_delta's cumulative ones replace them."""
    kind = event.get("type", name)
    if kind == "message_start":
        usage = _usage_of(_obj(event.get("message")))
    elif kind == "message_delta":
        usage = _usage_of(event)
    else:
        return None
    if usage is None:
        return None
    state.update({k: v for k, v in usage.items() if v is not None})
    return _anthropic(state)


def _responses_locate(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """response.completed / .incomplete / .failed carry it under `response`."""
    return _usage_of(_obj(event.get("response")))


@dataclass(frozen=True, slots=True)
class _Rules:
    """Where a provider's body keeps its usage, how to read it, how to stream it."""

    locate: Callable[[Mapping[str, Any]], Mapping[str, Any] | None]
    read: Callable[[Mapping[str, Any]], Usage]
    step: Step


_RULES: dict[str, _Rules] = {
    "anthropic": _Rules(_usage_of, _anthropic, _anthropic_step),
    "openai-chat": _Rules(_usage_of, _openai_chat, _last_wins(_usage_of, _openai_chat)),
    "openai-responses": _Rules(
        _usage_of, _openai_responses, _last_wins(_responses_locate, _openai_responses)
    ),
    "gemini": _Rules(_gemini_usage_of, _gemini, _last_wins(_gemini_usage_of, _gemini)),
}

#: The provider names `from_response` and `UsageStream` accept.
PROVIDERS = tuple(_RULES)


def _rules(provider: str) -> _Rules:
    try:
        return _RULES[provider]
    except KeyError:
        raise ValueError(
            f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}"
        ) from None


def from_response(provider: str, body: object) -> Usage | None:
    """The usage in a non-streaming response body, or None when it has none.

    A Gemini body may also be the JSON array that `:streamGenerateContent`
    returns without `alt=sse`; its last usage wins, as in a stream.
    """
    rules = _rules(provider)
    if isinstance(body, list):
        stream = UsageStream(provider)
        for item in body:
            if isinstance(item, Mapping):
                stream.feed(None, item)
        return stream.usage
    if not isinstance(body, Mapping):
        return None
    usage = rules.locate(body)
    return None if usage is None else rules.read(usage)


class UsageStream:
    """Follows one SSE response and keeps the usage it has reported so far.

    Feed it every event (`feed(event_name, data)`); `.usage` is None until an
    event carried usage. The rules per provider:

    - anthropic: `message_start` gives the input and cache counts;
      `message_delta` usage is cumulative, so each field it carries replaces
      the one before;
    - openai-chat: the final chunk (with `stream_options.include_usage`);
    - openai-responses: `response.completed` (or `.incomplete`/`.failed`),
      under `response.usage`;
    - gemini: every chunk may carry `usageMetadata`; the last one wins.

    A continuation round trip is a separate stream; sum the two with `+`.
    """

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self._rules = _rules(provider)
        self._state: dict[str, Any] = {}
        self._usage: Usage | None = None

    @property
    def usage(self) -> Usage | None:
        return self._usage

    def feed(self, event_name: str | None, data: str | bytes | Mapping[str, Any]) -> None:
        """Take one event: its `event:` name (None when absent) and its data.

        `data` is the JSON text of the `data:` lines, or the already parsed
        object. Text that cannot hold usage is skipped without being parsed, so
        feeding every event of a long stream stays cheap.
        """
        event = _parse(data)
        if event is None:
            return
        usage = self._rules.step(self._state, event_name, event)
        if usage is not None:
            self._usage = usage


def _parse(data: str | bytes | Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The event as a JSON object, or None when it cannot carry usage."""
    if isinstance(data, Mapping):
        return data
    raw = data.encode() if isinstance(data, str) else data
    if b"usage" not in raw:  # also matches Gemini's "usageMetadata"
        return None
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, Mapping) else None
