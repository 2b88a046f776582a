"""`headroom wrap codex`: the Codex CLI through the proxy, as a custom model provider.

Codex talks to OpenAI's Responses API. It is pointed at the proxy with a
provider of its own, `[model_providers.headroom]` with `wire_api = "responses"`,
rather than by moving the built-in `openai` provider, because:

- Codex ignores a redefined `[model_providers.openai]`;
- a custom provider speaks plain HTTP + SSE (the built-in one may try a
  WebSocket first, which the proxy does not serve);
- `"responses"` is the only wire format current Codex accepts.

Two ways in, both reversible:

- **Default:** two `-c` overrides in front of the user's arguments. They are
  top-level options, so they apply to every subcommand (`exec` included), and
  nothing on disk changes: Codex keeps its own `CODEX_HOME`, login and sessions.
- **`--persist`:** the provider goes into `$CODEX_HOME/config.toml` (a root
  `model_provider` line and the table at the end), written through
  `manifest.write`, so `headroom unwrap codex` restores the file byte for byte.
  The edit is checked by parsing the result: it must equal the original plus
  exactly those two keys, or nothing is written and `CannotPersist` says why.
  A second `--persist` (a new port, say) starts again from the original.

The key: `OPENAI_API_KEY` when it is set (`env_key`), else Codex's own login
(`requires_openai_auth`, which sends a key stored by `codex login --with-api-key`).
A ChatGPT sign-in cannot go through the proxy: its tokens are for ChatGPT's
backend, not the OpenAI API the proxy forwards to, so Codex is then launched
straight against its provider, and the note says why (`--persist` refuses).

With no proxy (`base_url` None) Codex also goes direct, and if an earlier
`--persist` left `config.toml` pointing at the proxy, this run's `-c
model_provider=...` puts back the provider the file named before, so a dead
proxy never strands Codex.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from headroom.config import child_environment
from headroom.integrations.wrap import manifest
from headroom.integrations.wrap.base import CannotPersist, Launch, user_home

PROVIDER_ID = "headroom"
API_KEY_ENV = "OPENAI_API_KEY"
#: Codex's provider when `config.toml` names none.
DEFAULT_PROVIDER = "openai"
_PERSIST_COMMENT = "# added by headroom wrap codex --persist; headroom unwrap codex removes it\n"
_ROOT_PROVIDER_LINE = re.compile(r"model_provider\s*=")
_TABLE_HEADER = re.compile(r"\s*\[")
_CHATGPT = (
    "Codex is signed in with ChatGPT, whose tokens the proxy cannot forward to the OpenAI API; "
    f"set {API_KEY_ENV} (or `codex login --with-api-key`) to go through Headroom"
)

ProviderTable = dict[str, str | bool]


def codex_home(env: Mapping[str, str]) -> Path:
    """Where Codex keeps its config and login: `$CODEX_HOME`, else `~/.codex`."""
    configured = env.get("CODEX_HOME")
    return Path(configured).expanduser() if configured else user_home() / ".codex"


def provider_table(base_url: str, env: Mapping[str, str]) -> ProviderTable:
    """The `[model_providers.headroom]` table for a proxy at `base_url` (no path)."""
    table: ProviderTable = {
        "name": "Headroom",
        "base_url": base_url.rstrip("/") + "/v1",
        "wire_api": "responses",
    }
    if env.get(API_KEY_ENV):
        table["env_key"] = API_KEY_ENV
    else:
        table["requires_openai_auth"] = True
    return table


def override_args(table: ProviderTable) -> list[str]:
    """`-c` options that select the provider `table` for one run."""
    inline = ", ".join(f"{key} = {_toml_value(value)}" for key, value in table.items())
    return [
        "-c",
        f"model_provider={_toml_value(PROVIDER_ID)}",
        "-c",
        f"model_providers.{PROVIDER_ID}={{{inline}}}",
    ]


def signed_in_with_chatgpt(home: Path) -> bool:
    """True when Codex's stored login is a ChatGPT sign-in (only its `auth_mode` is read)."""
    try:
        auth = json.loads((home / "auth.json").read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(auth, dict) and auth.get("auth_mode") == "chatgpt"


def persisted_config(original: bytes | None, table: ProviderTable, path: Path) -> bytes:
    """`config.toml` (at `path`) with the provider added and selected; raises CannotPersist."""
    text = _decode(original, path)
    data = _parse(text, path)
    providers = data.get("model_providers", {})
    if not isinstance(providers, dict) or PROVIDER_ID in providers:
        raise CannotPersist(
            f"{path} already defines model_providers.{PROVIDER_ID} (or model_providers is not "
            "a table); run `headroom unwrap codex`, or wrap without --persist"
        )
    root = _PERSIST_COMMENT + f"model_provider = {_toml_value(PROVIDER_ID)}\n"
    body = "".join(_without_root_provider(text.splitlines(keepends=True)))
    if body and not body.endswith("\n"):
        body += "\n"
    lines = [f"{key} = {_toml_value(value)}\n" for key, value in table.items()]
    block = "\n" + _PERSIST_COMMENT + f"[model_providers.{PROVIDER_ID}]\n" + "".join(lines)
    result = root + body + block
    expected = {**data, "model_provider": PROVIDER_ID}
    expected["model_providers"] = {**providers, PROVIDER_ID: table}
    if _loads(result) != expected:
        raise CannotPersist(
            f"{path} cannot take the Headroom provider without changing other settings; "
            f"add [model_providers.{PROVIDER_ID}] yourself (README, Codex section), "
            "or wrap without --persist"
        )
    return result.encode()


def original_provider(original: bytes | None) -> str:
    """The `model_provider` a config file selected before wrap (Codex's default if none)."""
    data = _loads((original or b"").decode("utf-8", "replace")) or {}
    value = data.get("model_provider")
    return value if isinstance(value, str) else DEFAULT_PROVIDER


class CodexAgent:
    """The Codex CLI (`codex`, npm `@openai/codex`)."""

    name = "codex"
    binary = "codex"

    def launch(
        self, base_url: str | None, args: Sequence[str], *, persist: bool, home: Path
    ) -> Launch:
        """Codex pointed at the proxy at `base_url`, or straight at its provider."""
        env = child_environment()
        config = codex_home(env) / "config.toml"
        if base_url is None:
            return Launch([self.binary, *_direct_args(home, config), *args])
        if not env.get(API_KEY_ENV) and signed_in_with_chatgpt(config.parent):
            if persist:
                raise CannotPersist(_CHATGPT + "; wrap without --persist")
            note = _CHATGPT + "; launching Codex straight to its provider"
            return Launch([self.binary, *_direct_args(home, config), *args], note=note)
        table = provider_table(base_url, env)
        if not persist:
            return Launch([self.binary, *override_args(table), *args])
        _persist(home, config, table)
        note = f"{config} now selects the Headroom proxy; `headroom unwrap codex` restores it"
        return Launch([self.binary, *args], note=note)

    def unwrap(self, home: Path) -> list[str]:
        """Restore `config.toml` as it was before `--persist`."""
        return manifest.restore(home, self.name)


AGENT = CodexAgent()


def _persist(home: Path, config: Path, table: ProviderTable) -> None:
    """Write the provider into `config`, starting from the pre-wrap original if wrap wrote it."""
    recorded = _recorded(home, config)
    current = config.read_bytes() if config.is_file() else None
    base = recorded.original if recorded and current == recorded.written else current
    manifest.write(home, AGENT.name, config, persisted_config(base, table, config))


def _direct_args(home: Path, config: Path) -> list[str]:
    """Overrides that undo a persisted wrap for one run, so Codex skips a proxy it cannot use."""
    recorded = _recorded(home, config)
    if recorded is None:
        return []
    return ["-c", f"model_provider={_toml_value(original_provider(recorded.original))}"]


def _recorded(home: Path, config: Path) -> manifest.Entry | None:
    return next((e for e in manifest.load(home, AGENT.name) if e.path == config), None)


def _without_root_provider(lines: list[str]) -> list[str]:
    """The lines without a root-level `model_provider = ...` (the one before any table)."""
    kept: list[str] = []
    in_root = True
    for line in lines:
        in_root = in_root and not _TABLE_HEADER.match(line)
        if not (in_root and _ROOT_PROVIDER_LINE.match(line)):
            kept.append(line)
    return kept


def _decode(original: bytes | None, path: Path) -> str:
    try:
        return (original or b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CannotPersist(f"{path} is not UTF-8; fix it or wrap without --persist") from exc


def _parse(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CannotPersist(
            f"{path} is not valid TOML ({exc}); fix it or wrap without --persist"
        ) from exc


def _loads(text: str) -> dict[str, Any] | None:
    """The TOML document in `text`, or None when it does not parse."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _toml_value(value: str | bool) -> str:
    """A TOML literal: JSON string escapes are valid TOML basic-string escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)
