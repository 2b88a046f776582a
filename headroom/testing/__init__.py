"""Test helpers that ship with Headroom: a scriptable fake model provider.

`FakeUpstream` is a real HTTP server on a loopback port that speaks the
Anthropic Messages, OpenAI Chat Completions, OpenAI Responses and Gemini wire
formats, streaming or not. Tests point the proxy (or an SDK) at it, script
what the "model" says with `Reply`, and assert on the `RecordedRequest`s it
received. It lives in the package, not under `tests/`, so plugin authors and
downstream projects can test against it too.
"""

from headroom.testing.recorded import RecordedRequest
from headroom.testing.replies import ErrorSpec, Reply, Text, Thinking, ToolCall, Usage
from headroom.testing.server import FakeUpstream
from headroom.testing.wire import SSEEvent, parse_sse

__all__ = [
    "ErrorSpec",
    "FakeUpstream",
    "RecordedRequest",
    "Reply",
    "SSEEvent",
    "Text",
    "Thinking",
    "ToolCall",
    "Usage",
    "parse_sse",
]
