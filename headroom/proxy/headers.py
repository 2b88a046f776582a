"""Which headers cross the proxy, in each direction.

Everything the client sent goes upstream as it came, credentials and betas
included (`x-api-key`, `authorization`, `anthropic-version`, `anthropic-beta`,
`openai-organization`, `openai-project`, `x-goog-api-key`): the proxy never
adds, drops or edits them. What does not cross is what belongs to one
connection rather than to the request (RFC 9110 §7.6.1's hop-by-hop headers,
and any header the `connection` header names), plus what the proxy recomputes:
`host`; `content-length` and `content-encoding` when the body changed (decoded
or compressed); and `accept-encoding`, so that the upstream only picks
encodings the upstream client can decode (the proxy hands the client decoded
bytes).
"""

from __future__ import annotations

from collections.abc import Iterable

RawHeaders = list[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
    }
)
_RECOMPUTED_REQUEST = frozenset({b"host", b"accept-encoding"})
_BODY_HEADERS = frozenset({b"content-length", b"content-encoding"})
_RECOMPUTED_RESPONSE = frozenset({b"content-length", b"content-encoding"})


def _named_by_connection(headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    names: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            names.update(part.strip().lower() for part in value.split(b","))
    return frozenset(names)


def _keep(
    headers: Iterable[tuple[bytes, bytes]],
    drop: frozenset[bytes],
    prefixes: tuple[bytes, ...] = (b"proxy-",),
) -> RawHeaders:
    pairs = list(headers)
    dropped = HOP_BY_HOP | drop | _named_by_connection(pairs)
    return [
        (name, value)
        for name, value in pairs
        if name.lower() not in dropped and not name.lower().startswith(prefixes)
    ]


def upstream_request_headers(
    headers: Iterable[tuple[bytes, bytes]], *, body_as_sent: bool
) -> RawHeaders:
    """The client's headers as they go upstream.

    `body_as_sent`: the body goes on byte for byte as the client sent it, so
    its `content-length` and `content-encoding` still hold; otherwise both are
    dropped (the body went out decoded, and its new length is set afresh).
    """
    drop = _RECOMPUTED_REQUEST if body_as_sent else _RECOMPUTED_REQUEST | _BODY_HEADERS
    return _keep(headers, drop)


def client_response_headers(headers: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
    """The upstream's response headers as they go to the client (body decoded).

    CORS headers are dropped too: the proxy answers local programs, never web
    pages, so no browser may read its responses from another origin.
    """
    return _keep(headers, _RECOMPUTED_RESPONSE, (b"proxy-", b"access-control-"))
