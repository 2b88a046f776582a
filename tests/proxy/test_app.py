"""The app around the handler: probes, admin guard, access log, no CORS."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from headroom.config import load_settings
from headroom.proxy import create_app, loopback_only
from headroom.runtime import Runtime
from headroom.store import MemoryStore, StoreError
from headroom.store.base import Item
from headroom.testing import FakeUpstream
from tests.proxy.conftest import StartProxy


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class DownStore(MemoryStore):
    """A store whose server has gone away."""

    def get(self, key: str) -> Item | None:
        raise StoreError("connection refused")


async def _admin(request: Request) -> Response:
    return JSONResponse({"secret": "stats"})


def _client(runtime: Runtime, host: str, **settings: object) -> httpx.AsyncClient:
    app = create_app(
        load_settings(store="memory", **settings),
        runtime=runtime,
        routes=[Route("/stats", loopback_only(_admin))],
    )
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://proxy")


@pytest.mark.anyio
async def test_livez_and_readyz_answer_when_the_store_does(shared_runtime: Runtime) -> None:
    async with _client(shared_runtime, "127.0.0.1") as client:
        assert (await client.get("/livez")).status_code == 200
        assert (await client.get("/readyz")).json() == {"status": "ok"}


@pytest.mark.anyio
async def test_readyz_is_503_while_the_store_is_down(shared_runtime: Runtime) -> None:
    runtime = dataclasses.replace(shared_runtime, store=DownStore())
    async with _client(runtime, "127.0.0.1") as client:
        assert (await client.get("/livez")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503


@pytest.mark.parametrize(("host", "status"), [("127.0.0.1", 200), ("::1", 200), ("10.1.2.3", 403)])
@pytest.mark.anyio
async def test_admin_routes_answer_loopback_clients_only(
    shared_runtime: Runtime, host: str, status: int
) -> None:
    async with _client(shared_runtime, host) as client:
        assert (await client.get("/stats")).status_code == status


def _cors(headers: Mapping[str, str]) -> list[str]:
    return [name for name in headers if name.lower().startswith("access-control-")]


def test_no_cors_headers_are_ever_sent(up: FakeUpstream, proxy: StartProxy) -> None:
    url = proxy()
    origin = {"origin": "https://evil.example", "access-control-request-method": "POST"}
    preflight = httpx.options(url + "/v1/messages", headers=origin)
    models = httpx.get(url + "/v1/models", headers={**origin, "x-api-key": "k"})
    assert _cors(preflight.headers) == [] and _cors(models.headers) == []


def test_the_access_log_names_method_path_and_status_but_no_secret(
    up: FakeUpstream, proxy: StartProxy, caplog: pytest.LogCaptureFixture
) -> None:
    url = proxy()
    caplog.set_level(logging.DEBUG, logger="headroom.proxy")
    body = b'{"contents":[{"role":"user","parts":[{"text":"my secret prompt"}]}]}'
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    httpx.post(
        url + path + "?key=AIza-secret-key", content=body, headers={"x-goog-api-key": "g-key"}
    )

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "headroom.proxy"]

    # The line is written once the response has gone out, in the server's thread.
    deadline = time.monotonic() + 10
    while not any(line.startswith(f"POST {path} 200 ") for line in lines()):
        assert time.monotonic() < deadline, lines()
        time.sleep(0.01)
    text = "\n".join(lines())
    for secret in ("AIza-secret-key", "g-key", "my secret prompt"):
        assert secret not in text
