"""Honest accounting: arms, real and counterfactual dollars, measured savings."""

from __future__ import annotations

import random

import pytest

from headroom.accounting import (
    COMPRESSED,
    HOLDOUT,
    arm_of,
    costs,
    measured_savings,
    scaled_input,
)
from headroom.cache.prices import cost_of
from headroom.providers.usage import Usage


def test_a_session_stays_in_its_arm_and_the_holdout_share_is_respected() -> None:
    keys = [f"session-{i}" for i in range(4000)]
    arms = [arm_of(k, 0.1) for k in keys]
    assert arms == [arm_of(k, 0.1) for k in keys]  # the same on every replica, every time
    share = arms.count(HOLDOUT) / len(arms)
    assert 0.08 < share < 0.12
    assert {arm_of(k, 0.0) for k in keys} == {COMPRESSED}
    assert arm_of(None, 0.5) == COMPRESSED


def test_the_counterfactual_grows_the_input_side_back_in_the_requests_own_proportions() -> None:
    usage = Usage(input_tokens=100, output_tokens=50, cache_read_tokens=900, cache_write_tokens=0)
    money = costs(
        usage, "claude-sonnet-4-5", provider="anthropic", body_tokens=2000, tokens_saved=1000
    )
    assert money.dollars == pytest.approx(cost_of(usage, "claude-sonnet-4-5"))
    grown = scaled_input(usage, 2.0)
    assert (grown.input_tokens, grown.cache_read_tokens, grown.output_tokens) == (200, 1800, 50)
    assert money.dollars_without == pytest.approx(cost_of(grown, "claude-sonnet-4-5"))
    assert money.saved > 0


def test_meter_only_prices_the_receipt_as_the_cost_without_headroom() -> None:
    usage = Usage(input_tokens=2000, output_tokens=10)
    money = costs(
        usage, "gpt-4.1", provider="openai", body_tokens=2000, tokens_saved=500, applied=False
    )
    assert money.dollars_without == pytest.approx(cost_of(usage, "gpt-4.1"))
    assert money.dollars == pytest.approx(cost_of(Usage(1500, 10), "gpt-4.1"))


def test_nothing_saved_means_both_costs_are_the_receipt() -> None:
    usage = Usage(input_tokens=10, output_tokens=1)
    money = costs(usage, "gpt-4.1", provider="openai", body_tokens=10, tokens_saved=0)
    assert money.dollars == money.dollars_without


def test_savings_are_measured_against_holdout_sessions_with_an_interval() -> None:
    rng = random.Random(7)
    samples = [(HOLDOUT, rng.uniform(0.9, 1.1) * 3e-6 * 1000, 1000) for _ in range(40)]
    samples += [(COMPRESSED, rng.uniform(0.9, 1.1) * 1.5e-6 * 1000, 1000) for _ in range(200)]
    measured = measured_savings(samples)
    assert measured.label == "measured"
    assert measured.saved_pct is not None and 45 < measured.saved_pct < 55
    assert measured.low_pct is not None and measured.high_pct is not None
    assert measured.low_pct < measured.saved_pct < measured.high_pct
    assert measured.high_pct - measured.low_pct < 10


def test_too_few_holdout_samples_give_no_measurement() -> None:
    measured = measured_savings([(COMPRESSED, 1.0, 10)] * 50 + [(HOLDOUT, 2.0, 10)] * 2)
    assert measured.label == "estimated" and measured.saved_pct is None
    assert measured.as_dict()["holdout_samples"] == 2
