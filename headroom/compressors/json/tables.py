"""How a table is laid out: its columns, shared values and cells, as text.

None of this depends on which rows a pass keeps, so the compressor works it
out once per table (`Analysis.memo`) and every pass reuses it:

- the cells, written column by column (`cell_text`);
- the layout: which columns show, the header naming them, the `k=v` line of
  constant columns, and, in a pruning pass, the URL columns and constants
  left out (all but the first URL and those the question points at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from headroom.compressors.json.prune import is_url, pointed
from headroom.compressors.json.scalars import (
    JsonFloat,
    is_scalar,
    json_text,
    path_text,
    scalar_text,
)
from headroom.compressors.json.shapes import MISSING, TableShape
from headroom.compressors.json.terms import Term

__all__ = ["Layout", "cell_text", "cell_texts", "layout", "url_detail"]


@dataclass(frozen=True, slots=True)
class Layout:
    """What a pass writes of a table besides its rows."""

    #: Indexes of the shown columns in `TableShape.columns`.
    columns: list[int]
    #: `{a,b,c}`, the shown columns' names.
    header: str
    #: `k=v, k=v` for the constant columns ("" when none).
    shared: str
    #: Names of the URL columns and constants left out.
    dropped: list[str]


def cell_text(value: Any) -> str:
    """One cell: empty for a missing key, a scalar as in `scalar_text`, else JSON."""
    kind = value.__class__
    if kind is int:
        return str(value)
    if kind is JsonFloat:
        return str(value.text)
    if value is MISSING:
        return ""
    if is_scalar(value):
        return scalar_text(value, cell=True)
    return json_text(value)


def cell_texts(shape: TableShape) -> list[list[str]]:
    """Every cell written, column by column; a string repeated in a column is written once."""
    out: list[list[str]] = []
    for values in shape.cells:
        memo: dict[str, str] = {}
        column: list[str] = []
        for value in values:
            if value.__class__ is str:
                text = memo.get(value)
                if text is None:
                    text = memo[value] = cell_text(value)
                column.append(text)
            else:
                column.append(cell_text(value))
        out.append(column)
    return out


def layout(shape: TableShape, terms: Sequence[Term], *, prune: bool) -> Layout:
    columns = list(range(len(shape.columns)))
    constants = list(range(len(shape.constants)))
    dropped: list[str] = []
    if prune:
        columns, constants, dropped = _without_urls(shape, terms)
    header = "{" + ",".join(path_text(shape.columns[j]) for j in columns) + "}"
    shared = ", ".join(
        f"{path_text(shape.constants[j][0])}={cell_text(shape.constants[j][1])}" for j in constants
    )
    return Layout(columns, header, shared, dropped)


def _without_urls(
    shape: TableShape, terms: Sequence[Term]
) -> tuple[list[int], list[int], list[str]]:
    """The columns and constants left when URL columns (but the first) and URL constants go."""
    url_columns = [j for j, values in enumerate(shape.cells) if _all_urls(values)]
    url_constants = [j for j, (_, v) in enumerate(shape.constants) if is_url(v)]
    names = [path_text(shape.columns[j]) for j in url_columns]
    names += [path_text(shape.constants[j][0]) for j in url_constants]
    texts = [" ".join(str(v) for v in shape.cells[j]).lower() for j in url_columns]
    texts += [str(shape.constants[j][1]).lower() for j in url_constants]
    kept = pointed(names, texts, terms) | {0}
    drop_columns = {j for i, j in enumerate(url_columns) if i not in kept}
    drop_constants = {j for i, j in enumerate(url_constants) if i + len(url_columns) not in kept}
    columns = [j for j in range(len(shape.columns)) if j not in drop_columns]
    constants = [j for j in range(len(shape.constants)) if j not in drop_constants]
    dropped = [path_text(shape.columns[j]) for j in sorted(drop_columns)]
    dropped += [path_text(shape.constants[j][0]) for j in sorted(drop_constants)]
    return columns, constants, dropped


def _all_urls(values: list[Any]) -> bool:
    present = [v for v in values if v is not MISSING and v is not None]
    return bool(present) and all(is_url(v) for v in present)


def url_detail(names: list[str]) -> str:
    """`URLs: labels_url, comments_url, +4 more`."""
    shown = ", ".join(names[:3])
    return f"URLs: {shown}" + (f", +{len(names) - 3} more" if len(names) > 3 else "")
