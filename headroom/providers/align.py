"""The CacheAligner: a request body with its volatile parts moved after the cacheable prefix.

`headroom.cache.volatile` finds the per-day and per-session lines of a text;
this module applies it to each wire format's system prompt and gathers what
moved into ONE dynamic block placed right after the static system prompt:

- anthropic: every `system` text block is split, and the dynamic block is a new
  last text block (a string `system` becomes `[static, dynamic]`). The
  `<system-reminder>` at the front of the first user message (where current
  Claude Code puts "Today's date is …") is split too. Clients' `cache_control`
  markers stay on their blocks. The billing line stays where it is.
- openai-chat: the leading system/developer messages are split; the dynamic
  block is one more message of the same role right after them.
- openai-responses: `instructions` is split and the dynamic block is appended
  to it, after a blank line. The model reads instructions before any input
  item, so the static instructions stay the prefix whether `input` is a
  string or a list, and `input` keeps the client's shape.
- gemini: `systemInstruction.parts[].text` is split; the dynamic block is a new
  last part.

Volatile lines in tool descriptions move to the same dynamic block, named
after their tool. Tool definitions get a stable key order (sorted, recursively; list order is
kept) in every format, but only when some tool's order actually differs. The
names under a JSON schema's `properties` keep the client's order: that is the
order in which the model is shown the parameters, which is meaning, not noise.

A body with nothing to move comes back as the very object passed in, with
`changed=False`, so the proxy can forward the client's bytes. A system prompt
of a shape this module does not know is a reason to touch nothing at all
(`skipped` says why). The input body is never mutated; only the containers on
the path to a change are copied. The dynamic block starts with
`DYNAMIC_HEADER`, which `split_volatile` leaves alone, so aligning an aligned
body changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from headroom.cache.volatile import Moved, is_billing_line, render_dynamic, split_volatile
from headroom.providers.registry import canonical

__all__ = ["Aligned", "align"]


@dataclass(frozen=True, slots=True)
class Aligned:
    """An aligned body and what was done to it.

    `body` is the input object itself when `changed` is False. `skipped` says
    why a body was left alone on purpose. `billing_line` is True when the
    system prompt holds Claude Code's billing line (left in place; keep it out
    of any prefix hashing).
    """

    body: Mapping[str, Any]
    moved: tuple[Moved, ...] = ()
    changed: bool = False
    skipped: str | None = None
    billing_line: bool = False


class _Unparseable(ValueError):
    """A system prompt of a shape the aligner does not know; caught in `align`."""


def align(wire: str, body: Mapping[str, Any]) -> Aligned:
    """Move volatile system-prompt content of a `wire` body into one dynamic block.

    `wire` is a provider name or alias (see `headroom.providers.registry`).
    """
    if not isinstance(body, Mapping):
        return Aligned(body, skipped="the body is not a JSON object")
    try:
        return _ALIGNERS[canonical(wire)](body)
    except _Unparseable as exc:
        return Aligned(body, skipped=str(exc))


# --- anthropic --------------------------------------------------------------------------------


def _align_anthropic(body: Mapping[str, Any]) -> Aligned:
    blocks = _anthropic_system(body.get("system"))
    billing = any(is_billing_line(block["text"]) for block in blocks)
    static, moved = _split_blocks(blocks, "text")
    messages, reminder_moved = _align_first_user(body.get("messages"))
    moved += reminder_moved
    tools, tool_moved = _aligned_tools(body.get("tools"))
    moved += tool_moved
    if not moved and tools is None:
        return Aligned(body, billing_line=billing)
    out = dict(body)
    if moved:
        out["system"] = [*static, {"type": "text", "text": render_dynamic(moved)}]
    if messages is not None:
        out["messages"] = messages
    if tools is not None:
        out["tools"] = tools
    return Aligned(out, tuple(moved), changed=True, billing_line=billing)


def _anthropic_system(system: Any) -> list[Mapping[str, Any]]:
    """The system prompt as text blocks; anything but a string or text blocks is refused."""
    if system is None:
        return []
    if isinstance(system, str):
        return [{"type": "text", "text": system}] if system else []
    if not isinstance(system, list):
        raise _Unparseable(f"'system' is a {type(system).__name__}, not a string or a list")
    for i, block in enumerate(system):
        if not (
            isinstance(block, Mapping)
            and block.get("type") == "text"
            and isinstance(block.get("text"), str)
        ):
            raise _Unparseable(f"system[{i}] is not a text block")
    return list(system)


_REMINDER = re.compile(r"<system-reminder>(.*?)</system-reminder>[ \t]*\n?", re.DOTALL)


def _align_first_user(messages: Any) -> tuple[list[Any] | None, list[Moved]]:
    """The messages with volatile lines taken out of the first user message's reminders."""
    at = _first_user(messages)
    if at is None:
        return None, []
    first = messages[at]
    content = first.get("content")
    if isinstance(content, str):
        text, moved = _split_reminders(content)
        new_content: Any = text
        if not text.strip():
            return None, []
    elif isinstance(content, list):
        new_content, moved = _split_reminder_blocks(content)
    else:
        return None, []
    if not moved:
        return None, []
    return [*messages[:at], {**first, "content": new_content}, *messages[at + 1 :]], moved


def _first_user(messages: Any) -> int | None:
    """The first user message's index; only `system` items (Claude Code's) may come before it."""
    if not isinstance(messages, list):
        return None
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, Mapping) else None
        if role == "user":
            return i
        if role != "system":
            return None
    return None


def _split_reminder_blocks(content: list[Any]) -> tuple[list[Any], list[Moved]]:
    out: list[Any] = []
    moved: list[Moved] = []
    for block in content:
        if not _is_reminder_block(block):
            out.append(block)
            continue
        new_text, found = _split_reminders(block["text"])
        moved.extend(found)
        if new_text.strip():
            out.append({**block, "text": new_text} if found else block)
        else:
            _carry_cache_control(block, out)
    if not out:
        return content, []  # the message would be left empty: leave it as it is
    return out, moved


def _is_reminder_block(block: Any) -> bool:
    return (
        isinstance(block, Mapping)
        and block.get("type") == "text"
        and isinstance(block.get("text"), str)
        and "<system-reminder>" in block["text"]
    )


def _split_reminders(text: str) -> tuple[str, list[Moved]]:
    """`text` with volatile lines out of each `<system-reminder>`; an emptied reminder goes."""
    moved: list[Moved] = []

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        body = inner.lstrip("\n")  # the newline after the opening tag stays with the tag
        split = split_volatile(body)
        if not split.moved:
            return match.group(0)
        moved.extend(split.moved)
        if not split.static.strip():
            return ""
        start, end = match.span(1)
        whole = match.string
        return (
            whole[match.start() : start]
            + inner[: len(inner) - len(body)]
            + split.static
            + whole[end : match.end()]
        )

    return _REMINDER.sub(replace, text), moved


# --- openai chat ------------------------------------------------------------------------------

_SYSTEM_ROLES = frozenset({"system", "developer"})


def _align_openai_chat(body: Mapping[str, Any]) -> Aligned:
    messages = body.get("messages")
    messages = messages if isinstance(messages, list) else []
    lead = 0
    while (
        lead < len(messages)
        and isinstance(messages[lead], Mapping)
        and messages[lead].get("role") in _SYSTEM_ROLES
    ):
        lead += 1
    kept: list[Any] = []
    moved: list[Moved] = []
    for i in range(lead):
        message, found = _split_chat_message(messages[i], i)
        moved.extend(found)
        if message is not None:
            kept.append(message)
    tools, tool_moved = _aligned_tools(body.get("tools"))
    moved += tool_moved
    if not moved and tools is None:
        return Aligned(body)
    out = dict(body)
    if moved:
        role = messages[lead - 1]["role"] if lead else "system"
        dynamic = {"role": role, "content": render_dynamic(moved)}
        out["messages"] = [*kept, dynamic, *messages[lead:]]
    if tools is not None:
        out["tools"] = tools
    return Aligned(out, tuple(moved), changed=True)


def _split_chat_message(message: Mapping[str, Any], i: int) -> tuple[Any, list[Moved]]:
    """A system message without its volatile parts (None when nothing is left)."""
    content = message.get("content")
    if isinstance(content, str):
        split = split_volatile(content)
        if not split.moved:
            return message, []
        kept = {**message, "content": split.static} if split.static.strip() else None
        return kept, list(split.moved)
    if not isinstance(content, list):
        raise _Unparseable(f"messages[{i}].content is neither a string nor a list of parts")
    for j, part in enumerate(content):
        if not (
            isinstance(part, Mapping)
            and part.get("type") == "text"
            and isinstance(part.get("text"), str)
        ):
            raise _Unparseable(f"messages[{i}].content[{j}] is not a text part")
    parts, moved = _split_blocks(content, "text")
    if not moved:
        return message, []
    return ({**message, "content": parts} if parts else None), moved


# --- openai responses -------------------------------------------------------------------------


def _align_openai_responses(body: Mapping[str, Any]) -> Aligned:
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise _Unparseable(f"'instructions' is a {type(instructions).__name__}, not a string")
    split = split_volatile(instructions or "")
    tools, tool_moved = _aligned_tools(body.get("tools"))
    moved = (*split.moved, *tool_moved)
    if not moved and tools is None:
        return Aligned(body)
    out = dict(body)
    if moved:
        static = (split.static if split.moved else instructions or "").rstrip("\n")
        dynamic = render_dynamic(moved)
        out["instructions"] = f"{static}\n\n{dynamic}" if static else dynamic
    if tools is not None:
        out["tools"] = tools
    return Aligned(out, moved, changed=True)


# --- gemini -----------------------------------------------------------------------------------


def _align_gemini(body: Mapping[str, Any]) -> Aligned:
    key = "system_instruction" if "system_instruction" in body else "systemInstruction"
    instruction = body.get(key)
    parts = _gemini_parts(key, instruction)
    static, moved = _split_blocks(parts, "text")
    tools, tool_moved = _aligned_tools(body.get("tools"))
    moved += tool_moved
    if not moved and tools is None:
        return Aligned(body)
    out = dict(body)
    if moved:
        base = instruction if isinstance(instruction, Mapping) else {}
        out[key] = {**base, "parts": [*static, {"text": render_dynamic(moved)}]}
    if tools is not None:
        out["tools"] = tools
    return Aligned(out, tuple(moved), changed=True)


def _gemini_parts(key: str, instruction: Any) -> list[Mapping[str, Any]]:
    if instruction is None:
        return []
    parts = instruction.get("parts") if isinstance(instruction, Mapping) else None
    if not isinstance(parts, list):
        raise _Unparseable(f"'{key}' is not an object with a 'parts' list")
    for i, part in enumerate(parts):
        if not (isinstance(part, Mapping) and isinstance(part.get("text"), str)):
            raise _Unparseable(f"{key}.parts[{i}] is not a text part")
    return list(parts)


# --- shared -----------------------------------------------------------------------------------


def _split_blocks(
    blocks: list[Mapping[str, Any]], field: str
) -> tuple[list[Mapping[str, Any]], list[Moved]]:
    """Each block's text split; a block left empty is dropped, its cache marker kept."""
    out: list[Mapping[str, Any]] = []
    moved: list[Moved] = []
    for block in blocks:
        split = split_volatile(block[field])
        moved.extend(split.moved)
        if not split.moved:
            out.append(block)
        elif split.static.strip():
            out.append({**block, field: split.static})
        else:
            _carry_cache_control(block, out)
    return out, moved


def _carry_cache_control(dropped: Mapping[str, Any], kept: list[Any]) -> None:
    """A dropped block's `cache_control` moves to the block before it, if that has none.

    The prefix up to the dropped block is the prefix up to the one before it,
    so the client's breakpoint keeps caching what it cached.
    """
    control = dropped.get("cache_control")
    if control is None or not kept:
        return
    last = kept[-1]
    if isinstance(last, Mapping) and "cache_control" not in last:
        kept[-1] = {**last, "cache_control": control}


def _aligned_tools(tools: Any) -> tuple[list[Any] | None, list[Moved]]:
    """Tools without volatile description lines, in a stable key order (None: unchanged).

    What moves is named after its tool in the dynamic block, so its meaning is kept.
    """
    if not isinstance(tools, list):
        return None, []
    moved: list[Moved] = []
    described = [_described(tool, moved) for tool in tools]
    stable = _stable_tools(described)
    if stable is not None:
        return stable, moved
    return (described if moved else None), moved


def _described(tool: Any, moved: list[Moved]) -> Any:
    """One tool (or Gemini declaration group) with volatile description lines taken out."""
    if not isinstance(tool, Mapping):
        return tool
    declarations = tool.get("functionDeclarations", tool.get("function_declarations"))
    if isinstance(declarations, list):
        key = "functionDeclarations" if "functionDeclarations" in tool else "function_declarations"
        new = [_described(d, moved) for d in declarations]
        changed = any(a is not b for a, b in zip(new, declarations, strict=True))
        return {**tool, key: new} if changed else tool
    function = tool.get("function")
    if isinstance(function, Mapping):
        inner = _described(function, moved)
        return tool if inner is function else {**tool, "function": inner}
    description = tool.get("description")
    if not isinstance(description, str):
        return tool
    split = split_volatile(description)
    if not split.moved:
        return tool
    name = tool.get("name", "?")
    moved.extend(Moved(m.kind, f"(tool {name}) {m.text}") for m in split.moved)
    return {**tool, "description": split.static}


def _stable_tools(tools: Any) -> list[Any] | None:
    """The tools with sorted keys, or None when every tool's keys are sorted already."""
    if not isinstance(tools, list) or all(_is_sorted(tool) for tool in tools):
        return None
    return [tool if _is_sorted(tool) else _sorted(tool) for tool in tools]


#: Maps whose keys are names the client chose the order of (schema parameters).
_ORDERED_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})


def _is_sorted(value: Any, *, keep_order: bool = False) -> bool:
    if isinstance(value, Mapping):
        keys = list(value)
        if not keep_order and keys != sorted(keys):
            return False
        return all(_is_sorted(v, keep_order=k in _ORDERED_MAPS) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_sorted(v) for v in value)
    return True


def _sorted(value: Any, *, keep_order: bool = False) -> Any:
    if isinstance(value, Mapping):
        keys = list(value) if keep_order else sorted(value)
        return {k: _sorted(value[k], keep_order=k in _ORDERED_MAPS) for k in keys}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


_ALIGNERS: dict[str, Callable[[Mapping[str, Any]], Aligned]] = {
    "anthropic": _align_anthropic,
    "openai-chat": _align_openai_chat,
    "openai-responses": _align_openai_responses,
    "gemini": _align_gemini,
}
