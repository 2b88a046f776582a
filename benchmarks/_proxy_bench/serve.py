"""The benchmark's servers, each run in its own process.

    python serve.py upstream PORT              # the fake upstream, scriptable over HTTP
    python serve.py passthrough PORT UPSTREAM  # the bare httpx pass-through proxy

Separate processes, like the real proxy (`headroom proxy`), so no server
shares a GIL or an event loop with another or with the load generator, and
what is timed is what a deployment would see. All of them are served by
uvicorn with the proxy's own settings (uvloop and httptools when installed,
no access log).

The fake upstream is `headroom.testing`'s app, plus three control routes
under `/_bench/` (the benchmark's own; nothing else uses them): queue scripted
text replies, read back the last request body it received, and forget what
it recorded.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from headroom.testing import Reply
from headroom.testing.app import Script, build_app, hide_deliberate_disconnects

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


def upstream_app() -> Starlette:
    """The fake upstream with its `/_bench/` control routes."""
    script = Script()
    hide_deliberate_disconnects()

    async def queue(request: Request) -> Response:
        spec = orjson.loads(await request.body())
        delay = float(spec.get("delay", 0.0))
        replies = [Reply.text(text) for text in spec["texts"]]
        script.add([Reply.slow(r, delay=delay) if delay else r for r in replies])
        return JSONResponse({"queued": len(replies)})

    async def last(request: Request) -> Response:
        recorded = script.requests()
        body = recorded[-1].content() if recorded else b""
        return Response(body, media_type="application/json")

    async def clear(request: Request) -> Response:
        script.clear()
        return JSONResponse({"cleared": True})

    routes = [
        Route("/_bench/script", queue, methods=["POST"]),
        Route("/_bench/last", last, methods=["GET"]),
        Route("/_bench/clear", clear, methods=["POST"]),
        Mount("", app=build_app(script)),
    ]
    return Starlette(routes=routes)


def passthrough_app(upstream: str) -> Starlette:
    """The bare pass-through the proxy's throughput is compared with.

    It does the least any proxy must: read the body, forward it with the
    client's headers on one pooled client, and stream the answer back.
    """
    client = httpx.AsyncClient(base_url=upstream, timeout=60.0)

    async def forward(request: Request) -> Response:
        headers = [(k, v) for k, v in request.headers.items() if k not in _HOP_BY_HOP]
        sent = client.build_request(
            request.method,
            request.url.path,
            params=request.url.query,
            headers=headers,
            content=await request.body(),
        )
        answer = await client.send(sent, stream=True)
        back = {k: v for k, v in answer.headers.items() if k not in _HOP_BY_HOP}
        return StreamingResponse(
            answer.aiter_raw(), answer.status_code, back, background=BackgroundTask(answer.aclose)
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)


def run(app: ASGIApp, port: int) -> None:
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="auto",
        http="auto",
        access_log=False,
        server_header=False,
        date_header=False,
        log_level="warning",
    )


def main(argv: list[str]) -> None:
    kind, port = argv[0], int(argv[1])
    app = upstream_app() if kind == "upstream" else passthrough_app(argv[2])
    run(app, port)


if __name__ == "__main__":
    main(sys.argv[1:])
