"""`prepare_request`: what the proxy does to one request body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from headroom.config import load_settings
from headroom.prepare import prepare_request
from headroom.runtime import Runtime, build_runtime
from headroom.store.memory import MemoryStore


def _runtime(tmp_path: Path, **settings: Any) -> Runtime:
    return build_runtime(
        load_settings(store="memory", home=str(tmp_path), **settings), store=MemoryStore()
    )


def _chat(*turns: str, **extra: Any) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief."}]
    for i, text in enumerate(turns):
        if i:
            messages.append({"role": "assistant", "content": "ok"})
        messages.append({"role": "user", "content": text})
    return {"model": "gpt-4.1", "messages": messages, **extra}


def test_a_small_request_with_nothing_to_do_comes_back_as_the_same_object(tmp_path: Path) -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 8,
        "messages": [{"role": "user", "content": "hi"}],
    }
    prepared = prepare_request(_runtime(tmp_path), "anthropic", body)
    assert prepared.body is body and not prepared.changed


OPENAI = "https://api.openai.com"


def test_openai_requests_get_one_prompt_cache_key_per_session(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    first = prepare_request(runtime, "openai-chat", _chat("Plan the migration."), upstream=OPENAI)
    later = prepare_request(
        runtime, "openai-chat", _chat("Plan the migration.", "Go on."), upstream=OPENAI
    )
    other = prepare_request(runtime, "openai-chat", _chat("Write a poem."), upstream=OPENAI)
    key = first.body["prompt_cache_key"]
    assert key.startswith("hr-") and later.body["prompt_cache_key"] == key
    assert other.body["prompt_cache_key"] != key
    assert first.breakpoints == ("prompt_cache_key",)
    named = prepare_request(
        runtime, "openai-chat", _chat("x"), session="codex-conversation-7", upstream=OPENAI
    )
    assert named.body["prompt_cache_key"] != key


def test_openai_compatible_servers_never_get_a_parameter_they_may_not_know(
    tmp_path: Path,
) -> None:
    """Azure, vLLM and gateways may reject `prompt_cache_key`: only OpenAI's API gets it."""
    runtime = _runtime(tmp_path)
    body = _chat("Plan the migration.")
    for upstream in (None, "http://127.0.0.1:8000/v1", "https://myco.openai.azure.com"):
        prepared = prepare_request(runtime, "openai-chat", body, upstream=upstream)
        assert prepared.body is body and prepared.breakpoints == ()


def test_a_client_prompt_cache_key_is_kept(tmp_path: Path) -> None:
    body = {"model": "gpt-5", "input": "hi", "prompt_cache_key": "mine"}
    prepared = prepare_request(_runtime(tmp_path), "openai-responses", body, upstream=OPENAI)
    assert prepared.body is body and prepared.body["prompt_cache_key"] == "mine"


def test_switching_the_cache_layer_off_leaves_requests_alone(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, cache_align=False, cache_breakpoints=False)
    body = _chat("Plan the migration.")
    body["messages"][0]["content"] = "Be brief.\nToday's date is 2026-11-21."
    prepared = prepare_request(runtime, "openai-chat", body)
    assert prepared.body is body and prepared.moved == ()


def test_an_unknown_body_shape_is_passed_through(tmp_path: Path) -> None:
    body: dict[str, Any] = {"model": "claude-sonnet-4-5", "messages": "not a list"}
    prepared = prepare_request(_runtime(tmp_path), "anthropic", body)
    assert prepared.body is body and prepared.conversation is None
