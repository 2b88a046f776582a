"""A simulated Anthropic prompt cache, to bill a sequence of requests.

Headroom has to lower the bill, not only the token count, and the bill
depends on the provider's prefix cache: a compression that changes bytes an
earlier turn already cached turns cheap reads into dear writes. The replay
benchmark cannot call the provider, so this module bills requests the way the
provider documents its cache (PROTOCOLS §1.4):

- the prompt is a sequence of blocks: each tool definition, each system block,
  then every message content block (a string content is one text block); a
  block's size is the token count of its JSON without `cache_control`;
- a prefix is identified by a running hash over those bytes (with message
  roles and boundaries), except Claude Code's per-request billing line
  (PROTOCOLS §4.1), which the provider leaves out of the cache key;
- breakpoints are the blocks carrying `cache_control`, plus the last block when
  the body has a top-level `cache_control` (automatic mode). More than 4 make
  the request invalid: it is counted as an error and billed fully uncached. A
  breakpoint whose prefix is below the model's minimum caches nothing;
- a breakpoint looks for a live entry at its own position and up to 20 blocks
  back; the longest hit is read (and its TTL refreshed). Everything from the
  read point to the last valid breakpoint is written, with an entry at every
  valid breakpoint (5 minutes, or 1 hour where the breakpoint says so).
  Everything after the last valid breakpoint is uncached input.

Token counts use Headroom's counter (o200k), a relative ruler: the arms of a
replay are compared on the same ruler, never against a real invoice.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from headroom.cache.prices import TTL_SECONDS, Price, input_dollars
from headroom.config import DEFAULT_CACHE_MIN_TOKENS, Pairs, min_cacheable_tokens
from headroom.providers.breakpoints import strip_cache_control
from headroom.tokens import TokenCounter
from headroom.types import JSONObject

MAX_BREAKPOINTS = 4
LOOKBACK_BLOCKS = 20
BILLING_LINE = "x-anthropic-billing-header:"


@dataclass(frozen=True, slots=True)
class Bill:
    """What one request (or a sum of them) costs in input tokens and dollars."""

    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    uncached_tokens: int = 0
    input_dollars: float = 0.0
    requests: int = 0
    invalid: int = 0

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def hit_ratio(self) -> float:
        """Cache reads over all input tokens (0 when there were none)."""
        return self.cache_read_tokens / self.input_tokens if self.input_tokens else 0.0

    def __add__(self, other: Bill) -> Bill:
        return Bill(
            self.input_tokens + other.input_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_5m_tokens + other.cache_write_5m_tokens,
            self.cache_write_1h_tokens + other.cache_write_1h_tokens,
            self.uncached_tokens + other.uncached_tokens,
            self.input_dollars + other.input_dollars,
            self.requests + other.requests,
            self.invalid + other.invalid,
        )


@dataclass(frozen=True, slots=True)
class _Block:
    key: bytes  # the running prefix hash through this block
    tokens: int
    ttl: str | None  # the block's breakpoint TTL, None when it is not a breakpoint


@dataclass(slots=True)
class _Entry:
    expires: float
    ttl: float


class BlockTokens:
    """Token counts of blocks, memoized by their bytes (blocks repeat every turn)."""

    def __init__(self, counter: TokenCounter) -> None:
        self._counter = counter
        self._memo: dict[bytes, int] = {}

    def count(self, data: bytes) -> int:
        found = self._memo.get(data)
        if found is None:
            found = self._memo[data] = self._counter.count(data.decode())
        return found


class PrefixCache:
    """One provider-side cache (one organisation's), billing requests in time order.

    `price` is the model's (`headroom.cache.prices.price_for`); for Claude its
    reads cost 0.1× of input, 5-minute writes 1.25× and 1-hour writes 2×.
    """

    def __init__(
        self,
        tokens: BlockTokens,
        *,
        price: Price,
        min_tokens: Pairs = DEFAULT_CACHE_MIN_TOKENS,
    ) -> None:
        self._tokens = tokens
        self._price = price
        self._min_tokens = min_tokens
        self._entries: dict[bytes, _Entry] = {}

    def bill(self, body: JSONObject, *, now: float) -> Bill:
        """Bill one request sent at `now` (seconds) and update the cache."""
        blocks = list(self._blocks(body))
        total = sum(b.tokens for b in blocks)
        breaks = [i for i, b in enumerate(blocks) if b.ttl is not None]
        if len(breaks) > MAX_BREAKPOINTS:
            return self._priced(Bill(total, uncached_tokens=total, requests=1, invalid=1))
        ends = _prefix_ends(blocks)
        minimum = min_cacheable_tokens(str(body.get("model") or ""), self._min_tokens)
        valid = [i for i in breaks if ends[i] >= minimum]
        if not valid:
            return self._priced(Bill(total, uncached_tokens=total, requests=1))
        hit = self._lookup(blocks, valid, now)
        read = ends[hit] if hit is not None else 0
        write_5m, write_1h = self._write(blocks, ends, valid, read, now)
        uncached = total - ends[valid[-1]]
        return self._priced(Bill(total, read, write_5m, write_1h, uncached, requests=1))

    def _lookup(self, blocks: list[_Block], valid: list[int], now: float) -> int | None:
        """The longest live cached prefix any breakpoint finds; refreshes its TTL."""
        best: int | None = None
        for point in reversed(valid):
            for i in range(point, max(-1, point - LOOKBACK_BLOCKS - 1), -1):
                entry = self._entries.get(blocks[i].key)
                if entry is not None and entry.expires > now:
                    best = i if best is None else max(best, i)
                    break
        if best is not None:
            entry = self._entries[blocks[best].key]
            entry.expires = now + entry.ttl
        return best

    def _write(
        self, blocks: list[_Block], ends: list[int], valid: list[int], read: int, now: float
    ) -> tuple[int, int]:
        """Create entries at every valid breakpoint; the tokens written past `read`, by TTL."""
        written = {"5m": 0, "1h": 0}
        start = read
        for i in valid:
            ttl = blocks[i].ttl or "5m"
            if ends[i] > start:
                written[ttl] += ends[i] - start
                start = ends[i]
            seconds = TTL_SECONDS[ttl]
            entry = self._entries.get(blocks[i].key)
            if entry is None or entry.expires <= now:
                self._entries[blocks[i].key] = _Entry(now + seconds, seconds)
            else:
                entry.ttl = max(entry.ttl, seconds)
                entry.expires = max(entry.expires, now + seconds)
        return written["5m"], written["1h"]

    def _priced(self, bill: Bill) -> Bill:
        dollars = input_dollars(
            self._price,
            uncached=bill.uncached_tokens,
            cache_read=bill.cache_read_tokens,
            cache_write_5m=bill.cache_write_5m_tokens,
            cache_write_1h=bill.cache_write_1h_tokens,
        )
        return dataclasses.replace(bill, input_dollars=dollars)

    def _blocks(self, body: JSONObject) -> Iterator[_Block]:
        running = hashlib.sha256()
        automatic = _ttl_of(body.get("cache_control"))
        items = list(prefix_items(body))
        for number, (tag, block) in enumerate(items):
            data = canonical(block)
            if not _is_billing_line(block):
                running.update(tag)
                running.update(len(data).to_bytes(8, "big"))
                running.update(data)
            ttl = _ttl_of(block.get("cache_control") if isinstance(block, dict) else None)
            if ttl is None and automatic is not None and number == len(items) - 1:
                ttl = automatic
            yield _Block(running.copy().digest(), self._tokens.count(data), ttl)


def _prefix_ends(blocks: list[_Block]) -> list[int]:
    """Tokens of the prefix through each block."""
    ends, running = [], 0
    for block in blocks:
        running += block.tokens
        ends.append(running)
    return ends


def prefix_items(body: JSONObject) -> Iterator[tuple[bytes, Any]]:
    """(tag, block) in prompt order: tools, system, then each message's blocks.

    The tag says where a block sits (and opens each new message), so the same
    bytes in another place or role make another prefix.
    """
    for tool in body.get("tools") or []:
        yield b"tool", tool
    system = body.get("system")
    for block in [{"type": "text", "text": system}] if isinstance(system, str) else system or []:
        yield b"system", block
    for number, message in enumerate(body.get("messages") or []):
        role = str(message.get("role", "")) if isinstance(message, dict) else ""
        content = message.get("content") if isinstance(message, dict) else None
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for index, block in enumerate(blocks or []):
            opening = f"message {number} {role}" if index == 0 else "block"
            yield opening.encode(), block


def canonical(block: Any) -> bytes:
    """A block's JSON without `cache_control`, at any depth, keys in their given order."""
    return orjson.dumps(strip_cache_control(block))


def _is_billing_line(block: Any) -> bool:
    return (
        isinstance(block, dict)
        and block.get("type") == "text"
        and str(block.get("text", "")).startswith(BILLING_LINE)
    )


def _ttl_of(cache_control: Any) -> str | None:
    if not isinstance(cache_control, dict):
        return None
    return "1h" if cache_control.get("ttl") == "1h" else "5m"
