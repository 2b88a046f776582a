"""The CLI, run as a user runs it: a real process, with real pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from headroom._version import __version__

BIG_LOG = (
    "\n".join(
        f"\x1b[33m2026-11-20 10:{i // 60:02d}:{i % 60:02d}\x1b[0m WARN cache miss "
        f"for key user:{i}   "
        for i in range(300)
    )
    + "\n2026-11-20 11:00:00 ERROR upstream timed out after 30s\n"
)


def _headroom(
    *args: str, stdin: bytes | None = None, home: Path
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "HEADROOM_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "headroom", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_version_is_printed(_isolated_home: Path) -> None:
    result = _headroom("--version", home=_isolated_home)
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"headroom {__version__}"


def test_compress_works_as_a_pipe(_isolated_home: Path) -> None:
    result = _headroom(
        "compress", "-q", "why did upstream time out", stdin=BIG_LOG.encode(), home=_isolated_home
    )
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "\x1b" not in out
    assert "2026-11-20 11:00:00 ERROR upstream timed out after 30s" in out
    summary = result.stderr.decode().strip().splitlines()
    assert len(summary) == 1
    assert summary[0].startswith("headroom: logs:")
    assert "saved" in summary[0]
    if "headroom retrieve " in summary[0]:
        key = summary[0].rsplit("headroom retrieve ", 1)[1]
        original = _headroom("retrieve", key, home=_isolated_home)
        assert original.stdout.decode() == BIG_LOG


def test_compress_reads_a_file(_isolated_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    path.write_text(BIG_LOG)
    result = _headroom("compress", str(path), "--kind", "logs", home=_isolated_home)
    assert result.returncode == 0
    assert "ERROR upstream timed out" in result.stdout.decode()


def test_binary_input_passes_through_unchanged(_isolated_home: Path) -> None:
    data = bytes(range(256)) * 4
    result = _headroom("compress", stdin=data, home=_isolated_home)
    assert result.returncode == 0
    assert result.stdout == data
    assert "not UTF-8" in result.stderr.decode()


def test_missing_file_is_a_clear_error(_isolated_home: Path) -> None:
    result = _headroom("compress", "/nonexistent/file.log", home=_isolated_home)
    assert result.returncode == 2
    assert "cannot read /nonexistent/file.log" in result.stderr.decode()


def test_retrieve_of_an_unknown_id_explains_itself(_isolated_home: Path) -> None:
    result = _headroom("retrieve", "hr_0123456789ab", home=_isolated_home)
    assert result.returncode == 0
    assert "unknown or has expired" in result.stdout.decode()


def test_retrieve_returns_what_compress_stored(_isolated_home: Path) -> None:
    from headroom.ccr import CCR
    from headroom.store.sqlite import SQLiteStore

    store = SQLiteStore(_isolated_home / "store.db")
    key = CCR(store).put(BIG_LOG, kind="logs")
    store.close()
    whole = _headroom("retrieve", key, home=_isolated_home)
    assert whole.stdout.decode() == BIG_LOG
    some = _headroom("retrieve", key, "-q", "timed out", home=_isolated_home)
    lines = some.stdout.decode().splitlines()
    assert lines[0].startswith("[headroom: 1 of 301 lines")
    assert lines[1] == "2026-11-20 11:00:00 ERROR upstream timed out after 30s"


@pytest.mark.parametrize("args", [["--help"], ["compress", "--help"], ["bench", "--help"]])
def test_help_is_available(args: list[str], _isolated_home: Path) -> None:
    result = _headroom(*args, home=_isolated_home)
    assert result.returncode == 0
    assert b"Usage" in result.stdout


def test_stats_shows_the_learned_state(_isolated_home: Path) -> None:
    import orjson

    from headroom.ccr import CCR
    from headroom.learning import Learner, signature
    from headroom.store.sqlite import SQLiteStore

    store = SQLiteStore(_isolated_home / "store.db")
    learner = Learner(store)
    sig = signature("Bash", "logs", "abc123")
    for _ in range(4):
        learner.compressed(sig)
    ccr = CCR(store, learner=learner)
    key = ccr.put(BIG_LOG, kind="logs", tool="Bash", signature=sig)
    for _ in range(3):
        ccr.retrieve(key)
    store.close()
    table = _headroom("stats", home=_isolated_home)
    assert table.returncode == 0, table.stderr.decode()
    assert "Bash|logs|abc123" in table.stdout.decode()
    data = orjson.loads(_headroom("stats", "--json", home=_isolated_home).stdout)
    (row,) = data["learned"]
    assert (row["compressed"], row["retrieved"], row["mode"]) == (4, 3, "lossless-only")
    assert data["counters"]["ccr.retrieve"] == 3


def test_dashboard_prints_the_address_the_proxy_serves_it_on(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "config.toml").write_text("proxy_port = 8899\n")
    result = _headroom("dashboard", "--no-open", home=_isolated_home)
    assert result.returncode == 0
    assert result.stdout.decode().strip() == "http://127.0.0.1:8899/dashboard"
