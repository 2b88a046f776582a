"""LangChain: compress tool messages before a chat model sees them.

Two ways in, both over `langchain-core` only (`pip install 'headroom[langchain]'`):

- `compress_messages(messages)` (or `HeadroomTransformer()`, the same as a
  Runnable) is a step for a chain: `prompt | HeadroomTransformer() | model`.
- `HeadroomChatModel(inner=model)` wraps any chat model: every call (invoke,
  batch, stream, with bound tools) compresses first, then delegates.

The messages go through `headroom.compress` as OpenAI chat dicts (ToolMessage
↔ `role: tool` with its `tool_call_id`, AIMessage.tool_calls ↔ `tool_calls`,
so each tool output is routed by the call that produced it, and the last
human message is the query). Only ToolMessages with string content change,
and they change only their content: ids, names, artifacts and metadata stay.

Retrieval: markers name `headroom_retrieve`; give the model `retrieve_tool()`
among its tools (or the MCP server, `headroom mcp serve`) so it can get a cut
back. Nothing answers that tool behind LangChain's back.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import anyio.to_thread
import orjson
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ToolCall,
    ToolMessage,
    convert_to_messages,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableBinding, RunnableLambda
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import Field

from headroom.api import compress, retrieve
from headroom.guard import guarded
from headroom.proxy.retrieve import TOOL_NAME
from headroom.proxy.retrieve.tool import DESCRIPTION
from headroom.runtime import get_runtime
from headroom.types import JSONObject

__all__ = ["HeadroomChatModel", "HeadroomTransformer", "compress_messages", "retrieve_tool"]

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def compress_messages(messages: LanguageModelInput, **options: Any) -> list[BaseMessage]:
    """The messages with large tool outputs compressed (a prompt value or a string works too).

    `options` are Headroom settings, e.g. `min_tokens=500`.
    """
    given = _as_messages(messages)
    if not any(isinstance(m, ToolMessage) and isinstance(m.content, str) for m in given):
        return given
    dicts = [d for d in map(_to_openai, given) if d is not None]
    work = functools.partial(compress, dicts, provider="openai-chat", **options)
    raise_errors = get_runtime(**options).settings.raise_errors
    result = guarded("integrations:langchain", work, None, raise_errors=raise_errors)
    if result is None:
        return given
    sent = {d["tool_call_id"]: d["content"] for d in dicts if d["role"] == "tool"}
    changed = {
        m["tool_call_id"]: m["content"]
        for m in result.messages
        if m.get("role") == "tool" and m.get("content") != sent.get(m.get("tool_call_id"))
    }
    return [_with_output(message, changed) for message in given]


class HeadroomTransformer(RunnableLambda[LanguageModelInput, list[BaseMessage]]):
    """`compress_messages` as a chain step: `prompt | HeadroomTransformer() | model`."""

    def __init__(self, **options: Any) -> None:
        super().__init__(functools.partial(compress_messages, **options), name="headroom")


class HeadroomChatModel(BaseChatModel):
    """A chat model that compresses tool messages, then calls `inner` (see the module doc)."""

    inner: BaseChatModel
    #: Headroom settings for the compression, e.g. `{"min_tokens": 500}`.
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return f"headroom-{self.inner._llm_type}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"inner": self.inner._identifying_params, "headroom": self.options}

    def _compressed(self, messages: list[BaseMessage]) -> list[BaseMessage]:
        return compress_messages(messages, **self.options)

    async def _acompressed(self, messages: list[BaseMessage]) -> list[BaseMessage]:
        return await anyio.to_thread.run_sync(self._compressed, messages)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        compressed = self._compressed(messages)
        return self.inner._generate(compressed, stop=stop, run_manager=run_manager, **kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        compressed = await self._acompressed(messages)
        return await self.inner._agenerate(compressed, stop=stop, run_manager=run_manager, **kwargs)

    def _should_stream(
        self,
        *,
        async_api: bool,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> bool:
        # Stream exactly when the inner model would.
        return self.inner._should_stream(async_api=async_api, run_manager=run_manager, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        compressed = self._compressed(messages)
        yield from self.inner._stream(compressed, stop=stop, run_manager=run_manager, **kwargs)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        compressed = await self._acompressed(messages)
        async for chunk in self.inner._astream(
            compressed, stop=stop, run_manager=run_manager, **kwargs
        ):
            yield chunk

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Any | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """The inner model's tool binding (its own tool format), on this model."""
        bound = self.inner.bind_tools(tools, tool_choice=tool_choice, **kwargs)
        if not isinstance(bound, RunnableBinding) or bound.bound is not self.inner:
            raise TypeError(
                f"{type(self.inner).__name__}.bind_tools() did not return a binding of the "
                "model itself; bind the tools on the inner model before wrapping it"
            )
        return self.bind(**bound.kwargs)


def retrieve_tool(**options: Any) -> BaseTool:
    """The `headroom_retrieve` tool for a LangChain agent: a marker's id → the original."""

    def headroom_retrieve(id: str, query: str | None = None) -> str:
        return retrieve(id, query=query, **options)

    return StructuredTool.from_function(headroom_retrieve, name=TOOL_NAME, description=DESCRIPTION)


def _as_messages(value: LanguageModelInput) -> list[BaseMessage]:
    if isinstance(value, PromptValue):
        return value.to_messages()
    if isinstance(value, str):
        return convert_to_messages([value])
    return convert_to_messages(value)


def _to_openai(message: BaseMessage) -> JSONObject | None:
    """One message as an OpenAI chat dict; None for kinds compression does not read."""
    role = _ROLES.get(message.type)
    if role is None:
        return None
    if isinstance(message, ToolMessage):
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text}
    data: JSONObject = {"role": role, "content": message.text}
    if isinstance(message, AIMessage) and message.tool_calls:
        data["tool_calls"] = [_tool_call(call) for call in message.tool_calls]
    return data


def _tool_call(call: ToolCall) -> JSONObject:
    arguments = orjson.dumps(call["args"]).decode()
    function = {"name": call["name"], "arguments": arguments}
    return {"id": call["id"] or "", "type": "function", "function": function}


def _with_output(message: BaseMessage, changed: dict[str, Any]) -> BaseMessage:
    if not isinstance(message, ToolMessage) or not isinstance(message.content, str):
        return message
    content = changed.get(message.tool_call_id)
    if not isinstance(content, str):
        return message
    return message.model_copy(update={"content": content})
