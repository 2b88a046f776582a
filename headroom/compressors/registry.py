"""The one registry that built-in and third-party compressors go through.

Plugins expose an entry point in the group `headroom.compressors` whose value
is a function `register_compressors(register)`; Headroom calls it with the
registry's `register` callback, so a plugin never touches globals. The
built-ins come in through the same door (`headroom.compressors.builtin`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points

from headroom.compressors.base import ANY_KIND, Compressor
from headroom.guard import guarded

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "headroom.compressors"

Register = Callable[[Compressor], None]
RegisterHook = Callable[[Register], None]


class RegistryError(ValueError):
    """A compressor could not be registered (e.g. its name is taken)."""


class Registry:
    """Compressors by name, and the order they are tried in for each kind."""

    def __init__(self, *, disabled: Iterable[str] = ()) -> None:
        self._by_name: dict[str, Compressor] = {}
        self._disabled = frozenset(disabled)

    def register(self, compressor: Compressor) -> None:
        if not isinstance(compressor, Compressor):
            raise RegistryError(f"{compressor!r} does not implement the Compressor protocol")
        if compressor.name in self._by_name:
            raise RegistryError(f"a compressor named {compressor.name!r} is already registered")
        self._by_name[compressor.name] = compressor

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def get(self, name: str) -> Compressor | None:
        return self._by_name.get(name)

    def for_kind(self, kind: str) -> list[Compressor]:
        """Enabled compressors for `kind`, specific ones first, then the any-kind ones."""
        enabled = [c for c in self._by_name.values() if c.name not in self._disabled]
        specific = [c for c in enabled if kind in c.kinds]
        general = [c for c in enabled if ANY_KIND in c.kinds and c not in specific]
        return specific + general


def load_plugins(registry: Registry, *, raise_errors: bool) -> None:
    """Call every `headroom.compressors` entry point with the registry's `register`.

    A plugin that fails to load is logged and skipped (fail-open), or raises
    under tests.
    """
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        load = functools.partial(_load_plugin, ep, registry)
        guarded(f"plugin:{ep.name}", load, False, raise_errors=raise_errors)


def _load_plugin(ep: EntryPoint, registry: Registry) -> bool:
    hook: RegisterHook = ep.load()
    hook(registry.register)
    log.debug("loaded compressor plugin %s (%s)", ep.name, ep.value)
    return True


def build_registry(
    *, disabled: Iterable[str] = (), raise_errors: bool = False, text_model: str = ""
) -> Registry:
    """The registry with the built-ins and every installed plugin.

    `text_model` is the folder of the optional ML text model (empty: off).
    """
    from headroom.compressors.builtin import register_compressors

    registry = Registry(disabled=disabled)
    register_compressors(registry.register, text_model=text_model)
    load_plugins(registry, raise_errors=raise_errors)
    return registry
