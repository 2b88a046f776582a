"""TTL advice: would a 1-hour prompt cache have been cheaper than a 5-minute one?

Anthropic offers two cache lifetimes. A 5-minute entry costs 1.25× the input
price to write, a 1-hour entry 2×; reads cost 0.1× either way, and each hit
renews the entry. Which is cheaper depends on the user's rhythm: an agent that
calls the model every few seconds keeps a 5-minute cache warm and should not
pay the higher write price, while a person who thinks for ten minutes between
turns loses a 5-minute cache every time and pays the full write again.

`advise_ttl` answers from the ledger's request history. It groups requests by
(tenant, session, model), since a cache is per model and Claude Code, for one,
sends small requests to a second model within a session; requests without a
session key form one group per tenant and model. Each group is replayed in time
order twice, once per TTL. Per request, the cacheable prefix is what the
provider cached (usage cache reads + writes) or, without usage, the tokens
Headroom sent. While the gap since the group's previous request is within the
TTL, the part of the prefix that request already cached is read and only the
growth is written; past the TTL the whole prefix is written again. Uncached
input costs the same under both TTLs and is counted in both.

Only requests to the Anthropic Messages API count: it is the one wire where
Headroom places breakpoints with a TTL. `effective_ttl` turns the `cache_ttl`
setting ("5m", "1h" or "auto") into the TTL to place, asking `advise_ttl`, at
most every ten minutes per store, when the setting is "auto".
"""

from __future__ import annotations

import statistics
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from headroom.cache.prices import TTL_SECONDS, input_dollars, price_for
from headroom.config import Settings
from headroom.guard import guarded
from headroom.store.base import Store

if TYPE_CHECKING:
    from headroom.proxy.ledger import LedgerEntry

__all__ = ["TTL_SECONDS", "TTLAdvice", "advise_ttl", "effective_ttl"]

#: How long each TTL keeps an entry without a hit, in seconds.
#: The wire whose breakpoints carry a TTL.
PROVIDER = "anthropic"
#: How long an "auto" answer is reused before the ledger is read again.
AUTO_REFRESH_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class TTLAdvice:
    """What the request history would have cost in input dollars under each TTL."""

    dollars_5m: float
    dollars_1h: float
    recommended: str
    requests: int
    sessions: int
    #: Gaps between consecutive requests of a session.
    gaps: int
    median_gap_s: float | None
    #: Share of those gaps longer than 5 minutes but at most 1 hour: the ones
    #: only the 1-hour TTL bridges.
    mid_gap_share: float
    #: Requests left out because they went to another provider.
    ignored: int = 0
    note: str = ""

    @property
    def saving(self) -> float:
        """Dollars the recommended TTL saves over the other one."""
        return abs(self.dollars_5m - self.dollars_1h)


@dataclass(frozen=True, slots=True)
class _Request:
    time: float
    uncached: int
    prefix: int


def _request(entry: LedgerEntry) -> _Request:
    usage = entry.usage
    if usage is None:
        return _Request(entry.time, 0, entry.tokens_after)
    return _Request(
        entry.time, usage.input_tokens, usage.cache_read_tokens + usage.cache_write_tokens
    )


def _replay(requests: Sequence[_Request], ttl: str) -> tuple[int, int, int]:
    """(uncached, cache-read, cache-written) tokens of one session under `ttl`."""
    uncached = read = written = 0
    previous: _Request | None = None
    for request in requests:
        uncached += request.uncached
        cached = 0
        if previous is not None and request.time - previous.time <= TTL_SECONDS[ttl]:
            cached = min(request.prefix, previous.prefix)
        read += cached
        written += request.prefix - cached
        previous = request
    return uncached, read, written


def _dollars(model: str, requests: Sequence[_Request], ttl: str) -> float:
    uncached, read, written = _replay(requests, ttl)
    price = price_for(model, PROVIDER)
    return input_dollars(
        price,
        uncached=uncached,
        cache_read=read,
        cache_write_5m=written if ttl == "5m" else 0,
        cache_write_1h=written if ttl == "1h" else 0,
    )


def _sessions(
    entries: Iterable[LedgerEntry],
) -> tuple[dict[tuple[str, str, str], list[_Request]], int]:
    """Anthropic requests grouped by (tenant, session, model), each in time order."""
    groups: dict[tuple[str, str, str], list[_Request]] = defaultdict(list)
    ignored = 0
    for entry in entries:
        if entry.provider != PROVIDER:
            ignored += 1
            continue
        groups[(entry.tenant, entry.session or "", entry.model)].append(_request(entry))
    for requests in groups.values():
        requests.sort(key=lambda r: r.time)
    return dict(groups), ignored


def _gaps(groups: Iterable[Sequence[_Request]]) -> list[float]:
    return [b.time - a.time for requests in groups for a, b in pairwise(requests)]


def advise_ttl(entries: Iterable[LedgerEntry]) -> TTLAdvice:
    """Replay the history under a 5-minute and a 1-hour TTL; recommend the cheaper.

    Ties, and a history with no Anthropic requests, recommend "5m" (the
    provider's default).
    """
    groups, ignored = _sessions(entries)
    if not groups:
        note = "no Anthropic requests in the ledger yet; keeping the default 5m"
        return TTLAdvice(0.0, 0.0, "5m", 0, 0, 0, None, 0.0, ignored, note)
    dollars = {
        ttl: sum(_dollars(model, requests, ttl) for (_, _, model), requests in groups.items())
        for ttl in TTL_SECONDS
    }
    gaps = _gaps(groups.values())
    mid = sum(1 for gap in gaps if TTL_SECONDS["5m"] < gap <= TTL_SECONDS["1h"])
    note = "" if gaps else "no session has two requests yet; every request was a first write"
    return TTLAdvice(
        dollars_5m=dollars["5m"],
        dollars_1h=dollars["1h"],
        recommended="1h" if dollars["1h"] < dollars["5m"] else "5m",
        requests=sum(len(requests) for requests in groups.values()),
        sessions=len(groups),
        gaps=len(gaps),
        median_gap_s=statistics.median(gaps) if gaps else None,
        mid_gap_share=mid / len(gaps) if gaps else 0.0,
        ignored=ignored,
        note=note,
    )


_auto_lock = threading.Lock()
#: Per store: (when the answer was worked out, the answer).
_auto_answers: weakref.WeakKeyDictionary[Store, tuple[float, str]] = weakref.WeakKeyDictionary()


def _advised(store: Store) -> str:
    # Imported here: the ledger belongs to the proxy, an edge this module must not pull in.
    from headroom.proxy.ledger import DEFAULT_SLOTS, Ledger

    return advise_ttl(Ledger(store).recent(last=DEFAULT_SLOTS)).recommended


def effective_ttl(settings: Settings, store: Store, *, now: float | None = None) -> str:
    """The TTL for the breakpoints Headroom places: "5m" or "1h".

    `cache_ttl` "5m" or "1h" is used as it is. "auto" asks `advise_ttl` about
    the ledger in `store`, reusing the answer for ten minutes; reading the
    ledger is blocking store I/O. A failure gives "5m" (re-raised under tests).
    `now` is a `time.monotonic()` reading, for tests.
    """
    if settings.cache_ttl != "auto":
        return settings.cache_ttl
    clock = time.monotonic() if now is None else now
    with _auto_lock:
        cached = _auto_answers.get(store)
    if cached is not None and 0 <= clock - cached[0] < AUTO_REFRESH_SECONDS:
        return cached[1]
    answer = guarded(
        "ttl_advice", lambda: _advised(store), "5m", raise_errors=settings.raise_errors
    )
    with _auto_lock:
        _auto_answers[store] = (clock, answer)
    return answer
