"""`headroom stats` over the ledger: windows, groupings, totals, cache and holdout."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx
import orjson
import pytest

from headroom.providers.usage import Usage
from headroom.proxy.ledger import Ledger, LedgerEntry
from headroom.stats_report import Report, build_report, parse_since
from headroom.store.sqlite import SQLiteStore
from headroom.testing import FakeUpstream, Reply
from tests.cli.running import free_port, headroom_proxy
from tests.proxy import bodies
from tests.proxy.conftest import big_log

NOW = 1_800_000_000.0
DAY = 86400.0


def block(compressor: str | None, tool: str, before: int, after: int) -> dict[str, Any]:
    decision = "compressed" if before > after else "kept"
    return {
        "compressor": compressor,
        "tool": tool,
        "decision": decision,
        "tokens_before": before,
        "tokens_after": after,
    }


def entry(**changes: Any) -> LedgerEntry:
    decisions = (block("logs", "Bash", 1000, 100), block("json", "Read", 500, 400))
    fields: dict[str, Any] = {
        "provider": "anthropic",
        "model": "claude-sonnet-4-6",
        "tenant": "t_a",
        "time": NOW - 60,
        "session": "s1",
        "tokens_before": 1500,
        "tokens_after": 500,
        "decisions": decisions,
        "usage": Usage(input_tokens=100, cache_read_tokens=300, cache_write_tokens=100),
        "dollars": 0.01,
        "dollars_without": 0.05,
    }
    fields.update(changes)
    return LedgerEntry(**fields)


def report(
    entries: list[LedgerEntry], by: str = "model", since: str = "7d", ring: int = 1000
) -> Report:
    return build_report(entries, since_s=parse_since(since), by=by, now=NOW, ring=ring)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("12h", 43200), ("7d", 604800), ("1.5h", 5400)]
)
def test_windows_are_read_in_minutes_hours_and_days(text: str, seconds: float) -> None:
    assert parse_since(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "d", "-1d", "0h", "7 days", "7y"])
def test_a_window_that_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="30m, 12h or 7d"):
        parse_since(text)


def test_requests_outside_the_window_are_left_out() -> None:
    entries = [entry(), entry(time=NOW - 2 * DAY), entry(time=NOW - 9 * DAY)]
    assert report(entries, since="1d").totals.requests == 1
    assert report(entries, since="7d").totals.requests == 2


def test_grouping_by_model_sums_requests_tokens_and_dollars_with_a_totals_row() -> None:
    entries = [entry(), entry(), entry(model="gpt-4.1", dollars=0.02, dollars_without=0.02)]
    result = report(entries, by="model")
    sonnet, gpt = result.rows
    assert (sonnet.key, sonnet.requests, sonnet.tokens_saved) == ("claude-sonnet-4-6", 2, 2000)
    assert sonnet.dollars == pytest.approx(0.02)
    assert sonnet.dollars_without == pytest.approx(0.1)
    assert sonnet.dollars_saved == pytest.approx(0.08)
    assert gpt.dollars_saved == pytest.approx(0.0)
    totals = result.totals
    assert (totals.requests, totals.tokens_before, totals.tokens_after) == (3, 4500, 1500)
    assert totals.saved_pct == pytest.approx(66.666, rel=1e-3)
    assert totals.dollars_saved == pytest.approx(0.08)


def test_grouping_by_session_names_requests_without_one() -> None:
    result = report([entry(), entry(session=None), entry(session="s2")], by="session")
    assert sorted(r.key for r in result.rows) == ["(none)", "s1", "s2"]


def test_grouping_by_compressor_uses_the_blocks_and_shares_the_dollars_saved() -> None:
    result = report([entry(), entry()], by="compressor")
    rows = {r.key: r for r in result.rows}
    logs, json = rows["logs"], rows["json"]
    assert (logs.requests, logs.tokens_before, logs.tokens_after) == (2, 2000, 200)
    assert (json.tokens_saved, json.dollars) == (200, None)
    # each request saved $0.04: 900 of its 1000 saved tokens were the logs block's
    assert logs.dollars_saved == pytest.approx(2 * 0.04 * 0.9)
    assert json.dollars_saved == pytest.approx(2 * 0.04 * 0.1)
    assert [r.key for r in result.rows] == ["logs", "json"]  # most saved first


def test_grouping_by_tool_counts_blocks_kept_as_they_were() -> None:
    kept = (block(None, "Edit", 300, 300),)
    result = report([entry(), entry(decisions=kept)], by="tool")
    rows = {r.key: r for r in result.rows}
    assert rows["Edit"].tokens_saved == 0 and rows["Edit"].requests == 1
    assert rows["Bash"].tokens_saved == 900


def test_unpriced_requests_have_no_dollars() -> None:
    result = report([entry(usage=None, dollars=None, dollars_without=None)])
    assert result.totals.dollars is None and result.rows[0].dollars_saved is None


def test_the_cache_hit_rate_is_reads_over_all_prompt_tokens() -> None:
    result = report([entry(), entry(usage=Usage(input_tokens=500))])
    assert result.usage.cache_read_tokens == 300
    assert result.hit_rate == pytest.approx(300 / 1000)


def test_the_holdout_measurement_appears_when_there_are_holdout_requests() -> None:
    treated = [entry(arm="compressed", body_tokens=1000, dollars=0.01 + i / 1e4) for i in range(6)]
    held = [entry(arm="holdout", body_tokens=1000, dollars=0.04 + i / 1e4) for i in range(6)]
    result = report(treated + held)
    assert result.holdout_present
    assert result.measured.label == "measured"
    assert result.measured.saved_pct is not None and 70 < result.measured.saved_pct < 80
    assert not report(treated).holdout_present


def test_a_full_ring_inside_the_window_is_flagged_as_cut_short() -> None:
    entries = [entry() for _ in range(3)]
    assert report(entries, ring=3).truncated
    assert not report(entries, ring=10).truncated
    assert not report([*entries[:2], entry(time=NOW - 30 * DAY)], ring=3).truncated


def _headroom(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEADROOM_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "headroom", "stats", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _record(home: Path, entries: list[LedgerEntry]) -> None:
    store = SQLiteStore(home / "store.db")
    ledger = Ledger(store)
    for item in entries:
        ledger.record(item)
    store.close()


def test_the_command_prints_the_grouped_table_with_totals_cache_and_learning(
    _isolated_home: Path,
) -> None:
    now = time.time()
    _record(
        _isolated_home,
        [entry(time=now - 60), entry(time=now - 30, model="gpt-4.1"), entry(time=now - 5 * DAY)],
    )
    result = _headroom(_isolated_home, "--since", "1d", "--by", "model")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "requests in the last 1d, by model" in out
    assert "claude-sonnet-4-6" in out and "gpt-4.1" in out
    total = next(line for line in out.splitlines() if "total" in line)
    assert "3,000" in total and "1,000" in total  # before and after, two requests
    assert "hit rate 60.0%" in out
    assert "originals stored" in out  # what `headroom stats` showed before stays


def test_the_command_prints_json_with_the_ledger_and_the_old_keys(_isolated_home: Path) -> None:
    _record(_isolated_home, [entry(time=time.time() - 60)])
    result = _headroom(_isolated_home, "--by", "compressor", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = orjson.loads(result.stdout)
    assert {"counters", "learned", "ledger"} <= data.keys()
    ledger = data["ledger"]
    assert ledger["by"] == "compressor"
    assert [row["key"] for row in ledger["rows"]] == ["logs", "json"]
    assert ledger["totals"]["requests"] == 1
    assert ledger["cache"]["hit_rate"] == 0.6
    assert orjson.loads(_headroom(_isolated_home, "--json").stdout)["ledger"]["by"] == "compressor"


def test_the_command_refuses_a_bad_window_or_grouping(_isolated_home: Path) -> None:
    assert _headroom(_isolated_home, "--since", "soon").returncode == 2
    bad = _headroom(_isolated_home, "--by", "planet")
    assert bad.returncode == 2 and "--by takes compressor, tool, model, session" in bad.stderr


def test_an_empty_ledger_says_how_to_fill_it(_isolated_home: Path) -> None:
    result = _headroom(_isolated_home)
    assert result.returncode == 0, result.stderr
    assert "no requests recorded in the last 7d" in result.stdout


def test_after_traffic_through_a_real_proxy_the_command_agrees_with_stats(
    _isolated_home: Path,
) -> None:
    """Scripted requests through `headroom proxy`; `headroom stats` must match `/stats`."""
    port = free_port()
    with FakeUpstream() as up:
        env = {
            **os.environ,
            "HEADROOM_HOME": str(_isolated_home),
            "HEADROOM_UPSTREAM_ANTHROPIC": up.url,
            "HEADROOM_PIPELINE_BUDGET_MS": "30000",
        }
        with headroom_proxy(env, port) as url:
            client = anthropic.Anthropic(api_key="sk-stats", base_url=url, max_retries=0)
            for cached in (0, 2000):
                up.script(Reply.text("ok").with_usage(input_tokens=800, cache_read_tokens=cached))
                client.messages.create(**bodies.anthropic(big_log()))
            served = _served_stats(url, 2)
    result = _headroom(_isolated_home, "--by", "model", "--format", "json")
    assert result.returncode == 0, result.stderr
    ledger = orjson.loads(result.stdout)["ledger"]
    totals = ledger["totals"]
    assert totals["requests"] == served["requests"] == 2
    assert totals["tokens_before"] == served["tokens_before"] > 0
    assert totals["tokens_after"] == served["tokens_after"] < totals["tokens_before"]
    assert totals["dollars"] == pytest.approx(served["dollars"]["spent"], abs=1e-6)
    assert totals["dollars_saved"] == pytest.approx(served["dollars"]["saved"], abs=1e-6)
    hit_rate = pytest.approx(2000 / 3600, abs=1e-4)
    assert ledger["cache"]["hit_rate"] == served["cache"]["hit_rate"] == hit_rate
    assert [row["key"] for row in ledger["rows"]] == ["claude-sonnet-4-6"]


def _served_stats(url: str, requests: int) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        stats: dict[str, Any] = httpx.get(url + "/stats").json()
        if stats["requests"] >= requests or time.monotonic() > deadline:
            return stats
        time.sleep(0.01)
