"""The user's question as search terms, and where they occur.

Terms come from `headroom.ccr.units.query_terms` (quoted phrases whole, then
words, ids and numbers), and a term joined by slashes also counts by its
parts (`species/island/sex`). A word matches at the start of a word in the
text, so `issue` finds `issues`, and a word of five letters or more
anywhere (`error` in `IndentationError`); a number must match whole, so
`3` does not find `13` or `3.5`. Terms joined by `/`, `-`, `|` also count
by their parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.ccr.units import query_terms

__all__ = ["Term", "terms_of"]

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_SPLIT = re.compile(r"[/|,;-]+")
#: Words at least this long match inside other words too.
MIN_INFIX = 5
#: Words in a question that ask for an extreme value of some column.
SUPERLATIVES = frozenset(
    {"highest", "lowest", "largest", "smallest", "biggest", "most", "least", "max", "maximum"}
    | {"min", "minimum", "top", "bottom", "heaviest", "lightest", "longest", "shortest"}
    | {"oldest", "newest", "earliest", "latest", "greatest", "fewest", "best", "worst"}
    | {"tallest", "deepest", "fastest", "slowest"}
)


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    pattern: re.Pattern[str]

    def found_in(self, lowered: str) -> bool:
        """Whether the term occurs in `lowered` (already lower-cased text)."""
        return self.text in lowered and self.pattern.search(lowered) is not None


def terms_of(query: str | None) -> list[Term]:
    """The search terms of a question (lower-cased, in order, no duplicates)."""
    if not query:
        return []
    words: list[str] = []
    for term in query_terms(query):
        words.append(term)
        if _SPLIT.search(term) and not term.startswith(("/", "http")):
            words.extend(part for part in _SPLIT.split(term) if len(part) >= 3)
    return [_term(word) for word in dict.fromkeys(words)]


def _term(text: str) -> Term:
    body = re.escape(text)
    if _NUMBER.fullmatch(text):
        return Term(text, re.compile(rf"(?<![\d.]){body}(?![\d]|\.\d)"))
    # Long words match anywhere ("error" in IndentationError); short ones at a word start.
    left = r"(?<![a-z0-9])" if text[0].isalnum() and len(text) < MIN_INFIX else ""
    return Term(text, re.compile(left + body))
