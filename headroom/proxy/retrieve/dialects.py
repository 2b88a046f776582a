"""One protocol for the retrieve loop on each wire format, and the table of them.

The loop itself (answer, continue, merge, hide, restore) is the same for every
provider; only reading calls out of a response and writing them back into a
request differ. Each wire format implements `Dialect` (whole responses) and
`RetrieveStream` (SSE), and is found here by name, so no caller branches on
the provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from headroom.providers.registry import canonical
from headroom.proxy.retrieve.anthropic import AnthropicRetrieve
from headroom.proxy.retrieve.anthropic_stream import AnthropicRetrieveStream
from headroom.proxy.retrieve.calls import HiddenTurn, RetrieveCall, StoredTurn
from headroom.proxy.retrieve.openai_chat import OpenAIChatRetrieve
from headroom.proxy.retrieve.openai_chat_stream import OpenAIChatRetrieveStream
from headroom.proxy.retrieve.openai_responses import OpenAIResponsesRetrieve
from headroom.proxy.retrieve.openai_responses_stream import OpenAIResponsesRetrieveStream
from headroom.proxy.sse import SSEEvent
from headroom.types import JSONObject


class Dialect(Protocol):
    """The retrieve loop's operations on one wire format's whole bodies."""

    name: str

    def find_calls(self, response: Mapping[str, Any]) -> list[RetrieveCall]: ...

    def is_only_retrieve(self, response: Mapping[str, Any]) -> bool: ...

    def continuation(
        self, body: Mapping[str, Any], response: Mapping[str, Any], answers: Mapping[str, str]
    ) -> JSONObject: ...

    def merge(self, first: Mapping[str, Any], final: Mapping[str, Any]) -> JSONObject: ...

    def split(self, response: Mapping[str, Any]) -> tuple[JSONObject, HiddenTurn | None]: ...

    def results(self, turn: HiddenTurn, answers: Mapping[str, str]) -> list[JSONObject]: ...

    def restore(
        self, body: Mapping[str, Any], lookup: Callable[[str], StoredTurn | None]
    ) -> JSONObject: ...


class RetrieveStream(Protocol):
    """The retrieve loop on one wire format's SSE stream (see each implementation)."""

    pending_calls: list[RetrieveCall]
    hidden_turn: HiddenTurn | None

    def feed(self, event: SSEEvent) -> list[SSEEvent]: ...

    def ping(self) -> SSEEvent: ...

    def start_continuation(self) -> None: ...

    def finish(self) -> list[SSEEvent]: ...

    def turn_response(self) -> JSONObject: ...


_DIALECTS: dict[str, Dialect] = {
    "anthropic": AnthropicRetrieve(),
    "openai-chat": OpenAIChatRetrieve(),
    "openai-responses": OpenAIResponsesRetrieve(),
}
_STREAMS: dict[str, Callable[[], RetrieveStream]] = {
    "anthropic": AnthropicRetrieveStream,
    "openai-chat": OpenAIChatRetrieveStream,
    "openai-responses": OpenAIResponsesRetrieveStream,
}


def dialect(provider: str) -> Dialect:
    """The dialect for a provider name or alias."""
    return _DIALECTS[_supported(provider)]


def new_stream(provider: str) -> RetrieveStream:
    """A fresh stream transformer for one client request."""
    return _STREAMS[_supported(provider)]()


def supports(provider: str) -> bool:
    """Whether the retrieve loop runs on this provider's wire format."""
    return canonical(provider) in _DIALECTS


def _supported(provider: str) -> str:
    name = canonical(provider)
    if name not in _DIALECTS:
        raise ValueError(f"the retrieve loop does not run on {provider!r}; check supports() first")
    return name
