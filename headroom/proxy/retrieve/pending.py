"""Hidden retrieve calls of mixed turns, kept until the client sends the turn back.

When the model calls `headroom_retrieve` and the client's own tools in one
turn, the proxy cannot answer and continue (the client has work to do), and
the client must not see a tool it does not know. So the retrieve calls are cut
out of the turn, answered from the CCR store, and the pair (the calls as the
model wrote them, and their results) is kept here under the id of the client's
first call in that turn. When a later request carries that turn in its
history, `restore` puts the calls and results back where they were, so the
model's history is the one it wrote and the prefix cache sees the same bytes
on every turn.

Pairs live in the shared `Store` (so any proxy replica can restore them),
under the tenant's scope (so one tenant's ids never reach another's history).
A small in-process memo saves a store round trip per history turn per request;
a miss may be remembered too, because a pair is always stored before the
client ever sees the turn it belongs to.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from headroom.guard import guarded
from headroom.providers.registry import canonical
from headroom.proxy.retrieve.calls import Answer, HiddenTurn, StoredTurn, answer_all
from headroom.proxy.retrieve.dialects import dialect
from headroom.store.base import Store
from headroom.types import JSONObject

_MISSING = object()


class PendingRetrievals:
    """Keeps hidden (call, result) pairs in a store and restores them into history."""

    def __init__(
        self,
        store: Store,
        *,
        ttl: float | None = None,
        memo_size: int = 4096,
        raise_errors: bool = False,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self._memo: OrderedDict[str, StoredTurn | None] = OrderedDict()
        self._memo_size = memo_size
        self._lock = threading.Lock()
        self._raise = raise_errors

    def hide(
        self, response: Mapping[str, Any], provider: str, answer: Answer, *, scope: str = ""
    ) -> JSONObject:
        """The response the client should see; a mixed turn's retrieve calls are kept."""
        visible, turn = dialect(provider).split(response)
        if turn is not None:
            self.keep(provider, turn, answer_all(turn.calls, answer), scope=scope)
        return visible

    def keep(
        self, provider: str, turn: HiddenTurn, answers: Mapping[str, str], *, scope: str = ""
    ) -> None:
        """Store one hidden turn; call it before the client can see the turn end."""
        stored = StoredTurn.of(turn, dialect(provider).results(turn, answers))
        key = _key(provider, scope, turn.client_call_ids[0])
        guarded(
            "retrieve.pending.keep",
            lambda: self.store.put(key, stored.to_bytes(), ttl=self.ttl),
            None,
            raise_errors=self._raise,
        )
        self._remember(key, stored)

    def restore(self, body: Mapping[str, Any], provider: str, *, scope: str = "") -> JSONObject:
        """The request body with every hidden turn in its history put back."""
        name = canonical(provider)

        def lookup(call_id: str) -> StoredTurn | None:
            return self._load(_key(name, scope, call_id))

        return guarded(
            "retrieve.pending.restore",
            lambda: dialect(name).restore(body, lookup),
            dict(body),
            raise_errors=self._raise,
        )

    def _load(self, key: str) -> StoredTurn | None:
        with self._lock:
            memo = self._memo.get(key, _MISSING)
        if memo is not _MISSING:
            return memo if isinstance(memo, StoredTurn) else None
        item = self.store.get(key)
        stored = StoredTurn.from_bytes(item.value) if item is not None else None
        self._remember(key, stored)
        return stored

    def _remember(self, key: str, stored: StoredTurn | None) -> None:
        with self._lock:
            self._memo[key] = stored
            self._memo.move_to_end(key)
            while len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)


def _key(provider: str, scope: str, call_id: str) -> str:
    return f"retrieve.pending:{canonical(provider)}:{scope}:{call_id}"
