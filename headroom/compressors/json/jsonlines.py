"""JSON lines whose records are not alike stay JSON lines.

Event streams and agent transcripts (one big nested record per line) read
best as what they are: each record stays one line of minified JSON, so a
reader or a tool can still parse every line. Only what is too long
changes: a long string becomes an excerpt holding its markers, a long
array keeps its best items and ends with a marker string, and a long string
seen before becomes `(same as [0].instruction)`. Records themselves are
kept or dropped whole, best first, with one marker line for the dropped.

Records that are alike (a table) go to the outline instead.
"""

from __future__ import annotations

from typing import Any

from headroom.ccr import marker
from headroom.compressors.json.analysis import Analysis, Limits, Rendered
from headroom.compressors.json.parse import Document
from headroom.compressors.json.scalars import child_path, json_text
from headroom.compressors.json.summary import summarize

__all__ = ["render"]

#: Strings at least this long are written once; repeats point back.
MIN_REFERENCE = 160


def render(document: Document, limits: Limits, analysis: Analysis, key: str) -> Rendered:
    """The records as JSON lines under `limits`, and how many cuts were made."""
    writer = _Writer(limits, analysis, key)
    values = document.values
    writer.widest = len(values)
    keep = analysis.keep(values, limits.rows)
    lines = [json_text(writer.shrink(values[i], f"[{i}]")) for i in keep]
    if len(keep) < len(values):
        detail = summarize(analysis.facts(values), set(keep))
        lines.append(writer.mark(len(values) - len(keep), "records", len(values), detail))
    if document.tail:
        lines.append(document.tail)
    return Rendered(
        "\n".join(lines), writer.cuts, writer.prose, writer.longest, writer.widest, False
    )


class _Writer:
    def __init__(self, limits: Limits, analysis: Analysis, key: str) -> None:
        self.limits = limits
        self.analysis = analysis
        self.key = key
        self.cuts = 0
        self.prose = 0
        self.longest = 0
        self.widest = 0
        self._seen: dict[str, str] = {}

    def mark(self, omitted: int, unit: str, total: int | None = None, detail: str = "") -> str:
        self.cuts += 1
        return marker(ccr_id=self.key, omitted=omitted, unit=unit, total=total, detail=detail)

    def shrink(self, value: Any, path: str) -> Any:
        """A copy of `value` with long strings and arrays cut under the limits."""
        if isinstance(value, str):
            return self._string(value, path)
        if isinstance(value, dict):
            return {k: self.shrink(v, child_path(path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return self._array(value, path)
        return value

    def _string(self, text: str, path: str) -> str:
        if len(text) >= MIN_REFERENCE:
            seen = self._seen.setdefault(text, path)
            if seen != path:
                return f"(same as {seen})"
            self.prose += len(text)
            self.longest = max(self.longest, len(text))
        limit = self.limits.chars
        if limit is None or len(text) <= limit:
            return text
        return self.analysis.excerpts.cut(text, limit, self.mark) or text

    def _array(self, items: list[Any], path: str) -> list[Any]:
        self.widest = max(self.widest, len(items))
        keep = self.analysis.keep(items, self.limits.rows)
        out = [self.shrink(items[i], f"{path}[{i}]") for i in keep]
        if len(keep) < len(items):
            detail = summarize(self.analysis.facts(items), set(keep))
            out.append(self.mark(len(items) - len(keep), "items", len(items), detail))
        return out
