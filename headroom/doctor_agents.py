"""`headroom doctor`'s agent checks: does each configured agent point at this proxy?

An agent counts as configured when `headroom wrap AGENT --persist` left a
manifest for it under the Headroom home, or when its own config file names a
base URL on this machine (a proxy set up by hand). Agents that are neither are
not reported: most people use one or two.

For each configured agent the base URLs its config names are read (nothing is
written) and compared with the proxy's address: a loopback host, the
configured port, and the path the agent needs (`/v1` for the OpenAI-style
clients, none for Claude Code). The shell's own `ANTHROPIC_BASE_URL`,
`OPENAI_BASE_URL` and `OPENAI_API_BASE` are checked the same way when they
point at this machine.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from headroom.config import Settings, child_environment
from headroom.doctor import Check
from headroom.integrations.wrap import aider, claude, codex, manifest, opencode
from headroom.proxy.server import is_loopback_host

__all__ = ["Found", "agent_checks", "configured_urls"]


@dataclass(frozen=True, slots=True)
class Found:
    """A base URL an agent's config names: where, the URL, and the path it needs."""

    where: str
    url: str
    path: str


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _json(path: Path) -> dict[str, Any]:
    text = _read(path)
    try:
        value = json.loads(text) if text and text.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _dig(data: Any, *keys: str) -> str | None:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, str) else None


def _claude() -> list[Found]:
    path = claude.settings_path()
    url = _dig(_json(path), "env", claude.VARIABLE)
    return [Found(f"{path} env.{claude.VARIABLE}", url, "")] if url else []


def _codex() -> list[Found]:
    path = codex.codex_home(child_environment()) / "config.toml"
    text = _read(path)
    try:
        data = tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return []
    found = []
    provider = data.get("model_provider")
    if isinstance(provider, str):
        url = _dig(data, "model_providers", provider, "base_url")
        if url:
            found.append(Found(f"{path} model_providers.{provider}.base_url", url, "/v1"))
    url = _dig(data, "openai_base_url")
    if url:
        found.append(Found(f"{path} openai_base_url", url, "/v1"))
    return found


_AIDER_BASE = re.compile(r"^openai-api-base\s*:\s*['\"]?([^'\"#\s]+)", re.MULTILINE)
_AIDER_ENV = re.compile(rf"^\s*-\s*{claude.VARIABLE}=(\S+)", re.MULTILINE)


def _aider() -> list[Found]:
    path = aider.config_path()
    text = _read(path) or ""
    found = []
    bases = _AIDER_BASE.findall(text)
    if bases:  # YAML keeps the last of two equal keys, as Aider reads it
        found.append(Found(f"{path} openai-api-base", bases[-1], "/v1"))
    envs = _AIDER_ENV.findall(text)
    if envs:
        found.append(Found(f"{path} set-env {claude.VARIABLE}", envs[-1], ""))
    return found


def _opencode() -> list[Found]:
    path = opencode.config_path()
    data = _json(path)
    found = []
    for provider in opencode.DIRECT:
        url = _dig(data, "provider", provider, "options", "baseURL")
        if url:
            found.append(Found(f"{path} provider.{provider}.options.baseURL", url, "/v1"))
    return found


#: Agent name (as `headroom wrap` knows it) → the base URLs its config names.
READERS: dict[str, Callable[[], list[Found]]] = {
    "claude": _claude,
    "codex": _codex,
    "aider": _aider,
    "opencode": _opencode,
}

_SHELL = (
    ("ANTHROPIC_BASE_URL", ""),
    ("OPENAI_BASE_URL", "/v1"),
    ("OPENAI_API_BASE", "/v1"),
)


def configured_urls(agent: str) -> list[Found]:
    """The base URLs `agent`'s own config names (empty when it names none)."""
    return READERS[agent]()


def _local(url: str) -> bool:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and is_loopback_host(host)


def _problem(found: Found, port: int) -> str | None:
    """What is wrong with one URL for a proxy on `port`, or None."""
    try:
        parts = urlsplit(found.url)
        url_port = parts.port
    except ValueError:
        return f"{found.where} = {found.url!r} is not a URL"
    if parts.hostname is None or not is_loopback_host(parts.hostname):
        return f"{found.where} = {found.url} does not point at this machine"
    url_port = url_port or (443 if parts.scheme == "https" else 80)
    if url_port != port:
        return f"{found.where} = {found.url} points at port {url_port}, not {port}"
    if parts.path.rstrip("/") != found.path:
        wanted = found.path or "no path"
        return f"{found.where} = {found.url} has path {parts.path or '/'!r}; it needs {wanted}"
    return None


def _expected(settings: Settings, path: str) -> str:
    return f"http://127.0.0.1:{settings.proxy_port}{path}"


def _check_agent(name: str, settings: Settings) -> Check | None:
    persisted = manifest.load(settings.home_path, name)
    found = configured_urls(name)
    if not persisted and not any(_local(f.url) for f in found):
        return None  # not configured for Headroom: not reported
    label = f"agent {name}"
    if persisted and not found:
        return Check(
            label,
            False,
            f"`headroom wrap {name} --persist` was used, but the config no longer names a base URL",
            f"run `headroom wrap {name} --persist` again, or `headroom unwrap {name}`",
        )
    problems = [p for p in (_problem(f, settings.proxy_port) for f in found) if p]
    if not problems:
        return Check(label, True, "; ".join(f"{f.where} = {f.url}" for f in found))
    expected = _expected(settings, "")
    fix = (
        f"run `headroom wrap {name} --persist` again (it writes {expected})"
        if persisted
        else f"set it to {expected} (plus the path the agent needs), or run "
        f"`headroom wrap {name} --persist`"
    )
    return Check(label, False, "; ".join(problems), fix)


def _check_shell(settings: Settings) -> list[Check]:
    env = child_environment()
    checks = []
    for variable, path in _SHELL:
        url = env.get(variable, "")
        if not url or not _local(url):
            continue
        problem = _problem(Found(f"${variable}", url, path), settings.proxy_port)
        fix = "" if problem is None else f"export {variable}={_expected(settings, path)}"
        checks.append(Check(f"shell {variable}", problem is None, problem or f"= {url}", fix))
    return checks


def agent_checks(settings: Settings) -> list[Check]:
    """One check per configured agent, then one per proxy variable set in the shell."""
    checks = [_check_agent(name, settings) for name in READERS]
    return [c for c in checks if c is not None] + _check_shell(settings)
