"""Server-sent events: an incremental decoder and an encoder.

The proxy relays SSE streams chunk by chunk, and the retrieve loop rewrites a
few events on the way (renumbered indices, summed usage, held-back tool calls).
Both need the stream cut into events without waiting for it to end, from
network chunks that split events, lines and even UTF-8 characters anywhere.

An event that is passed on unchanged keeps the exact bytes it arrived as
(`SSEEvent.raw`), so a relayed stream stays byte-identical to the upstream's;
only an event built or rewritten here is encoded afresh.

The decoder follows the WHATWG rules the providers rely on: `event:` and
`data:` fields (several `data:` lines join with newlines), comments (`:`)
and other fields (`id:`, `retry:`) are kept in `raw` only, and lines end in
LF, CRLF or CR.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One event: its name (None for unnamed `data:`-only events) and data."""

    event: str | None
    data: str
    #: The bytes it arrived as, blank line included; None for a built event.
    raw: bytes | None = None
    #: True for a block of only comment or `id:`/`retry:` lines (no event, no
    #: data): it is relayed as it came and never interpreted.
    comment: bool = False

    def with_data(self, data: str) -> SSEEvent:
        """The same event with new data; it will be encoded afresh."""
        return SSEEvent(self.event, data)


def encode(event: SSEEvent) -> bytes:
    """The event on the wire: its original bytes, or `event:`/`data:` lines."""
    if event.raw is not None:
        return event.raw
    head = f"event: {event.event}\n" if event.event is not None else ""
    body = "".join(f"data: {line}\n" for line in event.data.split("\n"))
    return f"{head}{body}\n".encode()


def encode_all(events: Iterable[SSEEvent]) -> bytes:
    return b"".join(encode(event) for event in events)


class SSEDecoder:
    """Cuts a byte stream into events as the bytes arrive.

    `feed(chunk)` returns the events completed by that chunk; a partial event
    waits for the next chunk. `close()` returns a last event that the stream
    ended without a blank line after, if any.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._lines: list[bytes] = []
        self._raw: list[bytes] = []

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        self._buffer += chunk
        events: list[SSEEvent] = []
        start = 0
        while True:
            cut = _line_end(self._buffer, start)
            if cut is None:
                break
            end, width = cut
            line = self._buffer[start:end]
            self._raw.append(self._buffer[start : end + width])
            start = end + width
            if line:
                self._lines.append(line)
                continue
            event = self._flush()
            if event is not None:
                events.append(event)
        self._buffer = self._buffer[start:]
        return events

    def close(self) -> list[SSEEvent]:
        """The event left when the stream ends without a final blank line."""
        if self._buffer:
            self._lines.append(self._buffer.rstrip(b"\r"))
            self._raw.append(self._buffer)
            self._buffer = b""
        event = self._flush()
        return [event] if event is not None else []

    def _flush(self) -> SSEEvent | None:
        lines, raw = self._lines, b"".join(self._raw)
        self._lines, self._raw = [], []
        if not lines:
            return None  # a stray blank line: nothing to relay
        name: str | None = None
        data: list[str] = []
        for line in lines:
            field, _, value = line.decode("utf-8").partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if not data and name is None:
            return SSEEvent(None, "", raw, comment=True)
        return SSEEvent(name, "\n".join(data), raw)


def _line_end(buffer: bytes, start: int) -> tuple[int, int] | None:
    """Where the first complete line from `start` ends, and its terminator's width.

    A CR at the very end of the buffer may be the first half of a CRLF split
    across chunks, so it does not end a line until more bytes arrive.
    """
    lf = buffer.find(b"\n", start)
    cr = buffer.find(b"\r", start, lf if lf >= 0 else len(buffer))
    if cr < 0:
        return None if lf < 0 else (lf, 1)
    if cr + 1 == len(buffer):
        return None
    return (cr, 2) if buffer[cr + 1 : cr + 2] == b"\n" else (cr, 1)


def parse_sse(chunks: Iterable[bytes]) -> Iterator[SSEEvent]:
    """Every event in a stream of byte chunks, as each one completes."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()
