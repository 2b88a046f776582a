"""`headroom doctor`: is everything in place? One line per check, and a fix for each failure.

The checks, in order:

- **settings**: the settings table loads (environment and `config.toml`);
- **proxy**: something answers `GET /livez` on the configured address, and it
  is a Headroom proxy whose store is ready;
- **upstream**: every `upstream_*` setting is an http(s) base URL (without
  `/v1` for Anthropic and OpenAI, since the proxy forwards the client's path);
- **store**: the configured store opens and takes a write, a read and a delete;
- **tokenizer**: tiktoken's `o200k_base` file is in one of the folders
  `headroom.tokens` searches, and is the real one (its sha256);
- **agents**: each agent configured for Headroom points at this proxy (see
  `headroom.doctor_agents`);
- **port**: the configured port is free, or held by a Headroom proxy.

A check never stops the others: each one runs under `guarded`, so a check
that breaks is reported as a failed line (and re-raised under tests). The
command exits 1 when any check failed. Marks are ✓ and ✗, or `ok` and `FAIL`
where the terminal's encoding cannot print them.
"""

from __future__ import annotations

import functools
import hashlib
import re
import socket
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import httpx
import orjson
import typer

from headroom.config import SETTINGS, ConfigError, Settings, load_settings
from headroom.guard import guarded

__all__ = ["Check", "register", "run_checks"]

_TIMEOUT_S = 1.0
_PROBE_KEY = "doctor.probe"
_UPSTREAMS = ("upstream_anthropic", "upstream_openai", "upstream_gemini")


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: what was checked, whether it passed, and the fix if not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def proxy_url(settings: Settings) -> str:
    """Where to reach the configured proxy from this machine."""
    host = settings.proxy_host
    if host in {"0.0.0.0", "::", ""}:  # listening everywhere: reach it on loopback
        host = "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.proxy_port}"


def _is_headroom(url: str) -> bool:
    from headroom.integrations.wrap.proxy_process import is_headroom_proxy

    return is_headroom_proxy(url)


def check_proxy(settings: Settings) -> Check:
    url = proxy_url(settings)
    start = "start it with `headroom proxy` (or `make run`)"
    try:
        with httpx.Client(timeout=_TIMEOUT_S, trust_env=False) as client:
            live = client.get(f"{url}/livez")
            ready = client.get(f"{url}/readyz") if live.status_code == 200 else None
    except httpx.HTTPError as exc:
        if _listening(settings.proxy_host, settings.proxy_port):
            detail = f"something at {url} does not answer like a Headroom proxy"
            return Check("proxy", False, detail, "see the port line below")
        return Check("proxy", False, f"not running at {url} ({type(exc).__name__})", start)
    if not _is_headroom(url):
        return Check(
            "proxy",
            False,
            f"something that is not a Headroom proxy answers at {url}",
            f"stop it, or run Headroom on another port: {_other_port(settings)}",
        )
    if ready is None or ready.status_code != 200:
        return Check(
            "proxy",
            False,
            f"running at {url}, but its store does not answer (GET /readyz)",
            "check the store (see the store line below) and restart the proxy",
        )
    return Check("proxy", True, f"running at {url}")


def check_upstreams(settings: Settings) -> Check:
    bad: list[str] = []
    named: list[str] = []
    for name in _UPSTREAMS:
        url = getattr(settings, name)
        named.append(f"{name.removeprefix('upstream_')} {url}")
        problem = _upstream_problem(name, url)
        if problem:
            bad.append(f"{name} = {url!r} {problem}")
    if not bad:
        return Check("upstream", True, ", ".join(named))
    envs = ", ".join(_env_of(line.split(" ", 1)[0]) for line in bad)
    return Check(
        "upstream",
        False,
        "; ".join(bad),
        f"set {envs} to the provider's base URL, e.g. https://api.anthropic.com "
        "or https://api.openai.com (no /v1)",
    )


def _upstream_problem(name: str, url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "is not a URL"
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "is not an http(s) URL with a host"
    if name != "upstream_gemini" and parts.path.rstrip("/").endswith("/v1"):
        return "ends in /v1, which the proxy adds itself"
    return None


def _env_of(name: str) -> str:
    return next((s.env for s in SETTINGS if s.name == name), name)


def check_store(settings: Settings) -> Check:
    from headroom.store import StoreError, open_store

    shown = re.sub(r"//[^/@]*@", "//***@", settings.store)
    fix = (
        f"make {settings.home_path} writable, or choose another store with HEADROOM_STORE "
        "(sqlite, memory, sqlite:///path.db, redis://host:port/db)"
    )
    try:
        store = open_store(
            settings.store,
            default_ttl=settings.ccr_ttl_seconds,
            max_bytes=settings.store_max_bytes,
            home=settings.home_path,
        )
    except (StoreError, ValueError, OSError, sqlite3.Error) as exc:
        return Check("store", False, f"{shown} does not open: {exc}", fix)
    try:
        store.put(_PROBE_KEY, b"ok", ttl=60)
        item = store.get(_PROBE_KEY)
        store.delete(_PROBE_KEY)
    except (StoreError, OSError, sqlite3.Error) as exc:
        return Check("store", False, f"{shown} opens but cannot be written: {exc}", fix)
    finally:
        store.close()
    if item is None or item.value != b"ok":
        return Check("store", False, f"{shown} did not give back what was written to it", fix)
    where = f" ({settings.home_path / 'store.db'})" if settings.store == "sqlite" else ""
    return Check("store", True, f"{shown}{where} is writable")


def check_tokenizer(settings: Settings) -> Check:
    from headroom.tokens import O200K_FILE, O200K_SHA256, default_search_dirs

    dirs = default_search_dirs(settings.tokenizer_dir, settings.home_path)
    fix = (
        f"put tiktoken's o200k_base file (named {O200K_FILE}) in a folder and point "
        "HEADROOM_TOKENIZER_DIR or TIKTOKEN_CACHE_DIR at it (`make run` uses ../shared/tiktoken)"
    )
    for folder in dirs:
        path = folder / O200K_FILE
        if path.is_file():
            if _sha256(path) != O200K_SHA256:
                return Check("tokenizer", False, f"{path} is not o200k_base (sha256 differs)", fix)
            return Check("tokenizer", True, f"exact o200k_base counts, from {path}")
    searched = ", ".join(str(d) for d in dirs)
    return Check(
        "tokenizer",
        False,
        f"o200k_base not found in {searched}; token counts are estimates (1 per 4 characters)",
        fix,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(functools.partial(f.read, 1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_port(settings: Settings) -> Check:
    port = settings.proxy_port
    fix = f"use another port: {_other_port(settings)}"
    if _listening(settings.proxy_host, port):
        if _is_headroom(proxy_url(settings)):
            return Check("port", True, f"port {port} is held by the Headroom proxy")
        return Check("port", False, f"port {port} is taken by another program", fix)
    problem = _bind_problem(settings.proxy_host, port)
    if problem:
        return Check("port", False, f"port {port} on {settings.proxy_host}: {problem}", fix)
    return Check("port", True, f"port {port} free")


def _other_port(settings: Settings) -> str:
    other = settings.proxy_port + 1
    return f"`headroom proxy --port {other}` (or HEADROOM_PORT={other})"


def _listening(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    try:
        with socket.create_connection((target, port), timeout=_TIMEOUT_S):
            return True
    except OSError:
        return False


def _bind_problem(host: str, port: int) -> str | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def _guarded(name: str, check: Callable[[Settings], Check], settings: Settings) -> Check:
    broken = Check(name, False, "the check itself failed (details in the log)", "report a bug")
    return guarded(
        f"doctor:{name}",
        functools.partial(check, settings),
        broken,
        raise_errors=settings.raise_errors,
    )


def _agents(settings: Settings) -> list[Check]:
    from headroom.doctor_agents import agent_checks

    broken = [
        Check("agents", False, "the check itself failed (details in the log)", "report a bug")
    ]
    checks = guarded(
        "doctor:agents",
        functools.partial(agent_checks, settings),
        broken,
        raise_errors=settings.raise_errors,
    )
    if checks:
        return checks
    none = "no agent is configured for Headroom (`headroom wrap claude|codex|aider|opencode`)"
    return [Check("agents", True, none)]


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in order; one line per configured agent (one line when there is none)."""
    first = [
        _guarded("proxy", check_proxy, settings),
        _guarded("upstream", check_upstreams, settings),
        _guarded("store", check_store, settings),
        _guarded("tokenizer", check_tokenizer, settings),
    ]
    return [*first, *_agents(settings), _guarded("port", check_port, settings)]


def _settings() -> tuple[Check, Settings]:
    """The settings check, and the settings to check the rest with (defaults if they fail)."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        defaults = Settings(**{s.name: s.default for s in SETTINGS})
        fix = "correct that value (environment variable or config.toml); `headroom config`"
        return Check("settings", False, f"{exc} (the rest is checked with defaults)", fix), defaults
    config = settings.home_path / "config.toml"
    source = f"config file {config}" if config.is_file() else "no config file"
    return Check("settings", True, f"loaded ({source})"), settings


def marks(encoding: str | None) -> tuple[str, str]:
    """The pass and fail marks this output can print."""
    try:
        "✓✗".encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "ok  ", "FAIL"
    return "✓", "✗"


def format_check(check: Check, passed: str, failed: str) -> str:
    """One line: mark, name, what was found, and the fix when it failed."""
    line = f"{passed if check.ok else failed} {check.name}: {check.detail}"
    return line if check.ok or not check.fix else f"{line} -- fix: {check.fix}"


def doctor_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check the proxy, upstreams, store, tokenizer, agents and port; a fix for each failure."""
    first, settings = _settings()
    checks = [first, *run_checks(settings)]
    if as_json:
        typer.echo(orjson.dumps([asdict(c) for c in checks]).decode())
    else:
        passed, failed = marks(sys.stdout.encoding)
        for check in checks:
            sys.stdout.write(format_check(check, passed, failed) + "\n")
        sys.stdout.flush()
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `headroom doctor` to the CLI."""
    app.command("doctor")(doctor_command)
