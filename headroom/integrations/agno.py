"""Agno: model classes whose provider calls go through `with_headroom`.

`pip install 'headroom[agno]'`. Agno's OpenAI and Anthropic models make every
request through the SDK client their `get_client()` / `get_async_client()`
returns. The classes here are those models with that client wrapped by
`headroom.integrations.sdk.with_headroom`, so each request an agent makes is
compressed (tool results included), gets the `headroom_retrieve` tool, and
has its retrieve calls answered before Agno sees the response; streamed runs
are compressed without the tool. Agno itself never sees the tool.

    agent = Agent(model=HeadroomOpenAIChat(id="gpt-4.1"), tools=[...])

`headroom` takes Headroom settings for these calls, e.g.
`HeadroomClaude(id="claude-sonnet-4-6", headroom={"min_tokens": 500})`.
OpenAI-compatible providers work through `HeadroomOpenAIChat(base_url=...)`.

The wrapper is made on each `get_client()` call and never stored on the
model: Agno copies models without their clients, and the raw client stays
the one Agno caches. Each class needs its provider's SDK (`openai` for the
OpenAI models, `anthropic` for Claude), as Agno's own classes do; a class
whose SDK is not installed is not defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from headroom.integrations.sdk import with_headroom

__all__ = ["HeadroomClaude", "HeadroomOpenAIChat", "HeadroomOpenAIResponses"]

try:  # Agno's OpenAI models need the openai SDK.
    from agno.models.openai import OpenAIChat, OpenAIResponses
    from openai import AsyncOpenAI, OpenAI
except ImportError:
    pass
else:

    @dataclass
    class HeadroomOpenAIChat(OpenAIChat):
        """Agno's `OpenAIChat` (Chat Completions), through Headroom."""

        headroom: dict[str, Any] = field(default_factory=dict)

        def get_client(self) -> OpenAI:
            return with_headroom(super().get_client(), **self.headroom)

        def get_async_client(self) -> AsyncOpenAI:
            return with_headroom(super().get_async_client(), **self.headroom)

    @dataclass
    class HeadroomOpenAIResponses(OpenAIResponses):
        """Agno's `OpenAIResponses` (the Responses API), through Headroom."""

        headroom: dict[str, Any] = field(default_factory=dict)

        def get_client(self) -> OpenAI:
            return with_headroom(super().get_client(), **self.headroom)

        def get_async_client(self) -> AsyncOpenAI:
            return with_headroom(super().get_async_client(), **self.headroom)


try:  # Agno's Claude needs the anthropic SDK.
    from agno.models.anthropic import Claude
    from anthropic import Anthropic, AsyncAnthropic
except ImportError:
    pass
else:

    @dataclass
    class HeadroomClaude(Claude):
        """Agno's `Claude` (Anthropic Messages), through Headroom."""

        headroom: dict[str, Any] = field(default_factory=dict)

        def get_client(self) -> Anthropic:
            return with_headroom(super().get_client(), **self.headroom)

        def get_async_client(self) -> AsyncAnthropic:
            return with_headroom(super().get_async_client(), **self.headroom)
