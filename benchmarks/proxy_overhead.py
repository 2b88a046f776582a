"""What the proxy costs: latency, time to first byte, streaming under load, throughput.

Runs the fake upstream (`headroom.testing`), the proxy exactly as users run it
(`python -m headroom proxy --store memory`, pointed at the fake) and a bare
httpx pass-through proxy, each in its own process on a loopback port, then
measures in one run, direct to the fake versus through the proxy:

* a small Anthropic request the pipeline leaves alone: added latency, p50 and
  p99 over sequential requests (direct and proxied interleaved);
* a ~50k-token agent turn with compressible tool outputs: added latency p50,
  and the tokens the proxy removed (the body sent versus the body the fake
  upstream received, both counted with `headroom.tokens`);
* streaming: time to first byte through the proxy versus direct, p50;
* 50 concurrent streaming requests through the proxy: zero errors, and each
  client got exactly the events the fake streamed for its reply, in order;
* throughput of unchanged requests, 16 concurrent clients: the proxy versus
  the bare pass-through, as a percentage.

"Added" latency at a percentile is that percentile of the per-pair
differences (proxied minus direct, timed back to back). Everything is
loopback and bounded (request counts, seconds); every process stops at the end.

    python benchmarks/proxy_overhead.py [--quick] [--json] [--corpus ../shared/corpus]

Timings on a small shared host move with its load; the report prints the load
average before and after. The exit status is 0 whether targets pass or not
(1 only when the run itself fails), since a busy host can miss a timing target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from _proxy_bench.measure import (
    Paired,
    Rate,
    StreamCheck,
    concurrent_streams,
    first_byte,
    paired,
    percentile,
    throughput,
    whole_response,
)
from _proxy_bench.payloads import LargeRequest, small_body, tokens_of
from _proxy_bench.processes import ServerDied, fake_upstream, headroom_proxy, passthrough


@dataclass(frozen=True)
class Plan:
    """How much to measure: requests per check and seconds of load."""

    small: int
    large: int
    ttfb: int
    streams: int
    #: Seconds between the fake's SSE events in the concurrent burst, so streams overlap.
    stream_delay: float
    concurrency: int
    rate_seconds: float
    #: Throughput rounds per side, alternating bare and proxy.
    rate_rounds: int
    warmup: int


FULL = Plan(500, 40, 100, 50, 0.002, 16, 5.0, 2, 20)
QUICK = Plan(60, 6, 20, 50, 0.002, 16, 1.5, 1, 5)


@dataclass(frozen=True)
class Row:
    """One checked number against its target."""

    check: str
    measured: float
    unit: str
    target: float
    #: True when the target is a floor (throughput), False when it is a ceiling.
    floor: bool = False

    @property
    def passed(self) -> bool:
        return self.measured >= self.target if self.floor else self.measured <= self.target


def _kept_bytes(sent: bytes, received: bytes) -> bool:
    """True when `received` is `sent`, or `sent` with tools spliced in at its end."""
    head = sent.rstrip()[:-1].rstrip()
    return received == sent or received.startswith(head + b',"tools":[')


@dataclass
class Results:
    small: Paired
    large: Paired
    ttfb: Paired
    streams: StreamCheck
    bare: Rate
    proxy: Rate
    #: Whether the small request reached the upstream with the client's bytes
    #: (only the retrieve tool appended before the closing brace).
    small_as_sent: bool
    #: The same 50k-token history sent again (later turns of one session).
    resent: Paired | None = None
    large_tokens_sent: int = 0
    large_tokens_forwarded: int = 0

    def rows(self, plan: Plan) -> list[Row]:
        ratio = 100 * self.proxy.per_second / self.bare.per_second if self.bare.per_second else 0
        bad_streams = self.streams.errors + self.streams.mismatched + self.streams.unaccounted
        return [
            Row("small request: added latency p50", self.small.added(50), "ms", 2.0),
            Row("small request: added latency p99", self.small.added(99), "ms", 10.0),
            Row("50k-token request: added latency p50", self.large.added(50), "ms", 40.0),
            *(
                [Row("50k-token history re-sent: added p50", self.resent.added(50), "ms", 40.0)]
                if self.resent is not None
                else []
            ),
            Row("streaming: added time to first byte p50", self.ttfb.added(50), "ms", 5.0),
            Row(f"{plan.streams} concurrent streams: errors or bad streams", bad_streams, "", 0),
            Row("throughput: proxy / bare pass-through", ratio, "%", 70.0, floor=True),
        ]

    def details(self) -> dict[str, Any]:
        def side(p: Paired) -> dict[str, float]:
            return {
                "direct_p50_ms": percentile(p.direct, 50),
                "direct_p99_ms": percentile(p.direct, 99),
                "proxied_p50_ms": percentile(p.proxied, 50),
                "proxied_p99_ms": percentile(p.proxied, 99),
                "pairs": len(p.direct),
            }

        sent, forwarded = self.large_tokens_sent, self.large_tokens_forwarded
        return {
            "small_forwarded_as_sent": self.small_as_sent,
            "small": side(self.small),
            "large": side(self.large),
            **({"resent": side(self.resent)} if self.resent is not None else {}),
            "ttfb": side(self.ttfb),
            "large_tokens": {
                "sent": sent,
                "forwarded": forwarded,
                "removed": sent - forwarded,
                "removed_pct": 100 * (sent - forwarded) / sent if sent else 0.0,
            },
            "streams": asdict(self.streams),
            "throughput": {
                "bare_rps": self.bare.per_second,
                "proxy_rps": self.proxy.per_second,
                "bare": asdict(self.bare),
                "proxy": asdict(self.proxy),
            },
        }


async def forwarded(upstream: str, proxy: str, body: bytes) -> bytes:
    """The body the fake upstream received when `body` was sent through the proxy."""
    async with httpx.AsyncClient(timeout=60.0) as client:
        await whole_response(client, proxy, body)
        return (await client.get(upstream + "/_bench/last")).content


async def measure(plan: Plan, upstream: str, proxy: str, bare: str, large: LargeRequest) -> Results:
    say("small unchanged request, sequential pairs")
    small = await paired(whole_response, upstream, proxy, lambda i: small_body(), plan.small, 20)
    say("~50k-token request, sequential pairs")
    big = await paired(whole_response, upstream, proxy, large.body, plan.large, plan.warmup // 4)
    say("~50k-token history re-sent, sequential pairs")
    again = await paired(whole_response, upstream, proxy, large.resent, plan.large, 2)
    small_as_sent = _kept_bytes(small_body(), await forwarded(upstream, proxy, small_body()))
    tokens_forwarded = tokens_of(await forwarded(upstream, proxy, large.body(-1)))
    say("streaming, time to first byte")
    body = small_body(stream=True)
    ttfb = await paired(first_byte, upstream, proxy, lambda i: body, plan.ttfb, plan.warmup)
    say(f"{plan.streams} concurrent streams")
    streams = await concurrent_streams(upstream, proxy, plan.streams, plan.stream_delay)
    async with httpx.AsyncClient() as client:
        await client.post(upstream + "/_bench/clear")
    bare_rate, proxy_rate = Rate(), Rate()
    for n in range(plan.rate_rounds):
        say(f"throughput round {n + 1}/{plan.rate_rounds}, {plan.concurrency} clients")
        for url, rate in ((bare, bare_rate), (proxy, proxy_rate)):
            await throughput(url, small_body(), plan.concurrency, plan.rate_seconds, rate)
    results = Results(small, big, ttfb, streams, bare_rate, proxy_rate, small_as_sent, again)
    results.large_tokens_sent = tokens_of(large.body(-1))
    results.large_tokens_forwarded = tokens_forwarded
    return results


def say(message: str) -> None:
    sys.stderr.write(f"proxy_overhead: {message}\n")


def render(rows: list[Row], details: dict[str, Any], machine: dict[str, Any]) -> str:
    lines = [f"{'check':<46} {'measured':>10} {'target':>10}  result", "-" * 76]
    for row in rows:
        sign = ">=" if row.floor else "<="
        measured = f"{row.measured:.2f}{row.unit}" if row.unit else f"{row.measured:g}"
        target = f"{sign} {row.target:g}{row.unit}"
        lines.append(f"{row.check:<46} {measured:>10} {target:>10}  {verdict(row)}")
    lines.append("")
    for name in ("small", "large", "resent", "ttfb"):
        d = details[name]
        lines.append(
            f"{name:>6}: direct p50 {d['direct_p50_ms']:.2f} ms, p99 {d['direct_p99_ms']:.2f} ms;"
            f" proxied p50 {d['proxied_p50_ms']:.2f} ms, p99 {d['proxied_p99_ms']:.2f} ms"
            f" ({d['pairs']} pairs)"
        )
    t, s, r = details["large_tokens"], details["streams"], details["throughput"]
    as_sent = (
        "yes (the client's bytes, plus the retrieve tool spliced in)"
        if details["small_forwarded_as_sent"]
        else "no (the proxy re-serialized it)"
    )
    lines.append(f"small request reached the upstream byte for byte: {as_sent}")
    lines.append(
        f"50k-token request: {t['sent']} tokens sent, {t['forwarded']} forwarded,"
        f" {t['removed']} removed ({t['removed_pct']:.1f}%)"
    )
    lines.append(
        f"streams: {s['requests']} requests, {s['errors']} errors, {s['mismatched']} mismatched,"
        f" {s['unaccounted']} replies unaccounted for"
    )
    lines.append(f"throughput: proxy {r['proxy_rps']:.0f} req/s, bare {r['bare_rps']:.0f} req/s")
    lines.append(
        f"host: {machine['cpus']} CPUs, load average {machine['load_before']} before,"
        f" {machine['load_after']} after; payload: {machine['payload']}"
    )
    return "\n".join(lines)


def verdict(row: Row) -> str:
    return "PASS" if row.passed else "MISS"


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", action="store_true", help="print machine-readable output")
    parser.add_argument(
        "--corpus", type=Path, help="build the large request from this corpus, not synthetic"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    machine: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": load()}
    large = LargeRequest(args.corpus)
    machine["payload"] = f"{large.source}, {large.tokens} tokens"
    say("starting the fake upstream, the proxy and the bare pass-through")
    try:
        with (
            fake_upstream() as up,
            headroom_proxy(up.url) as proxy,
            passthrough(up.url) as bare,
        ):
            results = asyncio.run(measure(plan, up.url, proxy.url, bare.url, large))
    except ServerDied as exc:
        say(str(exc))
        return 1
    machine["load_after"] = load()
    rows, details = results.rows(plan), results.details()
    if args.json:
        checks = [{**asdict(r), "passed": r.passed} for r in rows]
        out = {"plan": asdict(plan), "machine": machine, "checks": checks, "details": details}
        print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    else:
        print(render(rows, details, machine))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
