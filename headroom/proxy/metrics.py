"""Prometheus metrics for the proxy, fed from the same entries as the ledger.

The ledger is durable and shared through the store; these metrics are
per-process and scraped, the usual Prometheus split. Each `Metrics` owns its
own `CollectorRegistry` rather than the global one, so two proxy apps in one
process (the test suite, a benchmark) never collide over metric names, and a
host application's own metrics never leak into `/metrics`.

Everything comes in through `Metrics.observe(entry)`, once per request, after
the response is done. The fail-open error counts of `headroom.guard` are read
at scrape time by a small collector, so they need no call site of their own.

Latencies are in seconds, as Prometheus expects. The proxy's added time is
expected in milliseconds, so its buckets start at 0.5 ms; the upstream's is a
model's response time, so its buckets run to minutes.

Money follows the ledger (`headroom.accounting`): dollars spent and dollars
without Headroom are counters by provider, model and arm; dollars saved is
their difference, kept as a gauge because a request can cost more with
Headroom (a cache write it caused) and a counter cannot go down. The cache
hit ratio is cache-read tokens over all prompt tokens the provider reported,
per provider, over the process's life (the usage counters give any window).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from headroom.guard import ERRORS, ErrorCounts
from headroom.providers.usage import Usage
from headroom.proxy.ledger import LedgerEntry

__all__ = ["PROXY_BUCKETS", "UPSTREAM_BUCKETS", "Metrics"]

PROXY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
UPSTREAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
#: Model names are caller-controlled; a label keeps at most this many characters.
MODEL_LABEL_CAP = 128


class _GuardErrors(Collector):
    """Exposes `headroom.guard` error counts, read fresh on every scrape."""

    def __init__(self, errors: ErrorCounts) -> None:
        self._errors = errors

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "headroom_pipeline_errors",
            "Errors swallowed by fail-open, by stage; the original went on instead.",
            labels=["stage"],
        )
        for stage, count in sorted(self._errors.snapshot().items()):
            family.add_metric([stage], count)
        yield family


class Metrics:
    """The proxy's Prometheus series, in a registry of their own."""

    def __init__(self, *, errors: ErrorCounts = ERRORS) -> None:
        self.errors = errors
        self.registry = CollectorRegistry()
        reg = self.registry
        self.requests = Counter(
            "headroom_requests",
            "Proxied requests, by provider, route and status code.",
            ["provider", "route", "status"],
            registry=reg,
        )
        self.tokens_before = Counter(
            "headroom_tokens_before",
            "Estimated request tokens before compression.",
            ["provider"],
            registry=reg,
        )
        self.tokens_after = Counter(
            "headroom_tokens_after",
            "Estimated request tokens after compression.",
            ["provider"],
            registry=reg,
        )
        self.tokens_saved = Counter(
            "headroom_tokens_saved",
            "Estimated request tokens removed by compression.",
            ["provider"],
            registry=reg,
        )
        self.usage = Counter(
            "headroom_provider_usage_tokens",
            "Tokens the provider reported: kind is input (uncached), output, "
            "cache_read or cache_write.",
            ["provider", "kind"],
            registry=reg,
        )
        self.blocks_changed = Counter(
            "headroom_compressor_blocks_changed",
            "Blocks a compressor changed.",
            ["compressor"],
            registry=reg,
        )
        self.retrievals = Counter(
            "headroom_retrievals",
            "headroom_retrieve calls answered by the proxy.",
            ["provider"],
            registry=reg,
        )
        self.upstream_latency = Histogram(
            "headroom_upstream_latency_seconds",
            "Time from sending a request upstream to its response headers.",
            ["provider"],
            buckets=UPSTREAM_BUCKETS,
            registry=reg,
        )
        self.proxy_latency = Histogram(
            "headroom_proxy_added_latency_seconds",
            "Time the proxy itself added to a request.",
            ["provider"],
            buckets=PROXY_BUCKETS,
            registry=reg,
        )
        self._money(reg)
        reg.register(_GuardErrors(errors))
        self._prompts: dict[str, Usage] = {}
        self._lock = threading.Lock()

    def _money(self, reg: CollectorRegistry) -> None:
        """The savings series: dollars by provider, model and arm; tokens by compressor."""
        labels = ["provider", "model", "arm"]
        self.dollars_spent = Counter(
            "headroom_cost_dollars",
            "What requests cost, from the provider's usage receipt (meter-only: estimated).",
            labels,
            registry=reg,
        )
        self.dollars_without = Counter(
            "headroom_cost_without_headroom_dollars",
            "What the same requests would have cost without Headroom (estimated).",
            labels,
            registry=reg,
        )
        self.dollars_saved = Gauge(
            "headroom_saved_dollars",
            "Dollars saved so far: cost without Headroom minus cost (can go down).",
            labels,
            registry=reg,
        )
        self.compressor_tokens_saved = Counter(
            "headroom_compressor_tokens_saved",
            "Estimated tokens removed, by the compressor that removed them.",
            ["compressor"],
            registry=reg,
        )
        self.cache_hit_ratio = Gauge(
            "headroom_cache_hit_ratio",
            "Cache-read tokens over all prompt tokens the provider reported.",
            ["provider"],
            registry=reg,
        )

    def observe(self, entry: LedgerEntry) -> None:
        """Count one finished request."""
        provider = entry.provider
        self._observe_savings(entry)
        self.requests.labels(provider, entry.route, str(entry.status)).inc()
        self.tokens_before.labels(provider).inc(entry.tokens_before)
        self.tokens_after.labels(provider).inc(entry.tokens_after)
        self.tokens_saved.labels(provider).inc(entry.tokens_saved)
        if entry.usage is not None:
            for kind, tokens in entry.usage.as_dict().items():
                self.usage.labels(provider, kind.removesuffix("_tokens")).inc(tokens)
            self._observe_cache(provider, entry.usage)
        for compressor, count in entry.compressors.items():
            self.blocks_changed.labels(compressor).inc(count)
        if entry.retrievals:
            self.retrievals.labels(provider).inc(entry.retrievals)
        if entry.upstream_ms is not None:
            self.upstream_latency.labels(provider).observe(entry.upstream_ms / 1000)
        self.proxy_latency.labels(provider).observe(entry.proxy_ms / 1000)

    def _observe_savings(self, entry: LedgerEntry) -> None:
        if entry.dollars is not None and entry.dollars_without is not None:
            labels = (entry.provider, entry.model[:MODEL_LABEL_CAP] or "-", entry.arm)
            self.dollars_spent.labels(*labels).inc(max(0.0, entry.dollars))
            self.dollars_without.labels(*labels).inc(max(0.0, entry.dollars_without))
            self.dollars_saved.labels(*labels).inc(entry.dollars_without - entry.dollars)
        for decision in entry.decisions:
            saved = int(decision.get("tokens_before", 0)) - int(decision.get("tokens_after", 0))
            if saved > 0 and decision.get("decision") in {"compressed", "frozen"}:
                name = str(decision.get("compressor") or "-")
                self.compressor_tokens_saved.labels(name).inc(saved)

    def _observe_cache(self, provider: str, usage: Usage) -> None:
        with self._lock:
            total = self._prompts[provider] = self._prompts.get(provider, Usage()) + usage
        if total.prompt_tokens:
            self.cache_hit_ratio.labels(provider).set(total.cache_read_tokens / total.prompt_tokens)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type, for `/metrics`."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
