"""What only the SQLite store promises: one file shared safely between
instances and processes, WAL mode, and migrations that run once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from headroom.store import SQLiteStore
from headroom.store.sqlite import MIGRATIONS

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import sys
from headroom.store import SQLiteStore

store = SQLiteStore(sys.argv[1])
print("ready", flush=True)
for i in range(int(sys.argv[2])):
    store.put(f"{sys.argv[3]}-{i}", b"x" * 1000)
    store.incr("writes")
store.close()
"""


def test_parent_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "store.db"

    SQLiteStore(path).close()

    assert path.is_file()


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SQLiteStore(path).close()

    with sqlite3.connect(path) as db:
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()

    assert mode == "wal"


def test_two_instances_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first, second = SQLiteStore(path), SQLiteStore(path)

    first.put("from-first", b"1", meta={"by": "first"})
    second.put("from-second", b"2")
    first.incr("hits")
    second.incr("hits")

    from_first = second.get("from-first")
    from_second = first.get("from-second")
    assert from_first is not None
    assert dict(from_first.meta) == {"by": "first"}
    assert from_second is not None
    assert from_second.value == b"2"
    assert first.counters() == second.counters() == {"hits": 2}
    assert second.delete("from-first") is True
    assert first.get("from-first") is None
    first.close()
    second.close()


def test_another_process_writes_concurrently_without_lock_errors(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStore(path)
    writes = 500
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(writes), "child"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    ready = child.stdout.readline()  # from here on both processes write at once
    assert ready.strip() == "ready", child.stderr.read()
    for i in range(writes):
        store.put(f"parent-{i}", b"y" * 1000)
        store.incr("writes")
    _, stderr = child.communicate(timeout=120)

    assert child.returncode == 0, stderr
    assert store.counters() == {"writes": 2 * writes}
    assert store.get(f"child-{writes - 1}") is not None
    assert store.get(f"parent-{writes - 1}") is not None
    store.close()


def test_threads_share_one_store(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")

    def work(name: str) -> None:
        for i in range(100):
            store.put(f"{name}-{i}", b"z")
            store.incr("writes")

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert store.counters() == {"writes": 400}
    store.close()


def test_the_byte_total_survives_reopening_and_other_writers(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first = SQLiteStore(path, max_bytes=350)
    for i in range(3):
        first.put(f"k{i}", b"x" * 100)
    first.close()

    second = SQLiteStore(path, max_bytes=350)
    second.put("k3", b"x" * 100)

    assert second.get("k0") is None
    assert all(second.get(f"k{i}") is not None for i in (1, 2, 3))
    second.close()


def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStore(path)
    store.put("kept", b"v")
    store.close()
    with sqlite3.connect(path) as db:
        before = db.execute("SELECT name, applied_at FROM migrations ORDER BY name").fetchall()

    reopened = SQLiteStore(path)
    with sqlite3.connect(path) as db:
        after = db.execute("SELECT name, applied_at FROM migrations ORDER BY name").fetchall()

    assert [name for name, _ in before] == [m.__name__ for m in MIGRATIONS]
    assert after == before
    assert reopened.get("kept") is not None
    reopened.close()


def test_the_item_schema_has_the_documented_columns(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SQLiteStore(path).close()

    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(items)")]

    assert columns == ["key", "value", "created_at", "expires_at", "meta", "size"]
