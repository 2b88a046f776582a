"""OpenTelemetry spans of proxied requests, caught with the SDK's in-memory exporter.

The spans end after the response body has been relayed (in the proxy's
`_finish`), which can be just after the client has its answer, so the tests
wait for the request span to arrive (no timing is asserted).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode

from headroom import telemetry
from headroom.config import load_settings
from headroom.proxy.defaults import default_app
from headroom.proxy.routes import Upstreams
from headroom.runtime import Runtime
from headroom.testing import FakeUpstream, Reply
from tests.proxy import bodies
from tests.proxy.conftest import TEST_BUDGET_MS, Served, big_log, closed_port_url
from tests.proxy.wired import serve_default


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.enable(provider)
    yield exporter
    telemetry.reset()
    provider.shutdown()


@pytest.fixture
def served(up: FakeUpstream, shared_runtime: Runtime) -> Iterator[Served]:
    with serve_default(up, shared_runtime) as app:
        yield app


def _finished(exporter: InMemorySpanExporter, requests: int = 1) -> list[ReadableSpan]:
    """Every span, once `requests` request spans have ended."""
    deadline = time.monotonic() + 10
    while True:
        found = list(exporter.get_finished_spans())
        done = [s for s in found if s.name == "headroom.request"]
        if len(done) >= requests or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def _one(found: list[ReadableSpan], name: str) -> ReadableSpan:
    matching = [s for s in found if s.name == name]
    assert len(matching) == 1, [s.name for s in found]
    return matching[0]


def _parent_of(span: ReadableSpan, found: list[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    by_id = {s.context.span_id: s for s in found if s.context is not None}
    return by_id.get(span.parent.span_id)


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_a_proxied_request_has_stage_spans_under_the_request_span(
    spans: InMemorySpanExporter, up: FakeUpstream, served: Served
) -> None:
    log = big_log()
    client = anthropic.Anthropic(api_key="sk-otel", base_url=served.url, max_retries=0)
    up.script(Reply.text("ok").with_usage(input_tokens=100, output_tokens=5))
    client.messages.create(**bodies.anthropic(log))
    found = _finished(spans)

    request = _one(found, "headroom.request")
    assert request.parent is None and request.kind is SpanKind.SERVER
    assert _attributes(request)["http.route"] == "/v1/messages"
    assert _attributes(request)["http.response.status_code"] == 200
    prepare = _one(found, "headroom.prepare")
    assert _parent_of(prepare, found) is request
    assert _attributes(prepare)["headroom.wire"] == "anthropic"
    for stage in ("headroom.align", "headroom.compress", "headroom.breakpoints"):
        assert _parent_of(_one(found, stage), found) is prepare, stage
    compress = _one(found, "headroom.compress")
    block = _one(found, "headroom.compress.block")
    assert _parent_of(block, found) is compress
    attrs = _attributes(block)
    assert attrs["headroom.block.kind"] == "logs"
    assert attrs["headroom.block.compressor"]
    assert attrs["headroom.block.tool"] == "Bash"
    assert attrs["headroom.block.tokens_before"] > attrs["headroom.block.tokens_after"] > 0
    assert _attributes(compress)["headroom.blocks_changed"] == 1


def test_the_upstream_call_is_a_client_span_with_method_route_status_and_streaming(
    spans: InMemorySpanExporter, up: FakeUpstream, served: Served
) -> None:
    client = anthropic.Anthropic(api_key="sk-otel", base_url=served.url, max_retries=0)
    up.script(Reply.text("streamed"))
    with client.messages.stream(**bodies.anthropic(big_log())) as stream:
        stream.get_final_message()
    found = _finished(spans)
    request = _one(found, "headroom.request")
    upstream = _one(found, "headroom.upstream")
    assert upstream.kind is SpanKind.CLIENT
    assert _parent_of(upstream, found) is request
    attrs = _attributes(upstream)
    assert attrs["http.request.method"] == "POST"
    assert attrs["http.route"] == "/v1/messages"
    assert attrs["http.response.status_code"] == 200
    assert attrs["headroom.streaming"] is True
    assert attrs["headroom.end"] == "complete"
    assert upstream.end_time is not None and request.end_time is not None
    assert upstream.end_time <= request.end_time


def test_no_span_carries_prompt_or_tool_output_text(
    spans: InMemorySpanExporter, up: FakeUpstream, served: Served
) -> None:
    log = big_log()
    client = anthropic.Anthropic(api_key="sk-otel-secret", base_url=served.url, max_retries=0)
    up.script(Reply.text("ok"))
    client.messages.create(**bodies.anthropic(log))
    found = _finished(spans)
    values = " ".join(str(v) for s in found for v in _attributes(s).values())
    assert bodies.QUESTION not in values
    assert "processed request" not in values and "cat app.log" not in values
    assert "sk-otel-secret" not in values


def test_an_unreachable_upstream_ends_both_spans_with_an_error(
    spans: InMemorySpanExporter, shared_runtime: Runtime
) -> None:
    nowhere = closed_port_url()
    settings = load_settings(store="memory", pipeline_budget_ms=TEST_BUDGET_MS)
    upstreams = Upstreams(anthropic=nowhere, openai=nowhere, gemini=nowhere)
    app = default_app(settings, runtime=shared_runtime, upstreams=upstreams)
    with Served(app) as served:
        response = httpx.post(served.url + "/v1/messages", json=bodies.anthropic("short"))
        assert response.status_code == 502
        found = _finished(spans)
    for name in ("headroom.request", "headroom.upstream"):
        assert _one(found, name).status.status_code is StatusCode.ERROR, name


def test_with_tracing_off_requests_work_and_nothing_is_recorded(
    up: FakeUpstream, served: Served
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.enable(provider)
    telemetry.disable()
    try:
        assert not telemetry.enabled()
        assert telemetry.span("x") is telemetry.NO_SPAN
        assert telemetry.request_trace(dict) is telemetry.NO_TRACE
        client = anthropic.Anthropic(api_key="sk-off", base_url=served.url, max_retries=0)
        up.script(Reply.text("ok"))
        message = client.messages.create(**bodies.anthropic(big_log()))
        assert message.content[0].text == "ok"
        assert exporter.get_finished_spans() == ()
    finally:
        telemetry.reset()
        provider.shutdown()


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
        ({"OTEL_TRACES_EXPORTER": "otlp, console"}, ["otlp", "console"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, []),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"}, []),
    ],
)
def test_the_standard_variables_choose_the_exporters(env: dict[str, str], names: list[str]) -> None:
    assert telemetry.exporter_names(env) == names


def test_the_environment_turns_tracing_on_with_an_sdk_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "my-proxy")
    try:
        provider = telemetry.configure()
        assert isinstance(provider, TracerProvider)
        assert telemetry.enabled()
        assert provider.resource.attributes["service.name"] == "my-proxy"
        provider.shutdown()  # nothing was sent: the endpoint is never contacted
    finally:
        telemetry.reset()


def test_without_variables_tracing_stays_off(monkeypatch: pytest.MonkeyPatch) -> None:
    names = (
        "OTEL_TRACES_EXPORTER",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    )
    for name in names:
        monkeypatch.delenv(name, raising=False)
    try:
        assert telemetry.configure() is None
        assert not telemetry.enabled()
        with telemetry.span("headroom.prepare") as span:
            span.set_attribute("headroom.arm", "compressed")  # a no-op, not an error
    finally:
        telemetry.reset()


def test_an_exporter_that_is_not_available_leaves_tracing_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    try:
        assert telemetry.configure({"OTEL_TRACES_EXPORTER": "zipkin"}) is None
        assert not telemetry.enabled()
        assert "unknown OTEL_TRACES_EXPORTER 'zipkin'" in caplog.text
        console = telemetry.configure({"OTEL_TRACES_EXPORTER": "zipkin,console"})
        assert isinstance(console, TracerProvider) and telemetry.enabled()
        assert console.resource.attributes["service.name"] == "headroom"
        console.shutdown()
    finally:
        telemetry.reset()
