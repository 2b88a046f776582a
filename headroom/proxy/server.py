"""Running the proxy: uvicorn on loopback, with uvloop and httptools when present.

The proxy forwards credentials it is given, so by default it listens on
loopback only; another address needs an explicit `allow_remote`. uvicorn's own
access log is off (it would print query strings, where Gemini keys can be);
the app logs method, path, status and time instead.
"""

from __future__ import annotations

import ipaddress
import logging

import uvicorn
from starlette.types import ASGIApp


class RemoteBindRefused(ValueError):
    """A non-loopback address was asked for without allowing remote clients."""


def is_loopback_host(host: str) -> bool:
    """True for addresses only this machine can reach ("localhost" included)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, allow_remote: bool) -> None:
    if not allow_remote and not is_loopback_host(host):
        raise RemoteBindRefused(
            f"refusing to listen on {host}: the proxy forwards API keys and prompts, so it "
            "listens on loopback (127.0.0.1) unless you pass --allow-remote"
        )


#: HTTP client libraries whose INFO lines print full upstream URLs, query
#: strings included (Gemini's `?key=`): never at the default level.
_URL_LOGGERS = ("httpx", "httpcore")


def quiet_http_clients() -> None:
    """Keep the HTTP clients' request lines (URLs with keys) out of the log."""
    for name in _URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def serve(app: ASGIApp, host: str, port: int, *, verbose: bool = False) -> None:
    """Serve `app` until interrupted (check the address with `check_bind` first).

    The per-request access log is at DEBUG (`verbose` shows it): writing a line
    per request costs more than the rest of an unchanged request's overhead.
    """
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    quiet_http_clients()
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="auto",
        http="auto",
        access_log=False,
        server_header=False,
        date_header=False,
        log_level="warning",
    )
