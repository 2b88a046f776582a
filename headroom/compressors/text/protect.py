"""Protected spans: identifiers that a later step must keep whole, or not at all.

Extraction keeps whole units, so it never cuts inside an identifier. A
token-level step that runs on the kept text (the optional ML backend) could,
so it asks `protected_spans` where the UUIDs, hashes, URLs, emails, paths,
version strings and the numbers of the question are, and leaves them intact.
"""

from __future__ import annotations

import re

from headroom.compressors.text.terms import query_terms

__all__ = ["PROTECTED", "protected_spans"]

#: Identifiers protected in any text, most specific first.
PROTECTED = re.compile(
    r"""
      [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}  # UUID
    | \b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>"'`)\]]+                               # URL
    | \b[\w.+-]+@[\w-]+(?:\.[\w-]+)+                                                # email
    | \b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b                           # hash
    | (?<![\w.~-])(?:~|\.{1,2})?/[\w.~+-]+(?:/[\w.~+-]+)*                          # /path
    | \b[A-Za-z]:\\[\w.~+-]+(?:\\[\w.~+-]+)*                                        # C:\path
    | \b[\w.-]+(?:/[\w.-]+)+\.[A-Za-z]\w{0,9}\b | \b[\w.-]+(?:/[\w.-]+){2,}            # a/b.py
    | \bv?\d+\.\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.]+)?\b                                # version
    """,
    re.VERBOSE,
)
_TRAILING = ".,;:!?"


def protected_spans(text: str, query: str | None = None) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) offsets of the protected spans of `text`."""
    spans = [(m.start(), _trim(text, m.start(), m.end())) for m in PROTECTED.finditer(text)]
    for literal in query_terms(query).literals:
        pattern = re.compile(rf"(?<![\w.]){re.escape(literal)}(?!\w)")
        spans.extend((m.start(), m.end()) for m in pattern.finditer(text))
    return _merge(spans)


def _trim(text: str, start: int, end: int) -> int:
    """A span's end without the sentence punctuation that follows it."""
    while end > start + 1 and text[end - 1] in _TRAILING:
        end -= 1
    return end


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
