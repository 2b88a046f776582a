"""What the model may never drop: protected spans, numbers and the question's terms.

A learned model scores words by how much a reader needs them, and it is wrong
now and then. The exact strings an agent acts on are too costly to lose that
way, so words overlapping these spans are always kept:

- UUIDs, hex hashes, URLs, emails, file paths, version strings and
  identifiers that mix letters and digits or contain an underscore;
- numbers the question mentions (`1,500` in the text matches `1500` in the
  question);
- words that carry one of the question's content terms (query-awareness: the
  model itself does not see the question).

Callers may add their own spans (headings, code, anything they must keep).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from headroom.compressors.text_model.words import Words

_I = re.IGNORECASE
_PATTERNS = (
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", _I),
    re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b", _I),
    re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\"'`]+", _I),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"(?<![\w/])(?:~|\.{1,2})?/[\w.@%+~-]+(?:/[\w.@%+~-]*)*"),
    re.compile(r"\b[\w.-]+(?:/[\w.-]+)+"),
    re.compile(r"\b[a-z]:\\[^\s]+", _I),
    re.compile(r"\bv?\d+(?:\.\d+)+(?:[-+][0-9a-z.]+)?\b", _I),
    re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[a-z])[a-z0-9][\w-]*", _I),
    re.compile(r"\b\w+_\w+"),
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_TERM = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")

#: Question words too common to say what the question is about.
_STOP_WORDS = """
    the and for are was were what which who whom whose when where why how does did
    this that these those with from into about than then there their they them have
    has had been being will would should could can not but its our your you any all
    each per use used using out one also some such only other more most much many
    very just over under between after before same both here his her she him via may
    might must shall say says said tell give list show find get got make made
"""
_STOP = frozenset(_STOP_WORDS.split())

Span = tuple[int, int]


def protected_spans(text: str, query: str | None = None) -> list[Span]:
    """Character spans of `text` that must survive: identifiers and the question's numbers."""
    spans = [m.span() for pattern in _PATTERNS for m in pattern.finditer(text)]
    wanted = {_plain(n) for n in _NUMBER.findall(query or "")}
    if wanted:
        spans += [m.span() for m in _NUMBER.finditer(text) if _plain(m.group()) in wanted]
    return sorted(spans)


def query_terms(query: str | None) -> frozenset[str]:
    """The question's content words, case-folded: 3+ characters and not a stop word."""
    terms = {t.casefold() for t in _TERM.findall(query or "")}
    return frozenset(t for t in terms if len(t) >= 3 and t not in _STOP)


def forced_words(
    words: Words,
    spans: Iterable[Span],
    *,
    terms: frozenset[str] = frozenset(),
    numbers: bool = False,
) -> list[bool]:
    """For each word: must it be kept (overlaps a span, has a term, or a digit)?"""
    forced = [False] * len(words)
    for start, end in spans:
        _mark_overlaps(words.ends, words.starts, start, end, forced)
    if terms or numbers:
        for i in range(len(words)):
            forced[i] = forced[i] or _carries(words.word(i), terms, numbers)
    return forced


def _carries(word: str, terms: frozenset[str], numbers: bool) -> bool:
    """Does `word` hold a digit (when numbers count) or one of the question's terms?"""
    if numbers and _DIGIT.search(word):
        return True
    return bool(terms) and any(t.casefold() in terms for t in _TERM.findall(word))


def _mark_overlaps(
    ends: Sequence[int], starts: Sequence[int], start: int, end: int, forced: list[bool]
) -> None:
    i = bisect_right(ends, start)
    while i < len(starts) and starts[i] < max(end, start + 1):
        forced[i] = True
        i += 1


def _plain(number: str) -> str:
    return number.replace(",", "").rstrip(".")
