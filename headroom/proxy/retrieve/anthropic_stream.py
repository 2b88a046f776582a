"""The retrieve loop on an Anthropic Messages SSE stream.

The transformer sits between the upstream's events and the client's. Text,
thinking and the client's own tool calls stream through as they arrive; a
`headroom_retrieve` `tool_use` block is held back from its
`content_block_start` on. When a turn ends with only retrieve calls, its
`message_delta` and `message_stop` are held too and `pending_calls` says what
to answer; after `start_continuation()` the next upstream stream is spliced on:
its `message_start` is dropped, its block indices continue after the ones the
client already has, and its closing `message_delta` carries the usage of every
round. The client sees one message.

Every block of the current turn is also accumulated, so `turn_response()` can
give the turn as a whole response for `continuation()` to send back verbatim.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from headroom.proxy.retrieve.calls import TOOL_NAME, HiddenTurn, RetrieveCall, call_from_arguments
from headroom.proxy.retrieve.usage import add_usage
from headroom.proxy.sse import SSEEvent
from headroom.types import JSONObject

PING = SSEEvent("ping", '{"type": "ping"}')

#: Delta type → (block field, delta field) appended to as the block streams.
_APPEND = {
    "text_delta": ("text", "text"),
    "thinking_delta": ("thinking", "thinking"),
    "signature_delta": ("signature", "signature"),
    "input_json_delta": ("_partial_json", "partial_json"),
}


class AnthropicRetrieveStream:
    """Holds back retrieve calls and splices continuations into one client stream."""

    def __init__(self) -> None:
        self._continuing = False
        self._next_index = 0
        self._earlier_usage: JSONObject | None = None
        self._handlers: dict[str, Callable[[SSEEvent, JSONObject], list[SSEEvent]]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_event,
            "content_block_stop": self._block_event,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
        }
        self._new_turn()

    def _new_turn(self) -> None:
        self._client_index: dict[int, int | None] = {}  # upstream index → client's, None if held
        self._blocks: dict[int, JSONObject] = {}
        self._message: JSONObject = {}
        self._usage: JSONObject = {}
        self._delta: JSONObject | None = None
        #: The retrieve calls to answer when the turn ended with nothing else.
        self.pending_calls: list[RetrieveCall] = []
        #: Set when the turn ended with retrieve calls beside the client's own.
        self.hidden_turn: HiddenTurn | None = None

    def feed(self, event: SSEEvent) -> list[SSEEvent]:
        """The events to send the client now, for one upstream event."""
        handler = self._handlers.get(event.event or "")
        if handler is None or event.comment:
            return [event]
        return handler(event, orjson.loads(event.data))

    def ping(self) -> SSEEvent:
        """An event that keeps the client's idle timer alive between rounds."""
        return PING

    def start_continuation(self) -> None:
        """Splice the next upstream stream onto this one (after `pending_calls`)."""
        self._earlier_usage = add_usage(self._earlier_usage, self._usage)
        self._continuing = True
        self._new_turn()

    def finish(self) -> list[SSEEvent]:
        """Close the client's message when pending calls will not be answered."""
        if not self.pending_calls or self._delta is None:
            return []
        delta = {
            **self._delta,
            "delta": {**self._delta.get("delta", {}), "stop_reason": "end_turn"},
        }
        self.pending_calls = []
        return [self._closing_delta(delta), SSEEvent("message_stop", '{"type":"message_stop"}')]

    def turn_response(self) -> JSONObject:
        """The current upstream turn as a whole (non-streaming) message."""
        delta = (self._delta or {}).get("delta", {})
        blocks = [_finished(self._blocks[i]) for i in sorted(self._blocks)]
        return {**self._message, "content": blocks, **delta, "usage": dict(self._usage)}

    def _message_start(self, event: SSEEvent, data: JSONObject) -> list[SSEEvent]:
        self._message = dict(data.get("message") or {})
        self._usage = dict(self._message.get("usage") or {})
        return [] if self._continuing else [event]

    def _block_start(self, event: SSEEvent, data: JSONObject) -> list[SSEEvent]:
        index, block = data["index"], dict(data.get("content_block") or {})
        self._blocks[index] = block
        if block.get("type") == "tool_use" and block.get("name") == TOOL_NAME:
            self._client_index[index] = None
            return []
        self._client_index[index] = self._next_index
        self._next_index += 1
        return [self._renumbered(event, data)]

    def _block_event(self, event: SSEEvent, data: JSONObject) -> list[SSEEvent]:
        index = data.get("index")
        delta = data.get("delta")
        if index in self._blocks and isinstance(delta, dict):
            _accumulate(self._blocks[index], delta)
        if index in self._client_index and self._client_index[index] is None:
            return []
        return [self._renumbered(event, data)]

    def _renumbered(self, event: SSEEvent, data: JSONObject) -> SSEEvent:
        index = self._client_index.get(data.get("index", -1))
        if index is None or index == data["index"]:
            return event
        return event.with_data(orjson.dumps({**data, "index": index}).decode())

    def _message_delta(self, event: SSEEvent, data: JSONObject) -> list[SSEEvent]:
        self._delta = data
        # A turn's delta usage is cumulative: it replaces, not adds to, message_start's.
        late = {k: v for k, v in (data.get("usage") or {}).items() if v is not None}
        self._usage = {**self._usage, **late}
        calls, client_ids = self._calls(), self._client_call_ids()
        stop_reason = (data.get("delta") or {}).get("stop_reason")
        if calls and not client_ids and stop_reason == "tool_use":
            self.pending_calls = calls
            return []
        if calls and client_ids:
            self.hidden_turn = self._hidden(calls, client_ids)
        if self._earlier_usage is None:
            return [event]
        return [self._closing_delta(data)]

    def _closing_delta(self, data: JSONObject) -> SSEEvent:
        usage = add_usage(self._earlier_usage, self._usage)
        return SSEEvent("message_delta", orjson.dumps({**data, "usage": usage}).decode())

    def _message_stop(self, event: SSEEvent, data: JSONObject) -> list[SSEEvent]:
        return [] if self.pending_calls else [event]

    def _calls(self) -> list[RetrieveCall]:
        held = [i for i, client in sorted(self._client_index.items()) if client is None]
        return [_call(_finished(self._blocks[i])) for i in held]

    def _client_call_ids(self) -> tuple[str, ...]:
        visible = [i for i, client in sorted(self._client_index.items()) if client is not None]
        blocks = [self._blocks[i] for i in visible]
        return tuple(str(b.get("id", "")) for b in blocks if b.get("type") == "tool_use")

    def _hidden(self, calls: list[RetrieveCall], client_ids: tuple[str, ...]) -> HiddenTurn:
        held = [i for i, client in sorted(self._client_index.items()) if client is None]
        hidden = tuple((i, _finished(self._blocks[i])) for i in held)
        visible = len(self._client_index) - len(held)
        return HiddenTurn(client_ids, visible, hidden, tuple(calls))


def _accumulate(block: JSONObject, delta: JSONObject) -> None:
    kind = delta.get("type")
    if kind == "citations_delta":
        citations = block.get("citations")
        block["citations"] = [*(citations or []), delta.get("citation")]
        return
    if kind not in _APPEND:
        return
    field, source = _APPEND[kind]
    block[field] = str(block.get(field) or "") + str(delta.get(source, ""))


def _finished(block: JSONObject) -> JSONObject:
    """A streamed block as a whole response would hold it (tool input parsed)."""
    if "_partial_json" not in block:
        return dict(block)
    done = {k: v for k, v in block.items() if k != "_partial_json"}
    partial = str(block["_partial_json"])
    try:
        done["input"] = orjson.loads(partial) if partial.strip() else {}
    except orjson.JSONDecodeError:
        done["input"] = {}
    return done


def _call(block: JSONObject) -> RetrieveCall:
    return call_from_arguments(str(block.get("id", "")), block.get("input"))
