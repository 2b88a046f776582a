"""The measurements: paired latencies, time to first byte, a burst of
concurrent streams checked event by event, and throughput.

Latencies are taken in pairs, direct then proxied or the other way round in
turn, with one keep-alive connection to each side, so drift in the host's load
hits both sides alike; the added latency is read from the pairs' differences.
Every client is an `httpx.AsyncClient` sending pre-serialised bytes, so the
client's own cost is the same on both sides.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from _proxy_bench.payloads import HEADERS, MODEL, small_body
from headroom.testing import Reply, SSEEvent, parse_sse
from headroom.testing import anthropic as fake_anthropic
from headroom.testing.wire import Call, IdMaker

MESSAGES = "/v1/messages"
TIMEOUT = httpx.Timeout(60.0)

Timer = Callable[[httpx.AsyncClient, str, bytes], Awaitable[float]]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated between the nearest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Paired:
    """Milliseconds per request, direct and through the proxy."""

    direct: list[float] = field(default_factory=list)
    proxied: list[float] = field(default_factory=list)

    def added(self, q: float) -> float:
        """The q-th percentile of the per-pair differences, proxied minus direct.

        Each pair was timed back to back, so its difference is the proxy's
        cost at that moment; a load spike that hits only the direct side
        cannot hide a slow proxied request, as it could in a difference of
        two separate percentiles.
        """
        return percentile([p - d for p, d in zip(self.proxied, self.direct, strict=True)], q)


def _ok(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.url} answered {response.status_code}: {response.text}")


async def whole_response(client: httpx.AsyncClient, url: str, body: bytes) -> float:
    """Milliseconds from sending `body` to having read the whole answer."""
    started = time.perf_counter()
    response = await client.post(url + MESSAGES, content=body, headers=HEADERS)
    _ok(response)
    return (time.perf_counter() - started) * 1000


async def first_byte(client: httpx.AsyncClient, url: str, body: bytes) -> float:
    """Milliseconds from sending a streaming request to its first body bytes."""
    started = time.perf_counter()
    async with client.stream("POST", url + MESSAGES, content=body, headers=HEADERS) as response:
        _ok(response)
        chunks = response.aiter_raw()
        await anext(chunks)
        elapsed = (time.perf_counter() - started) * 1000
        async for _ in chunks:  # drain it, so the connection is reused
            pass
    return elapsed


async def paired(
    timer: Timer, direct: str, proxy: str, body: Callable[[int], bytes], n: int, warmup: int
) -> Paired:
    """`n` timed pairs after `warmup` untimed ones; the order alternates."""
    result = Paired()
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        for i in range(-warmup, n):
            sides = [(direct, result.direct), (proxy, result.proxied)]
            for url, into in sides if i % 2 else sides[::-1]:
                ms = await timer(client, url, body(i))
                if i >= 0:
                    into.append(ms)
    return result


@dataclass
class StreamCheck:
    """The outcome of one burst of concurrent streams through the proxy."""

    requests: int
    errors: int = 0
    #: Streams whose events differ from what the fake upstream sent for them.
    mismatched: int = 0
    #: Scripted replies no client received (or received twice).
    unaccounted: int = 0

    @property
    def clean(self) -> bool:
        return self.errors == self.mismatched == self.unaccounted == 0


def _normal(event: SSEEvent) -> tuple[str | None, Any]:
    """The event without what the fake varies per request: message ids and usage."""
    data = event.json()
    if isinstance(data, dict):
        if isinstance(data.get("message"), dict):
            data["message"] = {**data["message"], "id": "*", "usage": "*"}
        if "usage" in data:
            data["usage"] = "*"
    return event.event, data


def expected_events(text: str, body: bytes) -> list[tuple[str | None, Any]]:
    """The event sequence the fake upstream streams for `Reply.text(text)`."""
    call = Call(model=MODEL, body=orjson.loads(body), input_estimate=0, ids=IdMaker())
    frames = fake_anthropic.events(Reply.text(text), call)
    return [_normal(e) for e in parse_sse(b"".join(frames).decode())]


def _streamed_text(events: list[tuple[str | None, Any]]) -> str:
    return "".join(
        data["delta"].get("text", "")
        for name, data in events
        if name == "content_block_delta" and isinstance(data, dict)
    )


async def _stream_all(client: httpx.AsyncClient, url: str, body: bytes) -> str:
    async with client.stream("POST", url + MESSAGES, content=body, headers=HEADERS) as response:
        _ok(response)
        return (await response.aread()).decode()


async def concurrent_streams(upstream: str, proxy: str, n: int, delay: float) -> StreamCheck:
    """`n` streams at once through the proxy, each with its own scripted text.

    The fake upstream hands the scripted replies out in arrival order, so
    which client gets which text is up to the scheduler; each client's text
    says which reply it got, and its events must equal that reply's events
    exactly, in order, and every reply must reach exactly one client.
    """
    texts = [f"stream {i:03d}: " + " ".join(f"w{i}.{j}" for j in range(24)) for i in range(n)]
    body = small_body(stream=True)
    limits = httpx.Limits(max_connections=n + 4)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        script = {"texts": texts, "delay": delay}
        _ok(await client.post(upstream + "/_bench/script", json=script))
        runs = [_stream_all(client, proxy, body) for _ in range(n)]
        outcomes = await asyncio.gather(*runs, return_exceptions=True)
    check = StreamCheck(requests=n)
    unseen = {text: expected_events(text, body) for text in texts}
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            check.errors += 1
            continue
        got = [_normal(e) for e in parse_sse(outcome)]
        if unseen.pop(_streamed_text(got), None) != got:
            check.mismatched += 1
    check.unaccounted = len(unseen)
    return check


@dataclass
class Rate:
    done: int = 0
    errors: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


async def throughput(url: str, body: bytes, concurrency: int, seconds: float, into: Rate) -> None:
    """`concurrency` clients sending `body` back to back for `seconds`."""
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                try:
                    response = await client.post(url + MESSAGES, content=body, headers=HEADERS)
                except httpx.HTTPError:
                    into.errors += 1
                    continue
                if response.status_code == 200:
                    into.done += 1
                else:
                    into.errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        into.seconds += time.perf_counter() - started
