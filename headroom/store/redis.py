"""The shared store: Redis, for several proxy replicas behind a load balancer.

Any replica may store a CCR original that another replica is asked for, so the
originals, memos and counters live in one Redis server under a namespace.

Layout, for namespace "headroom":
- headroom:item:<key>  a hash: value, created_at, expires_at, meta (JSON), member
- headroom:index       a sorted set by created_at, for oldest-first eviction
- headroom:expiry      a sorted set by expires_at, for expire()
- headroom:bytes       the byte total of the indexed items, for the size cap
- headroom:seq         the insertion sequence
- headroom:counters    a hash of counters

An item's index member is "<seq>:<size>:<key>": the zero-padded sequence breaks
ties between equal created_at in insertion order, and the size lets an entry be
subtracted from the total even after Redis has expired the item's hash.

Every change to the index and the total runs in a Lua script, so concurrent
replicas cannot corrupt the total. The scripts derive item keys from index
members, so the namespace must live on one Redis node (no Cluster sharding).

Items get a server-side expiry (PEXPIRE) so Redis frees them by itself, and
expires_at is also checked against the store's clock on get, so that a fake
clock drives expiry in tests exactly as it does for the other backends.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.typing import EncodableT

from headroom.store.base import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TTL_SECONDS,
    Clock,
    Item,
    StoreError,
    system_clock,
)

CONNECT_TIMEOUT_SECONDS = 2.0
# A stuck server must not hang a request forever; the caller fails open instead.
SOCKET_TIMEOUT_SECONDS = 5.0
_EXPIRE_BATCH = 500

# KEYS: index, expiry, bytes. ARGV[1]: the item key prefix.
_DROP = """
local function drop(member)
    local size, key = string.match(member, "^%d+:(%d+):(.*)$")
    redis.call("ZREM", KEYS[1], member)
    redis.call("ZREM", KEYS[2], member)
    redis.call("DECRBY", KEYS[3], size)
    local item = ARGV[1] .. key
    if redis.call("HGET", item, "member") == member then
        redis.call("DEL", item)
    end
end
"""

# KEYS: index, expiry, bytes, seq, item.
# ARGV: prefix, key, value, created_at, expires_at, meta, pexpire_ms, max_bytes.
_PUT = (
    _DROP
    + """
local old = redis.call("HGET", KEYS[5], "member")
if old then drop(old) end
local seq = redis.call("INCR", KEYS[4])
local size = string.len(ARGV[3])
local member = string.format("%016d", seq) .. ":" .. size .. ":" .. ARGV[2]
redis.call("HSET", KEYS[5], "value", ARGV[3], "created_at", ARGV[4],
           "expires_at", ARGV[5], "meta", ARGV[6], "member", member)
redis.call("PEXPIRE", KEYS[5], ARGV[7])
redis.call("ZADD", KEYS[1], ARGV[4], member)
redis.call("ZADD", KEYS[2], ARGV[5], member)
local max_bytes = tonumber(ARGV[8])
if redis.call("INCRBY", KEYS[3], size) <= max_bytes then return 0 end
-- Over the cap: expired items go first, then the oldest, never the new one.
for _, m in ipairs(redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", ARGV[4])) do
    if m ~= member then drop(m) end
end
while tonumber(redis.call("GET", KEYS[3])) > max_bytes do
    local oldest = redis.call("ZRANGE", KEYS[1], 0, 1)
    local victim = oldest[1]
    if victim == member then victim = oldest[2] end
    if not victim then break end
    drop(victim)
end
return 0
"""
)

# KEYS: index, expiry, bytes, item. ARGV: prefix, member or "" for any.
_DELETE = (
    _DROP
    + """
local current = redis.call("HGET", KEYS[4], "member")
if not current or (ARGV[2] ~= "" and current ~= ARGV[2]) then return 0 end
drop(current)
return 1
"""
)

# KEYS: index, expiry, bytes. ARGV: prefix, now, batch size.
_EXPIRE = (
    _DROP
    + """
local dead = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", ARGV[2], "LIMIT", 0, ARGV[3])
for _, m in ipairs(dead) do drop(m) end
return #dead
"""
)


class RedisStore:
    """A `Store` in Redis, shared by every replica that uses the same namespace."""

    def __init__(
        self,
        url: str,
        *,
        default_ttl: float = DEFAULT_TTL_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Clock = system_clock,
        namespace: str = "headroom",
    ) -> None:
        if default_ttl <= 0:
            raise ValueError(f"default_ttl must be positive, got {default_ttl}")
        self._client = _connect(url)
        self._default_ttl = default_ttl
        self._max_bytes = max_bytes
        self._clock = clock
        self.namespace = namespace
        self._item_prefix = f"{namespace}:item:"
        self._index_keys = [f"{namespace}:index", f"{namespace}:expiry", f"{namespace}:bytes"]
        self._seq_key = f"{namespace}:seq"
        self._counters_key = f"{namespace}:counters"
        self._put_script = self._client.register_script(_PUT)
        self._delete_script = self._client.register_script(_DELETE)
        self._expire_script = self._client.register_script(_EXPIRE)

    def put(
        self,
        key: str,
        value: bytes,
        *,
        ttl: float | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> None:
        """Store `value`; when over the cap, drop expired then oldest items.

        The item just written is never evicted by its own put, so a value larger
        than the cap is kept (alone) rather than silently lost.
        """
        ttl = self._default_ttl if ttl is None else ttl
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, got {ttl}")
        now = self._clock()
        args: list[EncodableT] = [
            self._item_prefix,
            key,
            bytes(value),
            repr(now),
            repr(now + ttl),
            json.dumps(dict(meta or {})),
            max(1, math.ceil(ttl * 1000)),
            self._max_bytes,
        ]
        keys = [*self._index_keys, self._seq_key, self._item_key(key)]
        self._put_script(keys=keys, args=args)

    def get(self, key: str) -> Item | None:
        """The live item under `key`; an expired one is dropped on the way."""
        fields = cast(dict[bytes, bytes], self._client.hgetall(self._item_key(key)))
        if not fields:
            return None
        expires_at = float(fields[b"expires_at"])
        if expires_at <= self._clock():
            # Only this exact write: another replica may have just replaced it.
            self._delete_script(
                keys=[*self._index_keys, self._item_key(key)],
                args=[self._item_prefix, fields[b"member"]],
            )
            return None
        return Item(
            value=fields[b"value"],
            created_at=float(fields[b"created_at"]),
            expires_at=expires_at,
            meta=json.loads(fields[b"meta"]),
        )

    def delete(self, key: str) -> bool:
        keys = [*self._index_keys, self._item_key(key)]
        return int(self._delete_script(keys=keys, args=[self._item_prefix, ""])) > 0

    def expire(self) -> int:
        """Drop expired items, in batches so no one script blocks Redis for long.

        Items whose hash Redis has already expired are counted too: this is when
        they leave the index and the byte total.
        """
        now = repr(self._clock())
        dropped = 0
        while True:
            args: list[EncodableT] = [self._item_prefix, now, _EXPIRE_BATCH]
            batch = int(self._expire_script(keys=self._index_keys, args=args))
            dropped += batch
            if batch < _EXPIRE_BATCH:
                return dropped

    def incr(self, counter: str, amount: int = 1) -> int:
        return int(self._client.hincrby(self._counters_key, counter, amount))

    def counters(self, prefix: str = "") -> dict[str, int]:
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._counters_key))
        named = {name.decode(): int(value) for name, value in raw.items()}
        return {name: value for name, value in named.items() if name.startswith(prefix)}

    def close(self) -> None:
        self._client.close()

    def _item_key(self, key: str) -> str:
        return self._item_prefix + key


def _connect(url: str) -> redis.Redis:
    """A client that has answered a PING, or a StoreError saying what to fix."""
    shown = _without_password(url)
    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
        )
    except ValueError as exc:
        raise StoreError(
            f"invalid Redis URL {shown!r}: {exc}; expected redis://host:port/db or rediss://…"
        ) from exc
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        client.close()
        raise StoreError(
            f"cannot reach Redis at {shown}: {exc}; start redis-server or fix the URL"
        ) from exc
    return client


def _without_password(url: str) -> str:
    """The URL as it is safe to show in an error message or a log."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"  # IPv6 literals keep their brackets in a URL
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable URL>"
    user = parts.username or ""
    netloc = f"{user}:***@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))
