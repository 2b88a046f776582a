"""Finding the adapter for a wire format, by name or by the shape of messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headroom.providers.base import Adapter

#: Accepted provider names, with aliases, → the adapter's module.
_ALIASES = {
    "anthropic": "anthropic",
    "openai": "openai-chat",
    "openai-chat": "openai-chat",
    "openai-responses": "openai-responses",
    "responses": "openai-responses",
    "gemini": "gemini",
    "google": "gemini",
}
_MESSAGES_KEY = {
    "anthropic": "messages",
    "openai-chat": "messages",
    "openai-responses": "input",
    "gemini": "contents",
}
_OPENAI_ROLES = frozenset({"tool", "system", "developer", "function"})
_ANTHROPIC_TYPES = frozenset({"tool_use", "tool_result", "thinking", "redacted_thinking"})


class UnknownProviderError(ValueError):
    """A provider name that no adapter answers to."""


def canonical(name: str) -> str:
    try:
        return _ALIASES[name.lower()]
    except KeyError:
        known = ", ".join(sorted(_ALIASES))
        raise UnknownProviderError(f"unknown provider {name!r}; use one of: {known}") from None


def adapter_for(name: str) -> Adapter:
    """The adapter for a provider name or alias."""
    provider = canonical(name)
    if provider == "anthropic":
        from headroom.providers.anthropic import ADAPTER as anthropic

        return anthropic
    if provider == "openai-chat":
        from headroom.providers.openai_chat import ADAPTER as openai_chat

        return openai_chat
    if provider == "openai-responses":
        from headroom.providers.openai_responses import ADAPTER as responses

        return responses
    from headroom.providers.gemini import ADAPTER as gemini

    return gemini


def messages_key(name: str) -> str:
    """The body key that holds the conversation in this wire format."""
    return _MESSAGES_KEY[canonical(name)]


def detect_provider(messages: Sequence[Any], *, system: Any = None) -> str:
    """Anthropic or OpenAI chat, from the shape of the messages.

    Anthropic shapes win first: `tool_use`/`tool_result`/`thinking` blocks, or a
    separate system prompt (current Claude Code also puts `system` items in
    `messages`). OpenAI shapes: a `tool`/`system`/`developer` role or
    `tool_calls`. Plain text conversations are the same in both; Anthropic is
    assumed.
    """
    dicts = [m for m in messages if isinstance(m, Mapping)]
    for message in dicts:
        content = message.get("content")
        if isinstance(content, list) and any(
            isinstance(b, Mapping) and b.get("type") in _ANTHROPIC_TYPES for b in content
        ):
            return "anthropic"
    if system is not None:
        return "anthropic"
    for message in dicts:
        if message.get("role") in _OPENAI_ROLES or "tool_calls" in message:
            return "openai-chat"
    return "anthropic"
