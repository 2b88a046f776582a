"""The LiteLLM integration against the fake upstream, through litellm's own client.

`LITELLM_LOCAL_MODEL_COST_MAP` is set before litellm is imported, so it never
fetches its price map from the network.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import litellm
import pytest
from litellm.caching.dual_cache import DualCache
from litellm.proxy._types import UserAPIKeyAuth
from litellm.proxy.types_utils.utils import get_instance_fn
from litellm.types.utils import CallTypes

from headroom.ccr import marker_ids
from headroom.config import load_settings
from headroom.integrations import litellm as integration
from headroom.integrations.litellm import HeadroomLiteLLM, acompletion, completion
from headroom.runtime import build_runtime
from headroom.testing import FakeUpstream, Reply
from tests.proxy import bodies
from tests.proxy.conftest import big_log
from tests.proxy.wired import marker_id

ANSWER = "Request id=42 failed."


@pytest.fixture(autouse=True)
def _keep_tiktoken_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """litellm may point TIKTOKEN_CACHE_DIR at its own folder; undo that after each test."""
    current = os.environ.get("TIKTOKEN_CACHE_DIR")
    if current is not None:
        monkeypatch.setenv("TIKTOKEN_CACHE_DIR", current)


def _call(up: FakeUpstream, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for a litellm completion against the fake."""
    body = bodies.openai_chat(big_log())
    return {
        "model": "openai/gpt-4.1",
        "api_base": up.url + "/v1",
        "api_key": "sk-test",
        "messages": body["messages"],
        "num_retries": 0,
        **extra,
    }


def _tool_outputs(up: FakeUpstream, index: int = -1) -> list[str]:
    messages = up.requests[index].json()["messages"]
    return [m["content"] for m in messages if m["role"] == "tool"]


# --- completion() / acompletion() ---------------------------------------------


def test_completion_sends_the_tool_output_compressed_and_returns_the_answer(
    up: FakeUpstream,
) -> None:
    up.script(Reply.text(ANSWER))
    response = completion(**_call(up))
    assert isinstance(response, litellm.ModelResponse)
    assert response.choices[0].message.content == ANSWER
    [output] = _tool_outputs(up)
    assert marker_ids(output) and len(output) < len(big_log()) / 4
    assert up.requests[0].json()["tools"][-1]["function"]["name"] == "headroom_retrieve"


def test_completion_answers_a_retrieve_call_from_the_store(up: FakeUpstream) -> None:
    completion(**_call(up))
    ccr_id = marker_id(up.requests[-1])
    up.script(Reply.tool_call("headroom_retrieve", {"id": ccr_id}), Reply.text(ANSWER))
    response = completion(**_call(up))
    assert len(up.requests) == 3
    assert _tool_outputs(up)[-1] == big_log()
    message = response.choices[0].message
    assert message.content == ANSWER
    assert not message.tool_calls


def test_acompletion_compresses_too(up: FakeUpstream) -> None:
    response = asyncio.run(acompletion(**_call(up)))
    assert response.choices[0].message.content == "ok"
    assert marker_ids(_tool_outputs(up)[0])


def test_a_streamed_completion_goes_compressed_without_the_tool(up: FakeUpstream) -> None:
    up.script(Reply.text(ANSWER))
    chunks = list(completion(**_call(up), stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ANSWER
    assert marker_ids(_tool_outputs(up)[0])
    assert "tools" not in up.requests[0].json()


# --- the callback -------------------------------------------------------------


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> HeadroomLiteLLM:
    handler = HeadroomLiteLLM()
    monkeypatch.setattr(litellm, "callbacks", [handler])
    return handler


def test_acompletion_with_the_callback_registered_sends_compressed_messages(
    up: FakeUpstream, registered: HeadroomLiteLLM
) -> None:
    up.script(Reply.text(ANSWER))
    response = asyncio.run(litellm.acompletion(**_call(up)))
    assert response.choices[0].message.content == ANSWER
    [output] = _tool_outputs(up)
    assert marker_ids(output) and len(output) < len(big_log()) / 4
    assert "tools" not in up.requests[0].json()


def test_sync_litellm_completion_calls_no_request_hook_so_the_wrapper_is_needed(
    up: FakeUpstream, registered: HeadroomLiteLLM
) -> None:
    # LiteLLM 1.106 runs only logging hooks on the sync path: this is why
    # `headroom.integrations.litellm.completion` exists (see the module doc).
    litellm.completion(**_call(up))
    assert _tool_outputs(up) == [big_log()]


CALLS = [
    ("completion", bodies.openai_chat, "messages"),
    ("anthropic_messages", bodies.anthropic, "messages"),
    ("responses", bodies.openai_responses, "input"),
]


@pytest.mark.parametrize(("call_type", "body", "key"), CALLS, ids=[c[0] for c in CALLS])
def test_the_proxy_hook_compresses_each_kind_of_request(
    call_type: str, body: Callable[[str], dict[str, Any]], key: str
) -> None:
    data = {**body(big_log()), "metadata": {"user": "u1"}, "proxy_server_request": {"url": "/"}}
    out = _pre_call(HeadroomLiteLLM(), data, call_type)
    assert out is not None
    assert len(str(out[key])) < len(str(data[key])) / 4
    assert marker_ids(str(out[key]))
    assert out["metadata"] == {"user": "u1"} and out["proxy_server_request"] == {"url": "/"}
    assert out["model"] == data["model"] and "tools" not in out
    assert data[key] == body(big_log())[key]  # the request it was given is not changed


def _pre_call(handler: HeadroomLiteLLM, data: dict[str, Any], call_type: str) -> Any:
    hook = handler.async_pre_call_hook(UserAPIKeyAuth(), DualCache(), data, call_type)
    return asyncio.run(hook)


def test_other_call_types_pass_untouched() -> None:
    data = {"model": "text-embedding-3-small", "input": ["a", "b"]}
    assert _pre_call(HeadroomLiteLLM(), data, "aembedding") is data


def test_the_deployment_hook_leaves_what_the_proxy_hook_produced() -> None:
    handler = HeadroomLiteLLM()
    out = _pre_call(handler, bodies.openai_chat(big_log()), "completion")
    again = handler.async_pre_call_deployment_hook(dict(out), CallTypes.acompletion)
    assert asyncio.run(again) is None
    fresh = handler.async_pre_call_deployment_hook(
        bodies.openai_chat(big_log()), CallTypes.acompletion
    )
    compressed = asyncio.run(fresh)
    assert compressed is not None and compressed["messages"] == out["messages"]


def test_the_proxy_config_name_finds_the_handler(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    name = "headroom.integrations.litellm.proxy_handler_instance"
    handler = get_instance_fn(name, config_file_path=str(config))
    assert handler is integration.proxy_handler_instance
    assert isinstance(handler, HeadroomLiteLLM)


def test_headroom_counts_real_tokens_after_litellm_moves_the_tiktoken_dir() -> None:
    from litellm.litellm_core_utils import default_encoding

    os.environ["TIKTOKEN_CACHE_DIR"] = default_encoding.cache_dir  # what importing it does
    runtime = build_runtime(load_settings(store="memory"))
    assert runtime.counter.exact
    assert Path(runtime.counter.source).parent == Path(default_encoding.cache_dir)
    assert runtime.counter.count("hello world") == 2
