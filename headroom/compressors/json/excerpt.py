"""Cutting one long string down to an excerpt.

A multi-line string keeps its first lines, its last lines and, in between,
the lines that match the question or signal an error, up to a character
limit; each run of dropped lines becomes one marker line. A one-line string keeps
its head and a window around each match of the question further on. An
opaque blob (base64, hex, a minified bundle: no spaces) keeps a short head
only: a model cannot read the rest anyway.

The caller passes `mark`, which writes the marker, so every cut is announced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from headroom.compressors.json.terms import Term

__all__ = ["Excerpts", "Mark"]

#: Share of the limit given to the first lines, and to the last lines.
HEAD_SHARE = 0.4
TAIL_SHARE = 0.2
#: Characters shown on each side of a match in a one-line string.
WINDOW = 60
MAX_WINDOWS = 3
BLOB_HEAD = 24
#: Strings this short are never cut: a marker would cost about what it saves.
MIN_CUT = 400
_BLOB = re.compile(r"[A-Za-z0-9+/=_\-.:%]{64,}")
#: Words that make a line worth keeping even when the question does not name them.
_ERROR_WORDS = ("error", "exception", "traceback", "fatal", "fail", "panic")
#: Lines that open a definition: the outline of code worth keeping when room is left.
_LANDMARK = re.compile(
    r"\s*(?:export\s+|pub\s+|async\s+|static\s+)*"
    r"(?:def|class|function|func|fn|interface|struct|impl|enum|type)\s"
)
#: Lines at most this long are kept rather than replaced by a one-line marker.
SHORT_LINE = 80


#: Writes the marker for `omitted` units ("lines" or "chars") left out.
Mark = Callable[[int, str], str]


class Excerpts:
    """Cuts strings for one question, scoring each text's lines once for all passes."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = list(terms)
        self._scored: dict[int, tuple[str, list[str], list[int]]] = {}

    def cut(self, text: str, limit: int, mark: Mark) -> str | None:
        """`text` cut to about `limit` characters with a marker per cut, or None to keep it.

        A multi-line text stays multi-line (markers on lines of their own); a
        one-line text stays on one line.
        """
        if len(text) <= max(limit, MIN_CUT):
            return None
        if "\n" not in text:
            return " ".join(_one_line(text, limit, self.terms, mark))
        found = self._scored.get(id(text))
        if found is None or found[0] is not text:
            lines = text.split("\n")
            found = self._scored[id(text)] = (text, lines, _ranking(lines, self.terms))
        _, lines, ranking = found
        return "\n".join(_lines(lines, ranking, limit, self.terms, mark))


def _one_line(text: str, limit: int, terms: Sequence[Term], mark: Mark) -> list[str]:
    if _BLOB.fullmatch(text[:256]) and " " not in text:
        return [text[:BLOB_HEAD], mark(len(text) - BLOB_HEAD, "chars")]
    head = _cut_at_space(text, max(limit - 2 * WINDOW, limit // 2))
    pieces = [head]
    shown = len(head)
    lowered = text.lower()
    for start, end in _windows(lowered, terms, len(head)):
        if start > shown:
            pieces.append(mark(start - shown, "chars"))
        pieces.append(text[max(start, shown) : end])
        shown = end
    if shown < len(text):
        pieces.append(mark(len(text) - shown, "chars"))
    return pieces


def _cut_at_space(text: str, size: int) -> str:
    space = text.rfind(" ", size // 2, size)
    return text[: space if space > 0 else size]


def _windows(lowered: str, terms: Sequence[Term], after: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for term in terms:
        found = term.pattern.search(lowered, after)
        if found is not None:
            spans.append((max(after, found.start() - WINDOW), found.end() + WINDOW))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, min(end, len(lowered))))
    return merged[:MAX_WINDOWS]


def _lines(
    lines: list[str], ranking: list[int], limit: int, terms: Sequence[Term], mark: Mark
) -> list[str]:
    keep = _kept_lines(lines, ranking, limit)
    out: list[str] = []
    previous = -1
    for i in sorted(keep):
        if i > previous + 1:
            out.append(mark(i - previous - 1, "lines"))
        line = lines[i]
        if len(line) > _line_limit(limit):
            line = " ".join(_one_line(line, _line_limit(limit), terms, mark))
        out.append(line)
        previous = i
    if previous < len(lines) - 1:
        out.append(mark(len(lines) - previous - 1, "lines"))
    return out


def _ranking(lines: list[str], terms: Sequence[Term]) -> list[int]:
    """The lines worth keeping besides head and tail, best first (computed once per text)."""
    scores = [_line_score(line, terms) for line in lines]
    # The line after a match often holds its detail ("ERRORS:" then the error).
    ranked = [max(score, scores[i - 1] / 2 if i else 0.0) for i, score in enumerate(scores)]
    return sorted((i for i, score in enumerate(ranked) if score > 0), key=lambda i: -ranked[i])


def _kept_lines(lines: list[str], ranking: list[int], limit: int) -> set[int]:
    keep: set[int] = set()
    used = _take(range(len(lines)), lines, int(limit * HEAD_SHARE), keep)
    used += _take(range(len(lines) - 1, -1, -1), lines, int(limit * TAIL_SHARE), keep)
    for i in ranking:
        if used >= limit:
            break
        if i not in keep:
            keep.add(i)
            used += min(len(lines[i]), _line_limit(limit)) + 1
    for i in sorted(keep):  # a marker would cost more than one short line between two kept
        if i + 2 in keep and i + 1 not in keep and len(lines[i + 1]) <= SHORT_LINE:
            keep.add(i + 1)
    return keep


def _line_limit(limit: int) -> int:
    """How long one line of a multi-line excerpt may be before it is cut too."""
    return max(limit // 2, MIN_CUT)


def _take(order: range, lines: list[str], budget: int, keep: set[int]) -> int:
    used = 0
    for i in order:
        cost = len(lines[i]) + 1
        if i in keep or (used and used + cost > budget):
            break
        keep.add(i)
        used += min(cost, budget)
    return used


def _line_score(line: str, terms: Sequence[Term]) -> float:
    lowered = line.lower()
    score = sum(2.0 for t in terms if t.found_in(lowered))
    if any(word in lowered for word in _ERROR_WORDS):
        score += 1.0
    if _LANDMARK.match(line):
        score += 0.5
    return score
