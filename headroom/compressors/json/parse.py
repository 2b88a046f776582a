"""Reading the input: one JSON document, or JSON lines (one value per line).

The standard library parser is used rather than orjson because it keeps
what orjson would change: integers longer than 64 bits stay exact and
floats keep their spelling (`JsonFloat`). Its C scanner is about as fast
for the sizes tool outputs have.

JSON lines may end with a line cut off mid-record (agents truncate tool
output); it is kept as it came. Anything else (a truncated document, prose
around it, a bare scalar) gives None: the text compressors handle it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from headroom.compressors.json.scalars import JsonFloat

__all__ = ["Document", "parse"]


@dataclass(frozen=True, slots=True)
class Document:
    """The parsed input. `values` has one item, or one per line for JSON lines.

    `tail` is a last line of JSON lines that does not parse (output cut off
    mid-record); it is written back as it came.
    """

    values: list[Any]
    json_lines: bool
    tail: str = ""


def parse(text: str) -> Document | None:
    """The document in `text`, or None when it is not JSON objects or arrays."""
    body = text.lstrip("\ufeff \t\r\n")
    if not body or body[0] not in "[{":
        return None
    value = _load(body)
    if value is not None:
        return Document([value], json_lines=False) if isinstance(value, dict | list) else None
    return _json_lines(body)


def _load(text: str) -> Any:
    try:
        return json.loads(text, parse_float=JsonFloat, parse_constant=JsonFloat)
    except (ValueError, RecursionError):
        return None


def _json_lines(text: str) -> Document | None:
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    values: list[Any] = []
    for i, line in enumerate(lines):
        value = _load(line) if line[0] in "[{" else None
        if not isinstance(value, dict | list):
            if i == len(lines) - 1 and line[0] in "[{" and len(values) >= 2:
                return Document(values, json_lines=True, tail=line)
            return None
        values.append(value)
    return Document(values, json_lines=True) if len(values) >= 2 else None
