"""The proxy as `headroom proxy` runs it: retrieve loop, ledger, /stats, /metrics.

`create_app` builds a bare proxy with whatever hooks and admin routes it is
given; `default_app` is the one people run, with everything plugged in:

- `RetrieveHook` first, then `LedgerHook`. The first hook sees the upstream's
  bytes first, so the retrieve loop reads the model's turns as the upstream
  sent them (and runs the continuations), and the ledger reads what the client
  gets: one response whose usage the loop has already summed over every round.
  The other way round, the ledger would see only the first round's usage.
- A `Ledger` in the runtime's store (`app.state.ledger`) and a `Metrics`
  registry of its own (`app.state.metrics`), read by `/stats` and `/metrics`
  (loopback clients only).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from headroom.config import Settings
from headroom.dashboard import routes as dashboard
from headroom.proxy.app import create_app
from headroom.proxy.hooks import ProxyHooks
from headroom.proxy.ledger import Ledger
from headroom.proxy.ledger_hook import LedgerHook
from headroom.proxy.metrics import Metrics
from headroom.proxy.retrieve_hook import RetrieveHook
from headroom.proxy.routes import Upstreams
from headroom.proxy.stats_routes import routes as stats_routes
from headroom.runtime import Runtime, build_runtime


def default_hooks(
    settings: Settings, runtime: Runtime, ledger: Ledger, metrics: Metrics
) -> list[ProxyHooks]:
    """The retrieve loop, then the ledger (see the module doc for why this order)."""
    raise_errors = settings.raise_errors
    return [
        RetrieveHook(runtime, rounds=settings.retrieve_rounds, raise_errors=raise_errors),
        LedgerHook(ledger, metrics, raise_errors=raise_errors),
    ]


def default_app(
    settings: Settings, *, runtime: Runtime | None = None, upstreams: Upstreams | None = None
) -> Starlette:
    """The proxy with the retrieve loop, the usage ledger, `/stats` and `/metrics`.

    `runtime` defaults to one built from `settings`, whose store is closed
    with the app.
    """
    owned = runtime is None
    runtime = build_runtime(settings) if runtime is None else runtime
    ledger, metrics = Ledger(runtime.store), Metrics()
    app = create_app(
        settings,
        runtime=runtime,
        upstreams=upstreams,
        hooks=default_hooks(settings, runtime, ledger, metrics),
        routes=[*stats_routes(), *dashboard.routes()],
    )
    app.state.ledger = ledger
    app.state.metrics = metrics
    if owned:
        _close_store_with(app, runtime)
    return app


def _close_store_with(app: Starlette, runtime: Runtime) -> None:
    """Close the runtime's store after the app's own lifespan ends."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with inner(app):
                yield
        finally:
            runtime.store.close()

    app.router.lifespan_context = lifespan
