"""`headroom advise ttl`, run as a user runs it, over a ledger in the configured store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from headroom.providers.usage import Usage
from headroom.proxy.ledger import Ledger, LedgerEntry
from headroom.store import open_store

T0 = 1_800_000_000.0


def _record(home: Path, gaps: Sequence[float], prefix: int = 20_000) -> None:
    """One Claude Code-like session in the SQLite store under `home`."""
    store = open_store("sqlite", home=home)
    try:
        ledger = Ledger(store)
        at = T0
        for gap in [0.0, *gaps]:
            at += gap
            usage = Usage(input_tokens=20, output_tokens=300, cache_write_tokens=prefix)
            ledger.record(
                LedgerEntry(
                    provider="anthropic",
                    model="claude-sonnet-4-6",
                    tenant="t_cli",
                    time=at,
                    session="cli-session",
                    usage=usage,
                )
            )
    finally:
        store.close()


def _advise(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEADROOM_HOME": str(home), "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "headroom", "advise", "ttl", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_ten_minute_rhythm_is_advised_the_one_hour_ttl(_isolated_home: Path) -> None:
    _record(_isolated_home, [600, 600, 600])
    result = _advise(_isolated_home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "recommended: 1h" in out
    assert "HEADROOM_CACHE_TTL=1h" in out
    assert 'cache_ttl = "1h"' in out
    assert "600 s" in out  # the median gap


def test_a_fast_rhythm_is_advised_the_five_minute_ttl(_isolated_home: Path) -> None:
    _record(_isolated_home, [20] * 5)
    result = _advise(_isolated_home)
    assert result.returncode == 0, result.stderr
    assert "recommended: 5m" in result.stdout
    assert "HEADROOM_CACHE_TTL=5m" in result.stdout


def test_last_limits_the_history_replayed(_isolated_home: Path) -> None:
    _record(_isolated_home, [600, 600, 600])
    result = _advise(_isolated_home, "--last", "1")
    assert result.returncode == 0, result.stderr
    # one request has no gap to bridge, so the default stays
    assert "recommended: 5m" in result.stdout
    assert "every request was a first write" in result.stdout


def test_an_empty_ledger_says_so(_isolated_home: Path) -> None:
    result = _advise(_isolated_home)
    assert result.returncode == 0, result.stderr
    assert "no Anthropic requests" in result.stdout
    assert "recommended: 5m" in result.stdout
