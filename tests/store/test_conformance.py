"""One behaviour suite that every store backend must pass.

Each backend is a factory in BACKENDS, run against the real thing: SQLite in a
temporary folder, Redis on the test server under a namespace of its own. A new
backend (Postgres) joins by adding one factory to that list; the tests stay.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

import pytest

from headroom.store import MemoryStore, SQLiteStore, Store
from headroom.store.base import DEFAULT_MAX_BYTES, DEFAULT_TTL_SECONDS, Clock


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class StoreFactory(Protocol):
    def __call__(
        self,
        *,
        clock: Clock,
        default_ttl: float = DEFAULT_TTL_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Store: ...


Backend = Callable[[pytest.FixtureRequest, Path], AbstractContextManager[StoreFactory]]


@contextmanager
def memory_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    made: list[Store] = []

    def make(
        *,
        clock: Clock,
        default_ttl: float = DEFAULT_TTL_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Store:
        made.append(MemoryStore(default_ttl=default_ttl, max_bytes=max_bytes, clock=clock))
        return made[-1]

    yield make
    for store in made:
        store.close()


@contextmanager
def sqlite_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    made: list[Store] = []

    def make(
        *,
        clock: Clock,
        default_ttl: float = DEFAULT_TTL_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Store:
        path = tmp_path / f"store-{len(made)}.db"
        made.append(SQLiteStore(path, default_ttl=default_ttl, max_bytes=max_bytes, clock=clock))
        return made[-1]

    yield make
    for store in made:
        store.close()


@contextmanager
def redis_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    import redis

    from headroom.store.redis import RedisStore

    url: str = request.getfixturevalue("redis_url")
    made: list[Store] = []
    namespaces: list[str] = []

    def make(
        *,
        clock: Clock,
        default_ttl: float = DEFAULT_TTL_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Store:
        namespaces.append(f"test-{uuid.uuid4().hex}")
        made.append(
            RedisStore(
                url,
                default_ttl=default_ttl,
                max_bytes=max_bytes,
                clock=clock,
                namespace=namespaces[-1],
            )
        )
        return made[-1]

    yield make
    for store in made:
        store.close()
    client = redis.Redis.from_url(url)
    for namespace in namespaces:
        keys = list(client.scan_iter(match=f"{namespace}:*"))
        if keys:
            client.delete(*keys)
    client.close()


BACKENDS: list[Backend] = [memory_backend, sqlite_backend, redis_backend]


@pytest.fixture(params=BACKENDS, ids=lambda backend: backend.__name__.removesuffix("_backend"))
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    backend: Backend = request.param
    with backend(request, tmp_path) as factory:
        yield factory


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(make_store: StoreFactory, clock: FakeClock) -> Store:
    return make_store(clock=clock)


def test_every_backend_satisfies_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)


@pytest.mark.parametrize(
    "value",
    [b"", b"hello", b"\x00\xff", bytes(range(256)), b"\x00\xff" * (1024 * 1024)],
    ids=["empty", "ascii", "nul-ff", "all-bytes", "2MB"],
)
def test_put_then_get_returns_the_same_bytes(store: Store, value: bytes) -> None:
    store.put("k", value)

    item = store.get("k")

    assert item is not None
    assert item.value == value
    assert isinstance(item.value, bytes)


def test_meta_and_created_at_come_back(store: Store, clock: FakeClock) -> None:
    store.put("k", b"v", meta={"kind": "json", "tool": "Read", "ünïcode": "✓"})

    item = store.get("k")

    assert item is not None
    assert dict(item.meta) == {"kind": "json", "tool": "Read", "ünïcode": "✓"}
    assert item.created_at == clock.now
    assert item.expires_at == clock.now + DEFAULT_TTL_SECONDS


def test_meta_defaults_to_empty(store: Store) -> None:
    store.put("k", b"v")

    item = store.get("k")

    assert item is not None
    assert dict(item.meta) == {}


def test_keys_may_hold_any_characters(store: Store) -> None:
    key = "hr_3f9a:tenant/ä b*?[x]"
    store.put(key, b"v")

    item = store.get(key)

    assert item is not None
    assert item.value == b"v"


def test_put_overwrites_value_meta_and_created_at(store: Store, clock: FakeClock) -> None:
    store.put("k", b"first", meta={"n": "1"})
    clock.advance(10)
    store.put("k", b"second", meta={"n": "2"})

    item = store.get("k")

    assert item is not None
    assert (item.value, dict(item.meta), item.created_at) == (b"second", {"n": "2"}, clock.now)


def test_missing_key_gives_none(store: Store) -> None:
    assert store.get("absent") is None


def test_delete_removes_and_reports_whether_anything_was_there(store: Store) -> None:
    store.put("k", b"v")

    assert store.delete("k") is True
    assert store.get("k") is None
    assert store.delete("k") is False


def test_item_expires_once_its_ttl_has_passed(store: Store, clock: FakeClock) -> None:
    store.put("k", b"v", ttl=60)

    clock.advance(59)
    assert store.get("k") is not None
    clock.advance(1)
    assert store.get("k") is None


def test_expire_drops_expired_items_and_counts_them(store: Store, clock: FakeClock) -> None:
    store.put("short-1", b"v", ttl=10)
    store.put("short-2", b"v", ttl=10)
    store.put("long", b"v", ttl=1000)
    clock.advance(11)

    assert store.expire() == 2
    assert store.expire() == 0
    assert store.get("long") is not None


def test_default_ttl_applies_when_ttl_is_none(make_store: StoreFactory, clock: FakeClock) -> None:
    store = make_store(clock=clock, default_ttl=30)
    store.put("k", b"v", ttl=None)

    item = store.get("k")
    assert item is not None
    assert item.expires_at == clock.now + 30
    clock.advance(31)
    assert store.get("k") is None


def test_size_cap_evicts_the_oldest_first(make_store: StoreFactory, clock: FakeClock) -> None:
    store = make_store(clock=clock, max_bytes=350)
    for i in range(5):
        store.put(f"k{i}", bytes([i]) * 100)
        clock.advance(1)

    assert [store.get(f"k{i}") is not None for i in range(5)] == [False, False, True, True, True]


def test_size_cap_breaks_created_at_ties_by_insertion_order(
    make_store: StoreFactory, clock: FakeClock
) -> None:
    store = make_store(clock=clock, max_bytes=350)
    for key in ["e", "d", "c", "b", "a"]:  # reverse alphabetical, same timestamp
        store.put(key, b"x" * 100)

    assert [store.get(key) is not None for key in "edcba"] == [False, False, True, True, True]


def test_overwrite_makes_an_item_the_newest(make_store: StoreFactory, clock: FakeClock) -> None:
    store = make_store(clock=clock, max_bytes=350)
    for key in ["a", "b", "c"]:
        store.put(key, b"x" * 100)
        clock.advance(1)
    store.put("a", b"y" * 100)  # rewritten: now the newest, and counted once
    clock.advance(1)
    store.put("d", b"x" * 100)

    assert [store.get(key) is not None for key in "abcd"] == [True, False, True, True]


def test_size_cap_drops_expired_items_before_live_ones(
    make_store: StoreFactory, clock: FakeClock
) -> None:
    store = make_store(clock=clock, max_bytes=350)
    store.put("old-live", b"x" * 100, ttl=1000)
    clock.advance(1)
    store.put("short", b"x" * 100, ttl=5)
    clock.advance(1)
    store.put("new-live", b"x" * 100, ttl=1000)
    clock.advance(10)

    store.put("newest", b"x" * 100, ttl=1000)

    assert store.get("old-live") is not None
    assert store.get("newest") is not None


def test_an_item_larger_than_the_cap_is_kept_alone(
    make_store: StoreFactory, clock: FakeClock
) -> None:
    store = make_store(clock=clock, max_bytes=150)
    store.put("small", b"x" * 100)
    clock.advance(1)
    store.put("big", b"x" * 200)

    assert store.get("small") is None
    big = store.get("big")
    assert big is not None
    assert len(big.value) == 200


def test_deleted_items_free_their_space(make_store: StoreFactory, clock: FakeClock) -> None:
    store = make_store(clock=clock, max_bytes=350)
    for key in ["a", "b", "c"]:
        store.put(key, b"x" * 100)
        clock.advance(1)
    store.delete("c")
    store.put("d", b"x" * 100)

    assert all(store.get(key) is not None for key in "abd")


def test_counters_start_absent_and_incr_from_zero(store: Store) -> None:
    assert store.counters() == {}

    assert store.incr("requests") == 1
    assert store.incr("requests") == 2
    assert store.counters() == {"requests": 2}


def test_incr_adds_the_amount_given(store: Store) -> None:
    assert store.incr("tokens_saved", 1500) == 1500
    assert store.incr("tokens_saved", -500) == 1000
    assert store.incr("fresh", 0) == 0


def test_counters_filter_by_prefix(store: Store) -> None:
    store.incr("saved.json", 3)
    store.incr("saved.logs", 4)
    store.incr("requests")
    store.incr("saved_%", 5)  # a prefix is literal text, not a pattern

    assert store.counters("saved.") == {"saved.json": 3, "saved.logs": 4}
    assert store.counters("saved_") == {"saved_%": 5}
    assert store.counters("none") == {}
    assert len(store.counters()) == 4


def test_counters_are_independent_of_items(store: Store) -> None:
    store.put("requests", b"v")
    store.incr("requests")

    assert store.counters() == {"requests": 1}
    item = store.get("requests")
    assert item is not None
    assert item.value == b"v"


def test_non_positive_ttl_is_rejected(store: Store) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.put("k", b"v", ttl=0)
