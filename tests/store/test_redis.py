"""What only the Redis store promises: namespaces that isolate stores on one
server, a server-side expiry on every item, an index that stays right when
Redis expires items by itself, and a clear error when the server is absent."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from headroom.store import StoreError
from headroom.store.base import DEFAULT_MAX_BYTES
from headroom.store.redis import RedisStore

OpenStore = Callable[..., RedisStore]


@pytest.fixture
def open_redis_store(redis_url: str) -> Iterator[OpenStore]:
    """Opens stores under fresh namespaces and removes their keys afterwards."""
    made: list[RedisStore] = []

    def make(*, max_bytes: int = DEFAULT_MAX_BYTES, namespace: str | None = None) -> RedisStore:
        namespace = namespace or f"test-{uuid.uuid4().hex}"
        made.append(RedisStore(redis_url, namespace=namespace, max_bytes=max_bytes))
        return made[-1]

    yield make
    client = redis.Redis.from_url(redis_url)
    for store in made:
        store.close()
        keys = list(client.scan_iter(match=f"{store.namespace}:*"))
        if keys:
            client.delete(*keys)
    client.close()


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_namespaces_isolate_stores_on_one_server(open_redis_store: OpenStore) -> None:
    first, second = open_redis_store(), open_redis_store()

    first.put("k", b"first")
    first.incr("hits", 5)

    assert second.get("k") is None
    assert second.counters() == {}
    second.put("k", b"second")
    first_item, second_item = first.get("k"), second.get("k")
    assert first_item is not None
    assert second_item is not None
    assert (first_item.value, second_item.value) == (b"first", b"second")


def test_every_key_lives_under_the_namespace(
    open_redis_store: OpenStore, client: redis.Redis
) -> None:
    store = open_redis_store()
    store.put("k", b"v")
    store.incr("hits")

    keys = {key.decode() for key in client.scan_iter(match=f"{store.namespace}:*")}

    assert f"{store.namespace}:item:k" in keys
    assert f"{store.namespace}:counters" in keys


def test_items_carry_a_server_side_expiry(open_redis_store: OpenStore, client: redis.Redis) -> None:
    store = open_redis_store()
    store.put("k", b"v", ttl=120)

    pttl = client.pttl(f"{store.namespace}:item:k")

    assert 0 < pttl <= 120_000


def test_items_redis_expired_leave_the_size_accounting(
    open_redis_store: OpenStore, client: redis.Redis
) -> None:
    store = open_redis_store(max_bytes=250)
    store.put("short", b"x" * 100, ttl=0.05)
    store.put("long", b"x" * 100)
    time.sleep(0.2)  # Redis drops "short" itself; the index still counts it

    assert client.exists(f"{store.namespace}:item:short") == 0
    assert store.get("short") is None
    store.put("newest", b"x" * 100)

    assert store.get("long") is not None
    assert store.get("newest") is not None
    assert int(client.get(f"{store.namespace}:bytes") or 0) == 200


def test_concurrent_replicas_keep_the_byte_total_exact(
    open_redis_store: OpenStore, client: redis.Redis
) -> None:
    first = open_redis_store(max_bytes=5_000)
    second = open_redis_store(max_bytes=5_000, namespace=first.namespace)

    def work(store: RedisStore, seed: int) -> None:
        for i in range(200):
            store.put(f"k{(i * seed) % 37}", b"x" * ((i * seed) % 300))
            if i % 7 == 0:
                store.delete(f"k{(i + seed) % 37}")

    threads = [
        threading.Thread(target=work, args=(store, seed))
        for seed, store in enumerate([first, second, first, second], start=3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    items = list(client.scan_iter(match=f"{first.namespace}:item:*"))
    stored = sum(len(client.hget(key, "value") or b"") for key in items)
    assert int(client.get(f"{first.namespace}:bytes") or 0) == stored
    assert client.zcard(f"{first.namespace}:index") == len(items)
    assert stored <= 5_000


def test_unreachable_server_raises_store_error_naming_the_url() -> None:
    with pytest.raises(StoreError, match=r"cannot reach Redis at redis://127\.0\.0\.1:1"):
        RedisStore("redis://127.0.0.1:1")


def test_invalid_url_raises_store_error() -> None:
    with pytest.raises(StoreError, match="invalid Redis URL"):
        RedisStore("http://127.0.0.1:6379")


def test_error_messages_hide_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        RedisStore("redis://user:s3cret@127.0.0.1:1/0")

    assert "s3cret" not in str(caught.value)
    assert "user:***@127.0.0.1:1" in str(caught.value)
