"""What in a source file the question is about.

Three signals, from the most to the least certain:

1. **Locations.** A traceback or compiler message in the question
   (`File "x.py", line 120`, `walk.rs:88:5`) points at a line; the function
   that holds it is kept whole.
2. **Names.** A question word that names a function (`should_strip_auth`,
   `res.sendFile`, "the redirects") keeps that function whole. A word that
   matches the names of many functions ("parse" in a parser) selects none of
   them: exact names win over partial ones, and a partial match counts only
   when it is rare.
3. **Lines.** Inside bodies that will be elided, lines holding rare question
   words are kept, ranked by how rare their words are (BM25-like IDF), within
   a small budget. When the question is about errors, lines that raise, throw
   or panic are candidates too, so "what exception is raised when…" finds its
   `raise` even in a body the question does not name.

Matching is case-insensitive and aligned to identifier boundaries
(`Suggestions` matches in `findSuggestions`, `code` does not match in `encode`).
"""

from __future__ import annotations

import math
import posixpath
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import add

from headroom.compressors.code.outline import Function
from headroom.compressors.languages import language_of

_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*|\d+")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: The qualifier in `Qualifier.name`, `Qualifier::name`, `Qualifier#name`, `q->name`.
_QUALIFIER = re.compile(r"([A-Za-z_$][\w$]*)(?:\.|::|#|->)(?=[A-Za-z_$])")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
#: Spans of a question matched whole: quoted text (group 1–3), then URLs, emails,
#: paths, versions and hex ids.
_LITERAL = re.compile(
    r"\"([^\"\n]{3,80})\"|'([^'\n]{3,80})'|`([^`\n]{2,80})`"
    r"|https?://[^\s\"'`<>]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?:[\w.-]+/)+[\w-]+\.[A-Za-z]\w*|(?<![\w.])/(?:[\w.-]+/)*[\w.-]+"
    r"|\bv?\d+(?:\.\d+){1,3}\b|\b[0-9a-f]{8,}(?:-[0-9a-f]{4,})*\b"
)
_STOPWORDS = _word_set(
    """a an the and or but if then else of to in on at by for with from into onto about as is
    are was were be been being do does did done have has had what which who whom whose when
    where why how this that these those it its i me my we our you your he she they them their
    there here can could would should will shall may might must not no yes any all some each
    every get got give show tell find list please just only also than too very out up down
    over under again more most other such same so much many few without within via"""
)
#: Words of questions about code that name no function by themselves.
_GENERIC = _word_set(
    """signature signatures declared declare declaration defined define definition function
    functions method methods parameter parameters param params argument arguments return
    returns returned default defaults type types value values use used uses using call calls
    called class classes file line lines implementation implemented work works
    happen happens mean means"""
)
_ERROR_WORDS = _word_set(
    """error errors exception exceptions raise raises raised throw throws thrown panic panics
    fail fails failed failure message messages err warn warning warnings invalid abort"""
)
#: What a line that raises, throws, panics or builds an error value holds: whole
#: words, then fragments of calls. Found with `str.find` (a regex alternation over
#: the whole file is several times slower).
_ERROR_WORDS_IN_CODE = ("raise", "throw", "panic", "abort", "die")
_ERROR_CALLS = ("Err(", "errors.New(", "Errorf(", "Error(", "Exception(", "Fatal", ".error(")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_PY_LOCATION = re.compile(r"File \"([^\"]+)\", line (\d+)")
_LOCATION = re.compile(r"([\w./\\-]+\.[A-Za-z]{1,5}):(\d+)")
#: A term in more than this share of the lines is too common to select lines.
_COMMON_SHARE = 0.03
_MIN_COMMON = 8
#: A name shared by more functions than this (`new`, `init`) selects none of them.
_MAX_OVERLOADS = 12


@dataclass(frozen=True, slots=True)
class Terms:
    """The question, as the forms its words may take in code (lower case)."""

    #: Forms that may name a function.
    names: tuple[frozenset[str], ...]
    #: Forms that may pick lines.
    words: tuple[frozenset[str], ...]
    about_errors: bool

    @property
    def empty(self) -> bool:
        return not self.words and not self.about_errors


def terms_of(query: str | None) -> Terms:
    """The terms of a question; words of identifiers are split on `.` and `::`.

    In a qualified name (`Session.request`, `Glob::new`) only the last part
    names a function; the qualifiers still count for picking lines. Quoted
    phrases, URLs, paths, emails, versions and hashes are matched whole.
    """
    text = query or ""
    words: dict[str, frozenset[str]] = {}
    for literal in _literals(text):
        words.setdefault(literal, frozenset({literal}))
    rest = _LITERAL.sub(" ", text)
    qualifiers = {q.lower().strip("$_") for q in _QUALIFIER.findall(rest)}
    about_errors = any(w.lower() in _ERROR_WORDS for w in _WORD.findall(text))
    for word in _WORD.findall(text if not words else rest + " " + _quoted_names(text)):
        lowered = word.lower().strip("$_")
        if len(lowered) < 2 or lowered in _STOPWORDS or lowered in words:
            continue
        words[lowered] = frozenset({lowered, _singular(lowered)})
    specific = {word: forms for word, forms in words.items() if word not in _GENERIC}
    names = tuple(
        forms
        for word, forms in specific.items()
        if word not in qualifiers and _IDENTIFIER.fullmatch(word)
    )
    return Terms(names, tuple(specific.values()), about_errors)


def _literals(text: str) -> list[str]:
    """Quoted phrases of several words, and URLs, paths, emails, versions, hashes (lower case)."""
    found = []
    for match in _LITERAL.finditer(text):
        literal = next((g for g in match.groups() if g), match.group())
        if not _IDENTIFIER.fullmatch(literal):
            found.append(literal.lower())
    return found


def _quoted_names(text: str) -> str:
    """The quoted single identifiers of `text` (`'max_depth'`), which stay names."""
    return " ".join(
        g for m in _LITERAL.finditer(text) for g in m.groups() if g and _IDENTIFIER.fullmatch(g)
    )


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def at_boundary(name: str, start: int) -> bool:
    """True when a match at `start` begins an identifier or a part of one."""
    if start == 0:
        return True
    before = name[start - 1]
    if not (before.isalnum() or before == "_" or before == "$"):
        return True
    if name[start].isdigit():
        return not before.isdigit()
    return before in "_$" or (name[start].isupper() and before.islower()) or before.isdigit()


def last_identifiers(names: Iterable[str]) -> tuple[str, ...]:
    """The identifier each name ends with: `res.redirect` is named `redirect`, not `res`."""
    found = []
    for name in names:
        idents = _WORD.findall(name)
        if idents:
            found.append(idents[-1].strip("$_"))
    return tuple(found)


def name_match(forms: frozenset[str], idents: Iterable[str]) -> int:
    """2 when a form is a whole identifier, 1 when it starts a part of one (4+ letters), else 0."""
    best = 0
    for ident in idents:
        lowered = ident.lower()
        if lowered in forms:
            return 2
        for form in forms:
            at = lowered.find(form) if len(form) >= 4 else -1
            if at >= 0 and at_boundary(ident, at):
                best = 1
    return best


def named_functions(functions: Sequence[Function], terms: Terms) -> tuple[list[Function], Terms]:
    """Functions the question names (exact names first, then rare partial matches).

    Also returns the terms left for picking lines: a word that is the exact
    name of a function has done its work (`new` in "Glob::new" should not keep
    every `String::new()` line).
    """
    cap = max(3, len(functions) // 20)
    exact: list[Function] = []
    partial: list[Function] = []
    spent: set[frozenset[str]] = set()
    idents = [last_identifiers(f.names) for f in functions]
    for forms in terms.names:
        scores = [name_match(forms, i) for i in idents]
        whole = [f for f, s in zip(functions, scores, strict=True) if s == 2]
        if whole:
            spent.add(forms)
            if len(whole) <= _MAX_OVERLOADS:
                exact.extend(whole)
            continue
        part = [f for f, s in zip(functions, scores, strict=True) if s == 1]
        if len(part) <= cap:
            partial.extend(part)
    left = tuple(w for w in terms.words if w not in spent)
    return list(dict.fromkeys(exact + partial)), Terms(terms.names, left, terms.about_errors)


def pointed_rows(query: str | None, path: str | None, language: str, first_line: int) -> list[int]:
    """Rows (0-based) that a traceback or compiler location in the question points at.

    A location counts when it names this file (by base name) or, when the
    file's name is unknown, a file in the same language.
    """
    if not query:
        return []
    name = posixpath.basename(path.replace("\\", "/")) if path else None
    rows: list[int] = []
    for pattern in (_PY_LOCATION, _LOCATION):
        for match in pattern.finditer(query):
            where = posixpath.basename(match.group(1).replace("\\", "/"))
            same = where == name if name else language_of(where) == language
            if same:
                rows.append(int(match.group(2)) - first_line)
    return rows


@dataclass(frozen=True, slots=True)
class LineIndex:
    """The code as one string, with the offset each row starts at."""

    text: str
    starts: list[int]
    #: `text` in lower case, offset for offset (ASCII-only lowering when that would shift).
    lowered: str

    @classmethod
    def of(cls, text: str, lines: Sequence[str]) -> LineIndex:
        """The index of `text`, which is `lines` joined by newlines."""
        lengths = accumulate(map(len, lines), initial=0)
        starts = list(map(add, lengths, range(len(lines))))
        lowered = text.lower()
        if len(lowered) != len(text):
            lowered = text.translate(_ASCII_LOWER)
        return cls(text, starts, lowered)

    def row(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1


def hit_rows(index: LineIndex, terms: Terms, candidate: bytearray) -> list[int]:
    """The `candidate` rows that match the question, best first."""
    n = len(index.starts)
    common = max(_MIN_COMMON, int(n * _COMMON_SHARE))
    scores: dict[int, float] = {}
    for rows in _rows_per_term(index, terms.words, common):
        if not rows or len(rows) > common:
            continue
        weight = math.log(1 + n / len(rows))
        for row in rows:
            if candidate[row]:
                scores[row] = scores.get(row, 0.0) + weight
    if terms.about_errors:
        for row in {index.row(offset) for offset in _error_offsets(index.text)}:
            if candidate[row]:
                scores[row] = scores.get(row, 0.0) + 1.0
    return sorted(scores, key=lambda r: (-scores[r], r))


def _error_offsets(text: str) -> set[int]:
    """Where `text` raises, throws, panics or builds an error (offsets of the fragments)."""
    found: set[int] = set()
    for fragment in (*_ERROR_WORDS_IN_CODE, *_ERROR_CALLS):
        whole = fragment in _ERROR_WORDS_IN_CODE
        at = text.find(fragment)
        while at >= 0:
            end = at + len(fragment)
            if not whole or (
                (at == 0 or not _is_word_char(text[at - 1]))
                and (end >= len(text) or not _is_word_char(text[end]) or text[end] == "s")
            ):
                found.add(at)
            at = text.find(fragment, end)
    return found


def _rows_per_term(index: LineIndex, words: Sequence[frozenset[str]], limit: int) -> list[set[int]]:
    """For each term, the rows where one of its forms occurs at an identifier boundary.

    A term seen on more than `limit` rows stops being counted (it is too common
    to select anything).
    """
    text, lowered = index.text, index.lowered
    rows: list[set[int]] = []
    for forms in words:
        found: set[int] = set()
        for form in forms:
            at = lowered.find(form)
            while at >= 0 and len(found) <= limit:
                end = at + len(form)
                after = text[end] if end < len(text) else " "
                whole_word = not (form[-1].isdigit() and after.isdigit()) and (
                    len(form) >= 3 or not _is_word_char(after)
                )
                if whole_word and at_boundary(text, at):
                    found.add(index.row(at))
                at = lowered.find(form, end)
        rows.append(found)
    return rows


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"
