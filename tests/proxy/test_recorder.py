from __future__ import annotations

import threading
from typing import Any

from headroom.proxy.hooks import Hooks, ProxyHooks
from headroom.proxy.recorder import Recorder


class Collect(ProxyHooks):
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.seen: list[Any] = []
        self.gate = gate

    def record(self, exchange: Any) -> None:
        if self.gate is not None:
            self.gate.wait(5)
        self.seen.append(exchange)


def test_exchanges_are_recorded_in_order_off_the_calling_thread() -> None:
    hook = Collect()
    recorder = Recorder(Hooks([hook]))
    for i in range(50):
        recorder.submit(i)  # type: ignore[arg-type]
    assert recorder.flush()
    assert hook.seen == list(range(50))
    recorder.close()


def test_flush_waits_for_what_was_submitted_before_it() -> None:
    gate = threading.Event()
    hook = Collect(gate)
    recorder = Recorder(Hooks([hook]))
    recorder.submit("first")  # type: ignore[arg-type]
    assert not recorder.flush(timeout=0.05)  # still blocked in record
    gate.set()
    assert recorder.flush()
    assert hook.seen == ["first"]
    recorder.close()


def test_a_failing_record_does_not_stop_the_recorder() -> None:
    class Broken(ProxyHooks):
        def record(self, exchange: Any) -> None:
            raise RuntimeError("ledger down")

    hook = Collect()
    recorder = Recorder(Hooks([Broken(), hook], raise_errors=False))
    recorder.submit("a")  # type: ignore[arg-type]
    recorder.submit("b")  # type: ignore[arg-type]
    assert recorder.flush()
    assert hook.seen == ["a", "b"]
    recorder.close()


def test_close_drains_the_queue_and_flush_after_close_returns() -> None:
    hook = Collect()
    recorder = Recorder(Hooks([hook]))
    recorder.submit("x")  # type: ignore[arg-type]
    recorder.close()
    assert hook.seen == ["x"]
    assert recorder.flush()
