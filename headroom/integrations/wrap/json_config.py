"""Reading and writing the agents' JSON config files for `wrap --persist`.

Agents keep their settings in JSON objects (`~/.claude/settings.json`,
`opencode.json`). wrap changes one or two keys and keeps every other key and
its order; the file's own formatting is not kept while wrapped (it is written
back with two-space indents), but `unwrap` restores the original bytes.
A file that is not a plain JSON object (comments, a list, broken syntax) is
refused rather than rewritten.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from headroom.integrations.wrap.base import CannotPersist


def read(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def load_object(data: bytes | None, path: Path) -> dict[str, Any]:
    """The JSON object in `data` ({} for a missing or empty file)."""
    if data is None or not data.strip():
        return {}
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise CannotPersist(
            f"{path} is not plain JSON ({exc}); fix it or wrap without --persist"
        ) from exc
    if not isinstance(value, dict):
        raise CannotPersist(f"{path} does not hold a JSON object; fix it or wrap without --persist")
    return value


def dump(value: dict[str, Any]) -> bytes:
    """Two-space indented JSON with a final newline, non-ASCII kept as is."""
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def child(parent: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    """`parent[key]` as an object, created when missing; refused when it is something else."""
    value = parent.setdefault(key, {})
    if not isinstance(value, dict):
        raise CannotPersist(f"{path}: `{key}` is not an object; fix it or wrap without --persist")
    return value
