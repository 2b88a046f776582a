"""A path list folded into a directory tree with file counts.

`rg --files`, `find` and `fd` print thousands of paths whose shape (which
directories, how many files each) is what a reader takes in at a glance. The
tree names each directory once, indented under its parent, with the number of
files below it. When there are too many directories for `max_lines`, deeper
levels fold into their parents' counts. A list with no directories at all
(plain `ls`) is summarised by file extension instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["directory_tree"]

_SEPARATOR = re.compile(r"[\\/]+")


@dataclass(slots=True)
class _Dir:
    files: int = 0
    children: dict[str, _Dir] = field(default_factory=dict)


def directory_tree(paths: Sequence[str], *, max_lines: int) -> list[str]:
    """Lines of `dir/ N` (N files below it), indented two spaces per level."""
    root = _Dir()
    widths: list[int] = []
    top_level = 0
    for path in paths:
        parts = [p for p in _SEPARATOR.split(path.removeprefix("./")) if p and p != "."]
        if len(parts) <= 1:
            top_level += 1
            continue
        node = root
        for depth, name in enumerate(parts[:-1]):
            child = node.children.get(name)
            if child is None:
                child = node.children[name] = _Dir()
                widths.extend([0] * (depth + 1 - len(widths)))
                widths[depth] += 1
            child.files += 1
            node = child
    if not root.children:
        return [_by_extension(paths)]
    lines: list[str] = []
    _render(root, 0, _depth_within(widths, max_lines), lines)
    if top_level:
        lines.append(f"./ {top_level} (top level)")
    return lines


def _depth_within(widths: Sequence[int], max_lines: int) -> int:
    """The deepest level whose directories, with all above it, fit in `max_lines`."""
    shown = 0
    for depth, width in enumerate(widths):
        shown += width
        if shown > max_lines:
            return max(depth, 1)
    return len(widths)


def _render(node: _Dir, depth: int, max_depth: int, out: list[str]) -> None:
    for name, child in node.children.items():
        out.append(f"{'  ' * depth}{name}/ {child.files}")
        if depth + 1 < max_depth:
            _render(child, depth + 1, max_depth, out)


def _by_extension(paths: Sequence[str]) -> str:
    """`*.py 300, *.md 20, (no extension) 5`, most common first."""
    counts: dict[str, int] = {}
    for path in paths:
        name = _SEPARATOR.split(path)[-1]
        dot = name.rfind(".")
        key = f"*{name[dot:]}" if dot > 0 else "(no extension)"
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{key} {count}" for key, count in ranked)
