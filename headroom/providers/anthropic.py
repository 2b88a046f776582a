"""The Anthropic Messages wire format (`POST /v1/messages`).

Parsing maps the request body onto the IR and records, for every text the
pipeline may rewrite, the path where it lives in the body. Everything the IR
does not model (thinking signatures, `cache_control`, server tools, documents,
unknown block types and roles, extra top-level fields) is left in the raw body,
and rendering patches only the changed texts into a copy of it. That keeps a
request the pipeline did not touch byte-identical, which the prefix cache and
the thinking-signature checks both depend on.

Malformed structure (no `messages` list, a message that is not an object)
raises `ValueError` so the caller can pass the request through unchanged; odd
shapes inside a message's content become `OpaqueBlock`s instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from headroom.providers.base import annotate, render_edits
from headroom.types import (
    Block,
    Conversation,
    ImageBlock,
    JSONObject,
    Message,
    OpaqueBlock,
    Role,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    ToolDef,
    ToolResultBlock,
    WireRef,
)

#: Wire roles the IR knows. Current Claude Code also sends `system` items
#: inside `messages`; any other role becomes `Role.OTHER`.
_ROLES = {"user": Role.USER, "assistant": Role.ASSISTANT, "system": Role.SYSTEM}

#: The type given to content items that are not even objects with a `type`.
_UNTYPED = "unknown"


class AnthropicAdapter:
    """Parses and renders Anthropic Messages request bodies."""

    name: str = "anthropic"

    def parse(self, body: Mapping[str, Any]) -> Conversation:
        """Parse a Messages request body into the IR. `body` is not mutated."""
        if not isinstance(body, Mapping):
            raise ValueError(f"Anthropic request body must be an object, not {_kind(body)}")
        messages = tuple(
            _parse_message(i, message) for i, message in enumerate(_message_list(body))
        )
        model = body.get("model")
        return Conversation(
            provider=self.name,
            messages=annotate(messages),
            system=_parse_system(body.get("system")),
            tools=_parse_tools(body.get("tools")),
            model=model if isinstance(model, str) else None,
            raw=body,
        )

    def render(self, conversation: Conversation) -> JSONObject:
        """Render the IR by patching its changed texts into a copy of the raw body."""
        return render_edits(conversation, self.name)


ADAPTER = AnthropicAdapter()


def _kind(value: object) -> str:
    return type(value).__name__


def _message_list(body: Mapping[str, Any]) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise ValueError(f"Anthropic request body needs a 'messages' list, got {_kind(messages)}")
    return messages


def _parse_message(index: int, message: Any) -> Message:
    if not isinstance(message, dict):
        raise ValueError(f"messages[{index}] must be an object, not {_kind(message)}")
    wire_role = message.get("role")
    wire_role = wire_role if isinstance(wire_role, str) else ""
    blocks = _parse_content(message.get("content"), ("messages", index, "content"))
    return Message(role=_ROLES.get(wire_role, Role.OTHER), blocks=blocks, wire_role=wire_role)


def _parse_system(system: Any) -> tuple[Block, ...]:
    """The top-level system prompt: a string, or an array of text blocks."""
    if system is None:
        return ()
    if isinstance(system, str):
        return (TextBlock(text=system, ref=("system",)),)
    if isinstance(system, list):
        return tuple(_parse_text_only(item, ("system", i)) for i, item in enumerate(system))
    raise ValueError(f"'system' must be a string or a list of blocks, not {_kind(system)}")


def _parse_text_only(item: Any, ref: WireRef) -> Block:
    """A system block: text is editable, anything else is kept opaque."""
    if isinstance(item, dict) and item.get("type") == "text":
        return _parse_text(item, ref)
    return _opaque(item)


def _parse_tools(tools: Any) -> tuple[ToolDef, ...]:
    """Client tools and server tools (which have a `type` and no `input_schema`)."""
    if tools is None:
        return ()
    if not isinstance(tools, list):
        raise ValueError(f"'tools' must be a list, not {_kind(tools)}")
    defs: list[ToolDef] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise ValueError(f"tools[{i}] must be an object, not {_kind(tool)}")
        name = tool.get("name", tool.get("type"))
        description = tool.get("description")
        defs.append(
            ToolDef(
                name=name if isinstance(name, str) else "",
                description=description if isinstance(description, str) else "",
            )
        )
    return tuple(defs)


def _parse_content(content: Any, ref: WireRef) -> tuple[Block, ...]:
    """A message's content: a plain string or an array of blocks."""
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextBlock(text=content, ref=ref),)
    if isinstance(content, list):
        return tuple(_parse_block(item, (*ref, i)) for i, item in enumerate(content))
    return (_opaque(content),)


def _parse_block(item: Any, ref: WireRef) -> Block:
    if not isinstance(item, dict):
        return _opaque(item)
    kind = item.get("type")
    parser = _BLOCK_PARSERS.get(kind) if isinstance(kind, str) else None
    return parser(item, ref) if parser is not None else _opaque(item)


def _parse_text(item: JSONObject, ref: WireRef) -> Block:
    text = item.get("text")
    if not isinstance(text, str):
        return _opaque(item)
    return TextBlock(text=text, ref=(*ref, "text"))


def _parse_image(item: JSONObject, ref: WireRef) -> Block:
    source = item.get("source")
    media_type = source.get("media_type") if isinstance(source, dict) else None
    return ImageBlock(media_type=media_type if isinstance(media_type, str) else None)


def _parse_tool_use(item: JSONObject, ref: WireRef) -> Block:
    call_id, name, tool_input = item.get("id"), item.get("name"), item.get("input", {})
    return ToolCallBlock(
        id=call_id if isinstance(call_id, str) else "",
        name=name if isinstance(name, str) else "",
        input=tool_input if isinstance(tool_input, dict) else {"_raw": tool_input},
    )


def _parse_tool_result(item: JSONObject, ref: WireRef) -> Block:
    """A tool result; its origin is filled in later by `annotate()`."""
    call_id = item.get("tool_use_id")
    return ToolResultBlock(
        tool_call_id=call_id if isinstance(call_id, str) else "",
        parts=_parse_result_content(item.get("content"), (*ref, "content")),
        is_error=item.get("is_error") is True,
    )


def _parse_result_content(content: Any, ref: WireRef) -> tuple[Block, ...]:
    """A tool result's content: a string, or an array of text/image/other parts."""
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextBlock(text=content, ref=ref),)
    if isinstance(content, list):
        return tuple(_parse_result_part(part, (*ref, i)) for i, part in enumerate(content))
    return (_opaque(content),)


def _parse_result_part(part: Any, ref: WireRef) -> Block:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text":
        return _parse_text(part, ref)
    if kind == "image":
        return _parse_image(part, ref)
    return _opaque(part)


def _parse_thinking(item: JSONObject, ref: WireRef) -> Block:
    """Thinking carries no ref: it must go back exactly as it came."""
    text, signature = item.get("thinking"), item.get("signature")
    return ThinkingBlock(
        text=text if isinstance(text, str) else "",
        signature=signature if isinstance(signature, str) else None,
    )


def _parse_redacted_thinking(item: JSONObject, ref: WireRef) -> Block:
    return ThinkingBlock()


def _opaque(item: Any) -> OpaqueBlock:
    kind = item.get("type") if isinstance(item, dict) else None
    return OpaqueBlock(type=kind if isinstance(kind, str) else _UNTYPED)


_BLOCK_PARSERS: dict[str, Callable[[JSONObject, WireRef], Block]] = {
    "text": _parse_text,
    "image": _parse_image,
    "tool_use": _parse_tool_use,
    "tool_result": _parse_tool_result,
    "thinking": _parse_thinking,
    "redacted_thinking": _parse_redacted_thinking,
}
