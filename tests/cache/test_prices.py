"""Prices: genai-prices first, the dated snapshot second, a visible default last."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from importlib.metadata import version
from typing import Any

import pytest

from headroom.cache import prices
from headroom.cache.prices import (
    SNAPSHOT_DATE,
    Price,
    cost_of,
    input_dollars,
    price_for,
)
from headroom.guard import ERRORS
from headroom.providers.usage import Usage

#: PROTOCOLS.md §8: model, provider → input, output, cache read, write 5m, write 1h.
TABLE: list[tuple[str, str | None, tuple[float, float, float, float | None, float | None]]] = [
    ("claude-opus-4-1", "anthropic", (15, 75, 1.5, 18.75, 30)),
    ("claude-opus-4-20250514", None, (15, 75, 1.5, 18.75, 30)),
    ("claude-opus-4-5", "anthropic", (5, 25, 0.5, 6.25, 10)),
    ("claude-opus-4-8", "anthropic", (5, 25, 0.5, 6.25, 10)),
    ("claude-sonnet-4-6", "anthropic", (3, 15, 0.3, 3.75, 6)),
    ("claude-sonnet-4-5-20250929", "anthropic", (3, 15, 0.3, 3.75, 6)),
    ("claude-haiku-4-5", "anthropic", (1, 5, 0.1, 1.25, 2)),
    ("claude-sonnet-5", None, (2, 10, 0.2, 2.5, 4)),
    ("gpt-4o", "openai-chat", (2.5, 10, 1.25, None, None)),
    ("gpt-4o-mini", "openai-chat", (0.15, 0.6, 0.075, None, None)),
    ("gpt-4.1", "openai-responses", (2, 8, 0.5, None, None)),
    ("gpt-4.1-nano", None, (0.1, 0.4, 0.025, None, None)),
    ("gpt-5-codex", "openai-responses", (1.25, 10, 0.125, None, None)),
    ("gpt-5-mini", None, (0.25, 2, 0.025, None, None)),
    ("gpt-5.2", None, (1.75, 14, 0.175, None, None)),
    ("gpt-5.5", None, (5, 30, 0.5, None, None)),
    ("gemini-2.5-pro", "gemini", (1.25, 10, 0.125, None, None)),
    ("gemini-2.5-flash", "gemini", (0.3, 2.5, 0.03, None, None)),
    ("gemini-2.5-flash-lite", "gemini", (0.1, 0.4, 0.01, None, None)),
]


def _numbers(price: Price) -> tuple[float, float, float, float | None, float | None]:
    return (
        price.input,
        price.output,
        price.cache_read,
        price.cache_write_5m,
        price.cache_write_1h,
    )


@pytest.fixture(autouse=True)
def _fresh_lookups() -> Iterator[None]:
    price_for.cache_clear()
    yield
    price_for.cache_clear()


def _lookup_fails(exc: Exception) -> Any:
    def lookup(model: str, provider_id: str | None) -> Any:
        raise exc

    return lookup


@pytest.mark.parametrize(("model", "provider", "expected"), TABLE)
def test_genai_prices_gives_the_protocol_table_numbers(
    model: str, provider: str | None, expected: tuple[float, ...]
) -> None:
    price = price_for(model, provider)
    assert price.source == f"genai-prices {version('genai-prices')}"
    assert price.model == model
    assert _numbers(price) == pytest.approx(expected)


@pytest.mark.parametrize(("model", "provider", "expected"), TABLE)
def test_the_snapshot_gives_the_same_numbers_when_the_lookup_fails(
    model: str,
    provider: str | None,
    expected: tuple[float, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(prices, "_genai_prices_lookup", _lookup_fails(LookupError("unknown")))
    price = price_for(model, provider)
    assert price.source == f"snapshot {SNAPSHOT_DATE}"
    assert "snapshot" in price.source
    assert _numbers(price) == pytest.approx(expected)


def test_without_genai_prices_installed_the_snapshot_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "genai_prices", None)  # makes `import genai_prices` fail
    price = price_for("claude-sonnet-4-6", "anthropic")
    assert price.source == "snapshot 2026-11-21"
    assert _numbers(price) == pytest.approx((3, 15, 0.3, 3.75, 6))


def test_an_unexpected_error_in_genai_prices_falls_back_and_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEADROOM_RAISE_ERRORS", "0")
    monkeypatch.setattr(prices, "_genai_prices_lookup", _lookup_fails(RuntimeError("bad data")))
    before = ERRORS.get("prices")
    price = price_for("gpt-4o", "openai-chat")
    assert price.source.startswith("snapshot")
    assert price.input == 2.5
    assert ERRORS.get("prices") == before + 1


def test_an_unexpected_error_is_raised_under_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prices, "_genai_prices_lookup", _lookup_fails(RuntimeError("bad data")))
    with pytest.raises(RuntimeError, match="bad data"):
        price_for("gpt-4o", "openai-chat")


def test_an_unknown_model_gets_the_sonnet_class_default() -> None:
    price = price_for("acme-frontier-9000", None)
    assert "default" in price.source
    assert price.model == "acme-frontier-9000"
    assert _numbers(price) == pytest.approx((3, 15, 0.3, 3.75, 6))


def test_provider_prefixes_in_the_model_name_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    assert price_for("anthropic/claude-haiku-4-5").input == 1.0
    assert price_for("models/gemini-2.5-flash", "gemini").input == 0.3
    price_for.cache_clear()
    monkeypatch.setattr(prices, "_genai_prices_lookup", _lookup_fails(LookupError("unknown")))
    assert price_for("anthropic/claude-haiku-4-5").input == 1.0


def test_missing_anthropic_cache_prices_follow_the_multipliers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from genai_prices.types import ModelPrice

    bare = ModelPrice(input_mtok=Decimal("4"), output_mtok=Decimal("20"))
    monkeypatch.setattr(prices, "_genai_prices_lookup", lambda m, p: ("9.9", "anthropic", bare))
    price = price_for("claude-future-1", "anthropic")
    assert price.source == "genai-prices 9.9"
    assert _numbers(price) == pytest.approx((4, 20, 0.4, 5.0, 8.0))


def test_a_provider_without_cache_prices_bills_cached_tokens_as_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from genai_prices.types import ModelPrice

    bare = ModelPrice(input_mtok=Decimal("2"), output_mtok=Decimal("8"))
    monkeypatch.setattr(prices, "_genai_prices_lookup", lambda m, p: ("9.9", "openai", bare))
    price = price_for("gpt-future", "openai-chat")
    assert _numbers(price) == pytest.approx((2, 8, 2, None, None))


def test_lookups_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    first = price_for("claude-sonnet-4-6", "anthropic")
    monkeypatch.setattr(prices, "_genai_prices_lookup", _lookup_fails(LookupError("unknown")))
    assert price_for("claude-sonnet-4-6", "anthropic") is first
    price_for.cache_clear()
    assert price_for("claude-sonnet-4-6", "anthropic").source.startswith("snapshot")


SONNET = Price(3.0, 15.0, 0.3, 3.75, 6.0, "test", "claude-sonnet-4-6")
GPT_4O = Price(2.5, 10.0, 1.25, None, None, "test", "gpt-4o")


def test_input_dollars_prices_each_kind_of_token() -> None:
    dollars = input_dollars(
        SONNET, uncached=1_000, cache_read=10_000, cache_write_5m=2_000, cache_write_1h=500
    )
    # 1000×3 + 10000×0.3 + 2000×3.75 + 500×6 = 16,500 per million
    assert dollars == pytest.approx(0.0165)


def test_input_dollars_bills_writes_at_the_input_price_without_a_write_fee() -> None:
    dollars = input_dollars(
        GPT_4O, uncached=1_000, cache_read=4_000, cache_write_5m=2_000, cache_write_1h=1_000
    )
    # (1000 + 2000 + 1000)×2.5 + 4000×1.25 = 15,000 per million
    assert dollars == pytest.approx(0.015)


def test_one_million_uncached_tokens_cost_the_input_price() -> None:
    assert input_dollars(SONNET, uncached=1_000_000, cache_read=0, cache_write_5m=0) == 3.0


def test_cost_of_adds_input_cache_and_output() -> None:
    usage = Usage(
        input_tokens=1_000, output_tokens=2_000, cache_read_tokens=100_000, cache_write_tokens=4_000
    )
    # 1000×3 + 100000×0.3 + 4000×3.75 + 2000×15 = 78,000 per million
    assert cost_of(usage, "claude-sonnet-4-6") == pytest.approx(0.078)
    # the same writes under a 1-hour TTL: 4000×6 instead of 4000×3.75
    assert cost_of(usage, "claude-sonnet-4-6", cache_ttl="1h") == pytest.approx(0.087)


def test_cost_of_an_openai_usage_has_no_write_premium() -> None:
    usage = Usage(input_tokens=10_000, output_tokens=1_000, cache_read_tokens=20_000)
    # 10000×2.5 + 20000×1.25 + 1000×10 = 60,000 per million
    assert cost_of(usage, "gpt-4o", provider="openai-chat") == pytest.approx(0.06)
