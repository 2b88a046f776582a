from __future__ import annotations

from headroom.cache.planner import CachePlan
from headroom.cache.session import SessionState

NOW = 10_000.0


def plan(*, since: float | None, turns: int = 4, ttl: str = "5m") -> CachePlan:
    last = None if since is None else NOW - since
    return CachePlan(SessionState(last_seen=last, messages_sent=10, turns=turns), NOW, ttl)


def test_a_session_never_seen_is_cold_and_every_block_may_change() -> None:
    verdict = plan(since=None).verdict(original=1000, shrunk=100, after=10**9)
    assert verdict.change and "cold" in verdict.why


def test_past_the_ttl_the_cache_is_cold() -> None:
    assert not plan(since=301).warm
    assert plan(since=299).warm
    assert plan(since=3000, ttl="1h").warm


def test_a_warm_cache_is_kept_when_the_write_costs_more_than_reads_save() -> None:
    # 4 turns left × 0.1 × 900 saved = 360 < 1.25 × (5000 + 100) - 0.1 × (5000 + 1000) = 5775
    verdict = plan(since=10).verdict(original=1000, shrunk=100, after=5000)
    assert not verdict.change
    assert "5775" in verdict.why and "360" in verdict.why


def test_a_warm_cache_is_broken_when_the_future_reads_pay_for_it() -> None:
    p = plan(since=10, turns=50)
    # 50 × 0.1 × 99 000 = 495 000 > 1.25 × (100 + 1000) - 0.1 × (100 + 100 000) = -8 635
    verdict = p.verdict(original=100_000, shrunk=1000, after=100)
    assert verdict.change and "pays" in verdict.why
    # Once broken, later blocks cost nothing more to change.
    assert p.verdict(original=1000, shrunk=900, after=10**9).change


def test_the_1h_write_price_makes_breaking_the_cache_dearer() -> None:
    sizes = {"original": 20_000, "shrunk": 2000, "after": 9000}
    assert plan(since=10, turns=10, ttl="5m").verdict(**sizes).change
    assert not plan(since=10, turns=10, ttl="1h").verdict(**sizes).change


def test_only_messages_the_previous_request_carried_count_as_sent() -> None:
    p = plan(since=10)
    assert p.already_sent(9) and not p.already_sent(10)
