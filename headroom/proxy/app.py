"""The proxy app: `create_app(settings)` builds the Starlette application.

Routes, in order: `/livez` and `/readyz` (probes), then any admin routes the
caller adds (`/stats`, `/metrics`: wrap them in `loopback_only`), then one
catch-all endpoint that forwards every provider request (`handlers`). The
middleware stack is explicit and short: an access log that records method,
path, status and time, never a query string, header or body, since those
carry API keys and prompts. No CORS middleware: the proxy serves local
programs, not web pages.

The pooled upstream client lives as long as the app (its lifespan); the
runtime (store, compressors) is built here unless one is passed in.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headroom.config import Settings
from headroom.guard import guarded
from headroom.proxy.forward import new_client
from headroom.proxy.handlers import ProxyEndpoint, ProxyState
from headroom.proxy.hooks import Hooks, ProxyHooks
from headroom.proxy.recorder import Recorder
from headroom.proxy.routes import Upstreams
from headroom.runtime import Runtime, build_runtime

log = logging.getLogger("headroom.proxy")

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
#: How long /readyz waits for the store before saying it is not ready.
READY_TIMEOUT_S = 2.0
_READY_KEY = "proxy.readyz"

Endpoint = Callable[[Request], Awaitable[Response]]


def upstreams_from(settings: Settings) -> Upstreams:
    return Upstreams(
        anthropic=settings.upstream_anthropic,
        openai=settings.upstream_openai,
        gemini=settings.upstream_gemini,
    )


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    upstreams: Upstreams | None = None,
    hooks: Sequence[ProxyHooks] = (),
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The proxy as an ASGI app.

    `runtime` defaults to one built from `settings` (its store is closed with
    the app); `upstreams` to the settings' upstream URLs. `hooks` plug the
    retrieve loop and the ledger into every model request; `routes` are added
    before the catch-all (admin routes: wrap their endpoints in
    `loopback_only`).
    """
    owned = runtime is None
    runtime = build_runtime(settings) if runtime is None else runtime
    chain = Hooks(hooks, raise_errors=settings.raise_errors)
    state = ProxyState(
        settings=settings,
        runtime=runtime,
        upstreams=upstreams or upstreams_from(settings),
        hooks=chain,
        recorder=Recorder(chain),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state._client = new_client()
        try:
            yield
        finally:
            await state.aclose()
            if owned:
                runtime.store.close()

    all_routes: list[BaseRoute] = [
        Route("/livez", livez, methods=["GET"]),
        Route("/readyz", functools.partial(readyz, runtime), methods=["GET"]),
        *routes,
        Route("/{path:path}", ProxyEndpoint(state), methods=METHODS),
    ]
    app = Starlette(routes=all_routes, middleware=[Middleware(AccessLog)], lifespan=lifespan)
    app.state.proxy = state
    app.state.recorder = state.recorder
    return app


async def livez(request: Request) -> Response:
    """Always 200 while the process serves requests."""
    return JSONResponse({"status": "ok"})


async def readyz(runtime: Runtime, request: Request) -> Response:
    """200 when the store answers, 503 when it fails or does not answer in time."""
    probe = functools.partial(_probe_store, runtime)
    ready = False
    with anyio.move_on_after(READY_TIMEOUT_S):
        ready = await anyio.to_thread.run_sync(probe, abandon_on_cancel=True)
    if ready:
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable", "reason": "the store does not answer"}, 503)


def _probe_store(runtime: Runtime) -> bool:
    def probe() -> bool:
        runtime.store.get(_READY_KEY)
        return True

    # Readiness must answer, so store errors are never re-raised here.
    return guarded("proxy:readyz", probe, False, raise_errors=False)


def is_loopback_client(request: Request) -> bool:
    """True when the request comes from this machine."""
    host = request.client.host if request.client is not None else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_only(endpoint: Endpoint) -> Endpoint:
    """Wrap an admin endpoint so that only this machine may call it (403 otherwise)."""

    @functools.wraps(endpoint)
    async def guarded_endpoint(request: Request) -> Response:
        if not is_loopback_client(request):
            return JSONResponse({"error": "admin endpoints answer loopback clients only"}, 403)
        return await endpoint(request)

    return guarded_endpoint


class AccessLog:
    """Logs one line per request: method, path, status, milliseconds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            ms = (time.perf_counter() - started) * 1000
            log.debug("%s %s %d %.1fms", scope["method"], scope["path"], status, ms)
