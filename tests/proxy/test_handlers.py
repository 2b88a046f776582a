"""Requests through the proxy, as the fake upstream receives them."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import httpx
import orjson
import pytest
import zstandard
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from headroom.config import load_settings
from headroom.guard import ERRORS
from headroom.pipeline import Pipeline, PipelineResult
from headroom.providers.breakpoints import strip_cache_control
from headroom.runtime import Runtime, build_runtime
from headroom.testing import FakeUpstream, Reply
from headroom.types import Conversation
from tests.proxy import bodies
from tests.proxy.conftest import Served, StartProxy, big_log, closed_port_url

ANTHROPIC_HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}


def post(
    url: str, path: str, content: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    all_headers = {"content-type": "application/json", **(headers or {})}
    return httpx.post(url + path, content=content, headers=all_headers, timeout=30)


def test_a_request_the_pipeline_does_not_change_is_forwarded_as_its_original_bytes(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    # Odd spacing, escapes and key order: any re-serialization would show.
    sent = (
        b'{ "messages" : [ {"role":"user", "content":"caf\\u00e9 \\/ 1.0e0?"} ],\n'
        b'  "model":"claude-sonnet-4-6", "max_tokens": 10, "temperature": 1.0 }'
    )
    response = post(proxy(), "/v1/messages", sent, ANTHROPIC_HEADERS)
    assert response.status_code == 200
    assert up.requests[0].body == sent


@pytest.mark.parametrize(("wire", "path", "build"), bodies.WIRES, ids=[w[0] for w in bodies.WIRES])
def test_a_big_tool_output_is_compressed_before_it_reaches_the_upstream(
    up: FakeUpstream,
    proxy: StartProxy,
    wire: str,
    path: str,
    build: Callable[[str], dict[str, Any]],
) -> None:
    sent = orjson.dumps(build(big_log()))
    response = post(proxy(), path, sent, {"authorization": "Bearer sk-test"})
    assert response.status_code == 200
    forwarded = up.requests[0].body
    assert len(forwarded) < len(sent) / 4
    assert b"headroom_retrieve id=hr_" in forwarded
    assert "content-encoding" not in up.requests[0].headers


def test_credentials_and_betas_pass_through_and_hop_by_hop_headers_do_not(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    headers = {
        **ANTHROPIC_HEADERS,
        "authorization": "Bearer oauth-token",
        "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
        "x-claude-code-session-id": "sess-1",
        "keep-alive": "timeout=5",
        "proxy-authorization": "Basic c2VjcmV0",
        "x-drop-me": "1",
        "connection": "keep-alive, x-drop-me",
        "te": "trailers",
    }
    post(proxy(), "/v1/messages", orjson.dumps(bodies.anthropic("short")), headers)
    received = up.requests[0].headers
    for name in ("x-api-key", "authorization", "anthropic-version", "anthropic-beta"):
        assert received.getlist(name) == [headers[name]]
    assert received["x-claude-code-session-id"] == "sess-1"
    for name in ("keep-alive", "proxy-authorization", "x-drop-me", "te"):
        assert name not in received
    assert received["host"] == up.url.removeprefix("http://")


def test_openai_and_gemini_credentials_pass_through(up: FakeUpstream, proxy: StartProxy) -> None:
    url = proxy()
    openai_headers = {
        "authorization": "Bearer sk-proj",
        "openai-organization": "org-1",
        "openai-project": "proj-1",
    }
    post(url, "/v1/chat/completions", orjson.dumps(bodies.openai_chat("x")), openai_headers)
    post(url, bodies.GEMINI_PATH, orjson.dumps(bodies.gemini("x")), {"x-goog-api-key": "AIza"})
    for name, value in openai_headers.items():
        assert up.requests[0].headers[name] == value
    assert up.requests[1].headers["x-goog-api-key"] == "AIza"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("zstd", zstandard.ZstdCompressor().compress)],
)
def test_compressed_request_bodies_are_decoded_and_forwarded_without_content_encoding(
    up: FakeUpstream, proxy: StartProxy, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    url = proxy()
    small = orjson.dumps(bodies.anthropic("short"))
    big = orjson.dumps(bodies.anthropic(big_log()))
    for body in (small, big):
        headers = {**ANTHROPIC_HEADERS, "content-encoding": encoding}
        assert post(url, "/v1/messages", encode(body), headers).status_code == 200
    unchanged, compressed = up.requests
    assert unchanged.body == small
    assert b"headroom_retrieve id=hr_" in compressed.body
    assert "content-encoding" not in unchanged.headers
    assert "content-encoding" not in compressed.headers


def test_a_body_in_an_unknown_encoding_is_forwarded_as_it_came(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    headers = {**ANTHROPIC_HEADERS, "content-encoding": "br"}
    post(proxy(), "/v1/messages", b"\x8b\x00opaque", headers)
    assert up.requests[0].body == b"\x8b\x00opaque"
    assert up.requests[0].headers["content-encoding"] == "br"


def test_malformed_json_is_forwarded_untouched(up: FakeUpstream, proxy: StartProxy) -> None:
    sent = b'{"model": "claude-sonnet-4-6", "messages": [ oops'
    response = post(proxy(), "/v1/messages", sent, ANTHROPIC_HEADERS)
    assert up.requests[0].body == sent
    assert response.status_code == 400  # the upstream's verdict, relayed


def test_an_unknown_body_shape_is_forwarded_untouched(up: FakeUpstream, proxy: StartProxy) -> None:
    sent = b'{"model":"gpt-4.1","messages":"not a list"}'
    post(proxy(), "/v1/chat/completions", sent)
    assert up.requests[0].body == sent


def test_a_body_over_the_size_limit_is_forwarded_uncompressed(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    sent = orjson.dumps(bodies.anthropic(big_log()))
    post(proxy(max_body_bytes=len(sent) - 1), "/v1/messages", sent, ANTHROPIC_HEADERS)
    assert up.requests[0].body == sent


def test_a_gzip_body_too_large_once_decoded_is_forwarded_as_it_came(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    raw = orjson.dumps(bodies.anthropic(big_log()))
    sent = gzip.compress(raw)
    headers = {**ANTHROPIC_HEADERS, "content-encoding": "gzip"}
    post(proxy(max_body_bytes=len(raw) - 1), "/v1/messages", sent, headers)
    assert up.requests[0].body == sent
    assert up.requests[0].headers["content-encoding"] == "gzip"


class _FailingRuntime(Runtime):
    """A runtime whose pipeline blows up: stands in for any bug in compression."""

    def pipeline(self, **options: Any) -> Pipeline:
        raise RuntimeError("a bug in the pipeline")


class _SlowRuntime(Runtime):
    """A runtime whose compression takes far longer than the proxy's budget."""

    def pipeline(self, **options: Any) -> Pipeline:
        pipeline = Runtime.pipeline(self, **options)
        if not options.get("frozen_only"):
            run = pipeline.run

            def slow(conversation: Conversation) -> PipelineResult:
                time.sleep(0.5)
                return run(conversation)

            pipeline.run = slow  # type: ignore[method-assign]
        return pipeline


def _failing_runtime(home: str) -> Runtime:
    return _FailingRuntime(**_runtime_fields(home))


def _runtime_fields(home: str) -> dict[str, Any]:
    settings = load_settings(store="memory", raise_errors=False, home=home)
    runtime = build_runtime(settings)
    return {f.name: getattr(runtime, f.name) for f in fields(Runtime)}


def test_a_pipeline_error_fails_open_and_is_counted(
    up: FakeUpstream, proxy: StartProxy, runtime_home: str
) -> None:
    before = ERRORS.get("proxy:pipeline")
    url = proxy(runtime=_failing_runtime(runtime_home), raise_errors=False)
    sent = orjson.dumps(bodies.anthropic(big_log()))
    response = post(url, "/v1/messages", sent, ANTHROPIC_HEADERS)
    assert response.status_code == 200
    assert up.requests[0].body == sent
    assert ERRORS.get("proxy:pipeline") == before + 1


def test_a_pipeline_past_its_time_budget_forwards_the_original_content(
    up: FakeUpstream, proxy: StartProxy, runtime_home: str
) -> None:
    """Nothing new is compressed past the budget (only cache breakpoints may be added)."""
    before = ERRORS.get("proxy:budget")
    body = bodies.anthropic(big_log())
    url = proxy(runtime=_SlowRuntime(**_runtime_fields(runtime_home)), pipeline_budget_ms=50)
    response = post(url, "/v1/messages", orjson.dumps(body), ANTHROPIC_HEADERS)
    assert response.status_code == 200
    assert strip_cache_control(orjson.loads(up.requests[0].body)) == body
    assert ERRORS.get("proxy:budget") == before + 1


@pytest.mark.parametrize("status", [429, 529])
def test_upstream_errors_reach_the_client_with_their_status_body_and_retry_headers(
    up: FakeUpstream, proxy: StartProxy, status: int
) -> None:
    retry = {"retry-after": "7", "retry-after-ms": "7000", "x-should-retry": "true"}
    up.script(Reply.error(status, "slow down", headers=retry))
    response = post(proxy(), "/v1/messages", orjson.dumps(bodies.anthropic("x")), ANTHROPIC_HEADERS)
    assert response.status_code == status
    assert response.json()["error"]["message"] == "slow down"
    for name, value in retry.items():
        assert response.headers[name] == value


@pytest.mark.parametrize(
    ("path", "headers", "error_of"),
    [
        ("/v1/messages", ANTHROPIC_HEADERS, lambda body: body["error"]["message"]),
        (
            "/v1/chat/completions",
            {"authorization": "Bearer k"},
            lambda body: body["error"]["message"],
        ),
        (bodies.GEMINI_PATH, {"x-goog-api-key": "k"}, lambda body: body["error"]["message"]),
    ],
)
def test_an_unreachable_upstream_gives_a_502_in_the_providers_format(
    proxy: StartProxy,
    path: str,
    headers: dict[str, str],
    error_of: Callable[[Any], str],
) -> None:
    url = proxy(upstream=closed_port_url())
    response = post(url, path, b"{}", headers)
    assert response.status_code == 502
    assert "could not reach" in error_of(response.json())
    if path == "/v1/messages":
        assert response.json()["type"] == "error"


def test_unknown_routes_are_forwarded_untouched(up: FakeUpstream, proxy: StartProxy) -> None:
    url = proxy()
    models = httpx.get(f"{url}/v1/models?limit=5", headers=ANTHROPIC_HEADERS)
    assert models.status_code == 200
    assert models.json()["data"]
    httpx.request("DELETE", f"{url}/v1/files/file_1", headers={"authorization": "Bearer k"})
    listing, deleted = up.requests
    assert (listing.method, listing.path, listing.query) == ("GET", "/v1/models", "limit=5")
    assert listing.headers["x-api-key"] == "sk-ant-test"
    assert (deleted.method, deleted.path) == ("DELETE", "/v1/files/file_1")


def test_the_beta_query_is_kept_and_the_body_compressed(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    sent = orjson.dumps(bodies.anthropic(big_log()))
    post(proxy(), "/v1/messages?beta=true", sent, ANTHROPIC_HEADERS)
    assert up.requests[0].query == "beta=true"
    assert b"headroom_retrieve id=hr_" in up.requests[0].body


def test_count_tokens_is_answered_upstream_for_the_compressed_body(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    body = bodies.anthropic(big_log())
    del body["max_tokens"]
    sent = orjson.dumps(body)
    response = post(proxy(), "/v1/messages/count_tokens", sent, ANTHROPIC_HEADERS)
    direct = post(up.url, "/v1/messages/count_tokens", sent, ANTHROPIC_HEADERS)
    assert up.requests[0].path == "/v1/messages/count_tokens"
    assert b"headroom_retrieve id=hr_" in up.requests[0].body
    assert response.json()["input_tokens"] < direct.json()["input_tokens"]


def test_a_cookie_one_caller_got_never_reaches_the_upstream_for_another(
    proxy: StartProxy,
) -> None:
    async def upstream(request: Request) -> Response:
        response = PlainTextResponse(request.headers.get("cookie", "no cookie"))
        response.set_cookie("session", "caller-one", domain="127.0.0.1")
        return response

    app = Starlette(routes=[Route("/v1/models", upstream)])
    with Served(app) as fake:
        url = proxy(upstream=fake.url)
        first = httpx.get(url + "/v1/models", headers={"authorization": "Bearer one"})
        second = httpx.get(url + "/v1/models", headers={"authorization": "Bearer two"})
    assert first.headers["set-cookie"].startswith("session=caller-one")
    assert second.text == "no cookie"


def test_an_upload_on_an_unknown_route_is_streamed_on_byte_for_byte(
    up: FakeUpstream, proxy: StartProxy
) -> None:
    upload = bytes(range(256)) * 4096  # 1 MiB, not JSON, not UTF-8
    headers = {"authorization": "Bearer k", "content-type": "application/octet-stream"}
    httpx.post(proxy() + "/v1/files", content=upload, headers=headers)
    received = up.requests[0]
    assert received.body == upload
    assert received.headers["content-length"] == str(len(upload))
