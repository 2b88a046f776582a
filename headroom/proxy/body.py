"""Request bodies as the client sent them, decoded when they were compressed.

Clients may gzip or zstd-compress large request bodies. The proxy decodes them
so the pipeline can read the JSON, and forwards the decoded bytes (or the
recompressed-by-Headroom JSON) without a `content-encoding`. Decoding stops at
the size limit, so a small compressed body cannot expand into gigabytes: a
body that would pass the limit, or one in an encoding not understood, is
forwarded exactly as it came, encoding header included.
"""

from __future__ import annotations

import io
import zlib

import zstandard

#: Encodings the proxy decodes. Anything else passes through encoded.
DECODABLE = frozenset({"identity", "gzip", "x-gzip", "zstd"})


def decode(raw: bytes, encoding: str, *, limit: int) -> bytes | None:
    """The decoded body, or None when it cannot or should not be decoded.

    None means: unknown encoding, corrupt data, or more than `limit` bytes
    once decoded. `encoding` is the `content-encoding` header ("" when absent).
    """
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return raw if len(raw) <= limit else None
    if name in ("gzip", "x-gzip"):
        return _gunzip(raw, limit)
    if name == "zstd":
        return _unzstd(raw, limit)
    return None


def _gunzip(raw: bytes, limit: int) -> bytes | None:
    out = bytearray()
    data = raw
    try:
        while data:  # a gzip stream may hold several members, one after another
            inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit or not inflater.eof:
                return None
            data = inflater.unused_data
    except zlib.error:
        return None
    return bytes(out)


def _unzstd(raw: bytes, limit: int) -> bytes | None:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True)
    try:
        out = reader.read(limit + 1)
    except zstandard.ZstdError:
        return None
    return out if len(out) <= limit else None
