"""OpenTelemetry traces: one span per pipeline stage and per upstream call, optional.

Traces are off unless something asks for them; while off, a span site costs
a function call that hands back a shared no-op. They come on through:

- **The standard `OTEL_*` variables.** When `OTEL_TRACES_EXPORTER` or
  `OTEL_EXPORTER_OTLP_ENDPOINT` (or its `_TRACES_` form) is set and the SDK is
  installed (`pip install 'headroom[otel]'`), Headroom builds a
  `TracerProvider` with a batch processor per exporter named (`otlp`, the
  default when only an endpoint is given, or `console`). The exporters read
  their own variables (endpoint, headers, protocol); `OTEL_SERVICE_NAME`
  names the service (default `headroom`); `OTEL_SDK_DISABLED=true` or
  `OTEL_TRACES_EXPORTER=none` keeps traces off. The variables are read through
  `headroom.config.otel_environment()`, once, on the first span.
- **A host application's provider.** A process that set a global
  `TracerProvider` before Headroom's first span gets the spans in it, and
  `enable(provider)` hands one over explicitly (the tests use the SDK's
  in-memory exporter this way).

The spans carry names, sizes and decisions, never prompt or tool-output text:

- `headroom.request` (server) per proxied request, with its children
  `headroom.upstream` (client: method, route, status, streaming) and the
  stages `headroom.prepare` → `headroom.align`, `headroom.compress` (one
  `headroom.compress.block` child per compressed block: kind, compressor,
  estimated tokens before and after) and `headroom.breakpoints`.

Without the `opentelemetry` package at all everything here is a no-op.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from headroom.config import otel_environment

if TYPE_CHECKING:
    from opentelemetry.trace import Span as OtelSpan
    from opentelemetry.trace import Tracer, TracerProvider

try:
    from opentelemetry import trace as otel_trace
except ImportError:  # the API is optional; without it every span is a no-op
    otel_trace = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

__all__ = [
    "NO_TRACE",
    "RequestTrace",
    "Span",
    "Trace",
    "configure",
    "disable",
    "enable",
    "enabled",
    "exporter_names",
    "instant",
    "request_trace",
    "reset",
    "span",
]

#: The instrumentation scope name spans are reported under.
SCOPE = "headroom"
DEFAULT_SERVICE = "headroom"

Attributes = Mapping[str, str | bool | int | float]


class Span(Protocol):
    """What callers do with a span: add attributes, end it."""

    def set_attribute(self, key: str, value: Any) -> None: ...

    def end(self, end_time: int | None = None) -> None: ...


class _NoSpan:
    """The span handed out while tracing is off: every call does nothing."""

    __slots__ = ()

    def set_attribute(self, key: str, value: Any) -> None:
        return None

    def end(self, end_time: int | None = None) -> None:
        return None

    def __enter__(self) -> _NoSpan:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


NO_SPAN = _NoSpan()


class _Tracing:
    """The process's tracing state: resolved once, or set by `enable`/`disable`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.resolved = False
        self.tracer: Tracer | None = None


_STATE = _Tracing()


def _tracer() -> Tracer | None:
    if not _STATE.resolved:
        configure()
    return _STATE.tracer


def enabled() -> bool:
    """Whether spans are being recorded (resolving the environment on first use)."""
    return _tracer() is not None


def enable(provider: TracerProvider) -> None:
    """Record Headroom's spans with `provider` from now on."""
    with _STATE.lock:
        _STATE.tracer = provider.get_tracer(SCOPE)
        _STATE.resolved = True


def disable() -> None:
    """Stop recording spans (until `enable` or `configure`)."""
    with _STATE.lock:
        _STATE.tracer = None
        _STATE.resolved = True


def reset() -> None:
    """Forget the current choice: the next span resolves the environment again."""
    with _STATE.lock:
        _STATE.tracer = None
        _STATE.resolved = False


def configure(env: Mapping[str, str] | None = None) -> TracerProvider | None:
    """Set tracing up from `OTEL_*` variables (default: this process's); the provider used."""
    env = otel_environment() if env is None else env
    provider = _provider_from(env) or _host_provider()
    with _STATE.lock:
        _STATE.tracer = provider.get_tracer(SCOPE) if provider is not None else None
        _STATE.resolved = True
    return provider


def _host_provider() -> TracerProvider | None:
    """A global provider a host application installed, if any."""
    if otel_trace is None:
        return None
    provider = otel_trace.get_tracer_provider()
    defaults = (otel_trace.ProxyTracerProvider, otel_trace.NoOpTracerProvider)
    return None if isinstance(provider, defaults) else provider


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def exporter_names(env: Mapping[str, str]) -> list[str]:
    """The trace exporters the variables ask for ([] when traces stay off)."""
    if _truthy(env.get("OTEL_SDK_DISABLED")):
        return []
    named = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",")]
    names = [n for n in named if n]
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if not names and endpoint:
        names = ["otlp"]
    return [n for n in names if n != "none"]


def _provider_from(env: Mapping[str, str]) -> TracerProvider | None:
    names = exporter_names(env)
    if not names:
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider as SdkProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning(
            "headroom: OTEL_* variables ask for traces, but the OpenTelemetry SDK is not "
            "installed; pip install 'headroom[otel]'"
        )
        return None
    exporters = [e for e in (_exporter(name, env) for name in names) if e is not None]
    if not exporters:
        return None
    service = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": DEFAULT_SERVICE}
    provider = SdkProvider(resource=Resource.create(service))
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


#: Exporters by `OTEL_TRACES_EXPORTER` name (and OTLP protocol): class, and its package.
_EXPORTERS = {
    "console": (
        "opentelemetry.sdk.trace.export:ConsoleSpanExporter",
        "opentelemetry-sdk",
    ),
    "otlp:http/protobuf": (
        "opentelemetry.exporter.otlp.proto.http.trace_exporter:OTLPSpanExporter",
        "opentelemetry-exporter-otlp-proto-http",
    ),
    "otlp:grpc": (
        "opentelemetry.exporter.otlp.proto.grpc.trace_exporter:OTLPSpanExporter",
        "opentelemetry-exporter-otlp-proto-grpc",
    ),
}


def _exporter(name: str, env: Mapping[str, str]) -> Any:
    """A new exporter named `name`, or None (with a warning) when it is not available."""
    key = name
    if name == "otlp":
        protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
        )
        key = f"otlp:{'grpc' if protocol.strip() == 'grpc' else 'http/protobuf'}"
    found = _EXPORTERS.get(key)
    if found is None:
        log.warning("headroom: unknown OTEL_TRACES_EXPORTER %r; use otlp or console", name)
        return None
    target, package = found
    module, _, attribute = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attribute)()
    except ImportError:
        log.warning("headroom: the %s trace exporter needs `pip install %s`", key, package)
        return None


def span(name: str, attributes: Attributes | None = None) -> Any:
    """A context manager: a child span of the current one, current while the block runs.

    The span records an exception that leaves the block. While tracing is off
    it is a shared no-op.
    """
    tracer = _tracer()
    if tracer is None:
        return NO_SPAN
    return tracer.start_as_current_span(name, attributes=attributes)


def instant(name: str, attributes: Attributes) -> None:
    """A span that starts and ends now, under the current span (a record of a decision)."""
    tracer = _tracer()
    if tracer is not None:
        tracer.start_span(name, attributes=attributes).end()


class RequestTrace:
    """The spans of one proxied request: the request itself and its upstream call.

    The request span is current inside `active()`, so the pipeline's stage
    spans (run inline or in a worker thread, which copies the context) become
    its children. Both spans outlive the handler: they end when the response
    body has been relayed (`finish`).
    """

    def __init__(self, tracer: Tracer, attributes: Attributes) -> None:
        assert otel_trace is not None
        self._tracer = tracer
        self._attributes = attributes
        kind = otel_trace.SpanKind.SERVER
        self.root: OtelSpan = tracer.start_span(
            "headroom.request", kind=kind, attributes=attributes
        )
        self.upstream: OtelSpan | None = None

    def active(self) -> _Active:
        """A context manager making the request span current; an escaping error ends it."""
        return _Active(self)

    def upstream_sent(self) -> None:
        """The request goes upstream now: its span starts, with the request's attributes."""
        assert otel_trace is not None
        context = otel_trace.set_span_in_context(self.root)
        kind = otel_trace.SpanKind.CLIENT
        self.upstream = self._tracer.start_span(
            "headroom.upstream", context=context, kind=kind, attributes=self._attributes
        )

    def upstream_answered(self, status: int, *, streaming: bool) -> None:
        for target in (self.root, self.upstream):
            if target is not None:
                target.set_attribute("http.response.status_code", status)
                target.set_attribute("headroom.streaming", streaming)
                if status >= 500:
                    _set_error(target, f"upstream answered {status}")

    def failed(self, reason: str) -> None:
        """The upstream could not be reached, or the request failed inside the proxy."""
        for target in (self.upstream, self.root):
            if target is not None:
                _set_error(target, reason)
        self.finish("failed")

    def finish(self, end: str, **attributes: int | str) -> None:
        """End both spans; `end` says how the response ended (complete, client-gone, …)."""
        if self.upstream is not None and self.upstream.is_recording():
            self.upstream.set_attribute("headroom.end", end)
            self.upstream.end()
        if self.root.is_recording():
            self.root.set_attribute("headroom.end", end)
            for key, value in attributes.items():
                self.root.set_attribute(f"headroom.{key}", value)
            self.root.end()


class _Active:
    def __init__(self, trace: RequestTrace) -> None:
        self.trace = trace
        self._inner: Any = None

    def __enter__(self) -> RequestTrace:
        assert otel_trace is not None
        self._inner = otel_trace.use_span(self.trace.root, end_on_exit=False)
        self._inner.__enter__()
        return self.trace

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)
        if exc is not None:
            self.trace.failed(f"{type(exc).__name__}: {exc}")


class _NoTrace:
    """`RequestTrace` while tracing is off."""

    __slots__ = ()

    def active(self) -> _NoSpan:
        return NO_SPAN

    def upstream_sent(self) -> None:
        return None

    def upstream_answered(self, status: int, *, streaming: bool) -> None:
        return None

    def failed(self, reason: str) -> None:
        return None

    def finish(self, end: str, **attributes: int | str) -> None:
        return None


NO_TRACE = _NoTrace()

#: A request's trace, real or the no-op.
Trace = RequestTrace | _NoTrace


def request_trace(attributes: Callable[[], Attributes]) -> RequestTrace | _NoTrace:
    """The trace of one proxied request, or the shared no-op while tracing is off.

    `attributes` is called only when tracing is on.
    """
    tracer = _tracer()
    if tracer is None:
        return NO_TRACE
    return RequestTrace(tracer, attributes())


def _set_error(target: OtelSpan, description: str) -> None:
    assert otel_trace is not None
    target.set_status(otel_trace.Status(otel_trace.StatusCode.ERROR, description))
