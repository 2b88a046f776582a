"""The wrap interface: what an agent spec is, and the registry of agents.

`headroom wrap AGENT` makes sure a proxy runs (`proxy_process`), asks the
agent spec how to launch the agent pointed at it, and runs the agent with the
terminal attached. An agent spec is a plain object with a `name`, the `binary`
it runs by default, and two methods:

- `launch(base_url, args, *, persist, home)` returns a `Launch`: the argv
  (argv[0] is the agent's binary name; the framework replaces it with the
  path found on PATH or given with `--bin`), the environment *changes* to
  apply on top of the caller's environment, an optional one-line note for the
  user, and an optional cleanup run after the agent exits (for throwaway
  config folders). `base_url` is the proxy's URL without a path
  (`http://127.0.0.1:8787`), or None when there is no proxy: the agent must
  then go straight to its provider, and if an earlier persisted wrap left the
  agent's config pointing at the proxy, the spec overrides that for this run
  only, so a dead proxy never strands the agent (wrap never asks to persist
  without a proxy).
  Without `persist` a spec changes nothing durable: it uses the environment
  or a throwaway config under `home`. With `persist` it edits the agent's own
  config through `manifest.write(home, name, path, data)`, which records each
  file's original bytes first so that `unwrap` can restore them exactly.
  When the config cannot be changed safely (say, it is not valid JSON), the
  spec raises `CannotPersist` and wrap stops before launching anything.
- `unwrap(home)` undoes what `launch(..., persist=True)` did, returning one
  human-readable line per thing undone ([] when there was nothing).
  Most specs just return `manifest.restore(home, name)`.

`home` is always the Headroom home folder (`~/.headroom`); the agent's own
config lives under `user_home()`.

Specs are looked up by name in `AGENTS`; each entry is the dotted path of a
module exposing `AGENT`, imported only when that agent is wrapped, so one
agent's imports never slow down another's start.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Launch:
    """How to start an agent: argv, environment changes, a note, a cleanup."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    cleanup: Callable[[], None] | None = None


class Agent(Protocol):
    """An agent `headroom wrap` knows how to point at the proxy."""

    name: str
    binary: str

    def launch(
        self, base_url: str | None, args: Sequence[str], *, persist: bool, home: Path
    ) -> Launch:
        """The command and environment that start this agent (through `base_url` if given)."""
        ...

    def unwrap(self, home: Path) -> list[str]:
        """Undo what a persisted wrap changed; one line per thing undone."""
        ...


class UnknownAgent(LookupError):
    """`headroom wrap` was given an agent name it does not know."""


class CannotPersist(ValueError):
    """`--persist` cannot change the agent's config safely; the message says what to do."""


#: Agent name → module that defines `AGENT`, imported lazily.
AGENTS: dict[str, str] = {
    "claude": "headroom.integrations.wrap.claude",
    "codex": "headroom.integrations.wrap.codex",
    "aider": "headroom.integrations.wrap.aider",
    "opencode": "headroom.integrations.wrap.opencode",
}


def get_agent(name: str) -> Agent:
    """The spec registered under `name`; raises UnknownAgent with the known names."""
    module = AGENTS.get(name)
    if module is None:
        raise UnknownAgent(f"unknown agent {name!r}; known: {', '.join(sorted(AGENTS))}")
    agent: Agent = importlib.import_module(module).AGENT
    return agent


def user_home() -> Path:
    """The user's home folder, where agents keep their config (honours $HOME)."""
    return Path.home()
