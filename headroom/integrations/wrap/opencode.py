"""`headroom wrap opencode`: opencode through the proxy, via its provider `baseURL`s.

opencode's providers take `options.baseURL` (with `/v1`, as the AI SDK
expects) in `opencode.json`. Its config sources merge, and inline JSON in
`OPENCODE_CONFIG_CONTENT` wins over every file, so wrap points the
`anthropic` and `openai` providers at the proxy through that variable:
nothing on disk changes.

`--persist` sets the same two `baseURL`s in the user's global config,
`~/.config/opencode/opencode.json` (other keys kept; plain JSON only, a JSONC
file with comments is refused), and `unwrap` restores it byte for byte.
Without a proxy, a persisted config is overridden through the variable with
the URLs it had before (or the providers' own), so a dead proxy never
strands opencode.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headroom.integrations.wrap import json_config, manifest
from headroom.integrations.wrap.base import CannotPersist, Launch, user_home

VARIABLE = "OPENCODE_CONFIG_CONTENT"
#: Provider id → its own API base, for running without the proxy.
DIRECT = {"anthropic": "https://api.anthropic.com/v1", "openai": "https://api.openai.com/v1"}


def config_path() -> Path:
    """opencode's global config file."""
    return user_home() / ".config" / "opencode" / "opencode.json"


@dataclass(frozen=True)
class OpenCode:
    """opencode (`opencode`)."""

    name: str = "opencode"
    binary: str = "opencode"

    def launch(
        self, base_url: str | None, args: Sequence[str], *, persist: bool, home: Path
    ) -> Launch:
        path = config_path()
        argv = [self.binary, *args]
        if base_url is None:
            before = _persisted_bases(home, path)
            return Launch(argv, {VARIABLE: _inline(before)} if before else {})
        note = None
        if persist:
            changed = with_base_urls(json_config.read(path), path, f"{base_url}/v1")
            manifest.write(home, self.name, path, changed)
            note = f"{path} now points opencode at {base_url}; `headroom unwrap opencode` undoes it"
        bases = {provider: f"{base_url}/v1" for provider in DIRECT}
        return Launch(argv, {VARIABLE: _inline(bases)}, note)

    def unwrap(self, home: Path) -> list[str]:
        return manifest.restore(home, self.name)


def with_base_urls(data: bytes | None, path: Path, api_base: str) -> bytes:
    """opencode.json with `provider.<id>.options.baseURL` set for each provider."""
    config = json_config.load_object(data, path)
    providers = json_config.child(config, "provider", path)
    for provider in DIRECT:
        options = json_config.child(json_config.child(providers, provider, path), "options", path)
        options["baseURL"] = api_base
    return json_config.dump(config)


def _persisted_bases(home: Path, path: Path) -> dict[str, str]:
    """The base URLs from before a persisted wrap ({} when nothing was persisted)."""
    persisted = [e for e in manifest.load(home, "opencode") if e.path == path]
    if not persisted:
        return {}
    try:
        config = json_config.load_object(persisted[0].original, path)
    except CannotPersist:
        config = {}
    return {provider: _base_url(config, provider) or url for provider, url in DIRECT.items()}


def _base_url(config: dict[str, Any], provider: str) -> str | None:
    value: Any = config
    for key in ("provider", provider, "options", "baseURL"):
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _inline(bases: dict[str, str]) -> str:
    """The inline config pointing each provider at its base URL."""
    providers = {name: {"options": {"baseURL": url}} for name, url in bases.items()}
    return json.dumps({"provider": providers})


AGENT = OpenCode()
