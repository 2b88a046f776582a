"""The official SDKs through `default_app`: tool calls, signed thinking, errors.

Every client here is the real `anthropic` or `openai` SDK with retries off,
pointed at the proxy, which forwards to the fake upstream.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import orjson
import pytest

from headroom.runtime import Runtime
from headroom.testing import FakeUpstream, Reply, Thinking, ToolCall
from tests.proxy import bodies
from tests.proxy.conftest import Served, big_log
from tests.proxy.wired import marker_id, serve_default

KEY = "sk-test-sdk"
RETRIEVE = "headroom_retrieve"
TURNS = 8


@pytest.fixture
def served(up: FakeUpstream, shared_runtime: Runtime) -> Iterator[Served]:
    with serve_default(up, shared_runtime) as app:
        yield app


def _anthropic(served: Served, **options: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=served.url, max_retries=0, **options)


def _openai(served: Served) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=served.url + "/v1", max_retries=0)


# --- client tools -----------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_client_tool_calls_reach_the_sdk(
    up: FakeUpstream, served: Served, stream: bool
) -> None:
    up.script(Reply.tool_call("Bash", {"command": "ls"}, id="toolu_ls"))
    body = bodies.anthropic(big_log())
    if stream:
        with _anthropic(served).messages.stream(**body) as events:
            message = events.get_final_message()
    else:
        message = _anthropic(served).messages.create(**body)
    [block] = message.content
    assert (block.type, block.name, block.input) == ("tool_use", "Bash", {"command": "ls"})  # type: ignore[union-attr]
    assert message.stop_reason == "tool_use"


@pytest.mark.parametrize("stream", [False, True])
def test_openai_chat_client_tool_calls_reach_the_sdk(
    up: FakeUpstream, served: Served, stream: bool
) -> None:
    up.script(Reply.tool_call("Bash", {"command": "ls"}, id="call_ls"))
    body = bodies.openai_chat(big_log())
    client = _openai(served)
    if stream:
        chunks = list(client.chat.completions.create(**body, stream=True))
        calls = [
            c for chunk in chunks if chunk.choices for c in chunk.choices[0].delta.tool_calls or []
        ]
        names = [c.function.name for c in calls if c.function and c.function.name]
        arguments = "".join(c.function.arguments or "" for c in calls if c.function)
    else:
        message = client.chat.completions.create(**body).choices[0].message
        assert message.tool_calls is not None
        names = [c.function.name for c in message.tool_calls]
        arguments = message.tool_calls[0].function.arguments
    assert (names, orjson.loads(arguments)) == (["Bash"], {"command": "ls"})


@pytest.mark.parametrize("stream", [False, True])
def test_openai_responses_client_tool_calls_reach_the_sdk(
    up: FakeUpstream, served: Served, stream: bool
) -> None:
    up.script(Reply.tool_call("shell", {"command": "ls"}, id="call_ls"))
    body = bodies.openai_responses(big_log())
    client = _openai(served)
    if stream:
        with client.responses.stream(**body) as events:
            response = events.get_final_response()
    else:
        response = client.responses.create(**body)
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(c.name, orjson.loads(c.arguments)) for c in calls] == [("shell", {"command": "ls"})]


# --- signed thinking --------------------------------------------------------


def _thought(turn: int) -> str:
    return f'Turn {turn}: "quotes", back\\slash, tab\t, emoji 🧠, line sep \u2028 and é.\n'


def _signature(turn: int) -> str:
    return f"Eq{turn}Ck+/YAiJAk3Q9v0zL7m0x1V8Yp2d6bG+Zx5Lw1mO0w8Yg==" * 8


def _thinking_blocks(body: dict[str, Any]) -> list[bytes]:
    return [
        orjson.dumps(block)
        for message in body["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") in {"thinking", "redacted_thinking"}
    ]


def _is_continuation(body: dict[str, Any]) -> bool:
    """Whether the proxy sent this body to continue after answering a retrieve call."""
    content = body["messages"][-2]["content"]
    return isinstance(content, list) and any(b.get("name") == RETRIEVE for b in content)


def _turn_reply(turn: int, ccr_id: str) -> list[Reply]:
    """A thinking turn; turn 3 first calls headroom_retrieve after its thinking."""
    final = Reply.thinking(_thought(turn), _signature(turn), f"Answer {turn}.")
    if turn != 3:
        return [final]
    return [
        Reply.of(Thinking(_thought(30), _signature(30)), ToolCall(RETRIEVE, {"id": ccr_id})),
        final,
    ]


def test_signed_thinking_blocks_cross_many_turns_byte_for_byte(
    up: FakeUpstream, served: Served
) -> None:
    client = _anthropic(served)
    sent: list[dict[str, Any]] = []
    body: dict[str, Any] = {
        **bodies.anthropic(big_log()),
        "max_tokens": 4096,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
    ccr_id = ""
    for turn in range(TURNS):
        up.script(*_turn_reply(turn, ccr_id))
        sent.append(body)
        if turn % 2:
            with client.messages.stream(**body) as events:
                message = events.get_final_message()
        else:
            message = client.messages.create(**body)
        ccr_id = marker_id(up.requests[-1])  # compressed, so re-rendered, every turn
        assistant = message.model_dump(include={"role", "content"}, exclude_none=True)
        follow_up = {"role": "user", "content": f"Go on ({turn})."}
        body = {**body, "messages": [*body["messages"], assistant, follow_up]}
    forwarded = [r.json() for r in up.requests if not _is_continuation(r.json())]
    assert len(sent) == len(forwarded) == TURNS
    for client_body, upstream in zip(sent, forwarded, strict=True):
        assert _thinking_blocks(upstream) == _thinking_blocks(client_body)
    assert len(_thinking_blocks(sent[-1])) == TURNS  # turn 3's message holds two


def test_a_retrieve_continuation_sends_the_thinking_block_back_unchanged(
    up: FakeUpstream, served: Served
) -> None:
    client = _anthropic(served)
    body = bodies.anthropic(big_log(), thinking={"type": "enabled", "budget_tokens": 1024})
    client.messages.create(**body)
    ccr_id = marker_id(up.requests[-1])
    for stream in (False, True):
        up.script(*_turn_reply(3, ccr_id))
        if stream:
            with client.messages.stream(**body) as events:
                events.get_final_message()
        else:
            client.messages.create(**body)
        assistant = up.requests[-1].json()["messages"][-2]
        expected = {"type": "thinking", "thinking": _thought(30), "signature": _signature(30)}
        assert orjson.dumps(assistant["content"][0]) == orjson.dumps(expected)


# --- errors -----------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_a_429_reaches_the_anthropic_sdk_as_a_rate_limit_error(
    up: FakeUpstream, served: Served, stream: bool
) -> None:
    up.script(Reply.error(429, headers={"retry-after": "7"}))
    body = bodies.anthropic(big_log())
    with pytest.raises(anthropic.RateLimitError) as raised:
        if stream:
            with _anthropic(served).messages.stream(**body) as events:
                events.get_final_message()
        else:
            _anthropic(served).messages.create(**body)
    assert raised.value.status_code == 429
    assert raised.value.response.headers["retry-after"] == "7"


def test_a_529_reaches_the_anthropic_sdk_as_overloaded(up: FakeUpstream, served: Served) -> None:
    up.script(Reply.error(529))
    with pytest.raises(anthropic.APIStatusError) as raised:
        _anthropic(served).messages.create(**bodies.anthropic(big_log()))
    assert raised.value.status_code == 529


@pytest.mark.parametrize("api", ["chat", "responses"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_429_reaches_the_openai_sdk_as_a_rate_limit_error(
    up: FakeUpstream, served: Served, api: str, stream: bool
) -> None:
    up.script(Reply.error(429, headers={"retry-after": "7"}))
    client = _openai(served)
    with pytest.raises(openai.RateLimitError) as raised:
        if api == "chat":
            client.chat.completions.create(**bodies.openai_chat(big_log()), stream=stream)
        else:
            client.responses.create(**bodies.openai_responses(big_log()), stream=stream)
    assert raised.value.status_code == 429
    assert raised.value.response.headers["retry-after"] == "7"
