"""Adapter for Gemini `generateContent` request bodies.

Gemini differs from the other formats in three ways that shape this module:

- **Ids.** A `functionCall` and its `functionResponse` often carry no `id`;
  they are matched by name and order. Calls without an id get a synthetic one
  (`gemini:<name>:<n>`), and a response without an id takes the oldest
  unanswered call of the same name, so parallel calls of one tool still pair
  up. When the wire has ids they are used as they are.
- **Roles.** Function responses travel in `role: "user"` contents. The IR keeps
  the wire role (`Role.USER`), as for Anthropic's `tool_result` blocks: a
  `ToolResultBlock` says what it is, whatever message holds it. Only the legacy
  `role: "function"` maps to `Role.TOOL`.
- **Structured results.** `functionResponse.response` is an object. When it
  holds a single string beside only scalars (`{"output": "..."}`), that string
  is the editable text, patched in place. Otherwise the editable text is a
  compact JSON dump of the object, and its ref points at the object itself; on
  render an edited dump replaces the object with `{"output": <new text>}`,
  while an untouched dump leaves the object alone.

Text carrying a `thoughtSignature`, and thoughts, become `ThinkingBlock`s with
no ref: the signature is bound to that text and must come back unchanged. The
model name lives in the URL, not the body, so `Conversation.model` stays None.
Both JSON spellings of field names (camelCase and snake_case) are read.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict, deque
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from headroom.providers.base import annotate, apply_text_edits, get_at, require_provider, set_at
from headroom.types import (
    Block,
    Conversation,
    ImageBlock,
    JSONObject,
    Message,
    OpaqueBlock,
    Origin,
    Role,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    ToolDef,
    ToolResultBlock,
    WireRef,
)

_ROLES = {"user": Role.USER, "model": Role.ASSISTANT, "function": Role.TOOL}

#: Part fields that annotate a part rather than say what kind of part it is.
_PART_METADATA = frozenset({"thought", "thoughtSignature", "partMetadata", "videoMetadata"})

_CAMEL_HUMP = re.compile(r"(?<!^)([A-Z])")


class GeminiAdapter:
    """Parses Gemini request bodies into the IR and renders edits back."""

    name = "gemini"

    def parse(self, body: Mapping[str, Any]) -> Conversation:
        """The conversation in `body`; raises ValueError when the body is malformed."""
        if not isinstance(body, Mapping):
            raise ValueError(f"a Gemini body must be a JSON object, got {type(body).__name__}")
        contents = body.get("contents")
        if contents is None:
            contents = []
        if not isinstance(contents, list):
            raise ValueError(f"`contents` must be an array, got {type(contents).__name__}")
        ids = _CallIds()
        messages = [_content(c, ("contents", i), ids) for i, c in enumerate(contents)]
        return Conversation(
            provider=self.name,
            messages=annotate(messages),
            system=_system(body),
            tools=_tools(body),
            raw=body,
        )

    def render(self, conversation: Conversation) -> JSONObject:
        """A copy of the original body with every edited text written back.

        JSON-dump texts are settled here first (an edited one replaces its
        `response` object); every other text goes through `apply_text_edits`.
        """
        require_provider(conversation, self.name)
        body: Any = dict(conversation.raw)
        rest = conversation
        for address, block in conversation.iter_blocks():
            if not (isinstance(block, TextBlock) and block.ref is not None):
                continue
            original = get_at(conversation.raw, block.ref)
            if isinstance(original, Mapping):
                if block.text != _dump(original):
                    body = set_at(body, block.ref, {"output": block.text})
                rest = rest.replace_block(address, replace(block, ref=None))
        return apply_text_edits(replace(rest, raw=body))


ADAPTER = GeminiAdapter()


class _CallIds:
    """Matches function calls and responses that may lack wire ids.

    Calls are seen before their responses (the history is in order), so each
    name keeps a queue of unanswered call ids.
    """

    def __init__(self) -> None:
        self._pending: defaultdict[str, deque[str]] = defaultdict(deque)
        self._counts: Counter[str] = Counter()
        self._known: set[str] = set()

    def for_call(self, name: str, wire_id: Any) -> str:
        call_id = wire_id if isinstance(wire_id, str) and wire_id else self._synthetic(name)
        self._pending[name].append(call_id)
        self._known.add(call_id)
        return call_id

    def for_response(self, name: str, wire_id: Any) -> str:
        pending = self._pending[name]
        if isinstance(wire_id, str) and wire_id:
            if wire_id in pending:
                pending.remove(wire_id)
            return wire_id
        return pending.popleft() if pending else self._synthetic(name)

    def answers_a_call(self, call_id: str) -> bool:
        return call_id in self._known

    def _synthetic(self, name: str) -> str:
        number = self._counts[name]
        self._counts[name] += 1
        return f"gemini:{name}:{number}"


def _field(obj: Mapping[str, Any], name: str) -> tuple[str, Any]:
    """The key `obj` uses for the camelCase field `name` (or its snake_case twin) and the value."""
    if name in obj:
        return name, obj[name]
    snake = _CAMEL_HUMP.sub(r"_\1", name).lower()
    return snake, obj.get(snake)


def _where(ref: WireRef) -> str:
    """A ref spelled the way a person reads a JSON path, for error messages."""
    return "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in ref).lstrip(".")


def _parts_of(container: Mapping[str, Any], ref: WireRef) -> list[Any]:
    parts = container.get("parts")
    if parts is None:
        return []
    if not isinstance(parts, list):
        raise ValueError(f"{_where((*ref, 'parts'))} must be an array, got {type(parts).__name__}")
    return parts


def _system(body: Mapping[str, Any]) -> tuple[Block, ...]:
    key, system = _field(body, "systemInstruction")
    if system is None:
        return ()
    if not isinstance(system, Mapping):
        raise ValueError(f"`{key}` must be an object with `parts`, got {type(system).__name__}")
    ids = _CallIds()
    parts = _parts_of(system, (key,))
    return tuple(_part(part, (key, "parts", j), ids) for j, part in enumerate(parts))


def _content(content: Any, ref: WireRef, ids: _CallIds) -> Message:
    """One `contents[]` entry. A missing role means user, as the API reads it."""
    if not isinstance(content, Mapping):
        raise ValueError(f"{_where(ref)} must be an object, got {type(content).__name__}")
    wire_role = content.get("role")
    if wire_role is None:
        role, wire_role = Role.USER, ""
    elif isinstance(wire_role, str):
        role = _ROLES.get(wire_role, Role.OTHER)
    else:
        role, wire_role = Role.OTHER, ""
    parts = _parts_of(content, ref)
    blocks = tuple(_part(part, (*ref, "parts", j), ids) for j, part in enumerate(parts))
    return Message(role, blocks, wire_role=wire_role)


def _part(part: Any, ref: WireRef, ids: _CallIds) -> Block:
    if not isinstance(part, Mapping):
        raise ValueError(f"{_where(ref)} must be an object, got {type(part).__name__}")
    _, call = _field(part, "functionCall")
    if isinstance(call, Mapping):
        return _function_call(call, ids)
    key, response = _field(part, "functionResponse")
    if isinstance(response, Mapping):
        return _function_response(response, (*ref, key), ids)
    _, signature = _field(part, "thoughtSignature")
    signature = signature if isinstance(signature, str) else None
    text = part.get("text")
    if isinstance(text, str):
        if signature is not None or part.get("thought") is True:
            return ThinkingBlock(text=text, signature=signature)
        return TextBlock(text=text, ref=(*ref, "text"))
    media = _media(part)
    if media is not None:
        return media
    if signature is not None:
        return ThinkingBlock(signature=signature)
    return OpaqueBlock(type=_kind(part))


def _media(part: Mapping[str, Any]) -> ImageBlock | None:
    """Inline bytes or a file reference; the IR only needs to know the media type."""
    for name in ("inlineData", "fileData"):
        _, data = _field(part, name)
        if isinstance(data, Mapping):
            _, mime = _field(data, "mimeType")
            return ImageBlock(media_type=mime if isinstance(mime, str) else None)
    return None


def _kind(part: Mapping[str, Any]) -> str:
    """What an unknown part is, named by its first field that is not metadata."""
    for key in part:
        if _camel(key) not in _PART_METADATA:
            return key
    return "unknown"


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _function_call(call: Mapping[str, Any], ids: _CallIds) -> ToolCallBlock:
    name = _name(call)
    args = call.get("args")
    return ToolCallBlock(
        id=ids.for_call(name, call.get("id")),
        name=name,
        input=args if isinstance(args, Mapping) else {},
    )


def _function_response(response: Mapping[str, Any], ref: WireRef, ids: _CallIds) -> Block:
    """A tool result; when no call in the history answers to it, its origin keeps the name."""
    name = _name(response)
    call_id = ids.for_response(name, response.get("id"))
    parts = _response_text(response.get("response"), (*ref, "response"))
    parts += tuple(_media(p) or OpaqueBlock(type=_kind(p)) for p in _media_parts(response))
    origin = Origin() if ids.answers_a_call(call_id) else Origin(tool_name=name or None)
    return ToolResultBlock(tool_call_id=call_id, parts=parts, origin=origin)


def _response_text(value: Any, ref: WireRef) -> tuple[Block, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        return (OpaqueBlock(type="response"),)
    key = _sole_string_field(value)
    if key is not None:
        return (TextBlock(text=value[key], ref=(*ref, key)),)
    return (TextBlock(text=_dump(value), ref=ref),)


def _sole_string_field(response: Mapping[str, Any]) -> str | None:
    """The one string field of a response whose other fields are all scalars.

    Editing that string in place keeps the response's shape. A second string,
    or any nested object or array, would hide content from the pipeline, so
    those responses are edited as a whole JSON dump instead.
    """
    strings = [key for key, value in response.items() if isinstance(value, str)]
    if len(strings) != 1:
        return None
    scalars = all(
        value is None or isinstance(value, bool | int | float)
        for key, value in response.items()
        if key != strings[0]
    )
    return strings[0] if scalars else None


def _media_parts(response: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Multimodal function-response parts (images a tool returned), if any."""
    parts = response.get("parts")
    if not isinstance(parts, list):
        return []
    return [part for part in parts if isinstance(part, Mapping)]


def _dump(value: Any) -> str:
    """The compact JSON a structured response is shown as; stable for the same object."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _name(obj: Mapping[str, Any]) -> str:
    return _string(obj.get("name"))


def _tools(body: Mapping[str, Any]) -> tuple[ToolDef, ...]:
    """Declared functions by name; built-in tools (googleSearch, ...) by their key."""
    tools = body.get("tools")
    if tools is None:
        return ()
    if not isinstance(tools, list):
        raise ValueError(f"`tools` must be an array, got {type(tools).__name__}")
    defs: list[ToolDef] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise ValueError(f"tools[{i}] must be an object, got {type(tool).__name__}")
        for key, value in tool.items():
            if _camel(key) == "functionDeclarations":
                defs.extend(_declarations(value))
            else:
                defs.append(ToolDef(name=key))
    return tuple(defs)


def _declarations(value: Any) -> list[ToolDef]:
    declarations = value if isinstance(value, list) else []
    return [
        ToolDef(name=_name(d), description=_string(d.get("description")))
        for d in declarations
        if isinstance(d, Mapping)
    ]


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""
