"""Query terms, and finding them in a document without tokenizing all of it.

A question becomes a few terms: its words without stop words, cut to a light
stem (`quoting`, `quotes` → `quot`), its numbers, and for Chinese, Japanese
and Korean text the character pairs of each run (these scripts do not put
spaces between words). The terms are compiled into one regular expression
that matches the inflections of each stem (`quot` finds `quote`, `quoted`,
`quotation`) between word boundaries, where `_` and `-` also separate words
so `Py_GIL_DISABLED` and `--disable-gil` are found by `gil` and `disabled`.
One scan of the document then gives every hit, which is how relevance stays
linear in the size of the document.

The question's numbers and identifiers (versions, paths, URLs, ids) are also
kept as literals: a unit that contains one is protected, see `protect`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["QueryTerms", "cjk_pairs", "query_terms", "stem"]

_WORD = re.compile(r"[^\W_]+")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_STOPWORD_TEXT = """
    a an the and or but if then else of to in on at by for with from into onto about as is
    are was were be been being do does did done have has had what which who whom whose when
    where why how this that these those it its i me my we our you your he she they them their
    there here can could would should will shall may might must not no yes any all some each
    every get got give show tell find list please just only also than too very out up down
    over under again more most other such same so much many few use used uses using one
    describe explain mean means meaning say says said called call whats"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SUFFIXES = (
    "ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly", "e", "y",
)  # fmt: skip
#: Characters from here on (CJK, Hangul…) are words of another script: a boundary for Latin.
_WIDE = "\u2e80"
#: The rest of a word after a term: letters and digits, up to a wide-script character.
_REST_OF_WORD = re.compile(r"[^\W_\u2e80-\U0010ffff]*")
#: After a number: a decimal part makes it another number (`3` is not found in `3.9`).
_DECIMAL_TAIL = re.compile(r"[.,]\d")
#: What may follow a stem in a word for the word to count as the term.
_INFLECTION_TEXT = "e es s ed d ing ings er ers ion ions ation ations ly y ies ied al ally"
_INFLECTION_SET = frozenset(["", *_INFLECTION_TEXT.split()])
#: Numbers and identifiers in a question that a kept unit must contain verbatim.
_LITERAL = re.compile(
    r"""
      https?://\S+                                     # URL
    | [\w.+-]+@[\w-]+\.[\w.-]+                         # email
    | (?<![\w.~-])(?:~|\.{1,2})?/[\w.-]+(?:/[\w.-]+)*   # /abs/path, ./rel, ~/home
    | [\w.-]+(?:/[\w.-]+)+\.[A-Za-z]\w{0,9}\b          # src/pkg/file.py
    | \b(?=[0-9a-f]*\d)[0-9a-f]{7,}\b                   # hash
    | \bv?\d+(?:[.:,_-]\d+)*\b                          # number, version, time
    """,
    re.IGNORECASE | re.VERBOSE,
)


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light English stem: a common suffix off (`quoting` → `quot`), lower-cased."""
    word = word.lower()
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return word


def cjk_pairs(run: str) -> list[str]:
    """Overlapping character pairs of a CJK run (the run itself when it is one character)."""
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """A question's terms (stems, numbers, CJK pairs) and its literal identifiers."""

    terms: tuple[str, ...]
    literals: tuple[str, ...]

    def hits(self, lowered: str) -> list[tuple[int, int]]:
        """(offset, term index) of every hit in `lowered` (a lower-cased text), by offset.

        Each term is looked for with `str.find`, and a find counts when it
        starts a word and ends in an inflection: a few fast scans instead of a
        regular expression tried at every position.
        """
        found: list[tuple[int, int]] = []
        for index, term in enumerate(self.terms):
            found.extend((offset, index) for offset in _find_term(lowered, term))
        found.sort()
        return found

    def __bool__(self) -> bool:
        return bool(self.terms)


def query_terms(query: str | None) -> QueryTerms:
    """The terms of `query` (empty for no question)."""
    if not query or not query.strip():
        return QueryTerms((), ())
    literals = tuple(dict.fromkeys(m.group(0).rstrip(".,;:") for m in _LITERAL.finditer(query)))
    literals = tuple(x for x in literals if x and (not x.isdigit() or len(x) >= 2))
    terms: list[str] = []
    for word in _WORD.findall(query):
        for run_or_word in _split_cjk(word):
            terms.extend(run_or_word)
    terms.extend(x.lower() for x in literals if not x.isdigit())  # `2.4.1`, paths, ids
    return QueryTerms(tuple(dict.fromkeys(terms)), literals)


def _find_term(lowered: str, term: str) -> list[int]:
    """Offsets in `lowered` where `term` starts a word (or, in CJK, anywhere)."""
    if _CJK_RUN.fullmatch(term) is not None:
        return _find_all(lowered, term)
    inflected = term.isascii() and term.isalpha() and len(term) >= 3
    offsets: list[int] = []
    for pos in _find_all(lowered, term):
        if not _word_starts(lowered, pos):
            continue
        end = pos + len(term)
        match = _REST_OF_WORD.match(lowered, end)
        rest = match.group() if match else ""
        if not rest:
            if not term.isdigit() or not _DECIMAL_TAIL.match(lowered, end):
                offsets.append(pos)
        elif inflected and (
            rest in _INFLECTION_SET or (rest[0] == term[-1] and rest[1:] in _INFLECTION_SET)
        ):
            offsets.append(pos)
    return offsets


def _find_all(text: str, term: str) -> list[int]:
    found = []
    pos = text.find(term)
    while pos >= 0:
        found.append(pos)
        pos = text.find(term, pos + len(term))
    return found


def _word_starts(text: str, pos: int) -> bool:
    """Whether a word starts at `pos`: after a non-letter, or where the script changes."""
    if pos == 0:
        return True
    before = text[pos - 1]
    return not before.isalnum() or (before >= _WIDE) != (text[pos] >= _WIDE)


def _split_cjk(word: str) -> Iterator[list[str]]:
    """The terms of one query word: its CJK pairs and its stem (stop words dropped)."""
    rest = word
    for run in _CJK_RUN.findall(word):
        yield cjk_pairs(run)
        rest = rest.replace(run, " ")
    for part in rest.split():
        lowered = part.lower()
        if lowered in _STOPWORDS or (len(lowered) < 2 and not lowered.isdigit()):
            continue
        yield [stem(lowered)]
