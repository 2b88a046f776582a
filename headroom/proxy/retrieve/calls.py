"""What every provider's retrieve logic shares: the call, the hidden turn, answers.

A `RetrieveCall` is one `headroom_retrieve` call the model made, read out of
whichever wire format it came in. A `HiddenTurn` is what a mixed turn (retrieve
calls beside the client's own tool calls) had cut out before the client saw
it, with where each call stood, so the history can be put back together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from headroom.types import JSONObject

#: The tool's name on every wire format.
TOOL_NAME = "headroom_retrieve"

#: Answers one call: `answer(ccr_id, query) -> text`, e.g. `runtime.ccr.retrieve`.
Answer = Callable[[str, str | None], str]


@dataclass(frozen=True, slots=True)
class RetrieveCall:
    """One `headroom_retrieve` call: the provider's call id and its arguments."""

    id: str
    ccr_id: str
    query: str | None = None


@dataclass(frozen=True, slots=True)
class HiddenTurn:
    """The retrieve calls cut out of an assistant turn the client does see.

    `hidden` pairs each call's position in the turn as the model wrote it
    (block, tool call or output item index) with the call exactly as written;
    `visible_count` is how many entries the client got from that turn. The
    client's copy may start with entries of earlier rounds, so positions count
    from where the last `visible_count` entries begin. `client_call_ids` are
    the ids of the client's own calls in that turn, in order: they find the
    turn again when the client sends it back. `anchor` is where the first of
    them stands among the visible entries (used where a turn's entries are not
    wrapped in one message, as in the Responses API's flat `input`).
    """

    client_call_ids: tuple[str, ...]
    visible_count: int
    hidden: tuple[tuple[int, JSONObject], ...]
    calls: tuple[RetrieveCall, ...]
    anchor: int = 0


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """A hidden turn as kept until the client sends it back: calls plus results."""

    client_call_ids: tuple[str, ...]
    visible_count: int
    hidden: tuple[tuple[int, JSONObject], ...]
    results: tuple[JSONObject, ...]
    anchor: int = 0

    @classmethod
    def of(cls, turn: HiddenTurn, results: list[JSONObject]) -> StoredTurn:
        return cls(
            turn.client_call_ids, turn.visible_count, turn.hidden, tuple(results), turn.anchor
        )

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "client_call_ids": self.client_call_ids,
                "visible_count": self.visible_count,
                "hidden": self.hidden,
                "results": self.results,
                "anchor": self.anchor,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> StoredTurn:
        data = orjson.loads(raw)
        return cls(
            client_call_ids=tuple(data["client_call_ids"]),
            visible_count=int(data["visible_count"]),
            hidden=tuple((int(i), dict(item)) for i, item in data["hidden"]),
            results=tuple(dict(result) for result in data["results"]),
            anchor=int(data.get("anchor", 0)),
        )

    def with_hidden(self, entries: list[Any]) -> list[Any] | None:
        """`entries` (the client's copy of the turn) with the hidden calls put back.

        None when the copy is shorter than what the client was given, so it
        cannot be the same turn.
        """
        base = len(entries) - self.visible_count
        if base < 0:
            return None
        restored = list(entries)
        for position, item in self.hidden:
            restored.insert(base + position, item)
        return restored


def call_from_arguments(call_id: str, arguments: Any) -> RetrieveCall:
    """A call from its arguments: an object (Anthropic) or a JSON string (OpenAI).

    Arguments that cannot be read give an empty id, which the store answers
    with a message saying what an id looks like, so the model can try again.
    """
    if isinstance(arguments, str):
        try:
            arguments = orjson.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError:
            arguments = {}
    if not isinstance(arguments, Mapping):
        arguments = {}
    ccr_id = arguments.get("id")
    query = arguments.get("query")
    return RetrieveCall(
        id=call_id,
        ccr_id=ccr_id if isinstance(ccr_id, str) else "",
        query=query if isinstance(query, str) and query.strip() else None,
    )


def answer_all(calls: Iterable[RetrieveCall], answer: Answer) -> dict[str, str]:
    """Every call's answer, by call id."""
    return {call.id: answer(call.ccr_id, call.query) for call in calls}
