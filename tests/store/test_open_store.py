"""open_store: one string from config picks the backend."""

from __future__ import annotations

from pathlib import Path

import pytest

import headroom.store
from headroom.store import MemoryStore, SQLiteStore, Store, StoreError, open_store
from headroom.store.redis import RedisStore


def test_memory() -> None:
    store = open_store("memory")

    assert isinstance(store, MemoryStore)
    store.close()


def test_bare_sqlite_puts_store_db_in_home(tmp_path: Path) -> None:
    store = open_store("sqlite", home=tmp_path / "home")

    assert isinstance(store, SQLiteStore)
    assert store.path == tmp_path / "home" / "store.db"
    assert store.path.is_file()
    store.close()


def test_bare_sqlite_without_home_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match="home"):
        open_store("sqlite")


def test_sqlite_with_an_absolute_path(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "s.db"

    store = open_store(f"sqlite://{path}")

    assert isinstance(store, SQLiteStore)
    assert store.path == path
    store.close()


def test_sqlite_with_a_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    store = open_store("sqlite:data/s.db")

    assert isinstance(store, SQLiteStore)
    assert store.path == Path("data/s.db")
    assert (tmp_path / "data" / "s.db").is_file()
    store.close()


def test_settings_reach_the_backend(tmp_path: Path) -> None:
    store = open_store("sqlite", home=tmp_path, default_ttl=5, max_bytes=150)
    store.put("a", b"x" * 100)
    store.put("b", b"x" * 100)

    assert store.get("a") is None
    item = store.get("b")
    assert item is not None
    assert item.expires_at == pytest.approx(item.created_at + 5)
    store.close()


def test_redis(redis_url: str) -> None:
    store = open_store(redis_url)

    assert isinstance(store, RedisStore)
    store.close()


def test_unreachable_redis_raises_store_error() -> None:
    with pytest.raises(StoreError):
        open_store("redis://127.0.0.1:1/0")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "postgres://db/headroom",
        "sqlite://host/x.db",
        "sqlite:",
        "sqlite:///",
        "Memory",
        "redis:",
    ],
)
def test_unknown_forms_are_rejected_with_the_accepted_ones(url: str) -> None:
    with pytest.raises(ValueError, match="accepted forms") as caught:
        open_store(url)

    assert '"sqlite:///abs/path.db"' in str(caught.value)


def test_every_backend_is_a_store(tmp_path: Path) -> None:
    for store in [open_store("memory"), open_store("sqlite", home=tmp_path)]:
        assert isinstance(store, Store)
        store.close()


def test_public_names() -> None:
    assert headroom.store.__all__ == sorted(headroom.store.__all__)
    for name in headroom.store.__all__:
        assert getattr(headroom.store, name) is not None
    assert headroom.store.RedisStore is RedisStore
