"""Which hunks a question is about, and which of the rest fit the budget.

A hunk is scored by the query terms it contains: in its changed lines (full
weight), its context lines and `@@` heading (half) or its file's path (half).
Each term weighs by how rare it is among the hunks (an inverse document
frequency); a term found in more than half of them tells nothing and weighs
nothing, unless every term is that common. Terms are the query's words and
identifiers (`headroom.ccr.query_terms`), the parts of compound identifiers
(`pkg-config` also looks for `pkg` and `config`), and a crude stem of long
words (`completions` finds `clap_complete`), minus words that describe diffs
rather than their content (`patch`, `file`, `added`).

Selection then takes, within a character budget:
1. the matching hunks, best first (the best one even when it alone is over
   budget, up to `BEST_MATCH_OVER_BUDGET` budgets);
2. then whole files, smallest first, so what is shown reads as whole changes;
3. then the smallest of the hunks left, so as many hunks as possible are shown.
Hunks of lockfiles and generated files are only ever taken when they match.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from headroom.ccr.units import query_terms

__all__ = ["BEST_MATCH_OVER_BUDGET", "Candidate", "Term", "scores", "select", "terms_of"]

#: Words of questions about diffs that say nothing about which hunk is meant.
_DIFF_WORDS_TEXT = """
patch patches diff diffs hunk hunks commit file files line lines change changes changed changing
add adds added remove removes removed new old modify modified modifies touch touches touched
introduce introduces introduced replace replaces replaced move moves moved code does doing done
use uses used
"""
_DIFF_WORDS = frozenset(_DIFF_WORDS_TEXT.split())
_PARTS = re.compile(r"[-_./:>()\[\]]+")
_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ies", "es", "ed", "s")
_MIN_STEM = 4
_SHORT = 3
#: How much a match in context, in the `@@` heading or in the path counts.
_WEAK = 0.5
#: How much a machine-written file's hunk counts next to a hand-written one.
_GENERATED_WEIGHT = 0.5
#: The best match is shown even when it alone is over budget, up to this many budgets.
BEST_MATCH_OVER_BUDGET = 4


@dataclass(frozen=True, slots=True)
class Term:
    """A query term and the spellings that count as finding it.

    `spellings` are found anywhere (inside identifiers too); `words` are short
    spellings that must stand alone (`ci` in `ci.yml`, not in `specific`).
    """

    word: str
    spellings: tuple[str, ...]
    words: tuple[re.Pattern[str], ...]

    def found_in(self, text: str) -> bool:
        return any(s in text for s in self.spellings) or any(p.search(text) for p in self.words)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What selection needs to know about one hunk (texts lower-cased)."""

    changes: str
    context: str
    path: str
    size: int
    generated: bool
    #: Which file the hunk belongs to.
    file: int


def terms_of(query: str | None) -> list[Term]:
    """The query's search terms, each with its variants."""
    if not query:
        return []
    words: list[str] = []
    for term in query_terms(query):
        words.append(term)
        words.extend(p for p in _PARTS.split(term) if len(p) >= _SHORT)
    unique = [w for w in dict.fromkeys(words) if w not in _DIFF_WORDS and w.strip()]
    return [_term(w) for w in unique]


def _term(word: str) -> Term:
    """A short word must stand alone; a long one may sit inside an identifier."""
    variants = list(dict.fromkeys([word, *_stems(word)]))
    long = tuple(v for v in variants if len(v) > _SHORT)
    short = tuple(
        re.compile(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])")
        for v in variants
        if len(v) <= _SHORT
    )
    return Term(word, long, short)


def _stems(word: str) -> list[str]:
    if not word.isalpha():
        return []
    for suffix in _SUFFIXES:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= _MIN_STEM:
            return [stem]
    return []


def scores(candidates: Sequence[Candidate], terms: Sequence[Term]) -> list[float]:
    """Each candidate's relevance to the terms (0.0: no match)."""
    found = [_found(c, terms) for c in candidates]
    total = len(candidates)
    df = [sum(1 for f in found if f[t] > 0) for t in range(len(terms))]
    rare = [0 < d <= max(1, total // 2) for d in df]
    use = rare if any(rare) else [d > 0 for d in df]
    weights = [math.log(1 + total / d) if u else 0.0 for d, u in zip(df, use, strict=True)]
    out: list[float] = []
    for candidate, strengths in zip(candidates, found, strict=True):
        score = sum(w * s for w, s in zip(weights, strengths, strict=True))
        out.append(score * (_GENERATED_WEIGHT if candidate.generated else 1.0))
    return out


def _found(candidate: Candidate, terms: Sequence[Term]) -> list[float]:
    strengths: list[float] = []
    for term in terms:
        if term.found_in(candidate.changes):
            strengths.append(1.0)
        elif term.found_in(candidate.context) or term.found_in(candidate.path):
            strengths.append(_WEAK)
        else:
            strengths.append(0.0)
    return strengths


def select(candidates: Sequence[Candidate], terms: Sequence[Term], budget: int) -> set[int]:
    """Indexes of the candidates to show in full, within `budget` characters."""
    relevance = scores(candidates, terms) if terms else [0.0] * len(candidates)
    picker = _Picker(candidates, budget)
    matched = sorted((i for i, s in enumerate(relevance) if s > 0), key=lambda i: -relevance[i])
    if matched and not candidates[matched[0]].generated:
        picker.take(matched[0], limit=budget * BEST_MATCH_OVER_BUDGET)
    for i in matched:
        picker.take(i)
    rest = [i for i, c in enumerate(candidates) if i not in picker.chosen and not c.generated]
    by_file: dict[int, list[int]] = {}
    for i in rest:
        by_file.setdefault(candidates[i].file, []).append(i)
    for hunks in sorted(by_file.values(), key=lambda hs: (sum(candidates[i].size for i in hs), hs)):
        picker.take_all(hunks)
    for i in sorted(rest, key=lambda i: (candidates[i].size, i)):
        picker.take(i)
    return picker.chosen


class _Picker:
    """Chosen candidates and the budget they use."""

    def __init__(self, candidates: Sequence[Candidate], budget: int) -> None:
        self.candidates = candidates
        self.budget = budget
        self.used = 0
        self.chosen: set[int] = set()

    def take(self, i: int, *, limit: int | None = None) -> None:
        size = self.candidates[i].size
        if i not in self.chosen and self.used + size <= (limit or self.budget):
            self.chosen.add(i)
            self.used += size

    def take_all(self, hunks: list[int]) -> None:
        """All of a file's remaining hunks, or none of them."""
        size = sum(self.candidates[i].size for i in hunks if i not in self.chosen)
        if self.used + size <= self.budget:
            self.chosen.update(hunks)
            self.used += size
