"""Adding tools to a request body without re-serializing it.

The retrieve loop appends its tool to every request. Re-serializing the body
for that would change bytes the client chose (key order, spacing, escapes) in
a request the pipeline did not otherwise touch, so instead the new tool
entries are spliced into the original bytes: at the end of the top-level
`tools` array, or as a new `"tools"` key at the end of the object. Anything
unexpected returns None, and the caller serializes the body as usual.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

#: JSON strings (with escapes) and the structural characters between them.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]:]')


def splice_tools(data: bytes, before: Mapping[str, Any], after: Mapping[str, Any]) -> bytes | None:
    """`data` (the bytes of `before`) with the tools `after` appended, or None.

    Only applies when `after` differs from `before` by new entries at the end
    of `tools` and nothing else.
    """
    new = _appended_tools(before, after)
    if not new:
        return None
    items = b",".join(orjson.dumps(tool) for tool in new)
    if "tools" in before:
        return _append_to_array(data, "tools", items)
    return _add_key(data, b'"tools":[' + items + b"]")


def _appended_tools(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Any]:
    if set(after) - {"tools"} != set(before) - {"tools"}:
        return []
    if any(after[k] is not before[k] and after[k] != before[k] for k in before if k != "tools"):
        return []
    old, new = before.get("tools", []), after.get("tools")
    if not isinstance(old, list) or not isinstance(new, list) or len(new) <= len(old):
        return []
    return new[len(old) :] if new[: len(old)] == old else []


def _append_to_array(data: bytes, key: str, items: bytes) -> bytes | None:
    """Insert `items` before the closing bracket of the top-level array `key`."""
    depth, want_key, array_depth, empty = 0, False, -1, True
    previous: bytes = b""
    for match in _TOKEN.finditer(data):
        token = match.group()
        if token in (b"{", b"["):
            depth += 1
            if want_key and array_depth < 0:
                if token != b"[":
                    return None
                array_depth, empty = depth, data[match.end() :].lstrip()[:1] == b"]"
            want_key = False
        elif token in (b"}", b"]"):
            if depth == array_depth:
                return (
                    data[: match.start()] + (b"" if empty else b",") + items + data[match.start() :]
                )
            depth -= 1
        elif token == b":":
            want_key = depth == 1 and previous[:1] == b'"' and _decoded(previous) == key
        previous = token
    return None


def _add_key(data: bytes, member: bytes) -> bytes | None:
    """Insert `member` as the last member of the top-level object."""
    end = data.rstrip()
    if not end.lstrip().startswith(b"{") or not end.endswith(b"}"):
        return None
    inner = end[:-1].rstrip()
    separator = b"" if inner.lstrip().endswith(b"{") else b","
    return inner + separator + member + b"}" + data[len(end) :]


def _decoded(token: bytes) -> Any:
    try:
        return orjson.loads(token)
    except orjson.JSONDecodeError:
        return None
