"""Per-session state the cache planner needs: when the session last sent a
request, and how much of its history was in it.

Kept in the store under `session.<key>`, so replicas sharing a store share it.
A session nobody has seen (a new one, or state lost with the store) reads as
cold: the planner then treats every block as new, which is also exactly what
the first sight of the session did, so the bytes come out the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from headroom.store.base import Store
from headroom.types import Conversation, Role, TextBlock, ToolResultBlock

_PREFIX = "session."


@dataclass(frozen=True, slots=True)
class SessionState:
    """What the last request of a session looked like."""

    last_seen: float | None = None
    #: Messages in the last request (all of them were sent, so are cached
    #: upstream while the cache is warm).
    messages_sent: int = 0
    #: Requests seen so far in the session.
    turns: int = 0


class Sessions:
    """Reads and writes session states in a store."""

    def __init__(self, store: Store, *, ttl: float | None = 24 * 3600) -> None:
        self.store = store
        self.ttl = ttl

    def get(self, key: str) -> SessionState:
        item = self.store.get(_PREFIX + key)
        if item is None:
            return SessionState()
        data = orjson.loads(item.value)
        return SessionState(
            last_seen=data.get("last_seen"),
            messages_sent=int(data.get("messages_sent", 0)),
            turns=int(data.get("turns", 0)),
        )

    def sent(self, key: str, previous: SessionState, *, now: float, messages: int) -> None:
        """Record that a request with `messages` messages was sent at `now`."""
        state = {"last_seen": now, "messages_sent": messages, "turns": previous.turns + 1}
        self.store.put(_PREFIX + key, orjson.dumps(state), ttl=self.ttl)


def derive_session_key(conversation: Conversation) -> str:
    """A session key for clients that send none: the first user message names it.

    Every turn of a conversation re-sends its first user message, so its hash
    stays the same for the whole session and differs between sessions.
    """
    digest = hashlib.sha256(conversation.provider.encode())
    for message in conversation.messages:
        if message.role is not Role.USER:
            continue
        for block in message.blocks:
            if isinstance(block, TextBlock):
                digest.update(block.text[:4096].encode("utf-8", "surrogatepass"))
            elif isinstance(block, ToolResultBlock):
                digest.update(block.tool_call_id.encode())
        break
    return "h" + digest.hexdigest()[:24]
