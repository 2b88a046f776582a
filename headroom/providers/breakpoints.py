"""Prompt-cache markers: Anthropic `cache_control` breakpoints and OpenAI's `prompt_cache_key`.

Anthropic caches nothing unless a request marks where a cacheable prefix ends,
and it allows at most four such breakpoints. Many clients set none, or only
one, so they pay full price for a long, stable prefix on every turn. This
module adds the missing markers to a raw request body, in the order the
provider builds its prefix (tools, then system, then messages):

- after the last tool definition (tools change rarely);
- after the last *static* system block (the CacheAligner appends one dynamic
  block after it, which must stay outside the cached part);
- on the last cacheable block of the last message, which writes this turn's
  prefix;
- on the last cacheable block of the previous user message, which is exactly
  where the previous request wrote, so this request reads it back however many
  blocks the last turn added (the provider only looks back about 20 blocks).

The client's own breakpoints are never moved, removed or changed; ours fill
only the slots left under the limit. A prefix estimated below the model's
minimum cacheable length gets no breakpoint (the provider would silently
ignore it). Longer TTLs must come before shorter ones, so one of ours that
precedes a client's `1h` breakpoint is written as `1h` too: that prefix is
billed at the `1h` rate through the client's marker anyway, so it costs
nothing extra. Ours that follow a client's `5m` breakpoint become `5m`.

Sizes are cheap estimates (`estimate_tokens` over text and JSON lengths),
because this runs on every proxied request. The input body is never mutated:
only the lists and objects on the path to a new marker are copied.

OpenAI caches automatically; a stable `prompt_cache_key` per session keeps a
session's requests routed to the same cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from headroom.tokens import estimate_tokens

#: The provider's limit on breakpoints per request.
MAX_BREAKPOINTS = 4
#: Block types that may carry `cache_control` (thinking blocks may not; unknown
#: types are left alone).
CACHEABLE_BLOCKS = frozenset({"text", "image", "document", "tool_use", "tool_result"})
#: Longest `prompt_cache_key` sent as is; longer keys are hashed.
MAX_CACHE_KEY_CHARS = 64
#: Estimate for one image: near the provider's cost of a full-size image.
IMAGE_TOKENS = 1_500

_TTL_RANK = {"5m": 0, "1h": 1}
_TOOLS, _SYSTEM, _MESSAGES, _AUTOMATIC = range(4)
#: A marker on a block sorts after markers nested inside that block.
_BLOCK_END = 1 << 30

#: Where a breakpoint sits in prefix order: (section, item, block, nested block).
Position = tuple[int, int, int, int]


@dataclass(frozen=True)
class Placed:
    """The outcome of `place_breakpoints`.

    `body` is the input object itself when nothing was placed. `placed` names
    each new breakpoint in prefix order ("tools", "system", "message:<i>").
    `existing` counts the client's own breakpoints (a top-level automatic
    `cache_control` counts as one). `skipped` says why a breakpoint we wanted
    was not placed, or is None.
    """

    body: Mapping[str, Any]
    placed: tuple[str, ...]
    existing: int
    skipped: str | None


@dataclass(frozen=True)
class _Spot:
    """A place we would like a breakpoint, with its estimated prefix size."""

    name: str
    position: Position
    prefix_tokens: int


def place_breakpoints(
    body: Mapping[str, Any],
    *,
    min_tokens: int,
    ttl: str = "5m",
    max_breakpoints: int = MAX_BREAKPOINTS,
    static_system_blocks: int | None = None,
) -> Placed:
    """Add Anthropic cache breakpoints to a Messages request body, within the limit.

    `ttl` is "5m" or "1h" (resolve "auto" before calling). `static_system_blocks`
    is how many leading system blocks are static; None means all of them.
    """
    if ttl not in _TTL_RANK:
        raise ValueError(f"ttl must be '5m' or '1h', got {ttl!r} (resolve 'auto' first)")
    client = _client_breakpoints(body)
    if len(client) > max_breakpoints:
        reason = f"client set {len(client)} breakpoints, over the limit of {max_breakpoints}"
        return Placed(body, (), len(client), reason)
    free = max_breakpoints - len(client)
    chosen: list[_Spot] = []
    held: list[str] = []
    for spot in _wanted_spots(body, static_system_blocks):
        if spot.prefix_tokens < min_tokens:
            held.append(f"{spot.name}: prefix ~{spot.prefix_tokens} < {min_tokens} tokens")
        elif len(chosen) >= free:
            held.append(f"{spot.name}: no free slot")
        else:
            chosen.append(spot)
    marks, out_of_order = _assign_ttls(chosen, client, _TTL_RANK[ttl])
    held += out_of_order
    skipped = "; ".join(held) or None
    if not marks:
        return Placed(body, (), len(client), skipped)
    names = tuple(spot.name for spot, _ in marks)
    return Placed(_apply(body, marks), names, len(client), skipped)


def ensure_prompt_cache_key(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """An OpenAI Chat or Responses body with `prompt_cache_key` set when the client sent none."""
    if body.get("prompt_cache_key"):
        return body
    short = key if len(key) <= MAX_CACHE_KEY_CHARS else session_cache_key(key)
    return {**body, "prompt_cache_key": short}


def session_cache_key(session: str) -> str:
    """The stable, short cache key for a session id."""
    return "hr-" + hashlib.sha256(session.encode()).hexdigest()[:16]


# -- reading the body ---------------------------------------------------------------------------


def _items(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


def _blocks(content: Any) -> Sequence[Any]:
    """Content as blocks: a string is one text block (how the provider reads it)."""
    if isinstance(content, str):
        return ({"type": "text", "text": content},)
    return _items(content)


def _has_marker(item: Any) -> bool:
    return isinstance(item, Mapping) and item.get("cache_control") is not None


def _ttl_rank(control: Any) -> int:
    return 1 if isinstance(control, Mapping) and control.get("ttl") == "1h" else 0


def _is_cacheable(block: Any) -> bool:
    if not isinstance(block, Mapping) or block.get("type") not in CACHEABLE_BLOCKS:
        return False
    if block["type"] == "text":
        text = block.get("text")
        return isinstance(text, str) and bool(text.strip())
    return True


def _is_markable_tool(tool: Any) -> bool:
    # The provider rejects cache_control on a deferred (tool-search) tool.
    return isinstance(tool, Mapping) and tool.get("defer_loading") is not True


def _client_breakpoints(body: Mapping[str, Any]) -> list[tuple[Position, int]]:
    """Every breakpoint the client set, as (position, TTL rank)."""
    found: list[tuple[Position, int]] = []

    def note(item: Any, position: Position) -> None:
        if _has_marker(item):
            found.append((position, _ttl_rank(item["cache_control"])))

    for t, tool in enumerate(_items(body.get("tools"))):
        note(tool, (_TOOLS, t, 0, _BLOCK_END))
    for s, block in enumerate(_items(body.get("system"))):
        note(block, (_SYSTEM, s, 0, _BLOCK_END))
    for i, message in enumerate(_items(body.get("messages"))):
        content = message.get("content") if isinstance(message, Mapping) else None
        for j, block in enumerate(_items(content)):
            note(block, (_MESSAGES, i, j, _BLOCK_END))
            if isinstance(block, Mapping):
                for k, inner in enumerate(_items(block.get("content"))):
                    note(inner, (_MESSAGES, i, j, k))
    if body.get("cache_control") is not None:
        found.append(((_AUTOMATIC, 0, 0, 0), _ttl_rank(body["cache_control"])))
    return found


# -- sizes --------------------------------------------------------------------------------------


def _json_tokens(value: Any) -> int:
    try:
        return estimate_tokens(orjson.dumps(value, default=_plain).decode())
    except orjson.JSONEncodeError:
        return estimate_tokens(repr(value))


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else str(value)


def _block_tokens(block: Any) -> int:
    kind = block.get("type") if isinstance(block, Mapping) else None
    if kind == "text" and isinstance(block.get("text"), str):
        return estimate_tokens(block["text"])
    if kind == "image":
        return IMAGE_TOKENS
    if kind == "tool_result":
        content = block.get("content")
        if isinstance(content, str):
            return estimate_tokens(content)
        return sum(_block_tokens(inner) for inner in _items(content))
    if kind == "thinking" and isinstance(block.get("thinking"), str):
        return estimate_tokens(block["thinking"])
    return _json_tokens(block)


def _message_tokens(message: Any) -> int:
    content = message.get("content") if isinstance(message, Mapping) else None
    return sum(_block_tokens(block) for block in _blocks(content))


# -- where ours go ------------------------------------------------------------------------------


def _last_index(items: Sequence[Any], end: int, keep: Callable[[Any], bool]) -> int | None:
    return next((i for i in range(end - 1, -1, -1) if keep(items[i])), None)


def _wanted_spots(body: Mapping[str, Any], static_system_blocks: int | None) -> list[_Spot]:
    """Our candidate breakpoints in priority order: tools, system, last message, previous turn.

    Spots where the client already has a breakpoint are left out.
    """
    tools = _items(body.get("tools"))
    tool_tokens = [_json_tokens(tool) if _is_markable_tool(tool) else 0 for tool in tools]
    spots: list[_Spot] = []
    t = _last_index(tools, len(tools), _is_markable_tool)
    if t is not None and not _has_marker(tools[t]):
        spots.append(_Spot("tools", (_TOOLS, t, 0, _BLOCK_END), sum(tool_tokens[: t + 1])))
    system = _blocks(body.get("system"))
    system_tokens = [_block_tokens(block) for block in system]
    base = sum(tool_tokens)
    static = len(system) if static_system_blocks is None else min(static_system_blocks, len(system))
    s = _last_index(system, static, _is_cacheable)
    if s is not None and not _has_marker(system[s]):
        prefix = base + sum(system_tokens[: s + 1])
        spots.append(_Spot("system", (_SYSTEM, s, 0, _BLOCK_END), prefix))
    base += sum(system_tokens)
    automatic = body.get("cache_control") is not None
    return spots + _message_spots(_items(body.get("messages")), base, automatic)


def _message_spots(messages: Sequence[Any], base: int, automatic: bool) -> list[_Spot]:
    """The last message's last cacheable block, then the previous user message's.

    In automatic mode the provider already marks the last cacheable block, so
    only the previous turn is ours to add.
    """
    if not messages:
        return []
    last = len(messages) - 1
    previous = _last_index(messages, last, _is_user_message)
    split = previous or 0
    upto_previous = base + sum(_message_tokens(m) for m in messages[:split])
    upto_last = upto_previous + sum(_message_tokens(m) for m in messages[split:last])
    targets = [] if automatic else [(last, upto_last)]
    if previous is not None:
        targets.append((previous, upto_previous))
    return [spot for i, before in targets if (spot := _block_spot(messages[i], i, before))]


def _block_spot(message: Any, index: int, before: int) -> _Spot | None:
    """The last cacheable block of a message, unless the client marked it already."""
    blocks = _blocks(message.get("content") if isinstance(message, Mapping) else None)
    j = _last_index(blocks, len(blocks), _is_cacheable)
    if j is None or _has_marker(blocks[j]):
        return None
    prefix = before + sum(_block_tokens(block) for block in blocks[: j + 1])
    return _Spot(f"message:{index}", (_MESSAGES, index, j, _BLOCK_END), prefix)


def _is_user_message(message: Any) -> bool:
    return isinstance(message, Mapping) and message.get("role") == "user"


def _assign_ttls(
    chosen: Sequence[_Spot], client: Sequence[tuple[Position, int]], wanted: int
) -> tuple[list[tuple[_Spot, int]], list[str]]:
    """Give each of ours a TTL rank that keeps longer TTLs before shorter ones.

    Ours must be at least as long as any client breakpoint after it and no
    longer than any breakpoint before it. When the client's own markers are
    out of order around a spot, that spot is dropped.
    """
    marks: list[tuple[_Spot, int]] = []
    dropped: list[str] = []
    for spot in sorted(chosen, key=lambda s: s.position):
        floor = max((rank for pos, rank in client if pos > spot.position), default=0)
        earlier = [rank for pos, rank in client if pos < spot.position]
        ceiling = min(earlier + [rank for _, rank in marks], default=1)
        if floor > ceiling:
            dropped.append(f"{spot.name}: client TTLs out of order around it")
            continue
        marks.append((spot, min(max(wanted, floor), ceiling)))
    return marks, dropped


# -- writing ------------------------------------------------------------------------------------


def _control(rank: int) -> dict[str, str]:
    return {"type": "ephemeral", "ttl": "1h"} if rank else {"type": "ephemeral"}


def _marked(items: Sequence[Any], index: int, control: dict[str, str]) -> list[Any]:
    out = list(items)
    out[index] = {**out[index], "cache_control": control}
    return out


def _apply(body: Mapping[str, Any], marks: Sequence[tuple[_Spot, int]]) -> dict[str, Any]:
    """A copy of `body` with the markers set, sharing every part it did not change."""
    out = dict(body)
    for spot, rank in marks:
        section, item, block, _ = spot.position
        control = _control(rank)
        if section == _TOOLS:
            out["tools"] = _marked(out["tools"], item, control)
        elif section == _SYSTEM:
            out["system"] = _marked(_blocks(out["system"]), item, control)
        else:
            messages = list(out["messages"])
            message = dict(messages[item])
            message["content"] = _marked(_blocks(message["content"]), block, control)
            messages[item] = message
            out["messages"] = messages
    return out


def strip_cache_control(value: Any) -> Any:
    """A copy of a body (or any part of one) without `cache_control`, at any depth.

    What a provider caches does not depend on where the markers sit, so this
    is how two requests' prefixes are compared.
    """
    if isinstance(value, Mapping):
        return {k: strip_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [strip_cache_control(v) for v in value]
    return value
