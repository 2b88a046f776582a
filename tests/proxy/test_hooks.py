"""The hook points where the retrieve loop and the ledger plug into a request."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import httpx
import orjson

from headroom.proxy import Exchange, ProxyHooks
from headroom.proxy.compression import Outcome
from headroom.proxy.hooks import End
from headroom.testing import FakeUpstream, Reply
from headroom.types import JSONObject
from tests.proxy import bodies
from tests.proxy.conftest import StartProxy, big_log, closed_port_url

HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
TOOL = {"name": "extra_tool", "input_schema": {"type": "object"}}


class Recorder(ProxyHooks):
    """Adds a tool, counts relayed bytes, and keeps every finished exchange."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.relayed = 0
        self.done = threading.Event()

    def prepare(self, exchange: Exchange, body: JSONObject) -> JSONObject:
        return {**body, "tools": [*body.get("tools", []), TOOL]}

    async def _count(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            self.relayed += len(chunk)
            yield chunk

    def relay(self, exchange: Exchange, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        return self._count(chunks)

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        self.done.set()


def test_hooks_see_a_model_request_from_prepare_to_record(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    hooks = Recorder()
    url = proxy(hooks=[hooks])
    sent = orjson.dumps(bodies.anthropic(big_log(), stream=True))
    response = httpx.post(url + "/v1/messages?beta=true", content=sent, headers=HEADERS)
    assert hooks.done.wait(10)
    assert up.requests[0].json()["tools"] == [TOOL]
    assert hooks.relayed == len(response.content)
    exchange = hooks.exchanges[0]
    assert exchange.compression is not None
    assert exchange.compression.outcome is Outcome.COMPRESSED
    assert exchange.compression.result is not None and exchange.compression.result.changed
    assert (exchange.status, exchange.end, exchange.streaming) == (200, End.COMPLETE, True)
    assert exchange.model == "claude-sonnet-4-6"
    assert exchange.body is not None and exchange.body["tools"] == [TOOL]
    assert exchange.proxy_ms > 0


def test_a_body_no_hook_or_compression_changed_keeps_its_bytes_with_hooks_installed(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    class Idle(ProxyHooks):
        pass

    sent = b'{"model":"claude-sonnet-4-6",  "max_tokens":5,"messages":[]}'
    httpx.post(proxy(hooks=[Idle()]) + "/v1/messages", content=sent, headers=HEADERS)
    assert up.requests[0].body == sent


def test_passthrough_routes_bypass_the_hooks(up: FakeUpstream, proxy: StartProxy) -> None:
    hooks = Recorder()
    url = proxy(hooks=[hooks])
    assert httpx.get(url + "/v1/models", headers=HEADERS).status_code == 200
    assert httpx.post(url + "/v1/messages", content=b"{}", headers=HEADERS)
    assert hooks.done.wait(10)
    assert [e.path for e in hooks.exchanges] == ["/v1/messages"]


def test_record_learns_when_the_client_left_mid_stream(up: FakeUpstream, proxy: StartProxy) -> None:
    hooks = Recorder()
    url = proxy(hooks=[hooks])
    up.script(Reply.slow(Reply.text("a b c d e f g h i j k l m n o p"), delay=0.2))
    sent = orjson.dumps(bodies.anthropic("x", stream=True))
    with httpx.stream("POST", url + "/v1/messages", content=sent, headers=HEADERS) as response:
        next(response.iter_bytes())
    assert hooks.done.wait(10)
    assert hooks.exchanges[0].end is End.CLIENT_GONE


def test_an_unreachable_upstream_is_recorded_too(proxy: StartProxy) -> None:
    hooks = Recorder()
    url = proxy(hooks=[hooks], upstream=closed_port_url())
    response = httpx.post(url + "/v1/messages", content=b"{}", headers=HEADERS)
    assert response.status_code == 502
    assert hooks.done.wait(10)
    assert (hooks.exchanges[0].status, hooks.exchanges[0].end) == (502, End.UNREACHABLE)


class Continuer(ProxyHooks):
    """Swallows the first answer and relays a second call's, as the retrieve loop does."""

    CONTINUATION = (
        b'{"model":"claude-sonnet-4-6","max_tokens":5,'
        b'"messages":[{"role":"user","content":"go on"}]}'
    )

    def relay(self, exchange: Exchange, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        return self._continue(exchange, chunks)

    async def _continue(
        self, exchange: Exchange, chunks: AsyncIterator[bytes]
    ) -> AsyncIterator[bytes]:
        async for _ in chunks:
            pass
        assert exchange.resend is not None
        response = await exchange.resend(self.CONTINUATION)
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        finally:
            await response.aclose()


def test_a_relay_hook_can_continue_upstream_with_a_new_body(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    up.script(Reply.text("first"), Reply.text("second"))
    sent = b'{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[]}'
    response = httpx.post(
        proxy(hooks=[Continuer()]) + "/v1/messages", content=sent, headers=HEADERS
    )
    assert response.json()["content"][0]["text"] == "second"
    first, second = up.requests
    assert first.body == sent
    assert second.body == Continuer.CONTINUATION
    assert second.headers["x-api-key"] == HEADERS["x-api-key"]
