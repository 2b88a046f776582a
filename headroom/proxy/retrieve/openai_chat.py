"""The retrieve loop on the OpenAI Chat Completions format, for whole responses.

A retrieve call is an entry of the assistant message's `tool_calls` whose
function is `headroom_retrieve`. The continuation appends the assistant message
as returned (without response-only fields such as `annotations`) and one
`role: tool` message per call. Only the first choice is looked at: a request
for several choices (`n > 1`) never loops, and its other choices pass as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from headroom.proxy.retrieve.calls import (
    TOOL_NAME,
    HiddenTurn,
    RetrieveCall,
    StoredTurn,
    call_from_arguments,
)
from headroom.proxy.retrieve.usage import add_usage
from headroom.types import JSONObject

#: Fields of a returned assistant message that a request message does not take.
_RESPONSE_ONLY = frozenset({"annotations"})


def is_retrieve_call(tool_call: Any) -> bool:
    if not isinstance(tool_call, Mapping):
        return False
    function = tool_call.get("function")
    return isinstance(function, Mapping) and function.get("name") == TOOL_NAME


def _call(tool_call: Mapping[str, Any]) -> RetrieveCall:
    function = tool_call.get("function") or {}
    return call_from_arguments(str(tool_call.get("id", "")), function.get("arguments"))


def _choice(response: Mapping[str, Any]) -> Mapping[str, Any]:
    choices = response.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else None
    return first if isinstance(first, Mapping) else {}


def _message(response: Mapping[str, Any]) -> Mapping[str, Any]:
    message = _choice(response).get("message")
    return message if isinstance(message, Mapping) else {}


def _tool_calls(message: Mapping[str, Any]) -> list[Any]:
    calls = message.get("tool_calls")
    return calls if isinstance(calls, list) else []


class OpenAIChatRetrieve:
    """The retrieve loop's operations for OpenAI Chat Completions."""

    name = "openai-chat"

    def find_calls(self, response: Mapping[str, Any]) -> list[RetrieveCall]:
        return [_call(tc) for tc in _tool_calls(_message(response)) if is_retrieve_call(tc)]

    def is_only_retrieve(self, response: Mapping[str, Any]) -> bool:
        calls = _tool_calls(_message(response))
        return (
            len(response.get("choices") or []) == 1
            and _choice(response).get("finish_reason") == "tool_calls"
            and bool(calls)
            and all(is_retrieve_call(tc) for tc in calls)
        )

    def continuation(
        self, body: Mapping[str, Any], response: Mapping[str, Any], answers: Mapping[str, str]
    ) -> JSONObject:
        message = _message(response)
        echoed = {
            key: value
            for key, value in message.items()
            if key not in _RESPONSE_ONLY and (value is not None or key == "content")
        }
        results = [_tool_message(call.id, answers[call.id]) for call in self.find_calls(response)]
        return {**body, "messages": [*(body.get("messages") or []), echoed, *results]}

    def merge(self, first: Mapping[str, Any], final: Mapping[str, Any]) -> JSONObject:
        before, after = _message(first), _message(final)
        texts = [m.get("content") for m in (before, after) if isinstance(m.get("content"), str)]
        message: JSONObject = {**after, "tool_calls": [*_tool_calls(before), *_tool_calls(after)]}
        if texts:
            message["content"] = "".join(str(text) for text in texts)
        merged = _with_message(final, message)
        visible, _ = self.split(merged)
        return {**visible, "usage": add_usage(first.get("usage"), final.get("usage"))}

    def split(self, response: Mapping[str, Any]) -> tuple[JSONObject, HiddenTurn | None]:
        """The response without retrieve calls, and the turn they were cut from if mixed."""
        message = _message(response)
        calls = _tool_calls(message)
        hidden = tuple((i, dict(tc)) for i, tc in enumerate(calls) if is_retrieve_call(tc))
        visible = [tc for tc in calls if not is_retrieve_call(tc)]
        if not hidden:
            if "tool_calls" in message and not calls:
                return _with_message(response, _without_tool_calls(message)), None
            return dict(response), None
        if not visible:
            out = _with_message(response, _without_tool_calls(message))
            if _choice(out).get("finish_reason") == "tool_calls":
                out = _with_choice(out, {**_choice(out), "finish_reason": "stop"})
            return out, None
        client_ids = tuple(str(tc.get("id", "")) for tc in visible)
        turn = HiddenTurn(client_ids, len(visible), hidden, tuple(_call(tc) for _, tc in hidden))
        return _with_message(response, {**message, "tool_calls": visible}), turn

    def results(self, turn: HiddenTurn, answers: Mapping[str, str]) -> list[JSONObject]:
        return [_tool_message(call.id, answers[call.id]) for call in turn.calls]

    def restore(
        self, body: Mapping[str, Any], lookup: Callable[[str], StoredTurn | None]
    ) -> JSONObject:
        """The body with every hidden turn in its history put back."""
        messages = body.get("messages")
        if not isinstance(messages, list):
            return dict(body)
        restored: list[Any] = []
        changed = False
        for message in messages:
            turn = _stored_turn(message, lookup)
            full = turn.with_hidden(_tool_calls(message)) if turn is not None else None
            if turn is None or full is None:
                restored.append(message)
                continue
            restored.extend([{**message, "tool_calls": full}, *turn.results])
            changed = True
        return {**body, "messages": restored} if changed else dict(body)


def _stored_turn(message: Any, lookup: Callable[[str], StoredTurn | None]) -> StoredTurn | None:
    if not isinstance(message, Mapping) or message.get("role") != "assistant":
        return None
    calls = _tool_calls(message)
    if not calls or any(is_retrieve_call(tc) for tc in calls):
        return None
    ids = tuple(str(tc.get("id", "")) if isinstance(tc, Mapping) else "" for tc in calls)
    turn = lookup(ids[0])
    return turn if turn is not None and turn.client_call_ids == ids else None


def _without_tool_calls(message: Mapping[str, Any]) -> JSONObject:
    return {key: value for key, value in message.items() if key != "tool_calls"}


def _with_message(response: Mapping[str, Any], message: JSONObject) -> JSONObject:
    return _with_choice(response, {**_choice(response), "message": message})


def _with_choice(response: Mapping[str, Any], choice: JSONObject) -> JSONObject:
    choices = list(response.get("choices") or [{}])
    return {**response, "choices": [choice, *choices[1:]]}


def _tool_message(call_id: str, text: str) -> JSONObject:
    return {"role": "tool", "tool_call_id": call_id, "content": text}
