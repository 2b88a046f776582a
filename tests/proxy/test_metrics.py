"""The proxy's Prometheus series, in their own registry."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from headroom.guard import ErrorCounts
from headroom.providers.usage import Usage
from headroom.proxy.ledger import LedgerEntry
from headroom.proxy.metrics import Metrics


def entry(**changes: object) -> LedgerEntry:
    fields: dict[str, object] = {
        "provider": "anthropic",
        "model": "claude-sonnet-4-6",
        "tenant": "t_a",
        "route": "/v1/messages",
        "tokens_before": 1000,
        "tokens_after": 400,
        "usage": Usage(input_tokens=10, output_tokens=20, cache_read_tokens=300),
        "compressors": {"json": 2},
        "blocks_changed": 2,
        "retrievals": 1,
        "proxy_ms": 1.5,
        "upstream_ms": 250.0,
    }
    fields.update(changes)
    return LedgerEntry(**fields)  # type: ignore[arg-type]


def samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, _ = metrics.render()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return samples(metrics)[(name, frozenset(labels.items()))]


def test_render_is_prometheus_text_with_its_content_type() -> None:
    body, content_type = Metrics().render()
    assert content_type.startswith("text/plain")
    assert b"# TYPE headroom_requests_total counter" in body


def test_observe_adds_request_token_and_usage_series() -> None:
    metrics = Metrics()
    metrics.observe(entry())
    metrics.observe(entry(status=429, usage=None))
    assert (
        value(
            metrics,
            "headroom_requests_total",
            provider="anthropic",
            route="/v1/messages",
            status="200",
        )
        == 1
    )
    assert (
        value(
            metrics,
            "headroom_requests_total",
            provider="anthropic",
            route="/v1/messages",
            status="429",
        )
        == 1
    )
    assert value(metrics, "headroom_tokens_before_total", provider="anthropic") == 2000
    assert value(metrics, "headroom_tokens_after_total", provider="anthropic") == 800
    assert value(metrics, "headroom_tokens_saved_total", provider="anthropic") == 1200
    usage = "headroom_provider_usage_tokens_total"
    assert value(metrics, usage, provider="anthropic", kind="input") == 10
    assert value(metrics, usage, provider="anthropic", kind="output") == 20
    assert value(metrics, usage, provider="anthropic", kind="cache_read") == 300
    assert value(metrics, usage, provider="anthropic", kind="cache_write") == 0


def test_observe_adds_compressor_retrieval_and_latency_series() -> None:
    metrics = Metrics()
    metrics.observe(entry())
    assert value(metrics, "headroom_compressor_blocks_changed_total", compressor="json") == 2
    assert value(metrics, "headroom_retrievals_total", provider="anthropic") == 1
    proxy = "headroom_proxy_added_latency_seconds"
    assert value(metrics, f"{proxy}_count", provider="anthropic") == 1
    assert value(metrics, f"{proxy}_bucket", provider="anthropic", le="0.001") == 0
    assert value(metrics, f"{proxy}_bucket", provider="anthropic", le="0.0025") == 1
    upstream = "headroom_upstream_latency_seconds"
    assert value(metrics, f"{upstream}_sum", provider="anthropic") == 0.25


def test_an_unreached_upstream_adds_no_upstream_latency_sample() -> None:
    metrics = Metrics()
    metrics.observe(entry(upstream_ms=None, status=502))
    assert (
        "headroom_upstream_latency_seconds_count",
        frozenset({("provider", "anthropic")}),
    ) not in samples(metrics)


def test_guard_error_counts_are_read_at_scrape_time() -> None:
    errors = ErrorCounts()
    metrics = Metrics(errors=errors)
    errors.add("compress.json")
    errors.add("compress.json")
    assert value(metrics, "headroom_pipeline_errors_total", stage="compress.json") == 2
    errors.add("ledger")
    assert value(metrics, "headroom_pipeline_errors_total", stage="ledger") == 1


def test_each_metrics_has_its_own_registry_off_the_global_one() -> None:
    first, second = Metrics(), Metrics()
    first.observe(entry())
    assert ("headroom_retrievals_total", frozenset({("provider", "anthropic")})) not in samples(
        second
    )
    labels = {"provider": "anthropic", "route": "/v1/messages", "status": "200"}
    assert REGISTRY.get_sample_value("headroom_requests_total", labels) is None
