"""The usage ledger end to end: SDK requests through `default_app`, then /stats and /metrics.

Entries are recorded in a worker thread after each response ends, so the
tests wait for the ledger to hold them (no timing is asserted). Counters live
in the shared test store, so each test reads its own tenant's totals.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anthropic
import anyio
import httpx
import openai
import pytest

from headroom.proxy.ledger import tenant_of
from headroom.runtime import Runtime
from headroom.testing import FakeUpstream, Reply
from tests.proxy import bodies
from tests.proxy.conftest import Served, big_log
from tests.proxy.wired import marker_id, serve_default

RETRIEVE = "headroom_retrieve"


@pytest.fixture
def served(up: FakeUpstream, shared_runtime: Runtime) -> Iterator[Served]:
    with serve_default(up, shared_runtime) as app:
        yield app


def _stats(served: Served, key: str, requests: int) -> dict[str, Any]:
    """The tenant's /stats once the ledger holds `requests` entries."""
    deadline = time.monotonic() + 10
    while True:
        params = {"tenant": tenant_of({"x-api-key": key})}
        stats: dict[str, Any] = httpx.get(served.url + "/stats", params=params).json()
        if stats["requests"] >= requests or time.monotonic() > deadline:
            return stats
        time.sleep(0.01)


def _run_requests(up: FakeUpstream, served: Served, key: str) -> None:
    """Four requests: compressed, streamed with a retrieve round, OpenAI streamed, a 429."""
    claude = anthropic.Anthropic(api_key=key, base_url=served.url, max_retries=0)
    gpt = openai.OpenAI(api_key=key, base_url=served.url + "/v1", max_retries=0)
    body = bodies.anthropic(big_log())
    up.script(Reply.text("a").with_usage(input_tokens=100, output_tokens=10, cache_read_tokens=50))
    claude.messages.create(**body)
    up.script(
        Reply.tool_call(RETRIEVE, {"id": marker_id(up.requests[-1])}).with_usage(
            input_tokens=100, output_tokens=10
        ),
        Reply.text("b").with_usage(input_tokens=200, output_tokens=20),
    )
    with claude.messages.stream(**body) as stream:
        stream.get_final_message()
    up.script(Reply.text("c").with_usage(input_tokens=40, output_tokens=4, cache_read_tokens=10))
    chat = bodies.openai_chat(big_log(), stream=True, stream_options={"include_usage": True})
    list(gpt.chat.completions.create(**chat))
    up.script(Reply.error(429))
    with pytest.raises(anthropic.RateLimitError):
        claude.messages.create(**body)


def test_stats_show_requests_savings_and_provider_usage(up: FakeUpstream, served: Served) -> None:
    key = "sk-test-ledger-stats"
    _run_requests(up, served, key)
    stats = _stats(served, key, 4)
    assert stats["requests"] == 4
    assert stats["streaming"] == 2
    assert stats["providers"] == {"anthropic": 3, "openai": 1}
    assert stats["statuses"] == {"200": 3, "429": 1}
    assert stats["usage"] == {
        "input_tokens": 440,
        "output_tokens": 44,
        "cache_read_tokens": 60,
        "cache_write_tokens": 0,
    }
    assert stats["retrievals"] == 1
    assert stats["tokens_before"] > stats["tokens_after"] > 0
    assert stats["tokens_saved"] == stats["tokens_before"] - stats["tokens_after"]
    assert stats["blocks_changed"] == 4 and stats["compressors"]
    newest = stats["recent"][0]
    assert (newest["status"], newest["route"], newest["usage"]) == (429, "/v1/messages", None)
    assert all(key not in str(entry) for entry in stats["recent"])


def test_metrics_expose_the_proxy_series(up: FakeUpstream, served: Served) -> None:
    key = "sk-test-ledger-metrics"
    _run_requests(up, served, key)
    _stats(served, key, 4)
    text = httpx.get(served.url + "/metrics").text
    assert (
        'headroom_requests_total{provider="anthropic",route="/v1/messages",status="429"} 1.0'
        in text
    )
    assert 'headroom_provider_usage_tokens_total{kind="input",provider="anthropic"} 400.0' in text
    assert 'headroom_retrievals_total{provider="anthropic"} 1.0' in text
    for series in ("headroom_tokens_saved_total", "headroom_proxy_added_latency_seconds_bucket"):
        assert series in text


def test_probes_answer_on_the_default_app(served: Served) -> None:
    assert httpx.get(served.url + "/livez").status_code == 200
    assert httpx.get(served.url + "/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/stats", "/metrics"])
def test_admin_endpoints_refuse_clients_off_loopback(served: Served, path: str) -> None:
    async def status(host: str) -> int:
        transport = httpx.ASGITransport(app=served.app, client=(host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
            return (await client.get(path)).status_code

    assert anyio.run(status, "203.0.113.9") == 403
    assert anyio.run(status, "127.0.0.1") == 200


def test_gemini_streams_are_recorded_with_their_usage(up: FakeUpstream, served: Served) -> None:
    key = "sk-test-ledger-gemini"
    up.script(Reply.text("ok").with_usage(input_tokens=70, output_tokens=7, cache_read_tokens=30))
    url = served.url + bodies.GEMINI_STREAM_PATH + "?alt=sse"
    httpx.post(url, json=bodies.gemini(big_log()), headers={"x-goog-api-key": key})
    stats = _stats(served, key, 1)
    assert stats["providers"] == {"gemini": 1}
    assert stats["usage"]["input_tokens"] == 70
    assert stats["usage"]["cache_read_tokens"] == 30
    assert stats["recent"][0]["route"] == "/v1beta/models/{model}:streamGenerateContent"
    assert stats["recent"][0]["model"] == "gemini-2.5-flash"


def test_cache_alignment_breakpoints_and_block_decisions_are_recorded(
    up: FakeUpstream, served: Served
) -> None:
    """A Claude Code-like request: its date line moves, breakpoints land, decisions are kept."""
    key = "sk-test-ledger-cache"
    static = "You are a coding agent. Follow the house rules carefully.\n" * 120
    body = bodies.anthropic(
        big_log(),
        system=[{"type": "text", "text": static + "Today's date is 2026-11-21.\n"}],
        tools=[
            {
                "name": "Bash",
                "description": "Run a command.",
                "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
            }
        ],
    )
    up.script(Reply.text("done"))
    claude = anthropic.Anthropic(api_key=key, base_url=served.url, max_retries=0)
    claude.messages.create(**body)
    sent = up.requests[-1].json()
    system = sent["system"]
    assert "Today's date" not in system[0]["text"] and system[0]["cache_control"]
    assert "Current date: 2026-11-21" in system[-1]["text"]
    # The tools alone are under the model's minimum cacheable length: no breakpoint there.
    assert "cache_control" not in sent["tools"][0]
    assert sent["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    entry = _stats(served, key, 1)["recent"][0]
    assert entry["moved"] == ["date"]
    assert entry["breakpoints"] == ["system", "message:0", "message:2"]
    (decision,) = entry["decisions"]
    assert decision["decision"] in {"compressed", "frozen"} and decision["reason"] == "saved"
    assert decision["tokens_after"] < decision["tokens_before"] and decision["ccr_id"]


def test_a_requests_decision_log_opens_by_id_with_its_originals(
    up: FakeUpstream, served: Served
) -> None:
    key = "sk-test-ledger-request"
    log = big_log()
    up.script(Reply.text("done"))
    anthropic.Anthropic(api_key=key, base_url=served.url, max_retries=0).messages.create(
        **bodies.anthropic(log)
    )
    entry = _stats(served, key, 1)["recent"][0]
    assert entry["id"] > 0
    url = f"{served.url}/v1/requests/{entry['id']}"
    plain = httpx.get(url).json()
    assert plain["id"] == entry["id"] and plain["decisions"] == entry["decisions"]
    (decision,) = httpx.get(url, params={"originals": "1"}).json()["decisions"]
    assert decision["original"] == log
    assert decision["text"] and len(decision["text"]) < len(log)
    assert httpx.get(f"{served.url}/v1/requests/999999").status_code == 404
    assert httpx.get(f"{served.url}/v1/requests/abc").status_code == 404
    assert not any(r.path.startswith("/v1/requests") for r in up.requests)  # never forwarded
