"""What every wire-format adapter provides, and the pieces they share.

An adapter turns a request body into a `Conversation` and back. Parsing records,
for every editable text, the path (`ref`) where it lives in the body; rendering
copies the body and writes back only the texts that changed. So a body that
went through with no edits comes back equal, and an edited tool result changes
only its own text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from headroom.types import (
    Block,
    Conversation,
    JSONObject,
    Message,
    Origin,
    Role,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    WireRef,
)


class Adapter(Protocol):
    """One wire format."""

    #: Short name, e.g. "anthropic", "openai-chat", "openai-responses", "gemini".
    name: str

    def parse(self, body: Mapping[str, Any]) -> Conversation:
        """Parse a request body into the IR. Must not mutate `body`."""
        ...

    def render(self, conversation: Conversation) -> JSONObject:
        """Render the IR back into a request body."""
        ...


#: Keys of a tool's input that name the file it read or wrote.
FILE_PATH_KEYS = ("file_path", "path", "filename", "notebook_path", "file")

_SYSTEM_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)


def file_path_of(tool_input: Mapping[str, Any] | None) -> str | None:
    """The file a tool call names, if it names one."""
    if not tool_input:
        return None
    for key in FILE_PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def user_question(text: str) -> str | None:
    """The question part of a user text: injected system reminders removed."""
    stripped = _SYSTEM_REMINDER.sub("", text).strip()
    return stripped or None


def annotate(messages: Sequence[Message]) -> tuple[Message, ...]:
    """Fill in each block's query in force and each tool result's origin.

    The query in force is the last user text before the block; the origin is
    the tool call whose id the result answers.
    """
    calls: dict[str, ToolCallBlock] = {}
    query: str | None = None
    out: list[Message] = []
    for message in messages:
        blocks: list[Block] = []
        for block in message.blocks:
            if isinstance(block, ToolCallBlock):
                calls[block.id] = block
            if isinstance(block, ToolResultBlock):
                block = _with_origin(block, calls.get(block.tool_call_id), query)
            else:
                block = replace(block, query=query)
            blocks.append(block)
            if message.role is Role.USER and isinstance(block, TextBlock):
                query = user_question(block.text) or query
        out.append(replace(message, blocks=tuple(blocks)))
    return tuple(out)


def _with_origin(
    block: ToolResultBlock, call: ToolCallBlock | None, query: str | None
) -> ToolResultBlock:
    origin = block.origin
    if call is not None and origin.tool_name is None:
        origin = Origin(
            tool_name=call.name, tool_input=call.input, file_path=file_path_of(call.input)
        )
    parts = tuple(replace(p, query=query) for p in block.parts)
    return replace(block, origin=origin, parts=parts, query=query)


def get_at(body: Any, ref: WireRef) -> Any:
    """The value at `ref` inside a parsed JSON body."""
    node = body
    for key in ref:
        node = node[key]
    return node


def set_at(body: Any, ref: WireRef, value: Any) -> Any:
    """A copy of `body` with the value at `ref` replaced.

    Only the containers along the path are copied; everything else is shared
    with the original, which is never mutated.
    """
    if not ref:
        return value
    head, rest = ref[0], ref[1:]
    if isinstance(body, dict):
        copy: Any = dict(body)
    elif isinstance(body, list):
        copy = list(body)
    else:
        raise TypeError(f"cannot index {type(body).__name__} with {head!r}")
    copy[head] = set_at(body[head], rest, value)
    return copy


def apply_text_edits(conversation: Conversation) -> JSONObject:
    """Render by patching the raw body with every text that differs from it.

    Works for any adapter whose text blocks carry a `ref` to a string in the
    body. A body with no edits is returned as an equal copy.
    """
    body: Any = dict(conversation.raw)
    for _, block in conversation.iter_blocks():
        if (
            isinstance(block, TextBlock)
            and block.ref is not None
            and get_at(body, block.ref) != block.text
        ):
            body = set_at(body, block.ref, block.text)
    result: JSONObject = body
    return result


def require_provider(conversation: Conversation, name: str) -> None:
    """Refuse to render a conversation parsed from another wire format."""
    if conversation.provider != name:
        raise ValueError(f"cannot render a {conversation.provider!r} conversation as {name!r}")


def render_edits(conversation: Conversation, name: str) -> JSONObject:
    """Render for adapters whose only edits are text patches (see `apply_text_edits`)."""
    require_provider(conversation, name)
    return apply_text_edits(conversation)
