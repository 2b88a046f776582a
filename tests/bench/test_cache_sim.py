from __future__ import annotations

from typing import Any

import pytest

from headroom.bench.cache_sim import BlockTokens, PrefixCache, canonical, prefix_items
from headroom.cache.prices import Price
from headroom.config import load_settings
from headroom.tokens import counter_for

SONNET = Price(3.0, 15.0, 0.3, 3.75, 6.0, "test", "claude-sonnet-4-5")
CC: dict[str, Any] = {"type": "ephemeral"}


@pytest.fixture
def tokens() -> BlockTokens:
    settings = load_settings()
    return BlockTokens(counter_for(settings.tokenizer_dir, settings.home_path))


def _cache(tokens: BlockTokens, **kwargs: Any) -> PrefixCache:
    return PrefixCache(tokens, price=SONNET, **kwargs)


def _text(words: int, seed: str, cc: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": " ".join(f"{seed}{i}" for i in range(words))}
    return {**block, "cache_control": cc} if cc else block


def _body(*messages: list[dict[str, Any]], system: list[Any] | None = None) -> dict[str, Any]:
    roles = ["user", "assistant"]
    return {
        "model": "claude-sonnet-4-5",
        "system": system if system is not None else [_text(800, "sys", CC)],
        "messages": [{"role": roles[i % 2], "content": m} for i, m in enumerate(messages)],
    }


def _prefix_tokens(tokens: BlockTokens, body: dict[str, Any], count: int) -> int:
    items = list(prefix_items(body))[:count]
    return sum(tokens.count(canonical(block)) for _, block in items)


def test_a_repeated_prefix_is_written_once_then_read(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    body = _body([_text(300, "task", CC)])
    first = cache.bill(body, now=0)
    second = cache.bill(body, now=60)
    assert first.cache_read_tokens == 0
    assert first.cache_write_tokens == first.input_tokens > 1024
    assert second.cache_read_tokens == first.cache_write_tokens
    assert second.cache_write_tokens == second.uncached_tokens == 0
    assert second.hit_ratio == 1.0


def test_tokens_after_the_last_breakpoint_are_uncached(tokens: BlockTokens) -> None:
    body = _body([_text(300, "task", CC), _text(50, "tail")])
    bill = _cache(tokens).bill(body, now=0)
    tail = tokens.count(canonical(_text(50, "tail")))
    assert bill.uncached_tokens == tail
    assert bill.cache_write_tokens == bill.input_tokens - tail


def test_a_changed_middle_block_misses_after_it(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    turn = [_text(300, "task")], [_text(40, "thought")], [_text(200, "result", CC)]
    cache.bill(_body(*turn), now=0)
    changed = _body(turn[0], [_text(40, "other")], turn[2])
    bill = cache.bill(changed, now=30)
    system_only = _prefix_tokens(tokens, changed, 1)  # the system breakpoint still matches
    assert bill.cache_read_tokens == system_only
    assert bill.cache_write_tokens == bill.input_tokens - system_only


def test_a_moved_breakpoint_finds_the_entry_within_twenty_blocks(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    first = [_text(300, "task", CC)]
    cache.bill(_body(first), now=0)
    near = _body([_text(300, "task"), *[_text(5, f"b{i}") for i in range(19)], _text(5, "x", CC)])
    bill = cache.bill(near, now=10)
    assert bill.cache_read_tokens == _prefix_tokens(tokens, near, 2)

    far_cache = _cache(tokens)
    far_cache.bill(_body(first), now=0)
    blocks = [_text(300, "task"), *[_text(5, f"b{i}") for i in range(25)], _text(5, "x", CC)]
    far = _body(blocks, system=[_text(800, "sys")])
    assert far_cache.bill(far, now=10).cache_read_tokens == 0


def test_a_five_minute_entry_expires_after_six_minutes(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    body = _body([_text(300, "task", CC)])
    cache.bill(body, now=0)
    late = cache.bill(body, now=360)
    assert late.cache_read_tokens == 0
    assert late.cache_write_tokens == late.input_tokens


def test_a_one_hour_entry_still_hits_after_six_minutes(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    hour = {"type": "ephemeral", "ttl": "1h"}
    body = _body([_text(300, "task", hour)], system=[_text(800, "sys", hour)])
    first = cache.bill(body, now=0)
    assert first.cache_write_1h_tokens == first.input_tokens
    assert first.cache_write_5m_tokens == 0
    late = cache.bill(body, now=360)
    assert late.cache_read_tokens == first.input_tokens


def test_reads_refresh_the_ttl(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    body = _body([_text(300, "task", CC)])
    cache.bill(body, now=0)
    # At 240 s a longer request reads the task's entry through the lookback (the
    # task block is no breakpoint of its own there), which refreshes it.
    longer = _body([_text(300, "task")], [_text(10, "said")], [_text(10, "next", CC)])
    assert cache.bill(longer, now=240).cache_read_tokens == _prefix_tokens(tokens, longer, 2)
    late = cache.bill(body, now=480)  # 480 s after the write, 240 s after the read
    assert late.cache_read_tokens == late.input_tokens


def test_a_breakpoint_below_the_model_minimum_caches_nothing(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    small = _body([_text(20, "task", CC)], system=[_text(20, "sys")])
    assert small["model"] == "claude-sonnet-4-5"  # minimum 1024 tokens
    for now in (0, 10):
        bill = cache.bill(small, now=now)
        assert bill.cache_read_tokens == bill.cache_write_tokens == 0
        assert bill.uncached_tokens == bill.input_tokens > 0
    low = _cache(tokens, min_tokens=(("*", "10"),))
    low.bill(small, now=0)
    assert low.bill(small, now=10).cache_read_tokens > 0


def test_more_than_four_breakpoints_make_the_request_invalid(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    body = _body([_text(100, f"m{i}", CC) for i in range(4)])  # 4 + the system one
    bill = cache.bill(body, now=0)
    assert bill.invalid == 1
    assert bill.uncached_tokens == bill.input_tokens
    assert bill.cache_write_tokens == 0
    assert cache.bill(body, now=1).cache_read_tokens == 0  # nothing was cached either


def test_top_level_cache_control_caches_through_the_last_block(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    body = _body([_text(300, "task"), _text(20, "last")], system=[_text(800, "s")])
    body["cache_control"] = CC
    first = cache.bill(body, now=0)
    assert first.cache_write_tokens == first.input_tokens
    assert cache.bill(body, now=5).cache_read_tokens == first.input_tokens


def test_the_claude_code_billing_line_is_left_out_of_the_prefix(tokens: BlockTokens) -> None:
    cache = _cache(tokens)

    def body(cch: str) -> dict[str, Any]:
        billing = {"type": "text", "text": f"x-anthropic-billing-header: cc_version=2; cch={cch};"}
        return _body([_text(300, "task", CC)], system=[billing, _text(800, "sys")])

    cache.bill(body("aaaa"), now=0)
    again = cache.bill(body("bbbb"), now=5)
    assert again.cache_read_tokens == again.input_tokens


def test_cache_control_is_not_part_of_a_blocks_identity(tokens: BlockTokens) -> None:
    cache = _cache(tokens)
    cache.bill(_body([_text(300, "task", CC)]), now=0)
    moved = _body([_text(300, "task")], [_text(10, "said")], [_text(10, "next", CC)])
    assert cache.bill(moved, now=5).cache_read_tokens == _prefix_tokens(tokens, moved, 2)


def test_input_dollars_weigh_writes_and_reads_against_the_input_price(
    tokens: BlockTokens,
) -> None:
    cache = _cache(tokens)
    body = _body([_text(300, "task", CC), _text(50, "tail")])
    first = cache.bill(body, now=0)
    second = cache.bill(body, now=1)
    assert first.input_dollars == pytest.approx(
        3.0 * (first.uncached_tokens + 1.25 * first.cache_write_tokens) / 1e6
    )
    assert second.input_dollars == pytest.approx(
        3.0 * (second.uncached_tokens + 0.1 * second.cache_read_tokens) / 1e6
    )
    total = first + second
    assert total.requests == 2
    assert total.input_dollars == pytest.approx(first.input_dollars + second.input_dollars)
