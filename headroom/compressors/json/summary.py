"""One short line on the rows a cut left out, for the marker.

It names the dominant categorical column with its commonest values and
counts (`Species: Adelie ×140, Gentoo ×110`) and the range of two numeric
columns, those the question names first (`Body Mass (g) 2700–6300`), so a
model can tell whether what it needs is among the omitted rows before it
asks for them.

It works from what `RowFacts` computed once for the whole array (value
counts, sorted numbers), taking out the kept rows, so each pass pays only
for the rows it keeps.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from headroom.compressors.json.rows import RowFacts
from headroom.compressors.json.scalars import number_text
from headroom.compressors.json.shapes import Path

__all__ = ["summarize"]

MAX_DETAIL = 160
_TOP_VALUES = 3
_MAX_DISTINCT = 12
_NUMERIC_COLUMNS = 2
_MARKER_UNSAFE = re.compile(r"[\]\[\n\r]")


def summarize(facts: RowFacts, kept: set[int]) -> str:
    """`Species: Adelie ×140, Gentoo ×110; Body Mass (g) 2700–6300` for the rows not kept."""
    omitted = len(facts.texts) - len(kept)
    parts: list[str] = []
    counted = _dominant_categorical(facts, kept, omitted)
    if counted is not None:
        parts.append(counted)
    numeric = sorted(facts.numeric, key=lambda path: path not in facts.relevant)
    for path in numeric[:_NUMERIC_COLUMNS]:
        found = _range(path, facts.numeric[path], facts.columns[path], kept)
        if found:
            parts.append(found)
    detail = _MARKER_UNSAFE.sub(" ", "; ".join(parts))
    return detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…"


def _dominant_categorical(facts: RowFacts, kept: set[int], omitted: int) -> str | None:
    best: tuple[int, Path, Counter[str]] | None = None
    for path, total in facts.categorical.items():
        counts = total.copy()
        values = facts.columns[path]
        for i in kept:
            value = values[i]
            if isinstance(value, str):
                counts[value] -= 1
        counts = +counts
        if not 2 <= len(counts) <= _MAX_DISTINCT or counts.total() < 0.8 * omitted:
            continue
        if best is None or len(counts) < best[0]:
            best = (len(counts), path, counts)
    if best is None:
        return None
    _, path, counts = best
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{value} ×{count}" for value, count in top[:_TOP_VALUES])
    more = len(top) - _TOP_VALUES
    return f"{'.'.join(path)}: {shown}" + (f", +{more} more" if more > 0 else "")


def _range(
    path: Path, ranked: list[tuple[float, int]], values: list[Any], kept: set[int]
) -> str | None:
    low = next((i for _, i in ranked if i not in kept), None)
    high = next((i for _, i in reversed(ranked) if i not in kept), None)
    if low is None or high is None or ranked[0][0] == ranked[-1][0]:
        return None
    return f"{'.'.join(path)} {number_text(values[low])}–{number_text(values[high])}"
