"""The proxy lifecycle behind `headroom wrap`: reuse, start detached, no duplicates.

These start real `python -m headroom proxy` processes (memory store) on free
loopback ports, and stop each one when the test ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from headroom.integrations.wrap.proxy_process import (
    ProxyAddress,
    ProxyUnavailable,
    ensure_proxy,
    is_headroom_proxy,
    stop_proxy,
)
from tests.cli.running import free_port

#: Generous: a loaded CI machine can take longer than wrap's 5 s to start a proxy.
WAIT = 60.0


@pytest.fixture
def address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProxyAddress]:
    """A free port and a Headroom home; any proxy started there is stopped afterwards."""
    monkeypatch.setenv("HEADROOM_STORE", "memory")
    where = ProxyAddress("127.0.0.1", free_port(), tmp_path / "home")
    yield where
    stop_proxy(where)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_starts_a_detached_proxy_with_a_pid_file_and_a_log(address: ProxyAddress) -> None:
    url = ensure_proxy(address, deadline_s=WAIT)

    assert url == address.url
    assert is_headroom_proxy(url)
    pid = int(address.pid_file.read_text())
    assert os.getsid(pid) != os.getsid(0)  # its own session: the agent's Ctrl-C misses it
    assert "listening on" in address.log_file.read_text()


def test_stop_proxy_ends_it_and_removes_the_pid_file(address: ProxyAddress) -> None:
    url = ensure_proxy(address, deadline_s=WAIT)

    assert stop_proxy(address)
    assert not address.pid_file.exists()
    assert not is_headroom_proxy(url)
    assert not stop_proxy(address)


def test_a_healthy_proxy_is_reused_not_started_again(address: ProxyAddress) -> None:
    ensure_proxy(address, deadline_s=WAIT)
    pid = address.pid_file.read_text()

    assert ensure_proxy(address, deadline_s=WAIT) == address.url
    assert address.pid_file.read_text() == pid
    assert address.log_file.read_text().count("listening on") == 1


def test_concurrent_wraps_start_one_proxy(address: ProxyAddress) -> None:
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_proxy(address, deadline_s=WAIT)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results == [address.url] * 4
    log = address.log_file.read_text()
    assert log.count("listening on") == 1
    assert "address already in use" not in log.lower()


def test_a_stale_pid_file_is_removed_and_a_proxy_started(address: ProxyAddress) -> None:
    address.home.mkdir(parents=True)
    stale = dead_pid()
    address.pid_file.write_text(f"{stale}\n")

    assert ensure_proxy(address, deadline_s=WAIT) == address.url
    assert int(address.pid_file.read_text()) != stale


def test_an_old_pid_file_naming_another_live_process_is_stale(address: ProxyAddress) -> None:
    address.home.mkdir(parents=True)
    address.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not a proxy (a reused pid)
    old = time.time() - 3600
    os.utime(address.pid_file, (old, old))

    assert ensure_proxy(address, deadline_s=WAIT) == address.url
    assert int(address.pid_file.read_text()) != os.getpid()


def test_a_port_held_by_something_else_is_reported_not_taken_over(
    address: ProxyAddress, squatter: int
) -> None:
    taken = ProxyAddress("127.0.0.1", squatter, address.home)

    with pytest.raises(ProxyUnavailable, match="taken by something that is not"):
        ensure_proxy(taken)
    assert not taken.pid_file.exists()


def test_a_proxy_that_exits_at_start_is_reported_with_its_log(
    address: ProxyAddress, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADROOM_STORE", "nonsense://store")

    with pytest.raises(ProxyUnavailable, match="exited at start") as raised:
        ensure_proxy(address, deadline_s=WAIT)
    assert str(address.log_file) in str(raised.value)
    assert not address.pid_file.exists()


def test_the_plain_server_does_not_pass_for_a_headroom_proxy(squatter: int) -> None:
    assert not is_headroom_proxy(f"http://127.0.0.1:{squatter}")
