"""What the fake upstream received, kept so tests can assert what was forwarded.

A `RecordedRequest` holds the bytes exactly as they arrived (a gzip or zstd
body stays compressed in `body`); `json()` decodes the content encoding first,
so the common assertion reads the same whatever the client sent.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
import zstandard
from starlette.datastructures import Headers


def decode_body(body: bytes, content_encoding: str | None) -> bytes:
    """`body` without its `content-encoding` (gzip, deflate, zstd or none)."""
    for coding in reversed([c.strip().lower() for c in (content_encoding or "").split(",")]):
        if coding == "gzip":
            body = gzip.decompress(body)
        elif coding == "deflate":
            body = zlib.decompress(body)
        elif coding == "zstd":
            body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
    return body


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake upstream received it."""

    method: str
    path: str
    #: The raw query string, without the `?` (`"beta=true"`, or `""`).
    query: str
    #: Case-insensitive; `headers.getlist(name)` gives repeated headers.
    headers: Headers
    #: The body bytes exactly as sent, still content-encoded if they were.
    body: bytes

    def content(self) -> bytes:
        """The body with its content encoding removed."""
        return decode_body(self.body, self.headers.get("content-encoding"))

    def json(self) -> Any:
        """The body parsed as JSON (after removing any content encoding)."""
        return orjson.loads(self.content())
