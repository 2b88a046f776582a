"""Which log records a question points at, and how strongly.

The question's terms (`headroom.ccr.units.query_terms`: quoted phrases,
words, numbers, ids, times) are looked up in the log, with a few variants
each, because people do not ask in the log's spelling: "crashed" finds
"crash", "sync-failed" finds "sendSyncFailedBroadcast", "timeout" finds
"timed out". A term weighs by how rare it is (inverse document frequency over
records), so "service" in a log full of services counts for little and a
block id or a time of day for a lot. Numbers must match whole: "node-5" does
not match "node-50". "first" and "last" are not looked up; they ask for the
first or last occurrence of what the other terms match.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from headroom.ccr.units import query_terms

__all__ = ["QueryMatch", "match_query"]

_FIRST = frozenset({"first", "earliest", "initial", "initially"})
_LAST = frozenset({"last", "latest", "final", "finally", "recent", "lastly"})
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "timeout": ("timed out", "time out", "timed-out"),
    "timeouts": ("timed out", "time out"),
    "disconnected": ("disconnect",),
    "unresolvable": ("could not resolve", "unable to resolve"),
}
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s")
_PART_SPLIT = re.compile(r"[-_\s]+")
#: A variant found more often than in half the records (or this many times in
#: a short log) tells little and is skipped: counting it is cheaper than scoring it.
_MIN_MATCH_CAP = 64

#: Weight of a variant next to the term as typed.
_JOINED, _STEM, _SYNONYM, _PART = 0.9, 0.8, 0.8, 0.4
#: Weight of a match inside a longer word ("fail" in "SyncFailed").
_EMBEDDED = 0.6


@dataclass(frozen=True, slots=True)
class QueryMatch:
    """Scores of the records a query matches (record index → score)."""

    scores: dict[int, float] = field(default_factory=dict)
    want_first: bool = False
    want_last: bool = False
    #: The highest score (0.0 when nothing matches).
    best: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "best", max(self.scores.values(), default=0.0))

    def ranked(self) -> list[int]:
        """Matching records, best first (earlier first among equals)."""
        return sorted(self.scores, key=lambda r: (-self.scores[r], r))


def match_query(
    query: str | None, lowered: str, line_starts: list[int], record_of_line: list[int]
) -> QueryMatch:
    """Score the records of a log for `query`.

    `lowered` is the log in lower case, `line_starts` the offset of each of
    its lines and `record_of_line` the record each line belongs to.
    """
    if not query:
        return QueryMatch()
    terms = query_terms(query)
    words = set(terms)
    records = record_of_line[-1] + 1 if record_of_line else 0
    cap = max(_MIN_MATCH_CAP, records // 2)
    scores: dict[int, float] = {}
    for term in terms:
        if term in _FIRST or term in _LAST:
            continue
        best: dict[int, float] = {}
        for variant, weight in _variants(term):
            hits = _hits(variant, lowered, line_starts, record_of_line, cap)
            if hits is None or not hits:
                continue
            idf = math.log((records + 1) / (len(hits) + 0.5))
            for record, fit in hits.items():
                best[record] = max(best.get(record, 0.0), weight * fit * idf)
        for record, score in best.items():
            scores[record] = scores.get(record, 0.0) + score
    return QueryMatch(scores, bool(words & _FIRST), bool(words & _LAST))


def _variants(term: str) -> Iterator[tuple[str, float]]:
    yield term, 1.0
    parts = [p for p in _PART_SPLIT.split(term) if p]
    if len(parts) > 1:
        yield "".join(parts), _JOINED
        for part in parts:
            if len(part) >= 3 and part.isalpha():
                yield part, _PART
    stem = _stem(term)
    if stem != term:
        yield stem, _STEM
    for synonym in _SYNONYMS.get(term, ()):
        yield synonym, _SYNONYM


def _stem(term: str) -> str:
    if not term.isalpha():
        return term
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            return term[: -len(suffix)]
    return term


def _hits(
    variant: str, lowered: str, line_starts: list[int], record_of_line: list[int], cap: int
) -> dict[int, float] | None:
    """Record → how well `variant` matches in it; None when it is everywhere."""
    if lowered.count(variant) > cap:
        return None
    found: dict[int, float] = {}
    digit_start, digit_end = variant[:1].isdigit(), variant[-1:].isdigit()
    size = len(lowered)
    for match in re.finditer(re.escape(variant), lowered):
        a, b = match.span()
        before = lowered[a - 1] if a else " "
        after = lowered[b] if b < size else " "
        if (digit_start and before.isdigit()) or (digit_end and after.isdigit()):
            continue
        fit = _EMBEDDED if before.isalnum() or after.isalnum() else 1.0
        record = record_of_line[bisect.bisect_right(line_starts, a) - 1]
        if fit > found.get(record, 0.0):
            found[record] = fit
    return found
