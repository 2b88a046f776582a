"""The retrieve loop on an OpenAI Chat Completions stream (`data:` chunks, `[DONE]`).

Fragments of a `headroom_retrieve` entry in `delta.tool_calls` are cut out of
the chunks as they arrive (a chunk left with nothing in it is dropped), and the
client's own tool calls are renumbered so their `index` values stay dense.
When a turn ends with only retrieve calls, its `finish_reason: "tool_calls"`
chunk, usage chunk and `[DONE]` are held and `pending_calls` says what to
answer; after `start_continuation()` the next upstream stream carries on under
the first completion's id, and its usage chunk holds the sum of every round.
Only choice 0 is rewritten; other choices pass through.
"""

from __future__ import annotations

from typing import Any

import orjson

from headroom.proxy.retrieve.calls import TOOL_NAME, HiddenTurn, RetrieveCall, call_from_arguments
from headroom.proxy.retrieve.usage import add_usage
from headroom.proxy.sse import SSEEvent
from headroom.types import JSONObject

DONE = SSEEvent(None, "[DONE]")


class OpenAIChatRetrieveStream:
    """Holds back retrieve calls and splices continuations into one client stream."""

    def __init__(self) -> None:
        self._id: str | None = None
        self._continuing = False
        self._earlier_usage: JSONObject | None = None
        self._head: JSONObject = {}  # the first chunk's id, model, …: reused for built chunks
        self._new_turn()

    def _new_turn(self) -> None:
        self._index: dict[int, int | None] = {}  # upstream tool call index → client's
        self._calls: dict[int, JSONObject] = {}
        self._content: list[str] = []
        self._finish: JSONObject | None = None
        self._usage: JSONObject | None = None
        self.pending_calls: list[RetrieveCall] = []
        self.hidden_turn: HiddenTurn | None = None

    def feed(self, event: SSEEvent) -> list[SSEEvent]:
        """The events to send the client now, for one upstream event."""
        if event.comment:
            return [event]
        if event.data.strip() == "[DONE]":
            return [] if self.pending_calls else [event]
        chunk = orjson.loads(event.data)
        if not isinstance(chunk, dict):
            return [event]
        self._id = self._id or chunk.get("id")
        self._head = self._head or {k: v for k, v in chunk.items() if k not in ("choices", "usage")}
        out, changed = self._rewrite(chunk)
        if out is None:
            return []
        return [event.with_data(orjson.dumps(out).decode()) if changed else event]

    def ping(self) -> SSEEvent:
        """An SSE comment that keeps an idle connection alive between rounds."""
        return SSEEvent(None, "", b": ping\n\n", comment=True)

    def start_continuation(self) -> None:
        """Splice the next upstream stream onto this one (after `pending_calls`)."""
        self._earlier_usage = add_usage(self._earlier_usage, self._usage)
        self._continuing = True
        self._new_turn()

    def finish(self) -> list[SSEEvent]:
        """Close the client's stream when pending calls will not be answered."""
        if not self.pending_calls:
            return []
        self.pending_calls = []
        choice = {"index": 0, "delta": {}, "finish_reason": "stop"}
        events = [self._event({**self._head, "choices": [choice]})]
        if self._usage is not None:
            usage = add_usage(self._earlier_usage, self._usage)
            events.append(self._event({**self._head, "choices": [], "usage": usage}))
        return [*events, DONE]

    def turn_response(self) -> JSONObject:
        """The current upstream turn as a whole (non-streaming) completion."""
        message: JSONObject = {"role": "assistant", "content": "".join(self._content) or None}
        if self._calls:
            message["tool_calls"] = [_finished(self._calls[i]) for i in sorted(self._calls)]
        finish = (self._finish or {}).get("finish_reason")
        choice = {"index": 0, "message": message, "finish_reason": finish}
        head = {**self._head, "object": "chat.completion"}
        return {**head, "choices": [choice], "usage": self._usage}

    def _event(self, chunk: JSONObject) -> SSEEvent:
        return SSEEvent(None, orjson.dumps(chunk).decode())

    def _rewrite(self, chunk: JSONObject) -> tuple[JSONObject | None, bool]:
        """The chunk as the client should get it (None: drop it), and whether it changed."""
        changed = False
        if self._continuing and chunk.get("id") != self._id:
            chunk, changed = {**chunk, "id": self._id}, True
        if isinstance(chunk.get("usage"), dict):
            self._usage = chunk["usage"]
            if self._earlier_usage is not None:
                chunk = {**chunk, "usage": add_usage(self._earlier_usage, self._usage)}
                changed = True
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices or choices[0].get("index", 0) != 0:
            return (None if self.pending_calls else chunk), changed
        choice, choice_changed = self._choice(choices[0])
        if choice is None and chunk.get("usage") is None:
            return None, True
        rest = [choice] if choice is not None else []
        if choice_changed:
            chunk, changed = {**chunk, "choices": [*rest, *choices[1:]]}, True
        return chunk, changed

    def _choice(self, choice: JSONObject) -> tuple[JSONObject | None, bool]:
        delta = choice.get("delta") or {}
        if isinstance(delta.get("content"), str):
            self._content.append(delta["content"])
        fragments = delta.get("tool_calls")
        changed = False
        if isinstance(fragments, list):
            kept = [f for f in (self._fragment(f) for f in fragments) if f is not None]
            if kept != fragments:
                delta = {**delta, "tool_calls": kept} if kept else _without(delta, "tool_calls")
                choice, changed = {**choice, "delta": delta}, True
        if choice.get("finish_reason") is not None:
            finished = self._finished_choice(choice)
            return finished, changed or finished is not choice
        if changed and not delta and choice.get("logprobs") is None:
            return None, True
        return choice, changed

    def _fragment(self, fragment: Any) -> JSONObject | None:
        """One tool call fragment as the client gets it; None when held back."""
        if not isinstance(fragment, dict) or not isinstance(fragment.get("index"), int):
            return fragment if isinstance(fragment, dict) else None
        index = fragment["index"]
        _accumulate(self._calls.setdefault(index, {}), fragment)
        if index not in self._index:
            is_retrieve = (fragment.get("function") or {}).get("name") == TOOL_NAME
            visible = sum(1 for client in self._index.values() if client is not None)
            self._index[index] = None if is_retrieve else visible
        client = self._index[index]
        if client is None:
            return None
        return fragment if client == index else {**fragment, "index": client}

    def _finished_choice(self, choice: JSONObject) -> JSONObject | None:
        self._finish = choice
        held = [i for i, client in sorted(self._index.items()) if client is None]
        visible = [i for i, client in sorted(self._index.items()) if client is not None]
        calls = [_call(_finished(self._calls[i])) for i in held]
        if calls and not visible and choice.get("finish_reason") == "tool_calls":
            self.pending_calls = calls
            return None
        if calls:
            ids = tuple(str(self._calls[i].get("id", "")) for i in visible)
            hidden = tuple((i, _finished(self._calls[i])) for i in held)
            self.hidden_turn = HiddenTurn(ids, len(visible), hidden, tuple(calls))
        return choice


def _accumulate(call: JSONObject, fragment: JSONObject) -> None:
    for key in ("id", "type"):
        if fragment.get(key) is not None:
            call[key] = fragment[key]
    function = fragment.get("function") or {}
    target = call.setdefault("function", {})
    if function.get("name") is not None:
        target["name"] = function["name"]
    if function.get("arguments") is not None:
        target["arguments"] = target.get("arguments", "") + function["arguments"]


def _finished(call: JSONObject) -> JSONObject:
    function = call.get("function") or {}
    return {
        "id": call.get("id", ""),
        "type": call.get("type", "function"),
        "function": {"name": function.get("name", ""), "arguments": function.get("arguments", "")},
    }


def _call(tool_call: JSONObject) -> RetrieveCall:
    return call_from_arguments(str(tool_call.get("id", "")), tool_call["function"]["arguments"])


def _without(mapping: JSONObject, key: str) -> JSONObject:
    return {k: v for k, v in mapping.items() if k != key}
