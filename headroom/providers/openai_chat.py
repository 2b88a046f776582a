"""The OpenAI Chat Completions wire format (`POST /v1/chat/completions`).

Chat Completions has no separate system field: `system` and `developer`
messages are ordinary messages with `Role.SYSTEM`, and `Conversation.system`
stays empty. Tool calls ride on assistant messages as `tool_calls` whose
`arguments` is a JSON string; each result is its own `tool` message.

Parsing records where every editable text lives in the body; rendering patches
only the changed texts into a copy of it, so reasoning fields, audio, refusals,
unknown roles and parts, and extra top-level fields (`stream_options`,
`prompt_cache_key`, ...) go back exactly as the client sent them.

Malformed structure (no `messages` list, a message that is not an object)
raises `ValueError` so the caller can pass the request through unchanged; odd
shapes inside a message become `OpaqueBlock`s instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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

_ROLES = {
    "system": Role.SYSTEM,
    "developer": Role.SYSTEM,
    "user": Role.USER,
    "assistant": Role.ASSISTANT,
    "tool": Role.TOOL,
}

#: Fields some OpenAI-compatible servers (DeepSeek, vLLM, OpenRouter) use to
#: echo an assistant's reasoning as plain text, in order of preference.
_REASONING_TEXT_FIELDS = ("reasoning_content", "reasoning")

#: The type given to items that are not even objects with a `type`.
_UNTYPED = "unknown"


class OpenAIChatAdapter:
    """Parses and renders OpenAI Chat Completions request bodies."""

    name: str = "openai-chat"

    def parse(self, body: Mapping[str, Any]) -> Conversation:
        """Parse a Chat Completions request body into the IR. `body` is not mutated."""
        if not isinstance(body, Mapping):
            raise ValueError(f"OpenAI Chat request body must be an object, not {_kind(body)}")
        messages = tuple(
            _parse_message(i, message) for i, message in enumerate(_message_list(body))
        )
        model = body.get("model")
        return Conversation(
            provider=self.name,
            messages=annotate(messages),
            tools=_parse_tools(body.get("tools")),
            model=model if isinstance(model, str) else None,
            raw=body,
        )

    def render(self, conversation: Conversation) -> JSONObject:
        """Render the IR by patching its changed texts into a copy of the raw body."""
        return render_edits(conversation, self.name)


ADAPTER = OpenAIChatAdapter()


def _kind(value: object) -> str:
    return type(value).__name__


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _message_list(body: Mapping[str, Any]) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise ValueError(f"OpenAI Chat request body needs a 'messages' list, got {_kind(messages)}")
    return messages


def _parse_message(index: int, message: Any) -> Message:
    if not isinstance(message, dict):
        raise ValueError(f"messages[{index}] must be an object, not {_kind(message)}")
    wire_role = _str(message.get("role"))
    content_ref: WireRef = ("messages", index, "content")
    blocks: tuple[Block, ...]
    if wire_role == "tool":
        blocks = (_parse_tool_message(message, content_ref),)
    elif wire_role == "function":
        # Legacy function-calling result: kept whole, the IR has no call to tie it to.
        blocks = (OpaqueBlock(type="function"),)
    else:
        blocks = (
            *_parse_reasoning(message),
            *_parse_content(message.get("content"), content_ref),
            *_parse_tool_calls(message.get("tool_calls")),
            *_legacy_function_call(message),
        )
    return Message(role=_ROLES.get(wire_role, Role.OTHER), blocks=blocks, wire_role=wire_role)


def _parse_tool_message(message: JSONObject, ref: WireRef) -> ToolResultBlock:
    """A `tool` message: one result whose origin `annotate()` fills in later."""
    return ToolResultBlock(
        tool_call_id=_str(message.get("tool_call_id")),
        parts=_parse_content(message.get("content"), ref),
    )


def _parse_content(content: Any, ref: WireRef) -> tuple[Block, ...]:
    """Message content: a string, an array of parts, or null."""
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextBlock(text=content, ref=ref),)
    if isinstance(content, list):
        return tuple(_parse_part(part, (*ref, i)) for i, part in enumerate(content))
    return (_opaque(content),)


def _parse_part(part: Any, ref: WireRef) -> Block:
    """A content part. Audio, files, refusals and unknown parts stay opaque."""
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return TextBlock(text=part["text"], ref=(*ref, "text"))
    if kind == "image_url":
        return ImageBlock(media_type=_data_url_media_type(part.get("image_url")))
    return _opaque(part)


def _data_url_media_type(image_url: Any) -> str | None:
    """The media type of a `data:` URL image; None for remote URLs."""
    url = image_url.get("url") if isinstance(image_url, dict) else image_url
    if not isinstance(url, str) or not url.startswith("data:"):
        return None
    media_type = url[len("data:") :].split(";", 1)[0].split(",", 1)[0]
    return media_type or None


def _parse_reasoning(message: JSONObject) -> tuple[Block, ...]:
    """Echoed reasoning, as never-editable thinking blocks (no refs).

    LiteLLM's `thinking_blocks` carry Anthropic signatures and are preferred;
    otherwise the first plain reasoning text field is used.
    """
    thinking_blocks = message.get("thinking_blocks")
    if isinstance(thinking_blocks, list) and thinking_blocks:
        return tuple(_thinking(block) for block in thinking_blocks)
    for key in _REASONING_TEXT_FIELDS:
        text = message.get(key)
        if isinstance(text, str) and text:
            return (ThinkingBlock(text=text),)
    return ()


def _thinking(block: Any) -> Block:
    if not isinstance(block, dict):
        return _opaque(block)
    signature = block.get("signature")
    return ThinkingBlock(
        text=_str(block.get("thinking")),
        signature=signature if isinstance(signature, str) else None,
    )


def _parse_tool_calls(tool_calls: Any) -> tuple[Block, ...]:
    if tool_calls is None:
        return ()
    if not isinstance(tool_calls, list):
        return (_opaque(tool_calls),)
    return tuple(_parse_tool_call(call) for call in tool_calls)


def _parse_tool_call(call: Any) -> Block:
    """A function (or custom) tool call; other call types stay opaque."""
    kind = call.get("type", "function") if isinstance(call, dict) else None
    if not isinstance(kind, str):
        return _opaque(call)
    spec = call.get(kind)
    if kind not in ("function", "custom") or not isinstance(spec, dict):
        return _opaque(call)
    raw_input = spec.get("arguments") if kind == "function" else spec.get("input")
    return ToolCallBlock(
        id=_str(call.get("id")), name=_str(spec.get("name")), input=_tool_input(raw_input)
    )


def _legacy_function_call(message: JSONObject) -> tuple[Block, ...]:
    """A pre-`tool_calls` assistant `function_call`: kept opaque, like its result."""
    return (OpaqueBlock(type="function_call"),) if "function_call" in message else ()


def _tool_input(arguments: Any) -> Mapping[str, Any]:
    """Decoded call arguments; anything that is not a JSON object is kept as `_raw`."""
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str):
        try:
            decoded = json.loads(arguments)
        except json.JSONDecodeError:
            return {"_raw": arguments}
        if isinstance(decoded, dict):
            return decoded
    return {"_raw": arguments}


def _parse_tools(tools: Any) -> tuple[ToolDef, ...]:
    """Tool definitions: `{"type": T, T: {"name", "description"}}`, else named by type."""
    if tools is None:
        return ()
    if not isinstance(tools, list):
        raise ValueError(f"'tools' must be a list, not {_kind(tools)}")
    defs: list[ToolDef] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise ValueError(f"tools[{i}] must be an object, not {_kind(tool)}")
        kind = _str(tool.get("type"))
        spec = tool.get(kind) if kind else None
        if isinstance(spec, dict) and isinstance(spec.get("name"), str):
            defs.append(ToolDef(name=spec["name"], description=_str(spec.get("description"))))
        else:
            defs.append(ToolDef(name=kind))
    return tuple(defs)


def _opaque(item: Any) -> OpaqueBlock:
    kind = item.get("type") if isinstance(item, dict) else None
    return OpaqueBlock(type=kind if isinstance(kind, str) else _UNTYPED)
