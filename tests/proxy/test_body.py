"""Decoding request bodies, within the size limit."""

from __future__ import annotations

import gzip

import zstandard

from headroom.proxy.body import decode

DATA = b'{"messages": []}' * 100


def test_identity_bodies_come_back_as_the_same_object() -> None:
    assert decode(DATA, "", limit=10_000) is DATA
    assert decode(DATA, "identity", limit=10_000) is DATA


def test_gzip_including_several_members_and_zstd_are_decoded() -> None:
    assert decode(gzip.compress(DATA), "gzip", limit=10_000) == DATA
    assert decode(gzip.compress(DATA) + gzip.compress(b"!"), "gzip", limit=10_000) == DATA + b"!"
    assert decode(zstandard.ZstdCompressor().compress(DATA), "zstd", limit=10_000) == DATA


def test_a_body_larger_than_the_limit_once_decoded_is_refused() -> None:
    assert decode(DATA, "", limit=len(DATA) - 1) is None
    assert decode(gzip.compress(DATA), "gzip", limit=len(DATA) - 1) is None
    assert decode(gzip.compress(DATA), "gzip", limit=len(DATA)) == DATA
    assert decode(zstandard.ZstdCompressor().compress(DATA), "zstd", limit=len(DATA) - 1) is None


def test_corrupt_or_unknown_encodings_are_refused() -> None:
    assert decode(b"not gzip", "gzip", limit=10_000) is None
    assert decode(gzip.compress(DATA)[:-9], "gzip", limit=10_000) is None
    assert decode(b"not zstd", "zstd", limit=10_000) is None
    assert decode(DATA, "br", limit=10_000) is None
