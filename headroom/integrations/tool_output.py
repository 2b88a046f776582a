"""Compressing a Claude Code tool's output without changing its shape.

A PostToolUse hook may replace a tool's output (`updatedToolOutput`), but the
replacement must have the tool's own output schema, or Claude Code keeps the
original. So only the free-text fields of the shapes known here are
compressed, in place, and everything else is copied as it came:

- Bash `{stdout, stderr, interrupted, ...}`: `stdout` and `stderr`, each on its own
  (for an output Claude Code saved to a file because it was too large, see
  `persisted_path`);
- Read `{type: "text", file: {filePath, content, numLines, startLine, totalLines}}`:
  `content`, for reads from the top of the file, with a closing note: Claude
  Code numbers the lines it shows, so after a cut its margin is not the file's;
- Grep `{mode, filenames, content?, ...}`: `content` (the matching lines);
- WebFetch `{bytes, code, result, url, ...}`: `result`;
- MCP tools (`mcp__server__tool`): a text result, or the `text` of each text block.

Any other tool or shape is left alone. This module is pure: the caller hands
in the function that compresses one text.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headroom.types import Origin

__all__ = [
    "INLINE_CHARS",
    "READ_NOTE",
    "Compress",
    "FieldPath",
    "inlined",
    "origin_of",
    "persisted_path",
    "query_of",
    "rewrite",
    "text_fields",
    "texts",
]

#: Keys and indexes from the output's root to one text field; () is the root.
FieldPath = tuple[str | int, ...]

#: Compresses one text; returns the new text, or None to keep it as it is.
Compress = Callable[[str, Origin, str | None], str | None]

#: Appended to a shortened Read: Claude Code numbers the lines it shows from
#: `startLine`, so after a marker its margin no longer gives the file's lines.
READ_NOTE = (
    "[headroom: file shown shortened; the margin's line numbers count the lines shown, "
    "not the file's lines; markers name the file's own line ranges]"
)

#: Claude Code's cap on a Bash output shown inline (its BASH_MAX_OUTPUT_LENGTH default).
INLINE_CHARS = 30_000
_PERSISTED_KEYS = frozenset({"persistedOutputPath", "persistedOutputSize"})

_FIELDS: dict[str, tuple[FieldPath, ...]] = {
    "Bash": (("stdout",), ("stderr",)),
    "Grep": (("content",),),
    "WebFetch": (("result",),),
}


def text_fields(tool: str, output: Any) -> list[FieldPath]:
    """The paths of the text fields of `output` worth compressing, for `tool`.

    A Read that starts past line 1 is left alone: the model chose those lines.
    """
    if tool == "Bash" and isinstance(output, Mapping) and output.get("isImage"):
        return []  # stdout holds image data
    if tool in _FIELDS:
        return [p for p in _FIELDS[tool] if isinstance(_get(output, p), str)]
    if tool == "Read":
        if not isinstance(output, Mapping) or output.get("type") != "text":
            return []
        file = output.get("file")
        if not isinstance(file, Mapping):
            return []
        from_top = file.get("startLine", 1) in (0, 1)
        return [("file", "content")] if from_top and isinstance(file.get("content"), str) else []
    if tool.startswith("mcp__"):
        return _mcp_fields(output)
    return []


def persisted_path(tool: str, output: Any) -> str | None:
    """Where Claude Code saved a Bash output too large to show, or None.

    Past its inline cap (`INLINE_CHARS`), Claude Code keeps the first 30,000
    characters in `stdout`, saves the whole output to a file
    (`persistedOutputPath`) and shows the model a 2 KB preview and the path.
    """
    path = output.get("persistedOutputPath") if isinstance(output, Mapping) else None
    return path if tool == "Bash" and isinstance(path, str) and path else None


def inlined(output: Mapping[str, Any], full: str) -> dict[str, Any]:
    """A Bash output with the whole saved text in `stdout` and the saved-file fields dropped,
    so Claude Code shows `stdout` itself (once it is compressed)."""
    kept = {k: v for k, v in output.items() if k not in _PERSISTED_KEYS}
    return {**kept, "stdout": full}


def texts(tool: str, output: Any) -> list[str]:
    """The texts at `text_fields(tool, output)`."""
    return [_get(output, path) for path in text_fields(tool, output)]


def _mcp_fields(output: Any) -> list[FieldPath]:
    if isinstance(output, str):
        return [()]
    if isinstance(output, Mapping) and isinstance(output.get("content"), list):
        return [("content", *p) for p in _block_fields(output["content"])]
    if isinstance(output, list):
        return _block_fields(output)
    return []


def _block_fields(blocks: Sequence[Any]) -> list[FieldPath]:
    return [
        (i, "text")
        for i, block in enumerate(blocks)
        if isinstance(block, Mapping) and block.get("type") == "text"
        if isinstance(block.get("text"), str)
    ]


def origin_of(tool: str, tool_input: Mapping[str, Any]) -> Origin:
    """The tool call as the compressor router reads it (a Read of x.py is code)."""
    path = tool_input.get("file_path")
    return Origin(
        tool_name=tool, tool_input=tool_input, file_path=path if isinstance(path, str) else None
    )


def query_of(tool: str, tool_input: Mapping[str, Any]) -> str | None:
    """What the call was looking for, when it says: Grep's pattern, WebFetch's prompt.

    The user's question is not in the hook's input, so most outputs get none.
    """
    key = {"Grep": "pattern", "WebFetch": "prompt"}.get(tool)
    value = tool_input.get(key) if key else None
    return value if isinstance(value, str) and value.strip() else None


def rewrite(
    tool: str, tool_input: Mapping[str, Any], output: Any, compress: Compress
) -> Any | None:
    """`output` with its text fields compressed, or None when none of them changed."""
    origin, query = origin_of(tool, tool_input), query_of(tool, tool_input)
    result, changed = output, False
    for path in text_fields(tool, output):
        new = compress(_get(output, path), origin, query)
        if new is None or new == _get(output, path):
            continue
        if tool == "Read":
            new = f"{new.rstrip()}\n{READ_NOTE}"
        if not changed:
            result, changed = copy.deepcopy(output), True
        result = _set(result, path, new)
    return result if changed else None


def _get(value: Any, path: FieldPath) -> Any:
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
    return value


def _set(root: Any, path: FieldPath, new: str) -> Any:
    """Put `new` at `path` in `root` (a copy the caller owns); returns the root."""
    if not path:
        return new
    parent = _get(root, path[:-1])
    parent[path[-1]] = new
    return root
