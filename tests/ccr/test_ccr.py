from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from headroom.ccr import CCR, ccr_id, is_ccr_id
from headroom.store.memory import MemoryStore
from headroom.store.sqlite import SQLiteStore

LOG = "\n".join(
    [f"2026-11-20 10:00:{i:02d} INFO request {i} ok" for i in range(40)]
    + ["2026-11-20 10:00:40 ERROR disk full on /var/data"]
    + [f"2026-11-20 10:01:{i:02d} INFO request {i} ok" for i in range(40)]
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def clock_and_ccr(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Clock, CCR]:
    clock = Clock()
    if request.param == "memory":
        store = MemoryStore(clock=clock)
    else:
        store = SQLiteStore(tmp_path / "s.db", clock=clock)
    return clock, CCR(store, ttl=60)


def test_ids_are_content_addressed_sha256_prefixes() -> None:
    expected = "hr_" + hashlib.sha256(b"hello").hexdigest()[:12]
    assert ccr_id("hello") == expected
    assert ccr_id("hello") != ccr_id("hello ")
    assert is_ccr_id(expected)
    assert not is_ccr_id("hr_XYZ")
    assert not is_ccr_id(expected + "0")


def test_put_then_retrieve_without_a_query_returns_the_whole_original(
    clock_and_ccr: tuple[Clock, CCR],
) -> None:
    _, ccr = clock_and_ccr
    key = ccr.put(LOG, kind="logs", tool="Bash")
    assert key == ccr_id(LOG)
    assert ccr.retrieve(key) == LOG
    original = ccr.get(key)
    assert original is not None
    assert (original.kind, original.tool) == ("logs", "Bash")


def test_retrieve_with_a_query_returns_only_matching_lines_under_a_header(
    clock_and_ccr: tuple[Clock, CCR],
) -> None:
    _, ccr = clock_and_ccr
    key = ccr.put(LOG, kind="logs")
    answer = ccr.retrieve(key, query="why is the disk full?")
    header, *body = answer.splitlines()
    assert header.startswith("[headroom: 1 of 81 lines")
    assert key in header
    assert body == ["2026-11-20 10:00:40 ERROR disk full on /var/data"]


def test_retrieve_with_a_query_on_json_returns_matching_rows() -> None:
    rows = [{"id": i, "name": f"user{i}", "status": "active"} for i in range(50)]
    rows[17]["status"] = "suspended"
    text = orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()
    ccr = CCR(MemoryStore())
    key = ccr.put(text, kind="json")
    answer = ccr.retrieve(key, query="which user is suspended")
    assert answer.splitlines()[0].startswith("[headroom: 1 of 50 rows")
    assert orjson.loads(answer.splitlines()[1]) == rows[17]


def test_retrieve_with_a_query_on_code_returns_whole_definitions() -> None:
    code = "import os\n\n\ndef alpha():\n    return 1\n\n\ndef beta():\n    return os.sep\n"
    ccr = CCR(MemoryStore())
    key = ccr.put(code, kind="code")
    answer = ccr.retrieve(key, query="what does beta return")
    assert answer.splitlines()[1:] == ["def beta():", "    return os.sep"]


def test_a_query_that_matches_nothing_says_so(clock_and_ccr: tuple[Clock, CCR]) -> None:
    _, ccr = clock_and_ccr
    key = ccr.put(LOG, kind="logs")
    answer = ccr.retrieve(key, query="kubernetes")
    assert "none of the 81 lines" in answer
    assert f"headroom_retrieve id={key}" in answer


def test_unknown_id_gets_a_clear_message(clock_and_ccr: tuple[Clock, CCR]) -> None:
    _, ccr = clock_and_ccr
    answer = ccr.retrieve("hr_000000000000")
    assert "no original stored under hr_000000000000" in answer
    assert "expired" in answer


def test_malformed_id_gets_a_clear_message(clock_and_ccr: tuple[Clock, CCR]) -> None:
    _, ccr = clock_and_ccr
    assert "is not a Headroom id" in ccr.retrieve("../../etc/passwd")


def test_expired_id_gets_the_same_clear_message(clock_and_ccr: tuple[Clock, CCR]) -> None:
    clock, ccr = clock_and_ccr
    key = ccr.put(LOG, kind="logs")
    clock.now += 61
    assert "unknown or has expired" in ccr.retrieve(key)
    assert ccr.get(key) is None


def test_retrievals_are_counted_per_kind_and_tool(clock_and_ccr: tuple[Clock, CCR]) -> None:
    _, ccr = clock_and_ccr
    key = ccr.put(LOG, kind="logs", tool="Bash")
    ccr.retrieve(key)
    ccr.retrieve(key, query="disk")
    ccr.retrieve("hr_000000000000")
    counters = ccr.store.counters("ccr.")
    assert counters["ccr.retrieve"] == 2
    assert counters["ccr.retrieve.kind.logs"] == 2
    assert counters["ccr.retrieve.tool.Bash"] == 2
    assert counters["ccr.retrieve.miss"] == 1
