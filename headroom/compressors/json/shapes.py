"""The shapes of arrays: which become tables, which become lists of records.

An array of objects becomes a **table** when its records are alike: nested
objects that every record has are flattened into dotted columns
(`user.login`), every cell is a short one-line scalar (or a short list of
scalars), and most cells are filled. Columns holding the same value in every
row are factored out ("every row has: status=active"). A few very wide rows
(more columns than rows, past a dozen) stay records: counting commas to find
a column is error-prone.

Other arrays of objects are **records**: each is written as an outline, and
the leaves every record shares (`headers.server=GitHub.com`) are written once.

`same` tells values apart the way JSON does: `1`, `1.0`, `true` and `"1"`
are four different values, although Python finds some of them equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from headroom.compressors.json.scalars import JsonFloat, is_scalar, json_text

__all__ = [
    "MISSING",
    "NO_SKIP",
    "Path",
    "Skip",
    "TableShape",
    "cell",
    "constant_leaves",
    "leaves",
    "same",
    "table_shape",
]

Path = tuple[str, ...]


class _Missing:
    """A key the record does not have (distinct from null and from "")."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

#: Cells longer than this make a column unfit for a table.
MAX_CELL_CHARS = 240
#: Lists and objects in a cell are written as JSON up to this length.
MAX_CELL_JSON = 80
#: A table needs at least this share of its cells filled.
MIN_FILL = 0.5
MAX_COLUMNS = 64
#: Tables wider than this need at least as many rows as columns.
MAX_NARROW = 12
MAX_FLATTEN_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Skip:
    """Leaves of a record already written once for all records (and their parents)."""

    paths: frozenset[Path] = frozenset()
    parents: frozenset[Path] = frozenset()

    @classmethod
    def of(cls, paths: list[Path]) -> Skip:
        parents = {path[:i] for path in paths for i in range(1, len(path))}
        return cls(frozenset(paths), frozenset(parents))


NO_SKIP = Skip()


@dataclass(frozen=True, slots=True)
class TableShape:
    """A table: its varying columns with their cells, and its constant columns."""

    columns: list[Path]
    cells: list[list[Any]]
    constants: list[tuple[Path, Any]]


def same(a: Any, b: Any) -> bool:
    """Whether two values are the same JSON value (`1`, `1.0` and `true` are not)."""
    kind = a.__class__
    if kind is not b.__class__:
        return False
    if kind is JsonFloat:
        return bool(a.text == b.text)
    if kind is dict or kind is list:
        return json_text(a) == json_text(b)
    return bool(a == b)


def cell(record: dict[str, Any], path: Path) -> Any:
    """The value at `path` in `record`, or MISSING."""
    value: Any = record
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


def leaves(value: dict[str, Any], prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every leaf under nested objects: (path, value); lists and `{}` are leaves."""
    for key, child in value.items():
        path = (*prefix, key)
        if isinstance(child, dict) and child:
            yield from leaves(child, path)
        else:
            yield path, child


def table_shape(items: list[Any]) -> TableShape | None:
    """The table `items` make, or None when they are not alike enough."""
    if len(items) < 2 or not all(isinstance(item, dict) for item in items):
        return None
    columns = _flatten(items, (), 0)
    if not columns or len(columns) > MAX_COLUMNS:
        return None
    filled = 0
    constants: list[tuple[Path, Any]] = []
    varying: list[Path] = []
    cells: list[list[Any]] = []
    for path in columns:
        values = _column(items, path)
        if not all(_fits_cell(v) for v in values):
            return None
        present = sum(1 for v in values if v is not MISSING)
        filled += present
        first = values[0]
        if present == len(values) and all(same(v, first) for v in values[1:]):
            constants.append((path, values[0]))
        else:
            varying.append(path)
            cells.append(values)
    if filled < MIN_FILL * len(items) * len(columns):
        return None
    if len(varying) > MAX_NARROW and len(items) < len(varying):
        return None  # a few very wide rows read better as records, key by key
    return TableShape(varying, cells, constants)


def _column(items: list[dict[str, Any]], path: Path) -> list[Any]:
    if len(path) == 1:
        key = path[0]
        return [item.get(key, MISSING) for item in items]
    return [cell(item, path) for item in items]


def _flatten(records: list[dict[str, Any]], prefix: Path, depth: int) -> list[Path]:
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    columns: list[Path] = []
    for key in keys:
        values = [record.get(key, MISSING) for record in records]
        nested = all(isinstance(v, dict) and v for v in values)
        if nested and depth < MAX_FLATTEN_DEPTH:
            columns.extend(_flatten(values, (*prefix, key), depth + 1))
        else:
            columns.append((*prefix, key))
    return columns


def _fits_cell(value: Any) -> bool:
    kind = value.__class__
    if kind is int or kind is JsonFloat or value is None or value is MISSING or kind is bool:
        return True
    if kind is str:
        return len(value) <= MAX_CELL_CHARS and "\n" not in value and "\r" not in value
    if isinstance(value, list) and not all(is_scalar(v) for v in value):
        return False
    return len(json_text(value)) <= MAX_CELL_JSON


def constant_leaves(items: list[dict[str, Any]]) -> list[tuple[Path, Any]]:
    """The leaves that every record has with the same value, in first-record order."""
    if len(items) < 2:
        return []
    found = dict(leaves(items[0]))
    for item in items[1:]:
        for path in list(found):
            if not same(cell(item, path), found[path]):
                del found[path]
        if not found:
            return []
    return list(found.items())
