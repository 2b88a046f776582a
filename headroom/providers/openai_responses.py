"""Adapter for the OpenAI Responses API (`POST /v1/responses`), the format Codex speaks.

Codex resends the whole history each turn as a flat list of *items*: messages,
function calls and their outputs, reasoning, and a growing family of typed tool
items. Each item becomes exactly one `Message`, so a message index names an
item and the IR maps back to the wire without bookkeeping.

Only `instructions`, message texts and tool outputs are editable. Everything
else stays in `Conversation.raw` and comes back exactly as the client sent it:
reasoning items (their `encrypted_content` must be echoed verbatim), items and
parts the IR does not model, and top-level settings such as `include`, `store`,
`prompt_cache_key`, `reasoning`, `text` and `previous_response_id`.
"""

from __future__ import annotations

import json
import re
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

_ROLES = {
    "user": Role.USER,
    "assistant": Role.ASSISTANT,
    "system": Role.SYSTEM,
    "developer": Role.SYSTEM,
}

#: Part types whose `text` is plain prose the pipeline may rewrite.
_TEXT_PARTS = frozenset({"input_text", "output_text"})

#: Items that carry a tool's output under `output`, and answer a call by `call_id`.
_OUTPUT_ITEMS = frozenset(
    {
        "function_call_output",
        "custom_tool_call_output",
        "local_shell_call_output",
        "shell_call_output",
        "apply_patch_call_output",
    }
)

_DATA_URL = re.compile(r"data:([^;,]+)[;,]")

_CallReader = Callable[[Mapping[str, Any]], tuple[str, Mapping[str, Any]]]


class OpenAIResponsesAdapter:
    """Parses Responses request bodies into the IR and renders edits back."""

    name = "openai-responses"

    def parse(self, body: Mapping[str, Any]) -> Conversation:
        """The conversation in `body`; raises ValueError when the body is malformed."""
        if not isinstance(body, Mapping):
            raise ValueError(f"a Responses body must be a JSON object, got {type(body).__name__}")
        model = body.get("model")
        return Conversation(
            provider=self.name,
            messages=annotate(_messages(body.get("input"))),
            system=_instructions(body.get("instructions")),
            tools=_tools(body.get("tools")),
            model=model if isinstance(model, str) else None,
            raw=body,
        )

    def render(self, conversation: Conversation) -> JSONObject:
        """A copy of the original body with every edited text written back."""
        return render_edits(conversation, self.name)


ADAPTER = OpenAIResponsesAdapter()


def _where(ref: WireRef) -> str:
    """A ref spelled the way a person reads a JSON path, for error messages."""
    return "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in ref).lstrip(".")


def _instructions(value: Any) -> tuple[Block, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (TextBlock(text=value, ref=("instructions",)),)
    return (OpaqueBlock(type="instructions"),)


def _messages(value: Any) -> list[Message]:
    """One message per input item; a bare string is a single user message."""
    if value is None:
        return []
    if isinstance(value, str):
        return [Message(Role.USER, (TextBlock(text=value, ref=("input",)),), wire_role="user")]
    if not isinstance(value, list):
        raise ValueError(
            f"`input` must be a string or an array of items, got {type(value).__name__}"
        )
    return [_item(item, ("input", i)) for i, item in enumerate(value)]


def _item(item: Any, ref: WireRef) -> Message:
    if not isinstance(item, Mapping):
        raise ValueError(f"{_where(ref)} must be an object, got {type(item).__name__}")
    kind = item.get("type")
    if kind == "message" or (kind is None and "role" in item):
        return _message(item, ref)
    if not isinstance(kind, str):
        return Message(Role.OTHER, (OpaqueBlock(type="unknown"),))
    if kind == "reasoning":
        return _reasoning(item)
    if kind in _CALL_READERS:
        name, tool_input = _CALL_READERS[kind](item)
        call = ToolCallBlock(id=_call_id(item), name=name, input=tool_input)
        return Message(Role.ASSISTANT, (call,))
    if kind in _OUTPUT_ITEMS:
        parts = _parts(item.get("output"), (*ref, "output"))
        return Message(Role.TOOL, (ToolResultBlock(tool_call_id=_call_id(item), parts=parts),))
    return Message(Role.OTHER, (OpaqueBlock(type=kind),))


def _message(item: Mapping[str, Any], ref: WireRef) -> Message:
    wire_role = item.get("role")
    role_name = wire_role if isinstance(wire_role, str) else ""
    blocks = _parts(item.get("content"), (*ref, "content"))
    return Message(_ROLES.get(role_name, Role.OTHER), blocks, wire_role=role_name)


def _parts(value: Any, ref: WireRef) -> tuple[Block, ...]:
    """Blocks for a message's `content` or a tool item's `output`.

    Both are either a string (one text, editable in place) or an array of typed
    parts; anything else is kept opaque.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        return (TextBlock(text=value, ref=ref),)
    if not isinstance(value, list):
        return (OpaqueBlock(type=ref[-1] if isinstance(ref[-1], str) else "unknown"),)
    return tuple(block for j, part in enumerate(value) for block in _part(part, (*ref, j)))


def _part(part: Any, ref: WireRef) -> tuple[Block, ...]:
    if not isinstance(part, Mapping):
        raise ValueError(f"{_where(ref)} must be an object, got {type(part).__name__}")
    kind = part.get("type")
    text = part.get("text")
    if kind in _TEXT_PARTS and isinstance(text, str):
        return (TextBlock(text=text, ref=(*ref, "text")),)
    if kind == "input_image":
        return (ImageBlock(media_type=_data_url_type(part.get("image_url"))),)
    if kind is None and ("stdout" in part or "stderr" in part):
        return _shell_streams(part, ref)
    return (OpaqueBlock(type=kind if isinstance(kind, str) else "unknown"),)


def _shell_streams(chunk: Mapping[str, Any], ref: WireRef) -> tuple[Block, ...]:
    """The stdout and stderr of one `shell_call_output` chunk, each editable.

    Empty streams are left out: there is nothing in them to shrink.
    """
    return tuple(
        TextBlock(text=chunk[stream], ref=(*ref, stream))
        for stream in ("stdout", "stderr")
        if isinstance(chunk.get(stream), str) and chunk[stream]
    )


def _data_url_type(url: Any) -> str | None:
    match = _DATA_URL.match(url) if isinstance(url, str) else None
    return match.group(1) if match else None


def _reasoning(item: Mapping[str, Any]) -> Message:
    """Reasoning is read for its summary and never edited, so it has no ref."""
    summary = item.get("summary")
    texts = [
        part["text"]
        for part in (summary if isinstance(summary, list) else [])
        if isinstance(part, Mapping) and isinstance(part.get("text"), str)
    ]
    signature = item.get("encrypted_content")
    thinking = ThinkingBlock(
        text="\n".join(texts), signature=signature if isinstance(signature, str) else None
    )
    return Message(Role.ASSISTANT, (thinking,))


def _call_id(item: Mapping[str, Any]) -> str:
    """The id an output uses to answer its call.

    `local_shell_call_output` names its call by `id`; every other item by `call_id`.
    """
    for key in ("call_id", "id"):
        value = item.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _function_call(item: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    arguments = item.get("arguments")
    if not isinstance(arguments, str):
        return _name(item), {}
    try:
        parsed = json.loads(arguments)
    except json.JSONDecodeError:
        return _name(item), {"_raw": arguments}
    return _name(item), parsed if isinstance(parsed, dict) else {"_raw": arguments}


def _custom_call(item: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """Custom tools (Codex's `apply_patch`) take free text, kept under `input`."""
    value = item.get("input")
    return _name(item), {"input": value} if isinstance(value, str) else {}


def _builtin_call(name: str, field: str) -> _CallReader:
    """A reader for hosted-tool calls, whose arguments are one object field."""

    def read(item: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        value = item.get(field)
        return name, value if isinstance(value, Mapping) else {}

    return read


def _name(item: Mapping[str, Any]) -> str:
    name = item.get("name")
    return name if isinstance(name, str) else ""


#: Call items: how each one names its tool and spells its input. Built-in tools
#: are named after their tool type (`shell_call` -> `shell`).
_CALL_READERS: dict[str, _CallReader] = {
    "function_call": _function_call,
    "custom_tool_call": _custom_call,
    "local_shell_call": _builtin_call("local_shell", "action"),
    "shell_call": _builtin_call("shell", "action"),
    "apply_patch_call": _builtin_call("apply_patch", "operation"),
}


def _tools(value: Any) -> tuple[ToolDef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"`tools` must be an array, got {type(value).__name__}")
    return tuple(_tool(tool, i) for i, tool in enumerate(value))


def _tool(tool: Any, index: int) -> ToolDef:
    """Function tools are named; hosted tools (web_search, ...) go by their type."""
    if not isinstance(tool, Mapping):
        raise ValueError(f"tools[{index}] must be an object, got {type(tool).__name__}")
    name = tool.get("name")
    kind = tool.get("type")
    description = tool.get("description")
    if not isinstance(name, str) or not name:
        name = kind if isinstance(kind, str) and kind else "unknown"
    return ToolDef(name=name, description=description if isinstance(description, str) else "")
