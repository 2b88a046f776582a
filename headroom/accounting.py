"""Honest savings: what a request cost, what it would have cost, and how sure we are.

- **Real cost** comes from the provider's own usage receipt (input, cache
  reads, cache writes, output) priced by `headroom.cache.prices`.
- **The counterfactual** (the same request without Headroom) is the same
  receipt with the input side grown back by the tokens Headroom removed, in the
  proportions of the request's own cache state (so a request that was 90%
  cache reads has its removed tokens priced 90% as cache reads). It is an
  estimate and is labelled so.
- **Measured savings** come from holdout sessions (`holdout = 0.1` leaves a
  random tenth of sessions untouched): the dollars per original input token of
  compressed sessions against those of holdout sessions, with a 95% confidence
  interval. Only this number is labelled "measured".
- **Meter-only** mode changes nothing and records what would have been saved.

Which arm a session is in depends only on its key (a salted hash), so every
replica puts a session in the same arm and it stays there for its whole life.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from headroom.cache.prices import cost_of
from headroom.providers.usage import Usage

COMPRESSED = "compressed"
HOLDOUT = "holdout"
METER_ONLY = "meter-only"

#: Fewer sessions than this on either side and there is no measurement yet.
MIN_SAMPLES = 5


def arm_of(session: str | None, holdout: float) -> str:
    """The arm of a session: `HOLDOUT` for a `holdout` share of sessions, else `COMPRESSED`.

    A request with no session key is its own session: it is assigned by the
    same rule on an empty key, so it is never held out by chance alone.
    """
    if holdout <= 0 or not session:
        return COMPRESSED
    digest = hashlib.sha256(b"headroom-holdout\0" + session.encode("utf-8", "replace"))
    draw = int.from_bytes(digest.digest()[:8], "big") / 2**64
    return HOLDOUT if draw < holdout else COMPRESSED


def scaled_input(usage: Usage, factor: float) -> Usage:
    """`usage` with its input side (uncached, cache reads, cache writes) times `factor`."""
    return Usage(
        input_tokens=round(usage.input_tokens * factor),
        output_tokens=usage.output_tokens,
        cache_read_tokens=round(usage.cache_read_tokens * factor),
        cache_write_tokens=round(usage.cache_write_tokens * factor),
    )


@dataclass(frozen=True, slots=True)
class Costs:
    """Dollars of one request, with Headroom and without it."""

    dollars: float
    dollars_without: float

    @property
    def saved(self) -> float:
        return self.dollars_without - self.dollars


def costs(
    usage: Usage,
    model: str,
    *,
    provider: str | None,
    body_tokens: int,
    tokens_saved: int,
    applied: bool = True,
) -> Costs:
    """Real and counterfactual dollars of one response.

    `body_tokens` estimates the request as the client sent it and
    `tokens_saved` what Headroom took out of it. When the cut was `applied`,
    the receipt is the real cost and the counterfactual grows it back; in
    meter-only mode (not applied) the receipt is the cost without Headroom and
    the cost with it is estimated by shrinking it.
    """
    real = cost_of(usage, model, provider=provider)
    kept = max(1, body_tokens - tokens_saved)
    if tokens_saved <= 0 or body_tokens <= 0:
        return Costs(real, real)
    if applied:
        grown = cost_of(scaled_input(usage, body_tokens / kept), model, provider=provider)
        return Costs(real, grown)
    shrunk = cost_of(scaled_input(usage, kept / body_tokens), model, provider=provider)
    return Costs(shrunk, real)


@dataclass(frozen=True, slots=True)
class Measured:
    """Savings measured against holdout sessions."""

    saved_pct: float | None
    low_pct: float | None
    high_pct: float | None
    compressed_samples: int
    holdout_samples: int

    @property
    def label(self) -> str:
        return "measured" if self.saved_pct is not None else "estimated"

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "saved_pct": self.saved_pct,
            "ci95_pct": None if self.low_pct is None else [self.low_pct, self.high_pct],
            "compressed_samples": self.compressed_samples,
            "holdout_samples": self.holdout_samples,
        }


def measured_savings(samples: Iterable[tuple[str, float, int]]) -> Measured:
    """Savings from (arm, dollars, original input tokens) samples, one per request.

    Each request gives its dollars per original input token; the saving is one
    minus the ratio of the two arms' means, and its 95% interval comes from the
    means' standard errors (delta method).
    """
    rates: dict[str, list[float]] = {COMPRESSED: [], HOLDOUT: []}
    for arm, dollars, tokens in samples:
        if arm in rates and tokens > 0:
            rates[arm].append(dollars / tokens)
    treated, held = rates[COMPRESSED], rates[HOLDOUT]
    if len(treated) < MIN_SAMPLES or len(held) < MIN_SAMPLES:
        return Measured(None, None, None, len(treated), len(held))
    mean_t, mean_h = statistics.fmean(treated), statistics.fmean(held)
    if mean_h <= 0:
        return Measured(None, None, None, len(treated), len(held))
    ratio = mean_t / mean_h
    se_t = statistics.stdev(treated) / math.sqrt(len(treated))
    se_h = statistics.stdev(held) / math.sqrt(len(held))
    se_ratio = ratio * math.sqrt((se_t / mean_t) ** 2 + (se_h / mean_h) ** 2) if mean_t else 0.0
    saved = 100 * (1 - ratio)
    margin = 100 * 1.96 * se_ratio
    return Measured(
        round(saved, 2),
        round(saved - margin, 2),
        round(saved + margin, 2),
        len(treated),
        len(held),
    )
