"""The ASGI response that relays an upstream body to the client.

Starlette's `StreamingResponse` does not notice a client that leaves while the
upstream is quiet (a model thinking), and does not promise to run cleanup when
one does. This response watches for the disconnect itself: when the client
goes, the relay is cancelled at once so the upstream call is closed (and stops
generating tokens nobody reads), and the end callback always runs, shielded,
so the ledger records every request however it ended.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
from starlette.types import Receive, Scope, Send

from headroom.proxy.forward import UpstreamBroken
from headroom.proxy.headers import RawHeaders
from headroom.proxy.hooks import End


class RelayResponse:
    """Streams `chunks` to the client, then calls `on_end` with how it ended."""

    def __init__(
        self,
        status: int,
        headers: RawHeaders,
        chunks: AsyncIterator[bytes],
        on_end: Callable[[End], Awaitable[None]],
        *,
        whole: bool = False,
    ) -> None:
        self.status = status
        #: A body that arrives whole (a non-streaming model response): relayed in one
        #: piece, without the disconnect watcher, which costs more than it saves here.
        self.whole = whole
        self.headers = headers
        self.chunks = chunks
        self.on_end = on_end
        #: How it ended; stays CLIENT_GONE when the relay is cancelled.
        self.end = End.CLIENT_GONE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if self.whole:
                await self._send_whole(send)
                return
            async with anyio.create_task_group() as group:
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
                await self._stream(send)
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                aclose = getattr(self.chunks, "aclose", None)
                if aclose is not None:
                    await aclose()
                await self.on_end(self.end)

    async def _stream(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        try:
            async for chunk in self.chunks:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except UpstreamBroken:
            # Leaving the response unfinished makes the server cut the connection.
            self.end = End.UPSTREAM_BROKEN
            return
        self.end = End.COMPLETE
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_whole(self, send: Send) -> None:
        body, broken = await _collect(self.chunks)
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        if broken:
            # As in `_stream`: an unfinished response makes the server cut the connection.
            await send({"type": "http.response.body", "body": body, "more_body": True})
            self.end = End.UPSTREAM_BROKEN
            return
        await send({"type": "http.response.body", "body": body, "more_body": False})
        self.end = End.COMPLETE


async def _collect(chunks: AsyncIterator[bytes]) -> tuple[bytes, bool]:
    """All of `chunks` joined, and whether the upstream broke off first."""
    parts: list[bytes] = []
    try:
        async for chunk in chunks:
            parts.append(chunk)
    except UpstreamBroken:
        return b"".join(parts), True
    return b"".join(parts), False


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            scope.cancel()
            return
