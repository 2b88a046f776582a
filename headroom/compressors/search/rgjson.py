"""Reading `rg --json` output into the same model as plain grep output.

ripgrep's JSON Lines stream has one event per line: `begin` and `end` around
each file, `match` and `context` for lines, and a final `summary`. Most of its
bytes are layout (offsets, submatch spans, per-file timings); the facts are the
path, the line number, the line text and the totals. This module keeps those:
match and context lines become `Line`s with the text decoded verbatim, and the
summary becomes one `rg summary: key=value, …` line. Because the offsets and
per-file statistics are dropped, the listing counts the records it drops, so the
original is stored and retrievable.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson

from headroom.compressors.search.parse import Line, Listing, split_lines

__all__ = ["parse_rg_json"]

_EVENTS = frozenset({"begin", "match", "context", "end", "summary"})
#: The share of non-blank lines that must be ripgrep events.
_MIN_EVENT_SHARE = 0.9


def parse_rg_json(text: str) -> Listing | None:
    """`text` read as `rg --json` output; None when it is not that."""
    head = text.lstrip()[:32]
    if not head.startswith("{") or ('"type"' not in head and '"data"' not in head):
        return None
    listing = Listing()
    events = content = 0
    for line in split_lines(text):
        if not line.strip():
            continue
        content += 1
        event = _event(line)
        if event is None:
            listing.other.append(line)
            continue
        events += 1
        _apply(listing, event)
    if events < _MIN_EVENT_SHARE * content or not listing.files:
        return None
    return listing


def _event(line: str) -> Mapping[str, Any] | None:
    if not line.lstrip().startswith("{"):
        return None
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(event, dict) or event.get("type") not in _EVENTS:
        return None
    data = event.get("data")
    return event if isinstance(data, dict) else None


def _apply(listing: Listing, event: Mapping[str, Any]) -> None:
    kind = event["type"]
    data: Mapping[str, Any] = event["data"]
    if kind == "summary":
        listing.other.append(_summary(data))
        return
    path = _text(data.get("path"))
    if kind in ("begin", "end"):
        listing.file(path)
        listing.dropped_records += 1
    elif kind in ("match", "context"):
        listing.add(path, _line(data, is_match=kind == "match"))


def _line(data: Mapping[str, Any], *, is_match: bool) -> Line:
    text = _text(data.get("lines")).removesuffix("\n").removesuffix("\r")
    number = data.get("line_number")
    if not isinstance(number, int):
        return Line(None, text, text, is_match)
    sep = ":" if is_match else "-"
    return Line(number, text, f"{number}{sep}{text}", is_match)


def _text(value: object) -> str:
    """An rg `{"text": …}` or `{"bytes": base64}` value as a string."""
    if not isinstance(value, dict):
        return ""
    text = value.get("text")
    if isinstance(text, str):
        return text
    raw = value.get("bytes")
    if not isinstance(raw, str):
        return ""
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8", "backslashreplace")
    except (binascii.Error, ValueError):
        return raw


def _summary(data: Mapping[str, Any]) -> str:
    """`rg summary: matched_lines=53, matches=63, …, elapsed_total=0.002332s`."""
    fields: dict[str, object] = {}
    stats = data.get("stats")
    if isinstance(stats, dict):
        fields.update(stats)
    if "elapsed_total" in data:
        fields["elapsed_total"] = data["elapsed_total"]
    parts = [f"{key}={_stat(value)}" for key, value in fields.items()]
    return "rg summary: " + ", ".join(parts)


def _stat(value: object) -> str:
    if isinstance(value, dict) and "human" in value:
        return str(value["human"])
    return str(value)
