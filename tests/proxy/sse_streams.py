"""Helpers for the retrieve stream tests: SSE bytes in, client events out."""

from __future__ import annotations

from typing import Any

import orjson

from headroom.proxy.retrieve import RetrieveStream
from headroom.proxy.sse import SSEDecoder, SSEEvent, encode_all


def sse(*events: tuple[str | None, Any]) -> bytes:
    """An upstream stream: `event:` (when named) and `data:` lines per event."""
    out = b""
    for name, data in events:
        text = data if isinstance(data, str) else orjson.dumps(data).decode()
        head = f"event: {name}\n" if name is not None else ""
        out += f"{head}data: {text}\n\n".encode()
    return out


def chunks(raw: bytes, size: int = 7) -> list[bytes]:
    """The stream cut into small chunks that split events and lines anywhere."""
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def relay(stream: RetrieveStream, raw: bytes) -> list[SSEEvent]:
    """Feed an upstream stream through the transformer, as the proxy would."""
    decoder = SSEDecoder()
    sent: list[SSEEvent] = []
    for chunk in chunks(raw):
        for event in decoder.feed(chunk):
            sent.extend(stream.feed(event))
    for event in decoder.close():
        sent.extend(stream.feed(event))
    return sent


def datas(events: list[SSEEvent]) -> list[Any]:
    """Each event's parsed data (`[DONE]` stays a string)."""
    return [e.data if e.data == "[DONE]" else orjson.loads(e.data) for e in events if not e.comment]


def client_bytes(events: list[SSEEvent]) -> bytes:
    return encode_all(events)
