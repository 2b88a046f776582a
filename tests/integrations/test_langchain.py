"""The LangChain integration: real chains whose chat model calls the fake upstream.

The chat model under the wrapper is a small `BaseChatModel` written here that
calls the fake through the OpenAI SDK (langchain-openai is not a dependency),
so the request the fake records is what a real provider would get.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import openai
import orjson
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
    convert_to_openai_messages,
)
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool, tool
from langchain_core.utils.function_calling import convert_to_openai_tool

from headroom.ccr import marker_ids
from headroom.integrations.langchain import (
    HeadroomChatModel,
    HeadroomTransformer,
    compress_messages,
    retrieve_tool,
)
from headroom.testing import FakeUpstream, Reply
from tests.proxy.conftest import big_log
from tests.proxy.wired import marker_id

QUESTION = "which request failed?"
ANSWER = "Request 42 failed."


class FakeUpstreamChat(BaseChatModel):
    """A chat model that calls an OpenAI-compatible server with the OpenAI SDK."""

    base_url: str
    model: str = "gpt-4.1"

    @property
    def _llm_type(self) -> str:
        return "test-openai-sdk"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        client = openai.OpenAI(api_key="sk-test", base_url=self.base_url, max_retries=0)
        sent: Any = convert_to_openai_messages(messages)
        completion = client.chat.completions.create(model=self.model, messages=sent, **kwargs)
        message = completion.choices[0].message
        calls = [
            ToolCall(name=c.function.name, args=orjson.loads(c.function.arguments), id=c.id)
            for c in message.tool_calls or []
            if c.type == "function"
        ]
        reply = AIMessage(content=message.content or "", tool_calls=calls)
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Any | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)


def _model(up: FakeUpstream) -> FakeUpstreamChat:
    return FakeUpstreamChat(base_url=up.url + "/v1")


def _history(output: str) -> list[BaseMessage]:
    call = ToolCall(name="Bash", args={"command": "cat app.log"}, id="call_1")
    return [
        AIMessage(content="", tool_calls=[call]),
        ToolMessage(content=output, tool_call_id="call_1", name="Bash", id="msg-7"),
    ]


PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You read logs."),
        ("human", "{question}"),
        MessagesPlaceholder("history"),
    ]
)


def _tool_output(up: FakeUpstream) -> str:
    [message] = [m for m in up.requests[-1].json()["messages"] if m["role"] == "tool"]
    content: str = message["content"]
    return content


def test_a_chain_through_the_wrapped_model_sends_the_tool_output_compressed(
    up: FakeUpstream,
) -> None:
    up.script(Reply.text(ANSWER))
    chain = PROMPT | HeadroomChatModel(inner=_model(up)) | StrOutputParser()
    answer = chain.invoke({"question": QUESTION, "history": _history(big_log())})
    assert answer == ANSWER
    sent = _tool_output(up)
    assert marker_ids(sent)
    assert len(sent) < len(big_log()) / 4
    system = up.requests[-1].json()["messages"][0]
    assert system == {"role": "system", "content": "You read logs."}


def test_a_transformer_step_compresses_for_any_model(up: FakeUpstream) -> None:
    chain = PROMPT | HeadroomTransformer() | _model(up) | StrOutputParser()
    assert chain.invoke({"question": QUESTION, "history": _history(big_log())}) == "ok"
    assert marker_ids(_tool_output(up))


def test_the_async_path_compresses_too(up: FakeUpstream) -> None:
    chain = PROMPT | HeadroomChatModel(inner=_model(up)) | StrOutputParser()
    inputs = {"question": QUESTION, "history": _history(big_log())}
    assert asyncio.run(chain.ainvoke(inputs)) == "ok"
    assert marker_ids(_tool_output(up))


def test_streaming_through_the_wrapper_compresses_too(up: FakeUpstream) -> None:
    up.script(Reply.text(ANSWER))
    model = HeadroomChatModel(inner=_model(up))
    chunks = list(model.stream([HumanMessage(QUESTION), *_history(big_log())]))
    assert "".join(str(chunk.content) for chunk in chunks) == ANSWER
    assert marker_ids(_tool_output(up))


def test_bound_tools_reach_the_upstream_with_the_compressed_history(up: FakeUpstream) -> None:
    @tool
    def grep(pattern: str) -> str:
        """Search the logs."""
        return pattern

    model = HeadroomChatModel(inner=_model(up)).bind_tools([grep])
    model.invoke([HumanMessage(QUESTION), *_history(big_log())])
    sent = up.requests[-1].json()
    assert [t["function"]["name"] for t in sent["tools"]] == ["grep"]
    assert marker_ids(_tool_output(up))


def test_only_the_tool_output_changes_and_everything_else_is_kept() -> None:
    system = SystemMessage("You read logs.")
    question = HumanMessage(QUESTION, id="q-1")
    messages = [system, question, *_history(big_log())]
    tool_result = messages[-1]
    assert isinstance(tool_result, ToolMessage)
    tool_result.artifact = {"rows": 600}
    out = compress_messages(messages)
    assert out[:3] == messages[:3] and all(a is b for a, b in zip(out[:3], messages, strict=False))
    compressed = out[-1]
    assert isinstance(compressed, ToolMessage)
    assert (compressed.tool_call_id, compressed.name, compressed.id) == ("call_1", "Bash", "msg-7")
    assert compressed.artifact == {"rows": 600}
    assert len(compressed.text) < len(big_log()) / 4
    assert tool_result.content == big_log()  # the caller's message is not touched


def test_small_outputs_come_back_as_they_were() -> None:
    messages = [HumanMessage(QUESTION), *_history("two lines\nof output")]
    out = compress_messages(messages)
    assert all(a is b for a, b in zip(out, messages, strict=True))


def test_the_retrieve_tool_gets_the_original_back() -> None:
    out = compress_messages([HumanMessage(QUESTION), *_history(big_log())])
    [ccr_id] = marker_ids(str(out[-1].content))
    retrieve = retrieve_tool()
    assert retrieve.name == "headroom_retrieve"
    assert retrieve.invoke({"id": ccr_id}) == big_log()
    assert "id=421 " in retrieve.invoke({"id": ccr_id, "query": "id=421"})


def test_a_marker_the_upstream_saw_can_be_retrieved(up: FakeUpstream) -> None:
    HeadroomChatModel(inner=_model(up)).invoke([HumanMessage(QUESTION), *_history(big_log())])
    assert retrieve_tool().invoke({"id": marker_id(up.requests[-1])}) == big_log()
