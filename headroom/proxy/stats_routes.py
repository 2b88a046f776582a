"""`/stats` (JSON) and `/metrics` (Prometheus), for loopback clients only.

The app factory mounts `routes()` and sets two things on `app.state` before
serving:

- `app.state.ledger`: the `Ledger` the proxy records into;
- `app.state.metrics`: the `Metrics` it observes into.

Both endpoints are admin endpoints: they show per-tenant usage and session
keys, so a client that is not on the loopback interface gets a 403, even when
the proxy was bound to a wider address. Behind a reverse proxy every client
looks local; uvicorn's forwarded-header handling (on by default for proxies
on 127.0.0.1) puts the real client address back.

Reading the ledger is blocking store I/O, so it runs in a worker thread.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from headroom.ccr import CCR
from headroom.proxy.ledger import Ledger
from headroom.proxy.metrics import Metrics

__all__ = ["is_loopback", "metrics_endpoint", "routes", "stats_endpoint"]

MAX_RECENT = 100


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 (also IPv4-mapped) and "localhost"."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _refuse_remote(request: Request) -> Response | None:
    """A 403 for a client off the loopback interface, else None."""
    host = request.client.host if request.client else None
    if is_loopback(host):
        return None
    message = (
        f"{request.url.path} is served to loopback clients only "
        f"(this client: {host or 'unknown'}); query it from the machine the proxy runs on"
    )
    return JSONResponse({"error": {"type": "forbidden", "message": message}}, status_code=403)


def _last(request: Request) -> int:
    raw = request.query_params.get("last", "20")
    return max(0, min(MAX_RECENT, int(raw))) if raw.isdigit() else 20


def _stats(ledger: Ledger, metrics: Metrics, tenant: str | None, last: int) -> dict[str, object]:
    summary = ledger.summary(tenant, last=last)
    summary["errors"] = metrics.errors.snapshot()
    summary["store"] = ledger.store.counters("ccr.")
    return summary


async def stats_endpoint(request: Request) -> Response:
    """The ledger summary, fail-open error counts and CCR store counters.

    `?tenant=t_…` narrows the totals and recent entries to one tenant hash;
    `?last=N` (at most 100) sets how many recent entries come back.
    """
    refused = _refuse_remote(request)
    if refused is not None:
        return refused
    state = request.app.state
    await _flushed(state)
    tenant = request.query_params.get("tenant") or None
    payload = await run_in_threadpool(_stats, state.ledger, state.metrics, tenant, _last(request))
    return JSONResponse(payload)


async def _flushed(state: Any) -> None:
    """Wait for requests that already finished to be recorded (see proxy.recorder)."""
    recorder = getattr(state, "recorder", None)
    if recorder is not None:
        await run_in_threadpool(recorder.flush)


async def metrics_endpoint(request: Request) -> Response:
    """The Prometheus exposition of `app.state.metrics`."""
    refused = _refuse_remote(request)
    if refused is not None:
        return refused
    await _flushed(request.app.state)
    metrics: Metrics = request.app.state.metrics
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


async def request_endpoint(request: Request) -> Response:
    """One request's ledger entry with its decision log: `GET /v1/requests/{id}`.

    With `?originals=1`, each changed block also carries its original from the
    store (`original`: null when it has expired), for a side-by-side view.
    """
    refused = _refuse_remote(request)
    if refused is not None:
        return refused
    raw = request.path_params["id"]
    if not raw.isdigit():
        return _not_found(f"request ids are whole numbers, got {raw!r}")
    state = request.app.state
    await _flushed(state)
    originals = request.query_params.get("originals") in {"1", "true", "yes"}
    payload = await run_in_threadpool(_request_payload, state.ledger, int(raw), originals)
    if payload is None:
        return _not_found(f"no request {raw} in the ledger (it keeps the most recent ones)")
    return JSONResponse(payload)


def _request_payload(ledger: Ledger, seq: int, originals: bool) -> dict[str, Any] | None:
    entry = ledger.entry(seq)
    if entry is None:
        return None
    payload = entry.to_json()
    if originals:
        ccr = CCR(ledger.store)
        for decision in payload["decisions"]:
            ccr_id = decision.get("ccr_id")
            original = ccr.get(ccr_id) if ccr_id else None
            decision["original"] = original.text if original is not None else None
    return payload


def _not_found(message: str) -> Response:
    return JSONResponse({"error": {"type": "not_found", "message": message}}, status_code=404)


def routes() -> list[BaseRoute]:
    """The admin routes, for the app factory to include."""
    return [
        Route("/stats", stats_endpoint, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/v1/requests/{id}", request_endpoint, methods=["GET"]),
    ]
