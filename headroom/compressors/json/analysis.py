"""What a rendering pass may keep (`Limits`) and what it knows (`Analysis`).

The compressor renders a document several times under tighter and tighter
limits until it fits its budget. Table shapes, shared leaves, row scores,
the text of table rows and the JSON of nested values do not depend on the
limits, so `Analysis` computes each once per array (or value) and every
pass reuses it. Arrays and values are keyed by `id()`: the document they
belong to lives as long as the analysis.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from headroom.compressors.json.excerpt import MIN_CUT, Excerpts
from headroom.compressors.json.rows import RowFacts
from headroom.compressors.json.scalars import (
    JsonFloat,
    is_scalar,
    json_text,
    scalar_text,
    string_form,
)
from headroom.compressors.json.shapes import (
    MISSING,
    Path,
    TableShape,
    constant_leaves,
    leaves,
    table_shape,
)
from headroom.compressors.json.terms import Term

__all__ = ["LOSSLESS", "Analysis", "Limits", "Rendered"]

T = TypeVar("T")

#: Strings at least this long that hold a JSON object or array are decoded.
MIN_NESTED_JSON = 80
#: Strings at least this long have their written form remembered.
MIN_CACHED_FORM = 64


@dataclass(frozen=True, slots=True)
class Limits:
    """What one pass keeps. None keeps everything."""

    #: Rows (or items) kept per array of records or long values.
    rows: int | None = None
    #: Scalars kept per inline list.
    items: int | None = None
    #: Characters kept per string.
    chars: int | None = None
    #: Whether wide objects lose their URL fields.
    prune: bool = False

    def effective(self, seen: Rendered) -> Limits:
        """These limits less those that cut nothing the lossless pass `seen` met.

        Two passes with the same effective limits write the same text, so the
        compressor renders only one of them.
        """
        chars = (
            self.chars
            if self.chars is not None and seen.longest > max(self.chars, MIN_CUT)
            else None
        )
        rows = self.rows if self.rows is not None and seen.widest > self.rows else None
        items = self.items if self.items is not None and seen.widest > self.items else None
        return Limits(rows=rows, items=items, chars=chars, prune=self.prune and seen.prunable)


LOSSLESS = Limits()


@dataclass(frozen=True, slots=True)
class Rendered:
    """One pass's output: its text and cuts, and what it met on the way."""

    text: str
    cuts: int
    #: Characters of long strings (text, code, logs) written in full.
    prose: int = 0
    #: The longest string, the longest array, and whether URL fields could go.
    longest: int = 0
    widest: int = 0
    prunable: bool = False


class Analysis:
    """Per-array facts for one document, shared by all its rendering passes."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = list(terms)
        self.excerpts = Excerpts(self.terms)
        self._tables: dict[int, TableShape | None] = {}
        self._constants: dict[int, list[tuple[Path, Any]]] = {}
        self._facts: dict[int, RowFacts] = {}
        self._memo: dict[Hashable, object] = {}
        self._json: dict[int, str] = {}
        self._nested: dict[int, tuple[str, Any]] = {}
        self._forms: dict[int, tuple[str, tuple[str, bool]]] = {}

    def table(self, items: list[Any]) -> TableShape | None:
        key = id(items)
        if key not in self._tables:
            self._tables[key] = table_shape(items)
        return self._tables[key]

    def constants(self, items: list[dict[str, Any]]) -> list[tuple[Path, Any]]:
        key = id(items)
        if key not in self._constants:
            self._constants[key] = constant_leaves(items)
        return self._constants[key]

    def json(self, value: dict[str, Any] | list[Any]) -> str:
        """Minified JSON of a nested value (computed once)."""
        key = id(value)
        text = self._json.get(key)
        if text is None:
            text = self._json[key] = json_text(value)
        return text

    def nested(self, text: str) -> dict[str, Any] | list[Any] | None:
        """The object or array a long string holds as JSON, or None (decoded once).

        The decoded value is kept here, so its `id()` stays valid for the
        other caches while the analysis lives.
        """
        if len(text) < MIN_NESTED_JSON:
            return None
        body = text.strip()
        if not body or body[0] not in "[{" or body[-1] not in "]}":
            return None
        found = self._nested.get(id(text))
        if found is None or found[0] is not text:
            try:
                value = json.loads(text, parse_float=JsonFloat, parse_constant=JsonFloat)
            except (ValueError, RecursionError):
                value = None
            found = self._nested[id(text)] = (text, value)
        value = found[1]
        return value if isinstance(value, dict | list) and value else None

    def string_form(self, text: str) -> tuple[str, bool]:
        """`scalars.string_form` of a string of the document (computed once)."""
        if len(text) < MIN_CACHED_FORM:
            return string_form(text)
        found = self._forms.get(id(text))
        if found is None or found[0] is not text:
            found = self._forms[id(text)] = (text, string_form(text))
        return found[1]

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()`, computed once per `key` for all passes (keys hold `id()`s of the document)."""
        if key not in self._memo:
            self._memo[key] = make()
        return cast(T, self._memo[key])

    def keep(self, items: list[Any], limit: int | None) -> list[int]:
        """The indexes of the rows to write, in order."""
        if limit is None or limit >= len(items):
            return list(range(len(items)))
        return self.facts(items).pick(self.terms, limit)

    def facts(self, items: list[Any]) -> RowFacts:
        key = id(items)
        if key not in self._facts:
            self._facts[key] = self._new_facts(items)
        return self._facts[key]

    def member_facts(self, obj: dict[str, Any]) -> RowFacts:
        """Row facts for the members of a wide object, scored like rows (keys count as text)."""
        return self.memo(("members", id(obj)), lambda: self._new_facts(list(obj.values()), obj))

    def _new_facts(self, items: list[Any], labels: dict[str, Any] | None = None) -> RowFacts:
        if labels is not None:
            texts = [f"{key} {self._text(v)}".lower() for key, v in labels.items()]
            return RowFacts(texts, self._columns(items))
        shape = self._tables.get(id(items))
        if shape is not None and ("cells", id(shape)) in self._memo:
            cells = cast(list[list[str]], self._memo["cells", id(shape)])
            rows = zip(*cells, strict=True)
            texts = [",".join(row).lower() for row in rows]
            return RowFacts(texts, dict(zip(shape.columns, shape.cells, strict=True)))
        texts = [self._text(v).lower() for v in items]
        if shape is not None:
            return RowFacts(texts, dict(zip(shape.columns, shape.cells, strict=True)))
        return RowFacts(texts, self._columns(items))

    def _columns(self, items: list[Any]) -> dict[Path, list[Any]]:
        """The scalar leaves of records by path, or the scalars themselves as one column."""
        if not all(isinstance(item, dict) for item in items):
            return {(): [v if is_scalar(v) else MISSING for v in items]}
        columns: dict[Path, list[Any]] = {}
        for i, item in enumerate(items):
            for path, value in leaves(item):
                if is_scalar(value):
                    column = columns.get(path)
                    if column is None:
                        column = columns[path] = [MISSING] * len(items)
                    column[i] = value
        return columns

    def _text(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict | list):
            return self.json(value)
        return scalar_text(value)
