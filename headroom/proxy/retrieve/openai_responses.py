"""The retrieve loop on the OpenAI Responses format, for whole responses.

A retrieve call is an output item `{"type": "function_call", "name":
"headroom_retrieve", "call_id": …}`. The continuation appends the turn's output
items exactly as returned (reasoning items keep their `encrypted_content`) and
one `function_call_output` item per call to `input`, so it works the same with
`store: false` (as Codex sends) and with `previous_response_id`.

Which items are the client's own calls: the function, custom, shell, patch and
computer calls the client runs, and any other `*_call` type not known to run on
OpenAI's side, so a new client-side call type never makes the proxy loop.
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

#: Call items OpenAI runs itself; the model's turn goes on after them.
_SERVER_CALLS = frozenset(
    {
        "web_search_call",
        "file_search_call",
        "code_interpreter_call",
        "image_generation_call",
        "mcp_call",
    }
)
#: Items that wait on the client without ending in `_call`.
_CLIENT_REQUESTS = frozenset({"mcp_approval_request"})


def is_retrieve_item(item: Any) -> bool:
    return (
        isinstance(item, Mapping)
        and item.get("type") == "function_call"
        and item.get("name") == TOOL_NAME
    )


def is_client_call(item: Any) -> bool:
    if not isinstance(item, Mapping) or is_retrieve_item(item):
        return False
    kind = str(item.get("type", ""))
    return kind in _CLIENT_REQUESTS or (kind.endswith("_call") and kind not in _SERVER_CALLS)


def retrieve_call(item: Mapping[str, Any]) -> RetrieveCall:
    return call_from_arguments(str(item.get("call_id", "")), item.get("arguments"))


def output_items(response: Mapping[str, Any]) -> list[Any]:
    output = response.get("output")
    return output if isinstance(output, list) else []


def split_output(output: list[Any]) -> tuple[list[Any], HiddenTurn | None]:
    """The output without retrieve calls, and the turn they were cut from if mixed."""
    hidden = tuple((i, dict(item)) for i, item in enumerate(output) if is_retrieve_item(item))
    visible = [item for item in output if not is_retrieve_item(item)]
    anchors = [i for i, item in enumerate(visible) if is_client_call(item) and _call_id(item)]
    if not hidden or not anchors:
        return visible, None
    ids = tuple(_call_id(visible[i]) for i in anchors)
    calls = tuple(retrieve_call(item) for _, item in hidden)
    return visible, HiddenTurn(ids, len(visible), hidden, calls, anchor=anchors[0])


class OpenAIResponsesRetrieve:
    """The retrieve loop's operations for the OpenAI Responses API."""

    name = "openai-responses"

    def find_calls(self, response: Mapping[str, Any]) -> list[RetrieveCall]:
        return [retrieve_call(item) for item in output_items(response) if is_retrieve_item(item)]

    def is_only_retrieve(self, response: Mapping[str, Any]) -> bool:
        output = output_items(response)
        return (
            response.get("status", "completed") == "completed"
            and any(is_retrieve_item(item) for item in output)
            and not any(is_client_call(item) for item in output)
        )

    def continuation(
        self, body: Mapping[str, Any], response: Mapping[str, Any], answers: Mapping[str, str]
    ) -> JSONObject:
        given = body.get("input")
        history = [{"role": "user", "content": given}] if isinstance(given, str) else given
        results = [_output_item(call.id, answers[call.id]) for call in self.find_calls(response)]
        return {**body, "input": [*(history or []), *output_items(response), *results]}

    def merge(self, first: Mapping[str, Any], final: Mapping[str, Any]) -> JSONObject:
        visible, _ = split_output([*output_items(first), *output_items(final)])
        usage = add_usage(first.get("usage"), final.get("usage"))
        return {**final, "output": visible, "usage": usage}

    def split(self, response: Mapping[str, Any]) -> tuple[JSONObject, HiddenTurn | None]:
        visible, turn = split_output(output_items(response))
        if len(visible) == len(output_items(response)):
            return dict(response), None
        return {**response, "output": visible}, turn

    def results(self, turn: HiddenTurn, answers: Mapping[str, str]) -> list[JSONObject]:
        return [_output_item(call.id, answers[call.id]) for call in turn.calls]

    def restore(
        self, body: Mapping[str, Any], lookup: Callable[[str], StoredTurn | None]
    ) -> JSONObject:
        """The body with every hidden turn in its `input` put back."""
        items = body.get("input")
        if not isinstance(items, list) or any(is_retrieve_item(item) for item in items):
            return dict(body)
        restored = list(items)
        at = 0
        while at < len(restored):
            at = _restore_at(restored, at, lookup) + 1
        return {**body, "input": restored} if len(restored) != len(items) else dict(body)


def _restore_at(items: list[Any], at: int, lookup: Callable[[str], StoredTurn | None]) -> int:
    """Put back the turn whose first client call is `items[at]`, if it is one.

    Returns the index of the last item handled, so the scan goes on after it.
    """
    if not is_client_call(items[at]):
        return at
    turn = lookup(_call_id(items[at]))
    start = at - turn.anchor if turn is not None else -1
    if turn is None or start < 0:
        return at
    entries = items[start : start + turn.visible_count]
    ids = tuple(_call_id(item) for item in entries if is_client_call(item) and _call_id(item))
    full = turn.with_hidden(entries) if ids == turn.client_call_ids else None
    if full is None:
        return at
    end = start + len(full)
    items[start : start + turn.visible_count] = full
    outputs = [i for i in range(end, len(items)) if _answers(items[i], turn.client_call_ids)]
    where = outputs[0] if outputs else end
    items[where:where] = turn.results
    return end - 1


def _answers(item: Any, call_ids: tuple[str, ...]) -> bool:
    return (
        isinstance(item, Mapping)
        and str(item.get("type", "")).endswith("_output")
        and item.get("call_id") in call_ids
    )


def _call_id(item: Any) -> str:
    return str(item.get("call_id", "")) if isinstance(item, Mapping) else ""


def _output_item(call_id: str, text: str) -> JSONObject:
    return {"type": "function_call_output", "call_id": call_id, "output": text}
