"""The dashboard's routes: the page, its three assets, and the JSON `/stats` lacks.

- `GET /dashboard`: the page. It carries a Content-Security-Policy that only
  allows this origin, so a page that tried to reach a CDN would break in the
  browser test instead of quietly phoning out.
- `GET /dashboard/assets/{name}`: the script and the stylesheet, from an
  allowlist (never a path taken from the URL).
- `GET /dashboard/api/sessions`: savings per session, summed over the recent
  ledger entries (the ledger keeps running counters per compressor, tool and
  model, but not per session, whose keys are unbounded).
- `GET /dashboard/api/learned`: the learner's table (retrievals per content
  signature, the budgets they earned) and the retrieval rate per tool.

Like `/stats`, every route answers loopback clients only, waits for finished
requests to be recorded, and reads the store in a worker thread. Nothing here
is cached by the browser (`Cache-Control: no-cache`), so a new build of the
page shows up on the next reload.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from headroom.learning import Learner, SignatureStats
from headroom.proxy.ledger import Ledger, LedgerEntry
from headroom.proxy.stats_routes import _flushed, _refuse_remote

__all__ = ["learned_payload", "routes", "session_rows"]

#: The files under /dashboard/assets/, with their content types.
ASSETS = {
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
PAGE = "dashboard.html"

#: Recent ledger entries the per-session table sums (at most; the ring may hold fewer).
SESSION_WINDOW = 500
#: How a request without a session key is grouped.
NO_SESSION = "(no session)"

_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _asset(name: str) -> bytes:
    return resources.files("headroom.dashboard").joinpath("assets", name).read_bytes()


async def page_endpoint(request: Request) -> Response:
    """The dashboard page."""
    refused = _refuse_remote(request)
    if refused is not None:
        return refused
    headers = {**_HEADERS, "Content-Security-Policy": _PAGE_POLICY}
    return Response(_asset(PAGE), media_type="text/html; charset=utf-8", headers=headers)


async def asset_endpoint(request: Request) -> Response:
    """One of the page's files, by name from the allowlist."""
    refused = _refuse_remote(request)
    if refused is not None:
        return refused
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None:
        message = f"no dashboard asset {name!r}; there are: {', '.join(sorted(ASSETS))}"
        return JSONResponse({"error": {"type": "not_found", "message": message}}, 404)
    return Response(_asset(name), media_type=media_type, headers=_HEADERS)


def _dollars_saved(entry: LedgerEntry) -> float:
    if entry.dollars is None or entry.dollars_without is None:
        return 0.0
    return entry.dollars_without - entry.dollars


def session_rows(entries: Iterable[LedgerEntry]) -> list[dict[str, Any]]:
    """Savings per session over `entries`, most tokens saved first.

    Dollars are summed over the entries that had a usage receipt; requests
    without a session key share one row.
    """
    rows: dict[str, dict[str, Any]] = {}
    for entry in entries:
        name = entry.session or NO_SESSION
        row = rows.setdefault(
            name,
            {"session": name, "requests": 0, "tokens_saved": 0, "spent": 0.0, "saved": 0.0},
        )
        row["requests"] += 1
        row["tokens_saved"] += entry.tokens_saved
        row["spent"] += entry.dollars or 0.0
        row["saved"] += _dollars_saved(entry)
        row["last_seen"] = max(row.get("last_seen", 0.0), entry.time)
    for row in rows.values():
        row["spent"] = round(row["spent"], 6)
        row["saved"] = round(row["saved"], 6)
    return sorted(rows.values(), key=lambda r: (-r["tokens_saved"], r["session"]))


def _sessions(ledger: Ledger, tenant: str | None) -> dict[str, Any]:
    entries = ledger.recent(tenant, last=SESSION_WINDOW)
    return {"window": len(entries), "sessions": session_rows(entries)}


async def sessions_endpoint(request: Request) -> Response:
    """Savings per session over the recent ledger entries (`?tenant=` narrows them)."""
    refused = _refuse_remote(request)
    if refused is not None:
        return refused
    state = request.app.state
    await _flushed(state)
    tenant = request.query_params.get("tenant") or None
    return JSONResponse(await run_in_threadpool(_sessions, state.ledger, tenant))


def learned_payload(table: Sequence[SignatureStats]) -> dict[str, Any]:
    """The learner's rows, and the retrieval rate per tool summed over its signatures."""
    signatures = [
        {
            "signature": row.signature,
            "compressed": row.compressed,
            "retrieved": row.retrieved,
            "retrieved_full": row.retrieved_full,
            "retrieval_rate": round(row.retrieval_rate, 4),
            "keep_factor": row.learned.keep_factor,
            "mode": "lossless-only" if row.learned.lossless_only else "compress",
        }
        for row in table
    ]
    return {"signatures": signatures, "tools": _per_tool(table)}


def _per_tool(table: Iterable[SignatureStats]) -> list[dict[str, Any]]:
    totals: dict[str, list[int]] = {}
    for row in table:
        tool = row.signature.split("|", 1)[0]
        counts = totals.setdefault(tool, [0, 0])
        counts[0] += row.compressed
        counts[1] += row.retrieved
    rows = [
        {
            "tool": tool,
            "compressed": compressed,
            "retrieved": retrieved,
            "retrieval_rate": round(retrieved / compressed, 4) if compressed else 0.0,
        }
        for tool, (compressed, retrieved) in totals.items()
    ]
    return sorted(rows, key=lambda r: (-r["retrieval_rate"], -r["compressed"], r["tool"]))


def _learned(ledger: Ledger) -> dict[str, Any]:
    # The learner's counters live in the same store as the ledger.
    return learned_payload(Learner(ledger.store).table())


async def learned_endpoint(request: Request) -> Response:
    """Retrieval rates and learned budgets, from the learner's counters in the store."""
    refused = _refuse_remote(request)
    if refused is not None:
        return refused
    state = request.app.state
    await _flushed(state)
    return JSONResponse(await run_in_threadpool(_learned, state.ledger))


def routes() -> list[BaseRoute]:
    """The dashboard's routes, for the app factory to add before the catch-all."""
    return [
        Route("/dashboard", page_endpoint, methods=["GET"]),
        Route("/dashboard/", page_endpoint, methods=["GET"]),
        Route("/dashboard/assets/{name}", asset_endpoint, methods=["GET"]),
        Route("/dashboard/api/sessions", sessions_endpoint, methods=["GET"]),
        Route("/dashboard/api/learned", learned_endpoint, methods=["GET"]),
    ]
