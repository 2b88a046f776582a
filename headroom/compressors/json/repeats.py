"""Values written before: exact repeats and near-repeats, pointed back to.

API responses repeat themselves: the same user object under every issue,
the same repository before and after a rename with one field changed. The
outline writes such a value once. A long value (as JSON, `MIN_REFERENCE`
characters or more) seen before becomes `(same as <path>)`; an object with
the same leaves as one seen before and few of them different becomes
`(as <path>, except)` followed by the leaves that differ. Both are
lossless: the first copy is in the output, at `<path>`.

Only values actually written are remembered, so a pointer never leads to
something a cut left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from headroom.compressors.json.analysis import Analysis
from headroom.compressors.json.shapes import Path, leaves, same

__all__ = ["Delta", "Repeats"]

#: Values at least this long (as JSON) are written once; repeats point back.
MIN_REFERENCE = 160
#: Objects with at least this many leaves may be written as a difference.
MIN_DELTA_LEAVES = 8
#: Earlier objects of the same shape compared against (the first ones written).
MAX_BASES = 4


@dataclass(frozen=True, slots=True)
class Delta:
    """How an object differs from one written before."""

    base: str
    paths: list[Path]
    values: list[Any]


class Repeats:
    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self._seen: dict[object, str] = {}
        self._bases: dict[tuple[Path, ...], list[tuple[str, list[Any]]]] = {}

    def seen(self, value: Any, path: str) -> str | None:
        """Where this long value was written before; else remember it at `path`."""
        if isinstance(value, str):
            if len(value) < MIN_REFERENCE:
                return None
            key: object = ("s", value)
        else:
            text = self.analysis.json(value)
            if len(text) < MIN_REFERENCE:
                return None
            key = ("j", text)
        found = self._seen.get(key)
        if found is None:
            self._seen[key] = path
        return found

    def delta(self, obj: dict[str, Any], path: str) -> Delta | None:
        """`obj` as a difference from an alike object written before, or None."""
        shape, values = self._leaves(obj)
        if len(shape) < MIN_DELTA_LEAVES:
            return None
        bases = self._bases.setdefault(shape, [])
        best: tuple[str, list[int]] | None = None
        for base, base_values in bases:
            pairs = enumerate(zip(values, base_values, strict=True))
            differ = [j for j, (a, b) in pairs if not same(a, b)]
            if len(differ) <= len(shape) // 4 and (best is None or len(differ) < len(best[1])):
                best = (base, differ)
        if best is None:
            if len(bases) < MAX_BASES:
                bases.append((path, values))
            return None
        base, differ = best
        return Delta(base, [shape[j] for j in differ], [values[j] for j in differ])

    def _leaves(self, obj: dict[str, Any]) -> tuple[tuple[Path, ...], list[Any]]:
        pairs = list(leaves(obj))
        return tuple(p for p, _ in pairs), [v for _, v in pairs]
