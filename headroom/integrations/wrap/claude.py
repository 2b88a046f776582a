"""`headroom wrap claude`: Claude Code through the proxy, via `ANTHROPIC_BASE_URL`.

Claude Code reads `ANTHROPIC_BASE_URL` from its environment, but the `env`
object of `~/.claude/settings.json` wins over the environment, and a
`--settings` flag wins over both (checked with Claude Code 2.1.329). So:

- by default wrap sets the variable in the agent's environment, and adds
  `--settings '{"env": {"ANTHROPIC_BASE_URL": …}}'` only when settings.json
  names a different base URL that would otherwise win;
- `--persist` writes the URL into settings.json's `env` object (every other
  key kept; the file's formatting is restored by `unwrap`);
- without a proxy, a settings.json that a persisted wrap pointed at the proxy
  is overridden with `--settings` back to the URL it had before (or
  Anthropic's), so a dead proxy never strands Claude Code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headroom.integrations.wrap import json_config, manifest
from headroom.integrations.wrap.base import CannotPersist, Launch, user_home

VARIABLE = "ANTHROPIC_BASE_URL"
DIRECT_URL = "https://api.anthropic.com"


def settings_path() -> Path:
    """Claude Code's user settings file."""
    return user_home() / ".claude" / "settings.json"


@dataclass(frozen=True)
class ClaudeCode:
    """Claude Code (`claude`)."""

    name: str = "claude"
    binary: str = "claude"

    def launch(
        self, base_url: str | None, args: Sequence[str], *, persist: bool, home: Path
    ) -> Launch:
        path = settings_path()
        if base_url is None:
            return self._direct(args, home, path)
        note = None
        if persist:
            changed = with_base_url(json_config.read(path), path, base_url)
            manifest.write(home, self.name, path, changed)
            note = (
                f"{path} now points Claude Code at {base_url}; `headroom unwrap claude` undoes it"
            )
        override = _override(_configured_url(json_config.read(path), path), base_url)
        return Launch([self.binary, *override, *args], {VARIABLE: base_url}, note)

    def unwrap(self, home: Path) -> list[str]:
        return manifest.restore(home, self.name)

    def _direct(self, args: Sequence[str], home: Path, path: Path) -> Launch:
        """Straight to Anthropic, undoing (for this run) a persisted wrap's base URL."""
        persisted = [e for e in manifest.load(home, self.name) if e.path == path]
        if not persisted:
            return Launch([self.binary, *args])
        before = _configured_url(persisted[0].original, path) or DIRECT_URL
        override = _override(_configured_url(json_config.read(path), path), before)
        return Launch([self.binary, *override, *args])


def with_base_url(data: bytes | None, path: Path, base_url: str) -> bytes:
    """settings.json's bytes with `env.ANTHROPIC_BASE_URL` set, other keys untouched."""
    settings = json_config.load_object(data, path)
    json_config.child(settings, "env", path)[VARIABLE] = base_url
    return json_config.dump(settings)


def _override(configured: str | None, wanted: str) -> list[str]:
    """`--settings` making `wanted` win, when settings.json names another URL."""
    if configured is None or configured == wanted:
        return []
    return ["--settings", json.dumps({"env": {VARIABLE: wanted}})]


def _configured_url(data: bytes | None, path: Path) -> str | None:
    try:
        env: Any = json_config.load_object(data, path).get("env")
    except CannotPersist:
        return None
    value = env.get(VARIABLE) if isinstance(env, dict) else None
    return value if isinstance(value, str) else None


AGENT = ClaudeCode()
