"""A short, stable name for the schema of a JSON text, for the learning loop.

Two responses of the same endpoint have the same signature although their
values differ: it hashes where the main array is (the longest array of
objects, searched a few levels deep) and the sorted key paths of its
records (nested objects flattened to dotted paths, first records only).
A document without such an array is named by the key paths of its top
object. JSON lines are one array of records.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

__all__ = ["signature"]

#: Records of the main array whose keys are read.
SAMPLE = 50
#: How deep the main array is looked for, and how deep key paths go.
MAX_DEPTH = 3


def signature(text: str) -> str | None:
    """`json_` + 16 hex characters naming the schema of `text`, or None when it is not JSON."""
    data = _load(text)
    if not isinstance(data, dict | list):
        return None
    where, records = _main_array(data, "", 0) or ("", [data] if isinstance(data, dict) else [])
    paths: set[str] = set()
    for record in records[:SAMPLE]:
        if isinstance(record, dict):
            paths.update(_paths(record, "", 0))
    shape = where + "\n" + "\n".join(sorted(paths))
    return "json_" + hashlib.sha256(shape.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _load(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    lines = [line for line in text.splitlines() if line.strip()]
    records = []
    for i, line in enumerate(lines[:SAMPLE]):
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            if i < len(lines) - 1:  # only a last line may be cut off
                return None
    return records if len(records) >= 2 else None


def _main_array(value: Any, where: str, depth: int) -> tuple[str, list[Any]] | None:
    """(location, records) of the longest array of objects within `MAX_DEPTH` levels."""
    best: tuple[str, list[Any]] | None = None
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value[:SAMPLE]):
            best = (where + "[]", value)
        children = [(where + "[]", v) for v in value[:SAMPLE]]
    elif isinstance(value, dict):
        children = [(f"{where}.{k}", v) for k, v in value.items()]
    else:
        return None
    if depth >= MAX_DEPTH:
        return best
    for child_where, child in children:
        found = _main_array(child, child_where, depth + 1)
        if found is not None and (best is None or len(found[1]) > len(best[1])):
            best = found
    return best


def _paths(record: dict[str, Any], prefix: str, depth: int) -> set[str]:
    out: set[str] = set()
    for key, value in record.items():
        path = f"{prefix}.{key}" if prefix else key
        out.add(path)
        if isinstance(value, dict) and depth < MAX_DEPTH:
            out.update(_paths(value, path, depth + 1))
    return out
