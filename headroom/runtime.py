"""A runtime: the services built once from one set of settings.

The library, the CLI and (later) the proxy and MCP server each hold a runtime:
the store, the CCR layer over it, the compressor registry, the router and the
token counter. Building one opens the store, so runtimes are cached per
settings value.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from headroom.cache.frozen import FrozenHistory, settings_fingerprint
from headroom.cache.planner import CachePlan
from headroom.cache.session import Sessions
from headroom.ccr import CCR
from headroom.compressors.registry import Registry, build_registry
from headroom.config import Settings, load_settings
from headroom.learning import Learner
from headroom.pipeline import CompressToolResults, Engine, Pipeline, Router
from headroom.store import open_store
from headroom.store.base import Store
from headroom.tokens import TokenCounter, counter_for


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    store: Store
    ccr: CCR
    registry: Registry
    router: Router
    counter: TokenCounter
    engine: Engine
    frozen: FrozenHistory
    sessions: Sessions
    learner: Learner | None = None

    def pipeline(
        self,
        *,
        query: str | None = None,
        plan: CachePlan | None = None,
        frozen_only: bool = False,
    ) -> Pipeline:
        """The conversation pipeline.

        `query` overrides the question in force; `plan` lets the cache planner
        decide on blocks an earlier request sent; `frozen_only` compresses
        nothing new (see `CompressToolResults`).
        """
        compress = CompressToolResults(
            self.engine, query=query, frozen=self.frozen, plan=plan, frozen_only=frozen_only
        )
        return Pipeline([compress], self.ccr, raise_errors=self.settings.raise_errors)


def build_runtime(settings: Settings, *, store: Store | None = None) -> Runtime:
    """A new runtime; `store` replaces the one the settings name."""
    if store is None:
        store = open_store(
            settings.store,
            default_ttl=settings.ccr_ttl_seconds,
            max_bytes=settings.store_max_bytes,
            home=settings.home_path,
        )
    registry = build_registry(
        disabled=settings.disabled_compressors,
        raise_errors=settings.raise_errors,
        text_model=settings.text_model,
    )
    router = Router(registry)
    counter = counter_for(settings.tokenizer_dir, settings.home_path)
    learner = Learner(store, ttl=settings.ccr_ttl_seconds) if settings.learning else None
    return Runtime(
        settings=settings,
        store=store,
        ccr=CCR(store, ttl=settings.ccr_ttl_seconds, learner=learner),
        registry=registry,
        router=router,
        counter=counter,
        engine=Engine(settings, router, counter, learner),
        frozen=FrozenHistory(
            store, fingerprint=settings_fingerprint(settings), ttl=settings.ccr_ttl_seconds
        ),
        sessions=Sessions(store, ttl=settings.ccr_ttl_seconds),
        learner=learner,
    )


_cache: dict[Settings, Runtime] = {}
_lock = threading.Lock()


def get_runtime(**overrides: object) -> Runtime:
    """The cached runtime for the settings resolved with `overrides`."""
    settings = load_settings(**overrides)
    with _lock:
        runtime = _cache.get(settings)
        if runtime is None:
            runtime = _cache[settings] = build_runtime(settings)
        return runtime


def close_runtimes() -> None:
    """Close every cached runtime's store (tests and shutdown)."""
    with _lock:
        for runtime in _cache.values():
            runtime.store.close()
        _cache.clear()
