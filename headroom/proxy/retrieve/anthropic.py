"""The retrieve loop on the Anthropic Messages format, for whole responses.

A retrieve call is a `tool_use` block named `headroom_retrieve`. The
continuation sends the assistant `content` back exactly as the model wrote it
(thinking blocks and their signatures included, which the API checks byte for
byte) followed by a user turn of `tool_result` blocks. The client sees the
visible blocks of every round in one message, with the usage of all rounds.
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


def is_retrieve_block(block: Any) -> bool:
    return (
        isinstance(block, Mapping)
        and block.get("type") == "tool_use"
        and block.get("name") == TOOL_NAME
    )


def _is_client_call(block: Any) -> bool:
    return (
        isinstance(block, Mapping)
        and block.get("type") == "tool_use"
        and not is_retrieve_block(block)
    )


def _content(response: Mapping[str, Any]) -> list[Any]:
    content = response.get("content")
    return content if isinstance(content, list) else []


class AnthropicRetrieve:
    """The retrieve loop's operations for Anthropic Messages."""

    name = "anthropic"

    def find_calls(self, response: Mapping[str, Any]) -> list[RetrieveCall]:
        return [
            call_from_arguments(str(block.get("id", "")), block.get("input"))
            for block in _content(response)
            if is_retrieve_block(block)
        ]

    def is_only_retrieve(self, response: Mapping[str, Any]) -> bool:
        content = _content(response)
        return (
            response.get("stop_reason") == "tool_use"
            and any(is_retrieve_block(block) for block in content)
            and not any(_is_client_call(block) for block in content)
        )

    def continuation(
        self, body: Mapping[str, Any], response: Mapping[str, Any], answers: Mapping[str, str]
    ) -> JSONObject:
        messages = list(body.get("messages") or [])
        results = [_tool_result(call.id, answers[call.id]) for call in self.find_calls(response)]
        messages.append({"role": "assistant", "content": _content(response)})
        messages.append({"role": "user", "content": results})
        return {**body, "messages": messages}

    def merge(self, first: Mapping[str, Any], final: Mapping[str, Any]) -> JSONObject:
        visible, _ = self.split({**final, "content": [*_content(first), *_content(final)]})
        return {**visible, "usage": add_usage(first.get("usage"), final.get("usage"))}

    def split(self, response: Mapping[str, Any]) -> tuple[JSONObject, HiddenTurn | None]:
        """The response without retrieve calls, and the turn they were cut from if mixed."""
        content = _content(response)
        hidden = tuple((i, dict(b)) for i, b in enumerate(content) if is_retrieve_block(b))
        if not hidden:
            return dict(response), None
        visible = [block for block in content if not is_retrieve_block(block)]
        client_ids = tuple(str(b.get("id", "")) for b in visible if _is_client_call(b))
        out: JSONObject = {**response, "content": visible}
        if not client_ids and out.get("stop_reason") == "tool_use":
            out["stop_reason"] = "end_turn"
        if not client_ids:
            return out, None
        calls = tuple(call_from_arguments(str(b.get("id", "")), b.get("input")) for _, b in hidden)
        return out, HiddenTurn(client_ids, len(visible), hidden, calls)

    def results(self, turn: HiddenTurn, answers: Mapping[str, str]) -> list[JSONObject]:
        return [_tool_result(call.id, answers[call.id]) for call in turn.calls]

    def restore(
        self, body: Mapping[str, Any], lookup: Callable[[str], StoredTurn | None]
    ) -> JSONObject:
        """The body with every hidden turn in its history put back."""
        messages = body.get("messages")
        if not isinstance(messages, list):
            return dict(body)
        restored = list(messages)
        for i in range(len(restored) - 1):
            pair = _restore_pair(restored[i], restored[i + 1], lookup)
            if pair is not None:
                restored[i], restored[i + 1] = pair
        if all(a is b for a, b in zip(restored, messages, strict=True)):
            return dict(body)
        return {**body, "messages": restored}


def _restore_pair(
    assistant: Any, user: Any, lookup: Callable[[str], StoredTurn | None]
) -> tuple[JSONObject, JSONObject] | None:
    if not (_has_role(assistant, "assistant") and _has_role(user, "user")):
        return None
    content = assistant.get("content")
    if not isinstance(content, list) or any(is_retrieve_block(b) for b in content):
        return None
    ids = tuple(str(b.get("id", "")) for b in content if _is_client_call(b))
    turn = lookup(ids[0]) if ids else None
    if turn is None or turn.client_call_ids != ids:
        return None
    full = turn.with_hidden(content)
    if full is None:
        return None
    answer = user.get("content")
    rest = [{"type": "text", "text": answer}] if isinstance(answer, str) else list(answer or [])
    return {**assistant, "content": full}, {**user, "content": [*turn.results, *rest]}


def _has_role(message: Any, role: str) -> bool:
    return isinstance(message, Mapping) and message.get("role") == role


def _tool_result(call_id: str, text: str) -> JSONObject:
    return {"type": "tool_result", "tool_use_id": call_id, "content": text}
