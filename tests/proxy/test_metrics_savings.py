"""The savings and cache series of `/metrics`: dollars, tokens per compressor, hit ratio."""

from __future__ import annotations

import time
from typing import Any

import anthropic
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from headroom.providers.usage import Usage
from headroom.proxy.metrics import Metrics
from headroom.runtime import Runtime
from headroom.testing import FakeUpstream, Reply
from tests.proxy import bodies
from tests.proxy.conftest import big_log
from tests.proxy.test_metrics import entry, samples, value
from tests.proxy.wired import serve_default

SPENT = "headroom_cost_dollars_total"
WITHOUT = "headroom_cost_without_headroom_dollars_total"
SAVED = "headroom_saved_dollars"


def _labels(**extra: str) -> dict[str, str]:
    return {"provider": "anthropic", "model": "claude-sonnet-4-6", "arm": "compressed", **extra}


def test_dollars_spent_and_without_headroom_are_counted_by_provider_model_and_arm() -> None:
    metrics = Metrics()
    metrics.observe(entry(dollars=0.25, dollars_without=1.0))
    metrics.observe(entry(dollars=0.5, dollars_without=1.5))
    metrics.observe(entry(dollars=0.1, dollars_without=0.1, arm="holdout"))
    assert value(metrics, SPENT, **_labels()) == pytest.approx(0.75)
    assert value(metrics, WITHOUT, **_labels()) == pytest.approx(2.5)
    assert value(metrics, SAVED, **_labels()) == pytest.approx(1.75)
    assert value(metrics, SPENT, **_labels(arm="holdout")) == pytest.approx(0.1)
    assert value(metrics, SAVED, **_labels(arm="holdout")) == 0


def test_dollars_saved_can_go_down_when_headroom_cost_more() -> None:
    metrics = Metrics()
    metrics.observe(entry(dollars=1.0, dollars_without=1.5))
    metrics.observe(entry(dollars=1.2, dollars_without=1.0))  # a cache write it caused
    assert value(metrics, SAVED, **_labels()) == pytest.approx(0.3)
    assert value(metrics, SPENT, **_labels()) == pytest.approx(2.2)


def test_a_response_without_a_receipt_adds_no_dollars() -> None:
    metrics = Metrics()
    metrics.observe(entry(usage=None, dollars=None, dollars_without=None))
    assert (SPENT, frozenset(_labels().items())) not in samples(metrics)


def test_tokens_saved_are_counted_by_compressor_from_the_decisions() -> None:
    decisions = (
        {"compressor": "logs", "decision": "compressed", "tokens_before": 900, "tokens_after": 90},
        {"compressor": "json", "decision": "frozen", "tokens_before": 500, "tokens_after": 100},
        {"compressor": None, "decision": "kept", "tokens_before": 50, "tokens_after": 50},
        {"compressor": "text", "decision": "skipped", "tokens_before": 700, "tokens_after": 700},
    )
    metrics = Metrics()
    metrics.observe(entry(decisions=decisions))
    metrics.observe(entry(decisions=decisions[:1]))
    saved = "headroom_compressor_tokens_saved_total"
    assert value(metrics, saved, compressor="logs") == 1620
    assert value(metrics, saved, compressor="json") == 400
    assert (saved, frozenset({("compressor", "text")})) not in samples(metrics)


def test_the_cache_hit_ratio_is_reads_over_all_prompt_tokens_per_provider() -> None:
    metrics = Metrics()
    metrics.observe(entry(usage=Usage(input_tokens=100, cache_read_tokens=300)))
    metrics.observe(entry(usage=Usage(input_tokens=50, cache_write_tokens=50)))
    metrics.observe(entry(provider="openai", usage=Usage(input_tokens=10)))
    assert value(metrics, "headroom_cache_hit_ratio", provider="anthropic") == pytest.approx(0.6)
    assert value(metrics, "headroom_cache_hit_ratio", provider="openai") == 0


def test_the_series_carry_each_kind_the_brief_needs() -> None:
    metrics = Metrics()
    metrics.observe(entry(dollars=0.1, dollars_without=0.2))
    body, _ = metrics.render()
    names = {family.name for family in text_string_to_metric_families(body.decode())}
    assert {
        "headroom_tokens_saved",
        "headroom_cost_dollars",
        "headroom_cost_without_headroom_dollars",
        "headroom_saved_dollars",
        "headroom_provider_usage_tokens",
        "headroom_cache_hit_ratio",
        "headroom_proxy_added_latency_seconds",
        "headroom_upstream_latency_seconds",
    } <= names


def _scrape_when(url: str, series: str) -> str:
    """The /metrics text once `series` appears (the entry is recorded after the response)."""
    deadline = time.monotonic() + 10
    while True:
        text = httpx.get(url + "/metrics").text
        if series in text or time.monotonic() > deadline:
            return text
        time.sleep(0.01)


def _sample(text: str, name: str, **labels: str) -> Any:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return None


def test_a_proxied_request_shows_in_the_savings_and_cache_series(
    up: FakeUpstream, shared_runtime: Runtime
) -> None:
    with serve_default(up, shared_runtime) as served:
        client = anthropic.Anthropic(api_key="sk-metrics", base_url=served.url, max_retries=0)
        up.script(Reply.text("ok").with_usage(input_tokens=1000, cache_read_tokens=3000))
        client.messages.create(**bodies.anthropic(big_log()))
        text = _scrape_when(served.url, SPENT)
    spent = _sample(text, SPENT, **_labels())
    without = _sample(text, WITHOUT, **_labels())
    assert spent is not None and without is not None
    assert without > spent > 0
    assert _sample(text, SAVED, **_labels()) == pytest.approx(without - spent)
    assert _sample(text, "headroom_cache_hit_ratio", provider="anthropic") == pytest.approx(0.75)
    assert _sample(text, "headroom_compressor_tokens_saved_total", compressor="logs") > 0
    assert _sample(text, "headroom_upstream_latency_seconds_count", provider="anthropic") == 1
