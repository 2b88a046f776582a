"""`headroom wrap aider`: Aider through the proxy, with the settings Aider documents.

Aider talks to OpenAI-compatible endpoints through `OPENAI_API_BASE` (the
URL ends in `/v1`) and to Anthropic through litellm, which reads
`ANTHROPIC_BASE_URL` (no `/v1`). wrap sets both in the agent's environment.

`--persist` appends a marked block to `~/.aider.conf.yml` with
`openai-api-base` and a `set-env` entry for `ANTHROPIC_BASE_URL`: YAML takes
the last of two equal keys, so the block wins over the user's own
`openai-api-base` without touching it. A file that already has its own
`set-env` list is refused (the block would replace the list). `unwrap`
restores the file byte for byte.

Values in `.aider.conf.yml` win over the environment, so while a block is in
the file wrap passes the URLs as command-line options too (they win over the
file): the proxy's when there is one, and the provider's own when there is
not, so a dead proxy never strands Aider.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from headroom.integrations.wrap import json_config, manifest
from headroom.integrations.wrap.base import CannotPersist, Launch, user_home

OPENAI_VARIABLE = "OPENAI_API_BASE"
ANTHROPIC_VARIABLE = "ANTHROPIC_BASE_URL"
DIRECT_OPENAI = "https://api.openai.com/v1"
DIRECT_ANTHROPIC = "https://api.anthropic.com"
BEGIN = "# >>> added by `headroom wrap aider --persist`; `headroom unwrap aider` removes it"
END = "# <<< headroom"
_BLOCK = re.compile(rf"\n?{re.escape(BEGIN)}\n.*?{re.escape(END)}\n", re.DOTALL)
_SET_ENV = re.compile(r"^set-env\s*:", re.MULTILINE)
_OPENAI_BASE = re.compile(r"^openai-api-base\s*:\s*['\"]?([^'\"#\s]+)", re.MULTILINE)


def config_path() -> Path:
    """Aider's config file in the home folder."""
    return user_home() / ".aider.conf.yml"


@dataclass(frozen=True)
class Aider:
    """Aider (`aider`)."""

    name: str = "aider"
    binary: str = "aider"

    def launch(
        self, base_url: str | None, args: Sequence[str], *, persist: bool, home: Path
    ) -> Launch:
        path = config_path()
        if base_url is None:
            return Launch([self.binary, *_direct_options(home, path), *args])
        note = None
        if persist:
            manifest.write(home, self.name, path, with_block(json_config.read(path), base_url))
            note = f"{path} now points Aider at {base_url}; `headroom unwrap aider` undoes it"
        options = _options(f"{base_url}/v1", base_url) if _has_block(path) else []
        env = {OPENAI_VARIABLE: f"{base_url}/v1", ANTHROPIC_VARIABLE: base_url}
        return Launch([self.binary, *options, *args], env, note)

    def unwrap(self, home: Path) -> list[str]:
        return manifest.restore(home, self.name)


def with_block(data: bytes | None, base_url: str) -> bytes:
    """The config with wrap's block (re)placed at its end; the user's lines untouched."""
    text = _BLOCK.sub("", (data or b"").decode("utf-8"))
    if _SET_ENV.search(text):
        raise CannotPersist(
            f"{config_path()} has its own set-env list; add {ANTHROPIC_VARIABLE}={base_url} "
            "to it and openai-api-base yourself, or wrap without --persist"
        )
    if text and not text.endswith("\n"):
        text += "\n"
    block = (
        f"\n{BEGIN}\nopenai-api-base: {base_url}/v1\n"
        f"set-env:\n  - {ANTHROPIC_VARIABLE}={base_url}\n{END}\n"
    )
    return (text + block).encode("utf-8")


def _has_block(path: Path) -> bool:
    data = json_config.read(path)
    return data is not None and _BLOCK.search(data.decode("utf-8", "replace")) is not None


def _direct_options(home: Path, path: Path) -> list[str]:
    """Options undoing, for this run, a persisted block: the URLs from before it."""
    if not _has_block(path):
        return []
    persisted = [e for e in manifest.load(home, "aider") if e.path == path]
    original = (persisted[0].original or b"") if persisted else b""
    found = _OPENAI_BASE.search(original.decode("utf-8", "replace"))
    return _options(found.group(1) if found else DIRECT_OPENAI, DIRECT_ANTHROPIC)


def _options(openai_base: str, anthropic_base: str) -> list[str]:
    return ["--openai-api-base", openai_base, "--set-env", f"{ANTHROPIC_VARIABLE}={anthropic_base}"]


AGENT = Aider()
