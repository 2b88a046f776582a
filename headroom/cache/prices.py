"""Model prices, for turning token counts into dollars.

The cache planner and the TTL advice weigh cache writes against cache reads in
dollars, so they need each model's input, output, cache-read and cache-write
prices. Prices come from a maintained source first, a dated table second:

1. **genai-prices** (pydantic's price database; the data ships inside the
   wheel). Only its bundled data is read: Headroom never starts its
   `UpdatePrices` task, so looking a price up never touches the network.
2. **The snapshot below**, dated 2026-11-21, written from PROTOCOLS.md §8
   (litellm's price map in wheel 1.109.1, cross-checked with genai-prices
   0.2.3). It answers when genai-prices is not installed, does not know the
   model, or fails.
3. **A default**: a model neither knows is priced like Claude Sonnet, the
   middle of the range, and its `source` says "default" so the guess is visible.

Prices are USD per million tokens. Where a source gives no cache prices for an
Anthropic model, the provider's multipliers of the input price fill them in:
5-minute write 1.25×, 1-hour write 2×, read 0.1× (PROTOCOLS §1.4). Providers
without cache-write fees (OpenAI, Gemini) keep `cache_write_*` as None, and a
written token costs the plain input price. Long-context tiers (above 200k or
272k prompt tokens) are not modelled: the base tier is used, which is what
agent turns below those sizes pay.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from headroom.config import load_settings
from headroom.guard import guarded
from headroom.providers.usage import Usage

__all__ = [
    "DEFAULT",
    "READ_MULTIPLIER",
    "SNAPSHOT",
    "SNAPSHOT_DATE",
    "TTL_SECONDS",
    "WRITE_1H_MULTIPLIER",
    "WRITE_5M_MULTIPLIER",
    "Price",
    "cost_of",
    "input_dollars",
    "price_for",
]

#: Anthropic's cache multipliers of the input price (PROTOCOLS §1.4).
WRITE_5M_MULTIPLIER = 1.25
WRITE_1H_MULTIPLIER = 2.0
READ_MULTIPLIER = 0.1
#: How long a cache entry lives without a read, per breakpoint TTL.
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}

SNAPSHOT_DATE = "2026-11-21"
_SNAPSHOT_SOURCE = f"snapshot {SNAPSHOT_DATE}"
_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Price:
    """One model's prices in USD per million tokens, and where they came from.

    `cache_write_5m` / `cache_write_1h` are None for providers that charge no
    cache-write fee; such tokens cost `input`.
    """

    input: float
    output: float
    cache_read: float
    cache_write_5m: float | None
    cache_write_1h: float | None
    source: str
    model: str


def _anthropic(model: str, input_: float, output: float, source: str = _SNAPSHOT_SOURCE) -> Price:
    """A Claude price: the cache prices follow from the input price."""
    return Price(
        input=input_,
        output=output,
        cache_read=round(input_ * READ_MULTIPLIER, 6),
        cache_write_5m=round(input_ * WRITE_5M_MULTIPLIER, 6),
        cache_write_1h=round(input_ * WRITE_1H_MULTIPLIER, 6),
        source=source,
        model=model,
    )


def _no_write_fee(model: str, input_: float, output: float, cache_read: float) -> Price:
    return Price(input_, output, cache_read, None, None, _SNAPSHOT_SOURCE, model)


#: The dated table: (model-name globs, price), first match wins, so the more
#: specific names come before the families that would also match them.
SNAPSHOT: tuple[tuple[tuple[str, ...], Price], ...] = (
    (
        ("claude-opus-4-5*", "claude-opus-4-6*", "claude-opus-4-7*", "claude-opus-4-8*"),
        _anthropic("claude-opus-4-5", 5.0, 25.0),
    ),
    (
        ("claude-opus-4", "claude-opus-4-*"),
        _anthropic("claude-opus-4-1", 15.0, 75.0),
    ),
    (("claude-sonnet-5*",), _anthropic("claude-sonnet-5", 2.0, 10.0)),
    (("claude-sonnet-4*",), _anthropic("claude-sonnet-4-6", 3.0, 15.0)),
    (("claude-haiku-4-5*",), _anthropic("claude-haiku-4-5", 1.0, 5.0)),
    (("gpt-4o-mini*",), _no_write_fee("gpt-4o-mini", 0.15, 0.60, 0.075)),
    (("gpt-4o*",), _no_write_fee("gpt-4o", 2.50, 10.0, 1.25)),
    (("gpt-4.1-mini*",), _no_write_fee("gpt-4.1-mini", 0.40, 1.60, 0.10)),
    (("gpt-4.1-nano*",), _no_write_fee("gpt-4.1-nano", 0.10, 0.40, 0.025)),
    (("gpt-4.1*",), _no_write_fee("gpt-4.1", 2.0, 8.0, 0.50)),
    (("gpt-5-mini*",), _no_write_fee("gpt-5-mini", 0.25, 2.0, 0.025)),
    (("gpt-5-nano*",), _no_write_fee("gpt-5-nano", 0.05, 0.40, 0.005)),
    (("gpt-5.2*",), _no_write_fee("gpt-5.2", 1.75, 14.0, 0.175)),
    (("gpt-5.4*",), _no_write_fee("gpt-5.4", 2.50, 15.0, 0.25)),
    (("gpt-5.5*",), _no_write_fee("gpt-5.5", 5.0, 30.0, 0.50)),
    (("gpt-5", "gpt-5-*", "gpt-5.1", "gpt-5.1-*"), _no_write_fee("gpt-5", 1.25, 10.0, 0.125)),
    (("gemini-2.5-pro*",), _no_write_fee("gemini-2.5-pro", 1.25, 10.0, 0.125)),
    (("gemini-2.5-flash-lite*",), _no_write_fee("gemini-2.5-flash-lite", 0.10, 0.40, 0.01)),
    (("gemini-2.5-flash*",), _no_write_fee("gemini-2.5-flash", 0.30, 2.50, 0.03)),
)

#: What a model no source knows is priced at: Claude Sonnet 4.x.
DEFAULT = _anthropic("claude-sonnet-4-6", 3.0, 15.0, "default (Sonnet-class, unknown model)")

#: Headroom's wire names → genai-prices provider ids.
_PROVIDER_IDS = {
    "anthropic": "anthropic",
    "openai": "openai",
    "openai-chat": "openai",
    "openai-responses": "openai",
    "gemini": "google",
    "google": "google",
}


def _bare_name(model: str) -> str:
    """`anthropic/claude-x`, `models/gemini-y` → the model's own name, lower case."""
    return model.strip().lower().rsplit("/", 1)[-1]


def _from_snapshot(model: str) -> Price | None:
    name = _bare_name(model)
    for patterns, price in SNAPSHOT:
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return dataclasses.replace(price, model=model)
    return None


def _genai_prices_lookup(model: str, provider_id: str | None) -> tuple[str, str, Any]:
    """(genai-prices version, its provider id, its ModelPrice) for `model`.

    Raises ImportError without genai-prices and LookupError for a model it
    does not know. Reads the bundled data only (no update task, no fetch).
    """
    import genai_prices

    try:
        calc = genai_prices.calc_price(genai_prices.Usage(), model, provider_id=provider_id)
    except LookupError:
        if provider_id is None:
            raise
        calc = genai_prices.calc_price(genai_prices.Usage(), model)
    return genai_prices.__version__, calc.provider.id, calc.model_price


def _per_mtok(value: object) -> float | None:
    """A genai-prices price as a float; a tiered price gives its base tier."""
    base = getattr(value, "base", value)
    return float(base) if isinstance(base, Decimal | int | float) else None


def _from_genai_prices(model: str, provider: str | None) -> Price | None:
    try:
        version, provider_id, prices = _genai_prices_lookup(
            _bare_name(model), _PROVIDER_IDS.get(provider or "")
        )
    except (ImportError, LookupError):
        return None
    input_ = _per_mtok(prices.input_mtok)
    if input_ is None:
        return None
    output = _per_mtok(prices.output_mtok)
    read = _per_mtok(prices.cache_read_mtok)
    write_5m = _per_mtok(prices.cache_write_5m_mtok)
    write_5m = write_5m if write_5m is not None else _per_mtok(prices.cache_write_mtok)
    write_1h = _per_mtok(prices.cache_write_1h_mtok)
    if provider_id == "anthropic" or "claude" in model.lower():
        read = read if read is not None else input_ * READ_MULTIPLIER
        write_5m = write_5m if write_5m is not None else input_ * WRITE_5M_MULTIPLIER
        write_1h = write_1h if write_1h is not None else input_ * WRITE_1H_MULTIPLIER
    return Price(
        input=input_,
        output=output if output is not None else 0.0,
        cache_read=read if read is not None else input_,
        cache_write_5m=write_5m,
        cache_write_1h=write_1h,
        source=f"genai-prices {version}",
        model=model,
    )


def _first_price(model: str, provider: str | None, *, raise_errors: bool) -> Price:
    found = guarded(
        "prices", lambda: _from_genai_prices(model, provider), None, raise_errors=raise_errors
    )
    if found is not None:
        return found
    found = _from_snapshot(model)
    if found is not None:
        return found
    return dataclasses.replace(DEFAULT, model=model)


@lru_cache(maxsize=512)
def price_for(model: str, provider: str | None = None) -> Price:
    """The prices of `model`: genai-prices, else the dated snapshot, else the default.

    `provider` is a wire name ("anthropic", "openai-chat", "openai-responses",
    "gemini") or None to let the model name decide. Never raises for an
    unknown model; an error inside genai-prices falls back to the snapshot
    (and re-raises when `raise_errors` is set, as under tests).
    """
    return _first_price(model, provider, raise_errors=load_settings().raise_errors)


def input_dollars(
    price: Price,
    *,
    uncached: int,
    cache_read: int,
    cache_write_5m: int,
    cache_write_1h: int = 0,
) -> float:
    """Dollars for a prompt split into uncached, cache-read and cache-written tokens."""
    write_5m = price.input if price.cache_write_5m is None else price.cache_write_5m
    write_1h = price.input if price.cache_write_1h is None else price.cache_write_1h
    total = (
        uncached * price.input
        + cache_read * price.cache_read
        + cache_write_5m * write_5m
        + cache_write_1h * write_1h
    )
    return total / _MILLION


def cost_of(
    usage: Usage, model: str, *, provider: str | None = None, cache_ttl: str = "5m"
) -> float:
    """Dollars for one response's `usage`, input and output.

    Usage does not say which TTL a cache write had; `cache_ttl` ("5m" or
    "1h") names the one the request asked for.
    """
    price = price_for(model, provider)
    written = usage.cache_write_tokens
    dollars = input_dollars(
        price,
        uncached=usage.input_tokens,
        cache_read=usage.cache_read_tokens,
        cache_write_5m=0 if cache_ttl == "1h" else written,
        cache_write_1h=written if cache_ttl == "1h" else 0,
    )
    return dollars + usage.output_tokens * price.output / _MILLION
