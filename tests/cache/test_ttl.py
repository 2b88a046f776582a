"""TTL advice: replaying the ledger's history under a 5-minute and a 1-hour cache."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from headroom.cache.prices import price_for
from headroom.cache.ttl import advise_ttl, effective_ttl
from headroom.config import load_settings
from headroom.providers.usage import Usage
from headroom.proxy.ledger import Ledger, LedgerEntry
from headroom.store import MemoryStore, StoreError

T0 = 1_800_000_000.0  # a fixed wall-clock time; gaps are what matter


@pytest.fixture(autouse=True)
def _fresh_prices() -> Iterator[None]:
    price_for.cache_clear()
    yield
    price_for.cache_clear()


def _entry(
    at: float,
    prefix: int,
    *,
    session: str | None = "s1",
    model: str = "claude-sonnet-4-6",
    provider: str = "anthropic",
    uncached: int = 0,
    with_usage: bool = True,
) -> LedgerEntry:
    usage = Usage(input_tokens=uncached, output_tokens=50, cache_write_tokens=prefix)
    return LedgerEntry(
        provider=provider,
        model=model,
        tenant="t_test",
        time=at,
        session=session,
        tokens_before=prefix * 2,
        tokens_after=prefix,
        usage=usage if with_usage else None,
    )


def _rhythm(
    gaps: Sequence[float], prefixes: Sequence[int], *, start: float = T0, **kw: Any
) -> list[LedgerEntry]:
    """One session: a request at `start`, then one after each gap."""
    times = [start]
    for gap in gaps:
        times.append(times[-1] + gap)
    return [_entry(t, p, **kw) for t, p in zip(times, prefixes, strict=True)]


def test_ten_minute_gaps_make_the_one_hour_ttl_cheaper() -> None:
    entries = _rhythm([600, 600], [10_000] * 3, uncached=100)
    advice = advise_ttl(entries)
    # 5m: every request writes 10,000 again at 3.75, plus 300 uncached at 3
    assert advice.dollars_5m == pytest.approx((30_000 * 3.75 + 300 * 3) / 1e6)
    # 1h: one write at 6, two reads at 0.3, plus the same uncached input
    assert advice.dollars_1h == pytest.approx((10_000 * 6 + 20_000 * 0.3 + 300 * 3) / 1e6)
    assert advice.recommended == "1h"
    assert advice.requests == 3
    assert advice.sessions == 1
    assert advice.median_gap_s == 600
    assert advice.mid_gap_share == 1.0
    assert advice.saving == pytest.approx(advice.dollars_5m - advice.dollars_1h)


def test_thirty_second_gaps_make_the_five_minute_ttl_cheaper() -> None:
    entries = _rhythm([30, 30], [10_000, 12_000, 14_000])
    advice = advise_ttl(entries)
    # both stay warm and read the earlier prefix; only the growth is written
    reads = (10_000 + 12_000) * 0.3
    assert advice.dollars_5m == pytest.approx((14_000 * 3.75 + reads) / 1e6)
    assert advice.dollars_1h == pytest.approx((14_000 * 6 + reads) / 1e6)
    assert advice.recommended == "5m"
    assert advice.median_gap_s == 30
    assert advice.mid_gap_share == 0.0


def test_no_history_recommends_five_minutes_with_a_note() -> None:
    advice = advise_ttl([])
    assert advice.recommended == "5m"
    assert advice.requests == 0
    assert advice.sessions == 0
    assert advice.median_gap_s is None
    assert advice.dollars_5m == advice.dollars_1h == 0.0
    assert "no Anthropic requests" in advice.note


def test_single_requests_have_no_gaps_and_keep_five_minutes() -> None:
    advice = advise_ttl([_entry(T0, 10_000, session="a"), _entry(T0 + 900, 10_000, session="b")])
    assert advice.sessions == 2
    assert advice.gaps == 0
    assert advice.recommended == "5m"
    assert advice.note


def test_gaps_are_measured_within_a_session_not_across_sessions() -> None:
    # Two sessions, each with ten-minute gaps, interleaved five minutes apart:
    # read as one stream every gap would be 300 s and the 5-minute TTL would win.
    one = _rhythm([600] * 3, [10_000] * 4, session="one")
    two = _rhythm([600] * 3, [10_000] * 4, session="two", start=T0 + 300)
    advice = advise_ttl(one + two)
    assert advice.sessions == 2
    assert advice.median_gap_s == 600
    assert advice.recommended == "1h"


def test_each_model_of_a_session_is_its_own_cache() -> None:
    main = _rhythm([600] * 3, [10_000] * 4)
    side = _rhythm([600] * 3, [2_000] * 4, model="claude-haiku-4-5", start=T0 + 200)
    advice = advise_ttl(main + side)
    assert advice.sessions == 2
    assert advice.median_gap_s == 600
    sonnet_5m = 40_000 * 3.75
    haiku_5m = 8_000 * 1.25
    assert advice.dollars_5m == pytest.approx((sonnet_5m + haiku_5m) / 1e6)


def test_order_of_the_entries_does_not_matter() -> None:
    entries = _rhythm([600, 30, 4_000], [10_000, 11_000, 12_000, 13_000])
    forward = advise_ttl(entries)
    newest_first = advise_ttl(list(reversed(entries)))  # as Ledger.recent returns them
    assert newest_first == forward
    assert forward.median_gap_s == 600
    assert forward.mid_gap_share == pytest.approx(1 / 3)


def test_a_prefix_that_shrinks_reads_only_what_is_still_cached() -> None:
    advice = advise_ttl(_rhythm([30], [10_000, 4_000]))
    assert advice.dollars_5m == pytest.approx((10_000 * 3.75 + 4_000 * 0.3) / 1e6)


def test_without_usage_the_tokens_sent_are_the_prefix() -> None:
    advice = advise_ttl(_rhythm([600, 600], [10_000] * 3, with_usage=False))
    assert advice.dollars_5m == pytest.approx(30_000 * 3.75 / 1e6)
    assert advice.dollars_1h == pytest.approx((10_000 * 6 + 20_000 * 0.3) / 1e6)


def test_requests_to_other_providers_are_left_out() -> None:
    openai = _rhythm([600, 600], [10_000] * 3, model="gpt-4o", provider="openai-chat")
    advice = advise_ttl(openai)
    assert advice.ignored == 3
    assert advice.requests == 0
    assert advice.recommended == "5m"
    mixed = advise_ttl(openai + _rhythm([600, 600], [10_000] * 3))
    assert mixed.ignored == 3
    assert mixed.requests == 3
    assert mixed.recommended == "1h"


def test_requests_without_a_session_key_form_one_session() -> None:
    advice = advise_ttl(_rhythm([600, 600], [10_000] * 3, session=None))
    assert advice.sessions == 1
    assert advice.recommended == "1h"


# effective_ttl


def _ledger_store(entries: Sequence[LedgerEntry]) -> MemoryStore:
    store = MemoryStore()
    ledger = Ledger(store)
    for entry in entries:
        ledger.record(entry)
    return store


def test_a_fixed_ttl_setting_is_used_as_it_is() -> None:
    store = _ledger_store(_rhythm([600, 600], [10_000] * 3))
    assert effective_ttl(load_settings(cache_ttl="5m"), store) == "5m"
    assert effective_ttl(load_settings(cache_ttl="1h"), MemoryStore()) == "1h"


def test_auto_follows_the_ledger_and_reuses_its_answer_for_ten_minutes() -> None:
    settings = load_settings(cache_ttl="auto")
    store = _ledger_store(_rhythm([600, 600], [10_000] * 3))
    assert effective_ttl(settings, store, now=1_000.0) == "1h"
    # A burst of fast requests now makes 5m the cheaper TTL ...
    fast = _rhythm([5] * 40, [10_000 + 1_000 * i for i in range(41)], start=T0 + 5_000)
    ledger = Ledger(store)
    for entry in fast:
        ledger.record(entry)
    # ... but the answer is reused until ten minutes have passed.
    assert effective_ttl(settings, store, now=1_000.0 + 599) == "1h"
    assert effective_ttl(settings, store, now=1_000.0 + 601) == "5m"


def test_auto_answers_are_kept_per_store() -> None:
    settings = load_settings(cache_ttl="auto")
    slow = _ledger_store(_rhythm([600, 600], [10_000] * 3))
    empty = MemoryStore()
    assert effective_ttl(settings, slow, now=50.0) == "1h"
    assert effective_ttl(settings, empty, now=50.0) == "5m"


class _BrokenStore(MemoryStore):
    def counters(self, prefix: str = "") -> dict[str, int]:
        raise StoreError("store is down")


def test_auto_falls_back_to_five_minutes_when_the_ledger_fails() -> None:
    settings = load_settings(cache_ttl="auto", raise_errors=False)
    assert effective_ttl(settings, _BrokenStore(), now=0.0) == "5m"


def test_auto_raises_ledger_errors_under_tests() -> None:
    settings = load_settings(cache_ttl="auto")
    with pytest.raises(StoreError):
        effective_ttl(settings, _BrokenStore(), now=0.0)
