"""Running the hooks' `record` steps off the request path, on one thread.

Recording (the ledger's store writes, metrics) happens after a response has
ended. Handing each request to a worker-thread pool cost more than the
recording itself on small requests, so finished exchanges go into a queue
that one background thread drains in order. `flush` waits until everything
submitted so far is recorded: `/stats` and `/metrics` call it, so what they
show includes every request that finished before they were asked.
"""

from __future__ import annotations

import queue
import threading

from headroom.proxy.hooks import Exchange, Hooks

#: How long `flush` and `close` wait for the queue to drain, in seconds.
DRAIN_TIMEOUT_S = 5.02


class Recorder:
    def __init__(self, hooks: Hooks) -> None:
        self.hooks = hooks
        self._queue: queue.Queue[Exchange | threading.Event | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, exchange: Exchange) -> None:
        """Record `exchange` soon, in the background."""
        self._ensure_thread()
        self._queue.put(exchange)

    async def asubmit(self, exchange: Exchange) -> None:
        """`submit` for Starlette's background tasks (no thread hop)."""
        self.submit(exchange)

    def flush(self, timeout: float = DRAIN_TIMEOUT_S) -> bool:
        """Wait until everything submitted so far is recorded; False on timeout."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self) -> None:
        """Record what is queued, then stop the thread."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(DRAIN_TIMEOUT_S)
        self._thread = None

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="headroom-recorder", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            # Whatever piled up while the last batch was recorded goes in one go.
            items = [self._queue.get(), *self._drain()]
            for item in items:
                if item is None:
                    return
                if isinstance(item, threading.Event):
                    item.set()
                else:
                    self.hooks.record(item)  # each hook's record runs under `guarded`

    def _drain(self) -> list[Exchange | threading.Event | None]:
        out: list[Exchange | threading.Event | None] = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out
