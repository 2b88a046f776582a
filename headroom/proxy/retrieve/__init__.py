"""The retrieve loop: the proxy answers `headroom_retrieve` calls itself.

While compression is on, every request gets the `headroom_retrieve` tool
(`add_tool`). When the model's turn calls only that tool, the proxy answers
from the CCR store and sends the continuation upstream (`continuation`), up to
a number of rounds, and the client gets one response (`merge_responses`) or
one stream (`new_stream(provider)`) with the usage of every round and no trace
of the tool. When the turn also calls the client's tools, the retrieve calls
are hidden and kept (`PendingRetrievals`) and put back into the history when
the client sends it again.

Everything here is sans-IO: functions over request and response bodies and a
stream transformer over parsed SSE events (`headroom.proxy.sse`). The proxy
core does the network calls and decides when to loop:

    body = add_tool(restore(body)); response = post(body)
    while rounds and is_only_retrieve(response):
        answers = answer_all(find_calls(response), ccr.retrieve)
        final = post(continuation(body, response, answers))
        response = merge_responses(response, final)
    response = pending.hide(response, provider, ccr.retrieve, scope=tenant)

Anthropic Messages, OpenAI Chat Completions and OpenAI Responses are covered;
Gemini is not (`supports(provider)` says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headroom.proxy.retrieve.calls import (
    TOOL_NAME,
    Answer,
    HiddenTurn,
    RetrieveCall,
    StoredTurn,
    answer_all,
)
from headroom.proxy.retrieve.dialects import Dialect, RetrieveStream, dialect, new_stream, supports
from headroom.proxy.retrieve.pending import PendingRetrievals
from headroom.proxy.retrieve.tool import add_tool, tool_definition
from headroom.types import JSONObject

__all__ = [
    "TOOL_NAME",
    "Answer",
    "Dialect",
    "HiddenTurn",
    "PendingRetrievals",
    "RetrieveCall",
    "RetrieveStream",
    "StoredTurn",
    "add_tool",
    "answer_all",
    "continuation",
    "find_calls",
    "is_only_retrieve",
    "merge_responses",
    "new_stream",
    "split_turn",
    "supports",
    "tool_definition",
]


def find_calls(response: Mapping[str, Any], provider: str) -> list[RetrieveCall]:
    """The `headroom_retrieve` calls in a whole response, in order."""
    return dialect(provider).find_calls(response)


def is_only_retrieve(response: Mapping[str, Any], provider: str) -> bool:
    """Whether the turn ended waiting on retrieve calls and nothing else."""
    return dialect(provider).is_only_retrieve(response)


def continuation(
    body: Mapping[str, Any],
    response: Mapping[str, Any],
    answers: Mapping[str, str],
    provider: str,
) -> JSONObject:
    """The next request: `body`, the model's turn as returned, and the answers by call id."""
    return dialect(provider).continuation(body, response, answers)


def merge_responses(
    first: Mapping[str, Any], final: Mapping[str, Any], provider: str
) -> JSONObject:
    """What the client sees of two rounds: the visible output of both, usage summed.

    Merging is associative, so `first` may itself be a merge of earlier rounds.
    """
    return dialect(provider).merge(first, final)


def split_turn(response: Mapping[str, Any], provider: str) -> tuple[JSONObject, HiddenTurn | None]:
    """The response without retrieve calls, and the hidden turn when it was mixed."""
    return dialect(provider).split(response)
