"""Learning from retrievals: content that models retrieve is compressed less.

Every compressed block has a signature: the tool that produced it, its kind,
and a shape hash (a JSON schema or the dominant log templates, when the
compressor offers one). The store counts, per signature, how many blocks were
compressed and how many of their originals were retrieved, whole or by query.

- A signature's keep factor grows with its retrieval rate (up to `MAX_FACTOR`):
  compressors keep that many times more rows, lines or matches.
- A signature retrieved in full again and again becomes lossless-only.

The counters live in the store, so every process sharing the store shares
what was learned. What a block gets is memoized the first time it is seen,
so learning never changes history that was already sent (the prefix cache).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from headroom.store.base import Store

#: Retrievals needed before a signature's budget moves at all.
MIN_EVIDENCE = 2
#: The most a keep budget grows.
MAX_FACTOR = 4.0
#: Full retrievals (no query) after which a signature may go lossless-only…
FULL_RETRIEVALS_FOR_LOSSLESS = 3
#: …when at least this share of its compressed blocks were retrieved in full.
FULL_RATE_FOR_LOSSLESS = 0.5

_PREFIX = "learn."


@dataclass(frozen=True, slots=True)
class Learned:
    """What learning says about a block."""

    keep_factor: float = 1.0
    lossless_only: bool = False


@dataclass(frozen=True, slots=True)
class SignatureStats:
    signature: str
    compressed: int
    retrieved: int
    retrieved_full: int
    learned: Learned

    @property
    def retrieval_rate(self) -> float:
        return self.retrieved / self.compressed if self.compressed else 0.0


def signature(tool: str | None, kind: str, shape: str | None) -> str:
    """`tool|kind|shape`, with the shape cut to 12 characters."""
    return f"{tool or '-'}|{kind}|{(shape or '-')[:12]}"


def learned_from(compressed: int, retrieved: int, retrieved_full: int) -> Learned:
    """The budget a signature has earned from its counts."""
    if retrieved < MIN_EVIDENCE or compressed <= 0:
        return Learned()
    rate = min(1.0, retrieved / compressed)
    factor = min(MAX_FACTOR, 1.0 + 3.0 * rate)
    lossless = (
        retrieved_full >= FULL_RETRIEVALS_FOR_LOSSLESS
        and retrieved_full / compressed >= FULL_RATE_FOR_LOSSLESS
    )
    return Learned(keep_factor=round(factor, 2), lossless_only=lossless)


class Learner:
    """Reads and writes the learned state in a store."""

    def __init__(self, store: Store, *, ttl: float | None = None) -> None:
        self.store = store
        self.ttl = ttl

    def for_block(
        self, block_key: str, signature_of: Callable[[], str]
    ) -> tuple[Learned, bool, str]:
        """The budget for a block, whether this is its first sighting, and its signature.

        The budget is memoized at first sight, so a block already sent is
        compressed the same way on every later turn, whatever was learned since.
        The signature is memoized with it, so it is computed only once per block.
        """
        memo_key = f"{_PREFIX}memo:{block_key}"
        item = self.store.get(memo_key)
        if item is not None:
            data = orjson.loads(item.value)
            learned = Learned(float(data["keep_factor"]), bool(data["lossless_only"]))
            return learned, False, str(data["signature"])
        sig = signature_of()
        learned = self.learned(sig)
        value = orjson.dumps(
            {
                "keep_factor": learned.keep_factor,
                "lossless_only": learned.lossless_only,
                "signature": sig,
            }
        )
        self.store.put(memo_key, value, ttl=self.ttl)
        return learned, True, sig

    def compressed(self, sig: str) -> None:
        """Count one block of this signature compressed for the first time."""
        self.store.incr(f"{_PREFIX}compressed.{sig}")

    def retrieved(self, sig: str, *, full: bool) -> None:
        self.store.incr(f"{_PREFIX}retrieved.{sig}")
        if full:
            self.store.incr(f"{_PREFIX}retrieved_full.{sig}")

    def learned(self, sig: str) -> Learned:
        counts = self.store.counters(_PREFIX)
        return learned_from(
            counts.get(f"{_PREFIX}compressed.{sig}", 0),
            counts.get(f"{_PREFIX}retrieved.{sig}", 0),
            counts.get(f"{_PREFIX}retrieved_full.{sig}", 0),
        )

    def table(self) -> list[SignatureStats]:
        """Every signature with its counts and what it has earned, most retrieved first."""
        counts = self.store.counters(_PREFIX)
        sigs: set[str] = set()
        for name in counts:
            metric, _, sig = name[len(_PREFIX) :].partition(".")
            if metric in {"compressed", "retrieved", "retrieved_full"} and sig:
                sigs.add(sig)
        rows = []
        for sig in sigs:
            c = counts.get(f"{_PREFIX}compressed.{sig}", 0)
            r = counts.get(f"{_PREFIX}retrieved.{sig}", 0)
            f = counts.get(f"{_PREFIX}retrieved_full.{sig}", 0)
            rows.append(SignatureStats(sig, c, r, f, learned_from(c, r, f)))
        return sorted(rows, key=lambda s: (-s.retrieved, s.signature))


def block_id(text: str, tool: str | None) -> str:
    """A stable id for a block's content and origin (the memo key)."""
    digest = hashlib.sha256(f"{tool or ''}\0{text}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:24]
