"""The usage ledger on real stores: record, summarize, tenants, sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headroom.providers.usage import Usage
from headroom.proxy.ledger import (
    ANONYMOUS,
    SEQ,
    Ledger,
    LedgerEntry,
    session_of,
    tenant_of,
)
from headroom.store import MemoryStore, SQLiteStore, Store

KEY = "sk-ant-api03-secretsecretsecret"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "s.db")
    yield backend
    backend.close()


def entry(n: int = 0, *, tenant: str = "t_a", **changes: object) -> LedgerEntry:
    fields: dict[str, object] = {
        "provider": "anthropic",
        "model": "claude-sonnet-4-6",
        "tenant": tenant,
        "time": 1_700_000_000.0 + n,
        "request_id": f"req_{n}",
        "route": "/v1/messages",
        "session": "sess-1",
        "tokens_before": 1000,
        "tokens_after": 400,
        "usage": Usage(input_tokens=10, output_tokens=20, cache_read_tokens=300),
        "compressors": {"json": 2, "logs": 1},
        "blocks_changed": 3,
        "retrievals": 1,
        "proxy_ms": 2.5,
        "upstream_ms": 120.0,
        "status": 200,
        "streaming": True,
    }
    fields.update(changes)
    return LedgerEntry(**fields)  # type: ignore[arg-type]


def test_a_recorded_entry_comes_back_in_the_summary(store: Store) -> None:
    ledger = Ledger(store)
    original = entry()
    ledger.record(original)
    summary = ledger.summary()
    assert summary["requests"] == 1
    assert summary["recorded"] == 1
    assert [LedgerEntry.from_json(e) for e in summary["recent"]] == [original]


def test_summary_totals_sum_every_recorded_entry(store: Store) -> None:
    ledger = Ledger(store)
    ledger.record(entry(1))
    ledger.record(entry(2, provider="openai-chat", model="gpt-4.1", status=429, usage=None))
    summary = ledger.summary()
    assert summary["requests"] == 2
    assert summary["tokens_before"] == 2000
    assert summary["tokens_saved"] == 1200
    assert summary["saved_pct"] == 60.0
    assert summary["usage"] == {
        "input_tokens": 10,
        "output_tokens": 20,
        "cache_read_tokens": 300,
        "cache_write_tokens": 0,
    }
    assert summary["responses_with_usage"] == 1
    assert summary["compressors"] == {"json": 4, "logs": 2}
    assert summary["models"] == {"claude-sonnet-4-6": 1, "gpt-4.1": 1}
    assert summary["providers"] == {"anthropic": 1, "openai-chat": 1}
    assert summary["statuses"] == {"200": 1, "429": 1}
    assert summary["proxy_ms_avg"] == 2.5
    assert summary["retrievals"] == 2


def test_recent_entries_come_newest_first_and_are_bounded(store: Store) -> None:
    ledger = Ledger(store)
    for n in range(5):
        ledger.record(entry(n))
    ids = [e["request_id"] for e in ledger.summary(last=3)["recent"]]
    assert ids == ["req_4", "req_3", "req_2"]


def test_the_ring_keeps_only_the_last_slots_entries(store: Store) -> None:
    ledger = Ledger(store, slots=4)
    for n in range(10):
        ledger.record(entry(n))
    summary = ledger.summary(last=50)
    assert [e["request_id"] for e in summary["recent"]] == ["req_9", "req_8", "req_7", "req_6"]
    assert summary["requests"] == 10


def test_a_slot_not_yet_rewritten_by_an_in_flight_record_is_skipped(store: Store) -> None:
    ledger = Ledger(store, slots=2)
    assert [ledger.record(entry(n)) for n in range(2)] == [1, 2]
    # Another record has taken seq 3 but not yet written its slot, which still
    # holds seq 1: the reader must not pass seq 1's entry off as seq 3's.
    assert store.incr(SEQ) == 3
    assert [e.request_id for e in ledger.recent(last=10)] == ["req_1"]


def test_summary_for_one_tenant_shows_only_that_tenants_totals_and_entries(store: Store) -> None:
    ledger = Ledger(store)
    ledger.record(entry(1, tenant="t_a"))
    ledger.record(entry(2, tenant="t_b"))
    ledger.record(entry(3, tenant="t_a"))
    summary = ledger.summary("t_b")
    assert summary["requests"] == 1
    assert summary["tenant"] == "t_b"
    assert [e["request_id"] for e in summary["recent"]] == ["req_2"]
    assert ledger.summary()["tenants"] == {"t_a": 2, "t_b": 1}


def test_an_empty_ledger_summarizes_to_zeros(store: Store) -> None:
    summary = Ledger(store).summary()
    assert summary["requests"] == 0
    assert summary["saved_pct"] == 0.0
    assert summary["proxy_ms_avg"] == 0.0
    assert summary["recent"] == []


def test_entries_survive_reopening_the_sqlite_file(tmp_path: Path) -> None:
    first = SQLiteStore(tmp_path / "s.db")
    Ledger(first).record(entry(7))
    first.close()
    again = SQLiteStore(tmp_path / "s.db")
    try:
        summary = Ledger(again).summary()
    finally:
        again.close()
    assert summary["requests"] == 1
    assert summary["recent"][0]["request_id"] == "req_7"


def test_tenant_hash_never_contains_the_key() -> None:
    tenant = tenant_of({"x-api-key": KEY})
    assert tenant.startswith("t_")
    assert KEY not in tenant
    assert not any(KEY[i : i + 8] in tenant for i in range(len(KEY) - 8))


def test_the_same_key_is_the_same_tenant_whichever_header_carries_it() -> None:
    by_api_key = tenant_of({"X-Api-Key": KEY})
    assert tenant_of({"Authorization": f"Bearer {KEY}"}) == by_api_key
    assert tenant_of({"x-goog-api-key": KEY}) == by_api_key
    assert tenant_of({}, {"key": KEY}) == by_api_key
    assert tenant_of({"x-api-key": KEY + "x"}) != by_api_key


def test_requests_without_credentials_are_anonymous() -> None:
    assert tenant_of({}) == ANONYMOUS
    assert tenant_of({"authorization": "Basic abc"}) == ANONYMOUS


def test_recorded_ledger_never_stores_the_key(store: Store) -> None:
    ledger = Ledger(store)
    ledger.record(entry(tenant=tenant_of({"authorization": f"Bearer {KEY}"})))
    assert KEY not in repr(ledger.summary())
    assert not any(KEY in name for name in store.counters())


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"X-Claude-Code-Session-Id": "cc-1"}, {"prompt_cache_key": "pk"}, "cc-1"),
        ({"conversation_id": "conv-1"}, None, "conv-1"),
        ({"session_id": "s-1"}, None, "s-1"),
        ({}, {"prompt_cache_key": "pk-1"}, "pk-1"),
        ({}, {"metadata": {"user_id": "user_abc_session_1"}}, "user_abc_session_1"),
        ({}, {"metadata": "odd"}, None),
        ({}, None, None),
    ],
)
def test_session_key_comes_from_headers_then_body(
    headers: dict[str, str], body: dict[str, object] | None, expected: str | None
) -> None:
    assert session_of(headers, body) == expected


def test_session_keys_are_capped_in_length() -> None:
    session = session_of({"session_id": "x" * 10_000}, None)
    assert session is not None and len(session) == 128
