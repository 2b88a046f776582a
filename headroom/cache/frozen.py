"""Frozen history: a block is compressed once, and re-sent the same way after.

A provider's prefix cache only pays when every turn re-sends the history byte
for byte. So what Headroom does to a block is decided the first time the block
is seen, from the block, the question in force before it (the conversation
before it), and the settings of that moment, and then remembered:

- **The memo.** `FrozenHistory` keeps each decision under a key made of the
  block's text, its tool, its query and a fingerprint of the settings that
  shape compression. Later turns look the block up instead of compressing it
  again, which is also what keeps a long session fast.
- **Two layers.** A small in-process table answers most lookups; the store
  (SQLite, Redis) shares decisions between processes and replicas, so two
  proxies behind a load balancer send the same bytes.
- **Recomputing is safe.** Compression is deterministic, so when the memo is
  gone (a restart on a memory store, an expired entry) the same inputs give the
  same bytes again. The memo is a cache of a pure function, not a source of
  truth, except for what learning and the cache planner decided, which depend
  on history and are exactly what it pins.

Entries are only written once the request they belong to is actually sent
(`commit`), so a result computed too late to be used never pins a form that
the provider did not see.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson

from headroom.config import Settings
from headroom.store.base import Store

_PREFIX = "frozen."

#: Settings that change what a compressor produces; anything else (ports,
#: upstreams, store location) does not take part in the fingerprint.
_SHAPING_SETTINGS = (
    "min_tokens",
    "min_saving",
    "disabled_compressors",
    "tool_policy",
    "learning",
    "text_model",
)


def settings_fingerprint(settings: Settings) -> str:
    """A short hash of the settings that shape compression."""
    shaping = {name: getattr(settings, name) for name in _SHAPING_SETTINGS}
    return hashlib.sha256(orjson.dumps(shaping, default=list)).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Frozen:
    """What was decided for a block the first time it was seen.

    `text` is None when the block was left as it was (too small, nothing to
    gain, policy): such blocks are remembered too, so later turns skip the work.
    """

    text: str | None
    kind: str
    compressor: str | None = None
    ccr_id: str | None = None
    signature: str | None = None
    #: Why it was kept, when it was (an engine `Reason` value).
    reason: str = "saved"
    skipped: bool = False

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "text": self.text,
                "kind": self.kind,
                "compressor": self.compressor,
                "ccr_id": self.ccr_id,
                "signature": self.signature,
                "reason": self.reason,
                "skipped": self.skipped,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Frozen:
        value = orjson.loads(data)
        return cls(
            text=value["text"],
            kind=value["kind"],
            compressor=value.get("compressor"),
            ccr_id=value.get("ccr_id"),
            signature=value.get("signature"),
            reason=value.get("reason", "saved"),
            skipped=bool(value.get("skipped", False)),
        )


class FrozenHistory:
    """The memo of first-seen decisions, in process and in the store."""

    def __init__(
        self,
        store: Store,
        *,
        fingerprint: str,
        ttl: float | None = None,
        capacity: int = 8192,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.fingerprint = fingerprint
        self.ttl = ttl
        self.capacity = capacity
        self._clock = clock
        self._local: OrderedDict[str, tuple[float, Frozen]] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, text: str, tool: str | None, query: str | None) -> str:
        """The memo key of a block: its content, origin, question and settings."""
        digest = hashlib.sha256()
        for part in (self.fingerprint, tool or "", query or "", text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()[:32]

    def get(self, key: str) -> Frozen | None:
        now = self._clock()
        with self._lock:
            local = self._local.get(key)
            if local is not None:
                if local[0] > now:
                    self._local.move_to_end(key)
                    return local[1]
                del self._local[key]
        item = self.store.get(_PREFIX + key)
        if item is None:
            return None
        frozen = Frozen.from_bytes(item.value)
        self._remember(key, frozen, now)
        return frozen

    def commit(self, entries: Iterable[tuple[str, Frozen]]) -> None:
        """Remember decisions whose request was sent."""
        now = self._clock()
        for key, frozen in entries:
            self.store.put(_PREFIX + key, frozen.to_bytes(), ttl=self.ttl)
            self._remember(key, frozen, now)

    def _remember(self, key: str, frozen: Frozen, now: float) -> None:
        expires = now + self.ttl if self.ttl else float("inf")
        with self._lock:
            self._local[key] = (expires, frozen)
            self._local.move_to_end(key)
            while len(self._local) > self.capacity:
                self._local.popitem(last=False)
