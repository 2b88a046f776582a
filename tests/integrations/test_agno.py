"""The Agno integration: a real Agno agent whose model calls the fake upstream.

The agent has a tool that returns a large log; the fake scripts the model
calling it, so Agno sends the tool's output back in the next request, which
must reach the fake compressed.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from agno.agent import Agent

from headroom.ccr import marker_ids
from headroom.ccr.ids import ccr_id
from headroom.integrations.agno import HeadroomClaude, HeadroomOpenAIChat, HeadroomOpenAIResponses
from headroom.testing import FakeUpstream, Reply
from tests.proxy.conftest import big_log

ANSWER = "Request id=42 failed."


def read_log() -> str:
    """Read the application log."""
    return big_log()


def _chat(up: FakeUpstream, **extra: Any) -> HeadroomOpenAIChat:
    return HeadroomOpenAIChat(
        id="gpt-4.1", api_key="sk-test", base_url=up.url + "/v1", max_retries=0, **extra
    )


def _agent(model: Any) -> Agent:
    return Agent(model=model, tools=[read_log], telemetry=False)


def _tool_output(request_body: dict[str, Any]) -> str:
    [message] = [m for m in request_body["messages"] if m["role"] == "tool"]
    content: str = message["content"]
    return content


def test_an_agents_tool_output_reaches_the_upstream_compressed(up: FakeUpstream) -> None:
    up.script(Reply.tool_call("read_log", {}), Reply.text(ANSWER))
    run = _agent(_chat(up)).run("which request failed?")
    assert run.content == ANSWER
    first, second = (r.json() for r in up.requests)
    assert [t["function"]["name"] for t in first["tools"]] == ["read_log", "headroom_retrieve"]
    output = _tool_output(second)
    assert marker_ids(output) == [ccr_id(big_log())]
    assert len(output) < len(big_log()) / 4


def test_the_model_retrieves_through_headroom_and_agno_never_sees_the_tool(
    up: FakeUpstream,
) -> None:
    up.script(
        Reply.tool_call("read_log", {}),
        Reply.tool_call("headroom_retrieve", {"id": ccr_id(big_log()), "query": "id=421"}),
        Reply.text(ANSWER),
    )
    run = _agent(_chat(up)).run("which request failed?")
    assert run.content == ANSWER
    assert len(up.requests) == 3
    answer = up.requests[2].json()["messages"][-1]
    assert answer["role"] == "tool" and "id=421 " in answer["content"]
    assert [t.tool_name for t in run.tools or []] == ["read_log"]


def test_the_async_run_compresses_too(up: FakeUpstream) -> None:
    up.script(Reply.tool_call("read_log", {}), Reply.text(ANSWER))
    run = asyncio.run(_agent(_chat(up)).arun("which request failed?"))
    assert run.content == ANSWER
    assert marker_ids(_tool_output(up.requests[1].json()))


def test_claude_compresses_tool_results(up: FakeUpstream) -> None:
    up.script(Reply.tool_call("read_log", {}), Reply.text(ANSWER))
    client = {"base_url": up.url, "max_retries": 0}
    model = HeadroomClaude(id="claude-sonnet-4-6", api_key="sk-test", client_params=client)
    run = _agent(model).run("which request failed?")
    assert run.content == ANSWER
    last = up.requests[1].json()["messages"][-1]["content"]
    [result] = [b for b in last if b["type"] == "tool_result"]
    assert marker_ids(str(result["content"]))


def test_responses_compresses_tool_results(up: FakeUpstream) -> None:
    up.script(Reply.tool_call("read_log", {}), Reply.text(ANSWER))
    model = HeadroomOpenAIResponses(
        id="gpt-5", api_key="sk-test", base_url=up.url + "/v1", max_retries=0
    )
    run = _agent(model).run("which request failed?")
    assert run.content == ANSWER
    items = up.requests[1].json()["input"]
    [output] = [i["output"] for i in items if i.get("type") == "function_call_output"]
    assert marker_ids(str(output))


def test_settings_apply_and_copies_keep_them(up: FakeUpstream) -> None:
    model = _chat(up, headroom={"retrieve_rounds": 0})
    up.script(Reply.tool_call("read_log", {}), Reply.text(ANSWER))
    _agent(copy.deepcopy(model)).run("which request failed?")
    assert "headroom_retrieve" not in str(up.requests[0].json().get("tools"))
    assert marker_ids(_tool_output(up.requests[1].json()))
