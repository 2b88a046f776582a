"""How well each line (or path) of a search answers the question.

The question's terms come from `headroom.ccr.units.query_terms`, then:

- words of questions about search results that name no content ("where",
  "defined", "line", "file") are dropped;
- a compound term (`Session.request`, `express.json`, `HARD_TIMEOUT`,
  `/user/:user`) is looked for whole, with double weight, and by its parts
  (three letters or more), with half weight;
- a word is reduced to its stem (`failures` finds `failed`, `deprecation`
  finds `DEPRECATED`) and also looked for by its usual abbreviation in code
  (`error` finds `err`, `message` finds `msg`);
- short terms, numbers and abbreviations must stand alone (`rg` does not
  match `args`).

A line's score adds, for each term it contains, the term's weight times its
rarity among the lines (inverse document frequency: the pattern every line
matched weighs little), a little more when the term appears several times,
and half again when it stands as a whole word. A numeric term also matches a
line's number. Scoring looks for every term once over the joined text, so it
is linear in the input.
"""

from __future__ import annotations

import math
import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from headroom.ccr.units import query_terms

__all__ = ["Term", "defined_names", "score_texts", "search_terms", "stem", "term_scores"]

#: At most this many query terms are used (a pasted paragraph is not a query).
MAX_TERMS = 24
#: Bonus factor for a term found as a whole word (or a short inflection of it).
WHOLE_WORD_BONUS = 1.5
#: Parts of a compound term shorter than this are ignored (`py` of `bash.py`).
MIN_PART_LENGTH = 3
#: Terms this short must stand alone between non-alphanumeric characters.
MAX_BOUNDED_LENGTH = 3

_QUESTION_WORDS = frozenset(
    {"where", "defined", "define", "defines", "definition", "declared", "declare"}
    | {"located", "location", "line", "lines", "file", "files", "mention", "mentions"}
    | {"mentioned", "contain", "contains", "occurrence", "occurrences", "match"}
    | {"matches", "search", "result", "results", "grep", "ripgrep"}
)
_SUFFIXES = (
    "ations", "ation", "ings", "ing", "ions", "ion", "ities", "ity", "ures", "ure",
    "ments", "ment", "ables", "able", "ies", "ers", "er", "ed", "es", "ly", "s",
)  # fmt: skip
_MIN_STEM = 4
#: Words whose final `s` is not a plural: `express`, `status`, `analysis`.
_KEEP_FINAL_S = ("ss", "us", "is")
_ABBREVIATIONS = {
    "error": "err", "request": "req", "response": "res", "message": "msg",
    "context": "ctx", "config": "cfg", "configuration": "cfg", "function": "fn",
    "argument": "arg", "arguments": "args", "parameter": "param", "directory": "dir",
    "reference": "ref", "string": "str", "number": "num", "value": "val",
    "temporary": "tmp", "database": "db", "index": "idx", "pointer": "ptr",
    "length": "len", "source": "src", "destination": "dst", "attribute": "attr",
    "exception": "exc", "environment": "env", "initialize": "init", "previous": "prev",
    "callback": "cb", "document": "doc", "information": "info", "address": "addr",
}  # fmt: skip
_PARTS = re.compile(r"[^a-z0-9]+")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_WORD = _ALNUM | {"_"}


#: A line that defines a name: `def name(`, `func (c *T) Name(`, `class Name`,
#: `export function name`, `#define NAME`, `NAME = …`, `name: Type = …`.
_DEFINITION = re.compile(
    r"""\s*(?:(?:export|pub(?:\([^)]*\))?|public|private|protected|static|async|abstract
              |final|default|declare|unsafe|extern|inline|virtual|override)\s+)*
    (?:(?:def|func|fn|function\*?|class|struct|enum|interface|trait|type|const|let|var
        |impl|module|mod|macro_rules!|\#\s*define|sub|proc)\s+
        (?:\([^)]*\)\s*)?                         # a Go method's receiver
      | (?=[A-Za-z_$][\w$.]*(?::[^=]*)?\s=[^=]))     # `NAME = …`, not a `name=value` argument
    ([A-Za-z_$][\w$]*)""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Term:
    """One string to look for, lower-cased."""

    text: str
    weight: float
    #: Must stand alone between non-alphanumeric characters.
    bounded: bool = False

    @property
    def number(self) -> int | None:
        return int(self.text) if self.text.isdigit() and len(self.text) < 10 else None


def stem(word: str) -> str:
    """`word` without one common English suffix, when at least four letters stay."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            if suffix == "s" and word.endswith(_KEEP_FINAL_S):
                return word
            return word[: -len(suffix)]
    return word


def defined_names(texts: Sequence[str], terms: Sequence[Term]) -> list[bool]:
    """For each text, whether it defines a name the terms ask for.

    The name must be a term, or a term (a stem) plus at most a short ending:
    `class Requests` answers `requests`, whose stem is `request`.
    """
    wanted = [t.text for t in terms if not t.bounded or t.text.isidentifier()]
    exact = frozenset(wanted)
    result = []
    for text in texts:
        m = _DEFINITION.match(text)
        name = m.group(1).lower() if m is not None else ""
        result.append(
            bool(name)
            and (
                name in exact or any(name.startswith(w) and len(name) - len(w) <= 4 for w in wanted)
            )
        )
    return result


def search_terms(query: str | None) -> list[Term]:
    """The terms to look for in a search's lines for `query`, strongest first."""
    if not query:
        return []
    found: dict[str, Term] = {}

    def add(text: str, weight: float, *, bounded: bool = False) -> None:
        bounded = bounded or len(text) <= MAX_BOUNDED_LENGTH or text.isdigit()
        old = found.get(text)
        if old is None or old.weight < weight:
            found[text] = Term(text, weight, bounded)

    for raw in query_terms(query):
        parts = [p for p in _PARTS.split(raw) if p]
        if not parts or raw in _QUESTION_WORDS:
            continue
        if parts == [raw]:
            add(stem(raw), 1.0)
            _add_abbreviation(add, raw, 0.5)
            continue
        add(raw, 2.0)
        for part in parts:
            if len(part) >= MIN_PART_LENGTH and part not in _QUESTION_WORDS:
                add(stem(part), 0.5)
                _add_abbreviation(add, part, 0.25)
    return sorted(found.values(), key=lambda t: -t.weight)[:MAX_TERMS]


def _add_abbreviation(add: Callable[..., None], word: str, weight: float) -> None:
    short = _ABBREVIATIONS.get(word)
    if short is not None:
        add(short, weight, bounded=True)


def score_texts(
    texts: Sequence[str],
    terms: Sequence[Term],
    numbers: Sequence[int | None] = (),
) -> list[float]:
    """One score per text: how much of the query it contains (0.0: none of it)."""
    scores = [0.0] * len(texts)
    for contributions in term_scores(texts, terms, numbers):
        for i, value in contributions.items():
            scores[i] += value
    return scores


def term_scores(
    texts: Sequence[str],
    terms: Sequence[Term],
    numbers: Sequence[int | None] = (),
) -> list[dict[int, float]]:
    """For each term, what it adds to the score of each text that contains it."""
    n = len(texts)
    if not terms or not n:
        return [{} for _ in terms]
    joined = "\n".join(texts)
    if joined.count("\n") != n - 1:  # a multi-line match (`rg -U`)
        joined = "\n".join(t.replace("\n", " ") for t in texts)
    joined = joined.lower()
    newlines = [m.start() for m in re.finditer("\n", joined)]
    result: list[dict[int, float]] = []
    for term in terms:
        hits = _hits(joined, newlines, term)
        idf = math.log(1.0 + n / len(hits)) if hits else 0.0
        contributions = {i: term.weight * idf * _boost(*hit) for i, hit in hits.items()}
        _score_number(contributions, term, numbers)
        result.append(contributions)
    return result


def _boost(count: int, whole: bool) -> float:
    """More for a term seen several times on a line, and for a whole word."""
    return (1.0 + 0.5 * math.log(count)) * (WHOLE_WORD_BONUS if whole else 1.0)


def _hits(joined: str, newlines: list[int], term: Term) -> dict[int, tuple[int, bool]]:
    """For each line containing `term`: how often, and whether once as a whole word.

    Patterns open with the literal term so the regex engine can skip ahead
    to it; the character before a match is checked here instead of with a
    lookbehind, which would make the engine try every position.
    """
    body = re.escape(term.text)
    if term.bounded:
        counts = _per_line(re.finditer(body + r"(?![a-z0-9])", joined), joined, newlines, _ALNUM)
    else:
        counts = _per_line(re.finditer(body, joined), joined, newlines, frozenset())
    if not counts:
        return {}
    whole = re.finditer(body + r"[a-z0-9_]{0,4}(?![a-z0-9_])", joined)
    whole_lines = _per_line(whole, joined, newlines, _WORD)
    return {i: (count, i in whole_lines) for i, count in counts.items()}


def _per_line(
    matches: Iterator[re.Match[str]], joined: str, newlines: list[int], not_before: frozenset[str]
) -> dict[int, int]:
    """How many `matches` fall on each line, skipping those after a `not_before` character."""
    counts: dict[int, int] = {}
    line, line_end = -1, -1
    for m in matches:
        start = m.start()
        if not_before and start and joined[start - 1] in not_before:
            continue
        if start > line_end:
            line = bisect_right(newlines, start)
            line_end = newlines[line] if line < len(newlines) else sys.maxsize
            counts[line] = 0
        counts[line] += 1
    return counts


def _score_number(
    contributions: dict[int, float], term: Term, numbers: Sequence[int | None]
) -> None:
    """A number in the query also matches the line with that number."""
    wanted = term.number
    if wanted is None:
        return
    rarity = math.log(1.0 + len(numbers))
    for i, number in enumerate(numbers):
        if number == wanted:
            contributions[i] = contributions.get(i, 0.0) + term.weight * rarity
