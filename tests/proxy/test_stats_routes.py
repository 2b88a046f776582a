"""/stats and /metrics, through a tiny Starlette app, for loopback clients only."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from headroom.guard import ErrorCounts
from headroom.providers.usage import Usage
from headroom.proxy.ledger import Ledger, LedgerEntry
from headroom.proxy.metrics import Metrics
from headroom.proxy.stats_routes import is_loopback, routes
from headroom.store import MemoryStore


@pytest.fixture
def app() -> Iterator[Starlette]:
    store = MemoryStore()
    app = Starlette(routes=routes())
    app.state.ledger = Ledger(store)
    errors = ErrorCounts()
    errors.add("compress.json")
    app.state.metrics = Metrics(errors=errors)
    store.incr("ccr.stored", 3)
    entry = LedgerEntry(
        provider="openai-chat",
        model="gpt-4.1",
        tenant="t_0123456789abcdef",
        route="/v1/chat/completions",
        tokens_before=900,
        tokens_after=300,
        usage=Usage(input_tokens=5, output_tokens=7),
    )
    app.state.ledger.record(entry)
    app.state.metrics.observe(entry)
    yield app
    store.close()


def get(app: Starlette, path: str, client: tuple[str, int] = ("127.0.0.1", 5000)) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as http:
            return await http.get(path)

    return asyncio.run(call())


def test_stats_returns_the_ledger_summary_with_errors_and_store_counters(app: Starlette) -> None:
    response = get(app, "/stats")
    assert response.status_code == 200
    stats = response.json()
    assert stats["requests"] == 1
    assert stats["tokens_saved"] == 600
    assert stats["usage"]["output_tokens"] == 7
    assert stats["recent"][0]["model"] == "gpt-4.1"
    assert stats["errors"] == {"compress.json": 1}
    assert stats["store"] == {"ccr.stored": 3}


def test_stats_narrows_to_one_tenant_and_bounds_recent(app: Starlette) -> None:
    other = get(app, "/stats?tenant=t_other").json()
    assert other["requests"] == 0 and other["recent"] == []
    assert get(app, "/stats?last=0").json()["recent"] == []


def test_metrics_returns_prometheus_text(app: Starlette) -> None:
    response = get(app, "/metrics", client=("::1", 5000))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'headroom_tokens_saved_total{provider="openai-chat"} 600.0' in response.text
    assert 'headroom_pipeline_errors_total{stage="compress.json"} 1.0' in response.text


@pytest.mark.parametrize("path", ["/stats", "/metrics"])
def test_a_client_off_loopback_gets_a_403_with_a_json_error(app: Starlette, path: str) -> None:
    response = get(app, path, client=("10.0.0.5", 1234))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["type"] == "forbidden"
    assert "loopback" in error["message"] and "10.0.0.5" in error["message"]
    assert "gpt-4.1" not in response.text


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("10.0.0.5", False),
        ("0.0.0.0", False),
        ("::ffff:10.0.0.5", False),
        ("testclient", False),
        ("", False),
        (None, False),
    ],
)
def test_only_loopback_addresses_count_as_local(host: str | None, allowed: bool) -> None:
    assert is_loopback(host) is allowed
