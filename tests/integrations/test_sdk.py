"""`with_headroom`: the real anthropic and openai SDK clients against the fake upstream.

The clients point straight at `FakeUpstream` (no proxy): the wrapper itself
compresses, adds the retrieve tool, answers retrieve calls and hides them.
Every wire format runs with the sync and the async client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import orjson
import pytest

from headroom.integrations.sdk import with_headroom
from headroom.testing import FakeUpstream, Reply, ToolCall
from tests.proxy import bodies
from tests.proxy.conftest import big_log
from tests.proxy.wired import marker_id, tool_names

RETRIEVE = "headroom_retrieve"
ANSWER = "Request id=42 failed."
KEY = "sk-test"


@dataclass(frozen=True)
class Wire:
    """One wire format as an SDK user meets it."""

    name: str
    body: Callable[[str], dict[str, Any]]
    client: Callable[[str, bool], Any]
    resource: Callable[[Any], Any]
    #: The text of a response, and the names of the tool calls it shows.
    text: Callable[[Any], str]
    calls: Callable[[Any], list[str]]
    #: The tool-result texts at the end of a request the fake received.
    results: Callable[[dict[str, Any]], list[str]]


def _anthropic_client(url: str, is_async: bool) -> Any:
    kind = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
    return kind(api_key=KEY, base_url=url, max_retries=0)


def _openai_client(url: str, is_async: bool) -> Any:
    kind = openai.AsyncOpenAI if is_async else openai.OpenAI
    return kind(api_key=KEY, base_url=url + "/v1", max_retries=0)


def _anthropic_results(body: dict[str, Any]) -> list[str]:
    last = body["messages"][-1]["content"]
    return [b["content"] for b in last if isinstance(b, dict) and b.get("type") == "tool_result"]


def _chat_results(body: dict[str, Any]) -> list[str]:
    tail = []
    for message in reversed(body["messages"]):
        if message["role"] != "tool":
            break
        tail.append(message["content"])
    return tail


def _responses_results(body: dict[str, Any]) -> list[str]:
    return [i["output"] for i in body["input"][-1:] if i.get("type") == "function_call_output"]


ANTHROPIC = Wire(
    "anthropic",
    bodies.anthropic,
    _anthropic_client,
    lambda c: c.messages,
    lambda r: "".join(b.text for b in r.content if b.type == "text"),
    lambda r: [b.name for b in r.content if b.type == "tool_use"],
    _anthropic_results,
)
CHAT = Wire(
    "openai-chat",
    bodies.openai_chat,
    _openai_client,
    lambda c: c.chat.completions,
    lambda r: r.choices[0].message.content or "",
    lambda r: [c.function.name for c in r.choices[0].message.tool_calls or []],
    _chat_results,
)
RESPONSES = Wire(
    "openai-responses",
    bodies.openai_responses,
    _openai_client,
    lambda c: c.responses,
    lambda r: r.output_text,
    lambda r: [i.name for i in r.output if i.type == "function_call"],
    _responses_results,
)
WIRES = [ANTHROPIC, CHAT, RESPONSES]


class Caller:
    """Makes calls with the sync or the async client (one event loop per test)."""

    def __init__(self, is_async: bool, runner: asyncio.Runner | None = None) -> None:
        self.is_async = is_async
        self.runner = runner

    def client(self, up: FakeUpstream, wire: Wire, **options: Any) -> Any:
        return with_headroom(wire.client(up.url, self.is_async), **options)

    def create(self, wire: Wire, client: Any, **kwargs: Any) -> Any:
        create = wire.resource(client).create
        if not self.is_async:
            return create(**kwargs)

        async def call() -> Any:
            return await create(**kwargs)

        assert self.runner is not None
        return self.runner.run(call())


#: Sync calls need no event loop.
SYNC = Caller(False)


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def caller(request: pytest.FixtureRequest) -> Iterator[Caller]:
    with asyncio.Runner() as runner:
        yield Caller(request.param, runner)


def _wrapped(up: FakeUpstream, wire: Wire, is_async: bool, **options: Any) -> Any:
    return with_headroom(wire.client(up.url, is_async), **options)


def _prime(up: FakeUpstream, wire: Wire, caller: Caller, client: Any) -> str:
    """Send the request once (plain answer); the id of the marker the fake saw."""
    caller.create(wire, client, **wire.body(big_log()))
    return marker_id(up.requests[-1])


@pytest.mark.parametrize("wire", WIRES, ids=lambda w: w.name)
def test_a_big_tool_result_reaches_the_upstream_compressed_with_the_tool_last(
    up: FakeUpstream, wire: Wire, caller: Caller
) -> None:
    up.script(Reply.text("all good"))
    response = caller.create(wire, caller.client(up, wire), **wire.body(big_log()))
    [request] = up.requests
    sent = request.json()
    [result] = wire.results(sent)
    assert len(result) < len(big_log()) / 4
    assert marker_id(request).startswith("hr_")
    assert tool_names(sent["tools"])[-1] == RETRIEVE
    assert wire.text(response) == "all good"


@pytest.mark.parametrize("wire", WIRES, ids=lambda w: w.name)
def test_a_retrieve_call_is_answered_from_the_store_and_the_caller_gets_the_final_answer(
    up: FakeUpstream, wire: Wire, caller: Caller
) -> None:
    client = caller.client(up, wire)
    ccr_id = _prime(up, wire, caller, client)
    up.script(Reply.tool_call(RETRIEVE, {"id": ccr_id}), Reply.text(ANSWER))
    response = caller.create(wire, client, **wire.body(big_log()))
    assert len(up.requests) == 3
    first, continued = up.requests[1].json(), up.requests[2].json()
    assert wire.results(continued) == [big_log()]
    assert tool_names(continued["tools"]) == tool_names(first["tools"])
    assert wire.text(response) == ANSWER
    assert RETRIEVE not in wire.calls(response)
    assert RETRIEVE not in orjson.dumps(_json(response)).decode()


def _json(response: Any) -> Any:
    return response.model_dump(mode="json")


def test_the_usage_of_every_round_is_summed(up: FakeUpstream) -> None:
    client = _wrapped(up, ANTHROPIC, False)
    ccr_id = _prime(up, ANTHROPIC, SYNC, client)
    up.script(
        Reply.tool_call(RETRIEVE, {"id": ccr_id}).with_usage(input_tokens=100, output_tokens=10),
        Reply.text(ANSWER).with_usage(input_tokens=200, output_tokens=20),
    )
    message = client.messages.create(**bodies.anthropic(big_log()))
    assert (message.usage.input_tokens, message.usage.output_tokens) == (300, 30)
    assert isinstance(message, anthropic.types.Message)


def test_a_query_in_the_retrieve_call_gets_only_the_matching_lines(up: FakeUpstream) -> None:
    client = _wrapped(up, CHAT, False)
    ccr_id = _prime(up, CHAT, SYNC, client)
    up.script(Reply.tool_call(RETRIEVE, {"id": ccr_id, "query": "id=421"}), Reply.text(ANSWER))
    client.chat.completions.create(**bodies.openai_chat(big_log()))
    [answer] = _chat_results(up.requests[-1].json())
    assert "id=421 " in answer
    assert len(answer) < len(big_log()) / 10


def test_retrieve_rounds_stop_at_the_setting(up: FakeUpstream) -> None:
    client = _wrapped(up, ANTHROPIC, False, retrieve_rounds=1)
    ccr_id = _prime(up, ANTHROPIC, SYNC, client)
    again = Reply.tool_call(RETRIEVE, {"id": ccr_id})
    up.script(again, again, Reply.text("never reached"))
    message = client.messages.create(**bodies.anthropic(big_log()))
    assert len(up.requests) == 3  # the first call and one round
    assert ANTHROPIC.calls(message) == []


def test_a_mixed_turn_shows_only_the_callers_call_and_restores_the_pair_next_time(
    up: FakeUpstream,
) -> None:
    client = _wrapped(up, ANTHROPIC, False)
    body = bodies.anthropic(big_log())
    ccr_id = _prime(up, ANTHROPIC, SYNC, client)
    bash = ToolCall("Bash", {"command": "ls"}, id="toolu_client")
    up.script(Reply.tool_calls([ToolCall(RETRIEVE, {"id": ccr_id}, id="toolu_hr"), bash]))
    message = client.messages.create(**body)
    assert ANTHROPIC.calls(message) == ["Bash"]
    result = {"type": "tool_result", "tool_use_id": "toolu_client", "content": "a.py"}
    history = [
        *body["messages"],
        {"role": "assistant", "content": message.content},  # the SDK's own objects
        {"role": "user", "content": [result]},
    ]
    client.messages.create(**{**body, "messages": history})
    sent = up.requests[-1].json()["messages"]
    assert [b["id"] for b in sent[-2]["content"]] == ["toolu_hr", "toolu_client"]
    ids = [b["tool_use_id"] for b in sent[-1]["content"]]
    assert sorted(ids) == ["toolu_client", "toolu_hr"]


def test_the_sdks_own_message_objects_can_be_sent_back(up: FakeUpstream) -> None:
    client = _wrapped(up, CHAT, False)
    body = bodies.openai_chat(big_log())
    up.script(Reply.tool_call("Bash", {"command": "ls"}, id="call_2"))
    completion = client.chat.completions.create(**body)
    history = [
        *body["messages"],
        completion.choices[0].message,
        {"role": "tool", "tool_call_id": "call_2", "content": "a.py"},
    ]
    client.chat.completions.create(**{**body, "messages": history})
    assistant = up.requests[-1].json()["messages"][-2]
    assert assistant["tool_calls"][0]["id"] == "call_2"


def test_history_is_sent_with_the_same_bytes_on_the_next_turn(up: FakeUpstream) -> None:
    client = _wrapped(up, CHAT, False)
    body = bodies.openai_chat(big_log())
    client.chat.completions.create(**body)
    client.chat.completions.create(**{**body, "messages": [*body["messages"], _user("and?")]})
    first, second = (r.json()["messages"] for r in up.requests)
    assert second[: len(first)] == first
    assert up.requests[0].json()["tools"] == up.requests[1].json()["tools"]


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def test_the_callers_arguments_are_not_changed(up: FakeUpstream) -> None:
    body = bodies.anthropic(big_log())
    before = orjson.dumps(body)
    _wrapped(up, ANTHROPIC, False).messages.create(**body)
    assert orjson.dumps(body) == before


@pytest.mark.parametrize("wire", WIRES, ids=lambda w: w.name)
def test_a_streamed_create_goes_compressed_without_the_tool(up: FakeUpstream, wire: Wire) -> None:
    up.script(Reply.text("streamed answer"))
    stream = wire.resource(_wrapped(up, wire, False)).create(**wire.body(big_log()), stream=True)
    events = list(stream)
    assert events
    [request] = up.requests
    assert marker_id(request).startswith("hr_")
    assert "tools" not in request.json()


def test_the_stream_helper_goes_compressed(up: FakeUpstream) -> None:
    up.script(Reply.text("streamed answer"))
    client = _wrapped(up, ANTHROPIC, True)

    async def call() -> str:
        async with client.messages.stream(**bodies.anthropic(big_log())) as stream:
            message = await stream.get_final_message()
        return ANTHROPIC.text(message)

    assert asyncio.run(call()) == "streamed answer"
    assert marker_id(up.requests[0]).startswith("hr_")


def test_retrieve_rounds_zero_adds_no_tool(up: FakeUpstream) -> None:
    _wrapped(up, ANTHROPIC, False, retrieve_rounds=0).messages.create(**bodies.anthropic(big_log()))
    request = up.requests[0]
    assert "tools" not in request.json()
    assert marker_id(request).startswith("hr_")


def test_the_callers_own_tools_come_first_and_extra_body_is_kept(up: FakeUpstream) -> None:
    tool = {"name": "Bash", "input_schema": {"type": "object"}}
    client = _wrapped(up, ANTHROPIC, False)
    client.messages.create(**bodies.anthropic("short"), tools=[tool], extra_body={"x_flag": 1})
    sent = up.requests[0].json()
    assert tool_names(sent["tools"]) == ["Bash", RETRIEVE]
    assert sent["x_flag"] == 1


def test_other_attributes_and_copies_pass_through(up: FakeUpstream) -> None:
    raw = _openai_client(up.url, False)
    client = with_headroom(raw)
    assert client.api_key == KEY
    assert client.models is raw.models
    copied = client.with_options(timeout=5)
    copied.chat.completions.create(**bodies.openai_chat(big_log()))
    assert marker_id(up.requests[0]).startswith("hr_")


def test_an_internal_error_sends_the_request_as_it_came(
    up: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("headroom.integrations.call.prepare_request", broken)
    client = _wrapped(up, CHAT, False, raise_errors=False)
    body = bodies.openai_chat(big_log())
    completion = client.chat.completions.create(**body)
    assert _chat_results(up.requests[0].json()) == [big_log()]
    assert completion.choices[0].message.content == "ok"


def test_other_objects_are_refused_with_a_pointer_to_the_proxy() -> None:
    with pytest.raises(TypeError, match="headroom proxy"):
        with_headroom(object())
