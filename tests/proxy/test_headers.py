"""Which headers cross the proxy, in each direction."""

from __future__ import annotations

from headroom.proxy.headers import client_response_headers, upstream_request_headers

REQUEST = [
    (b"Host", b"127.0.0.1:8787"),
    (b"X-Api-Key", b"sk-ant"),
    (b"anthropic-beta", b"a,b"),
    (b"Connection", b"keep-alive, X-Private"),
    (b"X-Private", b"1"),
    (b"Keep-Alive", b"timeout=5"),
    (b"Transfer-Encoding", b"chunked"),
    (b"Proxy-Authorization", b"Basic x"),
    (b"Content-Length", b"12"),
    (b"Content-Encoding", b"gzip"),
    (b"Accept-Encoding", b"br"),
    (b"TE", b"trailers"),
    (b"Upgrade", b"h2c"),
]


def test_request_headers_keep_credentials_in_order_and_drop_hop_by_hop_ones() -> None:
    kept = upstream_request_headers(REQUEST, body_as_sent=True)
    names = [name.lower() for name, _ in kept]
    assert names == [b"x-api-key", b"anthropic-beta", b"content-length", b"content-encoding"]
    assert kept[0] == (b"X-Api-Key", b"sk-ant")


def test_a_changed_body_loses_its_length_and_encoding() -> None:
    kept = upstream_request_headers(REQUEST, body_as_sent=False)
    names = [name.lower() for name, _ in kept]
    assert names == [b"x-api-key", b"anthropic-beta"]


def test_response_headers_keep_retry_hints_and_drop_length_encoding_and_cors() -> None:
    response = [
        (b"retry-after", b"3"),
        (b"x-should-retry", b"true"),
        (b"request-id", b"req_1"),
        (b"content-length", b"99"),
        (b"content-encoding", b"gzip"),
        (b"access-control-allow-origin", b"*"),
        (b"transfer-encoding", b"chunked"),
    ]
    names = [name for name, _ in client_response_headers(response)]
    assert names == [b"retry-after", b"x-should-retry", b"request-id"]
