"""What every wire-format renderer of the fake upstream shares.

Each provider module (`anthropic`, `openai_chat`, `openai_responses`,
`gemini`) exposes one `Wire`: how to render a `Reply` as a whole JSON body, as
a list of SSE events, and how that provider shapes an error body. The server
only picks the `Wire` by route; it never looks inside a format.

Token counts are rough on purpose (about four characters a token): tests
assert on what the proxy records from `usage`, not on tokenizer accuracy.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from headroom.testing.replies import ErrorSpec, Reply, Text, Thinking, ToolCall
from headroom.types import JSONObject

#: Characters per streamed delta: small enough that any real sentence arrives
#: in several pieces, as it does from the real APIs.
PIECE_CHARS = 16


class IdMaker:
    """Thread-safe, deterministic ids such as `msg_fake_0001` or `call_fake_0002`."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, prefix: str) -> str:
        with self._lock:
            number = next(self._counter)
        return f"{prefix}fake_{number:04d}"


@dataclass(frozen=True)
class Call:
    """The request a reply answers: what renderers may echo or depend on."""

    model: str
    body: Mapping[str, Any]
    #: Rough token count of the whole request body.
    input_estimate: int
    ids: IdMaker


@dataclass(frozen=True)
class Counts:
    """Resolved token counts for one reply (Anthropic's split, see `Usage`)."""

    input: int
    cache_read: int
    cache_write: int
    output: int
    reasoning: int

    @property
    def prompt_total(self) -> int:
        """Input including cached tokens, as OpenAI and Gemini count it."""
        return self.input + self.cache_read + self.cache_write


@dataclass(frozen=True)
class Wire:
    """One provider's rendering of replies and errors."""

    body: Callable[[Reply, Call], JSONObject]
    events: Callable[[Reply, Call], list[bytes]]
    error_body: Callable[[ErrorSpec], JSONObject]
    #: The in-stream error event; the int is the event's position in the stream.
    error_event: Callable[[ErrorSpec, int], bytes]


def estimate_tokens(text: str) -> int:
    """About four characters a token, at least one for any non-empty text."""
    return (len(text) + 3) // 4


def counts(reply: Reply, call: Call) -> Counts:
    """The usage to report: the reply's own numbers where given, else estimates."""
    usage = reply.usage
    reasoning = sum(estimate_tokens(p.thinking) for p in reply.parts if isinstance(p, Thinking))
    output = usage.output_tokens
    if output is None:
        output = max(1, reasoning + sum(_part_tokens(p) for p in reply.parts))
    uncached = usage.input_tokens
    if uncached is None:
        cached = usage.cache_read_tokens + usage.cache_write_tokens
        uncached = max(1, call.input_estimate - cached)
    return Counts(uncached, usage.cache_read_tokens, usage.cache_write_tokens, output, reasoning)


def _part_tokens(part: Text | ToolCall | Thinking) -> int:
    if isinstance(part, Text):
        return estimate_tokens(part.text)
    if isinstance(part, ToolCall):
        return estimate_tokens(part.name) + estimate_tokens(arguments_json(part))
    return 0


def arguments_json(call: ToolCall) -> str:
    """Tool input as the compact JSON string OpenAI puts in `arguments`."""
    return orjson.dumps(dict(call.input)).decode()


def pieces(text: str) -> list[str]:
    """`text` cut into streaming deltas; an empty text gives no deltas."""
    return [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)]


def sse(data: Mapping[str, Any] | str, event: str | None = None) -> bytes:
    """One SSE event: an optional `event:` line, one `data:` line, a blank line."""
    payload = data if isinstance(data, str) else orjson.dumps(dict(data)).decode()
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


@dataclass(frozen=True)
class SSEEvent:
    """One parsed server-sent event."""

    event: str | None
    data: str

    def json(self) -> Any:
        """The `data` field parsed as JSON."""
        return orjson.loads(self.data)


def parse_sse(stream: str) -> list[SSEEvent]:
    """Split an SSE stream into events, so tests can assert on their order.

    Handles `\\n` and `\\r\\n` line ends and multi-line `data:`; comments and
    fields other than `event` and `data` are ignored.
    """
    events: list[SSEEvent] = []
    for block in stream.replace("\r\n", "\n").split("\n\n"):
        name: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            field_name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field_name == "event":
                name = value
            elif field_name == "data":
                data.append(value)
        if name is not None or data:
            events.append(SSEEvent(name, "\n".join(data)))
    return events
