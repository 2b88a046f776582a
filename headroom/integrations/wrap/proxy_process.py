"""A Headroom proxy for `headroom wrap` to use: reuse a healthy one, or start one detached.

`ensure_proxy` returns the base URL of a healthy Headroom proxy on the
configured address, or raises `ProxyUnavailable` saying why there is none, so
the caller can launch the agent straight against its provider instead.

- **Reuse.** Something answering `GET /livez` with `{"status": "ok"}` and a
  `/stats` body shaped like the proxy's ledger summary is a Headroom proxy;
  it is used as it is, whoever started it.
- **Start.** Otherwise `python -m headroom proxy` runs detached (its own
  session, so the agent's Ctrl-C does not reach it; stdin closed; output
  appended to `<home>/proxy-<port>.log`), and wrap waits a few seconds for it
  to become healthy (`HEADROOM_WRAP_WAIT`, 5 by default). It keeps running
  after the agent exits, for the next wrap to reuse.
- **No duplicates.** `<home>/proxy-<port>.pid` is claimed with an exclusive
  create before starting. A second wrap that finds the pid file of a live
  process waits for that proxy instead of starting another; a pid file whose
  process is gone is stale and removed.
- **Never hang.** Every wait has a deadline; a port taken by something else,
  a proxy that exits, or one that is not healthy in time is reported in one
  line, never retried forever.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from headroom.config import child_environment

#: How long to wait for a proxy to become healthy (wrap passes the `wrap_wait_s` setting).
DEFAULT_DEADLINE_S = 5.0
_PROBE_TIMEOUT_S = 0.5
_POLL_S = 0.05
#: How long a just-claimed, still empty pid file is given to get its pid.
_CLAIM_WRITE_S = 1.0


class ProxyUnavailable(RuntimeError):
    """No healthy Headroom proxy can be had on the address; the message says why."""


@dataclass(frozen=True)
class ProxyAddress:
    """Where the proxy listens, and where its pid file and log live."""

    host: str
    port: int
    home: Path

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / f"proxy-{self.port}.pid"

    @property
    def log_file(self) -> Path:
        return self.home / f"proxy-{self.port}.log"


def ensure_proxy(address: ProxyAddress, *, deadline_s: float = DEFAULT_DEADLINE_S) -> str:
    """The URL of a healthy Headroom proxy at `address`, started if need be."""
    if is_headroom_proxy(address.url):
        return address.url
    port_taken = _port_in_use(address)
    pid = _starting_pid(address, port_taken=port_taken, deadline_s=deadline_s)
    if pid is None:
        if port_taken:
            raise ProxyUnavailable(
                f"{address.host}:{address.port} is taken by something that is not a healthy "
                "Headroom proxy"
            )
        pid = _start(address)
    return _wait_healthy(address, pid, deadline_s)


def is_headroom_proxy(url: str) -> bool:
    """True when `url` answers like a Headroom proxy (liveness, then the /stats shape)."""
    try:
        with httpx.Client(timeout=_PROBE_TIMEOUT_S, trust_env=False) as client:
            live = client.get(f"{url}/livez")
            if live.status_code != 200 or _json(live) != {"status": "ok"}:
                return False
            stats = _json(client.get(f"{url}/stats", params={"last": "0"}))
    except httpx.HTTPError:
        return False
    return isinstance(stats, dict) and {"recorded", "store", "recent"} <= stats.keys()


def stop_proxy(address: ProxyAddress, *, deadline_s: float = DEFAULT_DEADLINE_S) -> bool:
    """Stop the proxy wrap started at `address` (SIGTERM, then SIGKILL); False if none ran."""
    pid = _live_pid(address)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + deadline_s
    while _alive(pid) and time.monotonic() < end:
        time.sleep(_POLL_S)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    address.pid_file.unlink(missing_ok=True)
    return True


def _start(address: ProxyAddress) -> int:
    """Claim the pid file, then start the proxy detached; the pid it runs as."""
    address.home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(address.pid_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        # Another wrap claimed it a moment ago: wait for that proxy instead.
        pid = _read_pid(address.pid_file)
        if pid is None:
            raise ProxyUnavailable(
                f"another wrap is starting the proxy ({address.pid_file})"
            ) from None
        return pid
    argv = [sys.executable, "-m", "headroom", "proxy", "--host", address.host]
    argv += ["--port", str(address.port)]
    with open(address.log_file, "ab") as log:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=child_environment(),
            start_new_session=True,
        )
    with os.fdopen(fd, "w") as pid_file:
        pid_file.write(f"{process.pid}\n")
    return process.pid


def _wait_healthy(address: ProxyAddress, pid: int, deadline_s: float) -> str:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if is_headroom_proxy(address.url):
            return address.url
        if not _alive(pid):
            address.pid_file.unlink(missing_ok=True)
            raise ProxyUnavailable(f"the proxy exited at start; see {address.log_file}")
        time.sleep(_POLL_S)
    raise ProxyUnavailable(
        f"the proxy (pid {pid}) was not healthy within {deadline_s:g}s; see {address.log_file}"
    )


def _live_pid(address: ProxyAddress) -> int | None:
    """The pid in the pid file if that process runs; a stale pid file is removed."""
    pid = _read_pid(address.pid_file)
    if pid is not None and _alive(pid):
        return pid
    address.pid_file.unlink(missing_ok=True)
    return None


def _starting_pid(address: ProxyAddress, *, port_taken: bool, deadline_s: float) -> int | None:
    """The pid of a proxy another wrap is starting, worth waiting for; None if there is none.

    A pid file older than the deadline, for a port nothing listens on, names a
    process that is not becoming a proxy (a reused pid): it is stale too.
    """
    pid = _live_pid(address)
    if pid is None or port_taken:
        return pid
    try:
        age = time.time() - address.pid_file.stat().st_mtime
    except FileNotFoundError:
        return None
    if age > deadline_s:
        address.pid_file.unlink(missing_ok=True)
        return None
    return pid


def _read_pid(path: Path) -> int | None:
    """The pid in `path`; a file still being written (empty) gets a moment to fill."""
    end = time.monotonic() + _CLAIM_WRITE_S
    while True:
        try:
            text = path.read_text().strip()
        except FileNotFoundError:
            return None
        if text or time.monotonic() > end:
            return int(text) if text.isdigit() else None
        time.sleep(_POLL_S)


def _alive(pid: int) -> bool:
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)  # our own child: reap it if it exited
    except ChildProcessError:
        reaped = 0  # not our child: fall through to the signal probe
    if reaped == pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


def _port_in_use(address: ProxyAddress) -> bool:
    try:
        with socket.create_connection((address.host, address.port), timeout=_PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None
