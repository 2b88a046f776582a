"""The retrieve loop on an OpenAI Responses SSE stream.

Every event of a `headroom_retrieve` function call item (the events carrying
its `output_index`) is held back; the other items' `output_index` values are
renumbered so the client's stay dense, and every event sent gets the next
`sequence_number` of the client's stream. When a turn completes with only
retrieve calls, its `response.completed` is held and `pending_calls` says what
to answer; after `start_continuation()` the next upstream stream is spliced on
without its `response.created`/`in_progress`, and the one `response.completed`
the client gets holds the first response's id, the visible output of every
round and the usage of all of them.
"""

from __future__ import annotations

import orjson

from headroom.proxy.retrieve.calls import TOOL_NAME, HiddenTurn, RetrieveCall
from headroom.proxy.retrieve.openai_responses import (
    is_client_call,
    is_retrieve_item,
    retrieve_call,
    split_output,
)
from headroom.proxy.retrieve.usage import add_usage
from headroom.proxy.sse import SSEEvent
from headroom.types import JSONObject

#: Events that open a response; a continuation's are not sent.
_OPENING = frozenset({"response.created", "response.in_progress", "response.queued"})
#: Events that close a response and carry the whole of it.
_CLOSING = frozenset({"response.completed", "response.incomplete", "response.failed"})


class OpenAIResponsesRetrieveStream:
    """Holds back retrieve calls and splices continuations into one client stream."""

    def __init__(self) -> None:
        self._seq = 0
        self._next_output = 0
        self._continuing = False
        self._id: str | None = None
        self._earlier_output: list[JSONObject] = []
        self._earlier_usage: JSONObject | None = None
        self._new_turn()

    def _new_turn(self) -> None:
        self._outputs: dict[int, int | None] = {}  # upstream output_index → client's
        self._response: JSONObject = {}
        self._closing: tuple[SSEEvent, JSONObject] | None = None
        self.pending_calls: list[RetrieveCall] = []
        self.hidden_turn: HiddenTurn | None = None

    def feed(self, event: SSEEvent) -> list[SSEEvent]:
        """The events to send the client now, for one upstream event."""
        if event.comment:
            return [event]
        data = orjson.loads(event.data)
        if not isinstance(data, dict):
            return [event]
        kind = str(data.get("type", event.event or ""))
        if kind in _OPENING:
            self._id = self._id or (data.get("response") or {}).get("id")
            return [] if self._continuing else [self._numbered(event, data)]
        if kind in _CLOSING:
            return self._close(event, data, kind)
        return self._item_event(event, data, kind)

    def ping(self) -> SSEEvent:
        """An SSE comment that keeps an idle connection alive between rounds."""
        return SSEEvent(None, "", b": ping\n\n", comment=True)

    def start_continuation(self) -> None:
        """Splice the next upstream stream onto this one (after `pending_calls`)."""
        self._earlier_output = self._visible(self._response)
        self._earlier_usage = add_usage(self._earlier_usage, self._response.get("usage"))
        self._continuing = True
        self._new_turn()

    def finish(self) -> list[SSEEvent]:
        """Close the client's stream when pending calls will not be answered."""
        if not self.pending_calls or self._closing is None:
            return []
        self.pending_calls = []
        event, data = self._closing
        return [self._closed(event, data, self._visible(self._response))]

    def turn_response(self) -> JSONObject:
        """The current upstream turn as a whole response (from its closing event)."""
        return dict(self._response)

    def _item_event(self, event: SSEEvent, data: JSONObject, kind: str) -> list[SSEEvent]:
        index = data.get("output_index")
        if not isinstance(index, int):
            return [self._numbered(event, data)]
        if kind == "response.output_item.added" and index not in self._outputs:
            item = data.get("item") or {}
            is_retrieve = item.get("type") == "function_call" and item.get("name") == TOOL_NAME
            self._outputs[index] = None if is_retrieve else self._next_output
            self._next_output += 0 if is_retrieve else 1
        if index in self._outputs and self._outputs[index] is None:
            return []
        client = self._outputs.get(index, index)
        return [
            self._numbered(event, data if client == index else {**data, "output_index": client})
        ]

    def _close(self, event: SSEEvent, data: JSONObject, kind: str) -> list[SSEEvent]:
        self._response = dict(data.get("response") or {})
        self._closing = (event, data)
        output = self._response.get("output") or []
        calls = [retrieve_call(item) for item in output if is_retrieve_item(item)]
        client = any(is_client_call(item) for item in output)
        if kind == "response.completed" and calls and not client:
            self.pending_calls = calls
            return []
        visible, self.hidden_turn = split_output(list(output))
        if self._earlier_usage is None and len(visible) == len(output):
            return [self._numbered(event, data)]
        return [self._closed(event, data, [*self._earlier_output, *visible])]

    def _closed(self, event: SSEEvent, data: JSONObject, output: list[JSONObject]) -> SSEEvent:
        usage = add_usage(self._earlier_usage, self._response.get("usage"))
        response = {**self._response, "id": self._id or self._response.get("id")}
        response.update(output=output, usage=usage)
        return self._numbered(event, {**data, "response": response}, rewrite=True)

    def _visible(self, response: JSONObject) -> list[JSONObject]:
        visible, _ = split_output(list(response.get("output") or []))
        return [*self._earlier_output, *visible]

    def _numbered(self, event: SSEEvent, data: JSONObject, *, rewrite: bool = False) -> SSEEvent:
        """The event with the client stream's next sequence number."""
        seq, self._seq = self._seq, self._seq + 1
        if "sequence_number" in data and data["sequence_number"] != seq:
            data, rewrite = {**data, "sequence_number": seq}, True
        if not rewrite and event.raw is not None:
            return event
        return SSEEvent(event.event or str(data.get("type")), orjson.dumps(data).decode())
