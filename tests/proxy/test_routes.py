"""Which upstream a request goes to, and which requests are compressed."""

from __future__ import annotations

import pytest

from headroom.proxy.routes import Kind, Provider, Route, Upstreams, classify


@pytest.mark.parametrize(
    ("method", "path", "headers", "expected"),
    [
        ("POST", "/v1/messages", {}, Route(Provider.ANTHROPIC, Kind.MODEL, "anthropic")),
        (
            "POST",
            "/v1/messages/count_tokens",
            {},
            Route(Provider.ANTHROPIC, Kind.COUNT_TOKENS, "anthropic"),
        ),
        ("POST", "/v1/chat/completions", {}, Route(Provider.OPENAI, Kind.MODEL, "openai-chat")),
        ("POST", "/v1/responses", {}, Route(Provider.OPENAI, Kind.MODEL, "openai-responses")),
        (
            "POST",
            "/v1beta/models/gemini-2.5-pro:generateContent",
            {},
            Route(Provider.GEMINI, Kind.MODEL, "gemini"),
        ),
        (
            "POST",
            "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
            {},
            Route(Provider.GEMINI, Kind.MODEL, "gemini", streams=True),
        ),
        ("GET", "/v1/messages", {}, Route(Provider.ANTHROPIC, Kind.PASSTHROUGH)),
        ("GET", "/v1/models", {"x-api-key": "k"}, Route(Provider.ANTHROPIC, Kind.PASSTHROUGH)),
        (
            "GET",
            "/v1/models",
            {"authorization": "Bearer t", "anthropic-version": "2023-06-01"},
            Route(Provider.ANTHROPIC, Kind.PASSTHROUGH),
        ),
        (
            "GET",
            "/v1/models",
            {"authorization": "Bearer k"},
            Route(Provider.OPENAI, Kind.PASSTHROUGH),
        ),
        ("POST", "/v1/messages/batches", {}, Route(Provider.ANTHROPIC, Kind.PASSTHROUGH)),
        ("POST", "/v1/files", {}, Route(Provider.OPENAI, Kind.PASSTHROUGH)),
        ("GET", "/v1beta/models", {}, Route(Provider.GEMINI, Kind.PASSTHROUGH)),
        (
            "POST",
            "/v1beta/models/gemini-2.5-pro:countTokens",
            {},
            Route(Provider.GEMINI, Kind.PASSTHROUGH),
        ),
    ],
)
def test_requests_are_routed_by_method_path_and_credential_headers(
    method: str, path: str, headers: dict[str, str], expected: Route
) -> None:
    assert classify(method, path, headers) == expected


def test_upstream_bases_lose_a_trailing_slash() -> None:
    assert Upstreams(openai="http://127.0.0.1:9/").base(Provider.OPENAI) == "http://127.0.0.1:9"
