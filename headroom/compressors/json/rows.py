"""Which rows of a long array to keep: scored by what they say, not where they are.

A row scores for:

- matching the question: each term found in it, rarer terms weighing more
  (a term found in more than half the rows says nothing on its own);
- holding an extreme of a column (the minimum and maximum), more when the
  question names that column ("lowest life expectancy" → `life_expect`);
- numeric outliers by robust z-score (median and MAD);
- rare values of categorical columns, and change points (the first row of a
  run of equal values);
- values that signal an error: a string saying error/failed/exception, an
  HTTP status of 400 or more, a non-empty `error` field, `success: false`.
  A key alone never counts: `"error": null` is no error. Errors in more than
  a tenth of the rows weigh less: there they are the usual state;
- being the first or last row.

Ties are broken by an even spread over the array (a Weyl sequence), so a
budget with room left keeps a fair sample rather than the first rows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from headroom.compressors.json.scalars import JsonFloat
from headroom.compressors.json.shapes import MISSING, Path
from headroom.compressors.json.terms import SUPERLATIVES, Term

__all__ = ["RowFacts"]

_ERROR_WORDS = re.compile(
    r"\b(?:error|errors|errored|fail|failed|failure|failing|fatal|exception|panic|traceback"
    r"|denied|refused|timed out|timeout|unauthorized|forbidden|not found|crash(?:ed)?)\b",
    re.IGNORECASE,
)
_ERROR_KEY = re.compile(r"(?:^|_)(?:error|errors|err|exception|failure)$", re.IGNORECASE)
_STATUS_KEY = re.compile(r"status|code", re.IGNORECASE)
_SUCCESS_KEY = re.compile(r"^(?:success|ok|passed|succeeded)$", re.IGNORECASE)
_GOLDEN = 0.6180339887498949
#: Strings longer than this are text, not a status: their words signal nothing.
MAX_SIGNAL_TEXT = 300
_OUTLIER_Z = 3.5


class RowFacts:
    """What the scorer reads of each row (its text and scalar columns), and its verdicts.

    Everything here is computed once per array and reused by every pass:
    the ranking of rows, and per column its kind, sorted numbers and counts.
    """

    def __init__(self, texts: list[str], columns: dict[Path, list[Any]]) -> None:
        self.texts = texts
        self.columns = columns
        #: Numeric columns: (value, row) sorted by value.
        self.numeric: dict[Path, list[tuple[float, int]]] = {}
        #: Categorical columns: how often each value occurs.
        self.categorical: dict[Path, Counter[str]] = {}
        for path, values in columns.items():
            numbers = _numbers(values)
            if numbers:
                self.numeric[path] = sorted(numbers)
            elif _is_categorical(values):
                self.categorical[path] = Counter(v for v in values if isinstance(v, str))
        #: Columns the question names (known once rows are ranked).
        self.relevant: set[Path] = set()
        self._ranking: list[int] | None = None

    def pick(self, terms: Sequence[Term], keep: int) -> list[int]:
        """The indexes of the `keep` best rows, in their original order."""
        if keep >= len(self.texts):
            return list(range(len(self.texts)))
        if self._ranking is None:
            scores = _score(self, terms)
            self._ranking = sorted(
                range(len(scores)), key=lambda i: (-scores[i], (i * _GOLDEN) % 1.0, i)
            )
        return sorted(self._ranking[: max(keep, 0)])


def _score(facts: RowFacts, terms: Sequence[Term]) -> list[float]:
    n = len(facts.texts)
    scores = [0.0] * n
    _add_query(scores, facts.texts, terms)
    relevant = facts.relevant = _relevant_columns(facts.columns, terms)
    for path, values in facts.columns.items():
        numbers = facts.numeric.get(path)
        if numbers:
            _add_numeric(scores, numbers, boost=path in relevant)
        else:
            _add_categorical(scores, values)
        _add_errors(scores, path, values)
    scores[0] += 2.0
    scores[-1] += 1.5
    return scores


def _add_query(scores: list[float], texts: list[str], terms: Sequence[Term]) -> None:
    n = len(texts)
    hits = {t.text: [i for i, text in enumerate(texts) if t.found_in(text)] for t in terms}
    rare = [t for t, rows in hits.items() if rows and len(rows) <= max(1, n // 2)]
    for term in rare or [t for t, rows in hits.items() if rows]:
        rows = hits[term]
        weight = (4.0 + math.log(n / len(rows))) if rare else 0.5
        for i in rows:
            scores[i] += weight


def _relevant_columns(columns: dict[Path, list[Any]], terms: Sequence[Term]) -> set[Path]:
    """Columns the question names: a term at the start of a word of the column name."""
    words = [t for t in terms if t.text not in SUPERLATIVES and not t.text[0].isdigit()]
    out: set[Path] = set()
    for path in columns:
        name = " ".join(path).lower().replace("_", " ")
        if any(t.found_in(name) for t in words):
            out.add(path)
    return out


def _numbers(values: list[Any]) -> list[tuple[float, int]]:
    """(value, row) of the numeric cells, when most present cells are numbers."""
    found: list[tuple[float, int]] = []
    present = 0
    for i, v in enumerate(values):
        kind = v.__class__
        if kind is int or kind is JsonFloat or kind is float:
            number = float(v)
            if number - number == 0:  # finite: not NaN, not ±inf
                found.append((number, i))
        if v is not MISSING and v is not None:
            present += 1
    return found if len(found) >= 3 and len(found) >= 0.8 * present else []


def _is_categorical(values: list[Any]) -> bool:
    strings = [v for v in values if isinstance(v, str)]
    if len(strings) < 0.8 * len(values) or any(len(v) > 40 for v in strings):
        return False
    return 2 <= len(set(strings)) <= max(2, min(30, len(values) // 2))


def _add_numeric(scores: list[float], ranked: list[tuple[float, int]], *, boost: bool) -> None:
    low, high = ranked[0], ranked[-1]
    if low[0] == high[0]:
        return
    extreme = 4.0 if boost else 1.0
    scores[low[1]] += extreme
    scores[high[1]] += extreme
    if boost:
        for _, i in (*ranked[1:3], *ranked[-3:-1]):
            scores[i] += 1.0
    median = ranked[len(ranked) // 2][0]
    deviations = sorted(abs(v - median) for v, _ in ranked)
    mad = deviations[len(deviations) // 2]
    if mad == 0:
        return
    for value, i in ranked:
        z = 0.6745 * abs(value - median) / mad
        if z > _OUTLIER_Z:
            scores[i] += min(2.0, z / _OUTLIER_Z)


def _add_categorical(scores: list[float], values: list[Any]) -> None:
    strings = [v if isinstance(v, str) else None for v in values]
    counts = Counter(s for s in strings if s is not None)
    n = len(values)
    if len(counts) < 2 or len(counts) > max(2, n // 3):
        return
    rare_below = max(1, n // 50)
    previous: str | None = None
    for i, s in enumerate(strings):
        if s is None:
            continue
        if counts[s] <= rare_below:
            scores[i] += 0.5
        if previous is not None and s != previous:
            scores[i] += 0.25
        previous = s


def _add_errors(scores: list[float], path: Path, values: list[Any]) -> None:
    key = path[-1] if path else ""
    flags = (
        _ERROR_KEY.search(key) is not None,
        _STATUS_KEY.search(key) is not None,
        _SUCCESS_KEY.match(key) is not None,
    )
    memo: dict[tuple[type, Any], bool] = {}
    hits: list[int] = []
    for i, v in enumerate(values):
        if v is MISSING or v is None or (not isinstance(v, str) and not any(flags)):
            continue
        found = memo.get((v.__class__, v))
        if found is None:
            found = memo[(v.__class__, v)] = _signals_error(v, *flags)
        if found:
            hits.append(i)
    # An error in one row of ten is news; in half the rows it is the usual state.
    weight = 2.0 * min(1.0, 0.1 * len(values) / len(hits)) if hits else 0.0
    for i in hits:
        scores[i] += weight


def _signals_error(value: Any, error_key: bool, status_key: bool, success_key: bool) -> bool:
    """Whether a value says something failed (its key only tells how to read it)."""
    if isinstance(value, str):
        if error_key and value:
            return True
        # In a long text, "error" is just a word.
        return len(value) <= MAX_SIGNAL_TEXT and _ERROR_WORDS.search(value) is not None
    if isinstance(value, bool):
        return (error_key and value) or (success_key and not value)
    if isinstance(value, int | float):
        return status_key and 400 <= value < 600
    return False
