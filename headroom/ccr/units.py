"""Splitting an original into the units a query can select.

`retrieve(id, query=...)` returns only the units of an original that match the
query: rows of JSON, top-level definitions of code, paragraphs of prose, lines
of everything else. A unit keeps its 1-based starting line so the answer can
say where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import orjson


@dataclass(frozen=True, slots=True)
class Unit:
    text: str
    line: int


Splitter = Callable[[str], tuple[str, list[Unit]]]

_STOPWORD_TEXT = """
a an the and or but if then else of to in on at by for with from into onto about as is
are was were be been being do does did done have has had what which who whom whose when
where why how this that these those it its i me my we our you your he she they them
their there here can could would should will shall may might must not no yes any all
some each every get got give show tell find list please just only also than too very
does did out up down over under again more most other such same so much many few
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'|`([^`]+)`")
_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/@-]*[A-Za-z0-9_]|[A-Za-z0-9]")


def query_terms(query: str) -> list[str]:
    """Lower-cased terms of a query: quoted phrases whole, then words and numbers.

    Stop words and one-letter words are dropped; numbers and ids are kept.
    """
    terms: list[str] = []
    for match in _QUOTED.finditer(query):
        phrase = next(g for g in match.groups() if g)
        terms.append(phrase.lower())
    for word in _WORD.findall(_QUOTED.sub(" ", query)):
        lowered = word.lower().strip(".:/-")
        if lowered in _STOPWORDS or (len(lowered) < 2 and not lowered.isdigit()):
            continue
        terms.append(lowered)
    return list(dict.fromkeys(terms))


def split_lines(text: str) -> tuple[str, list[Unit]]:
    return "lines", [Unit(line, i) for i, line in enumerate(text.splitlines(), 1) if line.strip()]


def split_paragraphs(text: str) -> tuple[str, list[Unit]]:
    units: list[Unit] = []
    start, buf = 0, []
    for i, line in enumerate([*text.splitlines(), ""], 1):
        if line.strip():
            start = start or i
            buf.append(line)
        elif buf:
            units.append(Unit("\n".join(buf), start))
            start, buf = 0, []
    return "paragraphs", units


_TOP_LEVEL_START = re.compile(r"^[^\s)}\]#/*]")


def split_definitions(text: str) -> tuple[str, list[Unit]]:
    """Top-level definitions: a unit starts at each unindented line after a blank line."""
    units: list[Unit] = []
    buf: list[str] = []
    start, prev_blank = 1, True
    for i, line in enumerate(text.splitlines(), 1):
        if prev_blank and _TOP_LEVEL_START.match(line) and buf:
            units.append(Unit("\n".join(buf).rstrip("\n"), start))
            buf, start = [], i
        buf.append(line)
        prev_blank = not line.strip()
    if buf:
        units.append(Unit("\n".join(buf).rstrip("\n"), start))
    return "definitions", [u for u in units if u.text.strip()]


def split_rows(text: str) -> tuple[str, list[Unit]]:
    """Rows of the main JSON array (or JSON lines); lines when it is not JSON."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _split_json_lines(text)
    rows = _main_array(data)
    if rows is None:
        return split_lines(text)
    return "rows", [Unit(orjson.dumps(row).decode(), i) for i, row in enumerate(rows, 1)]


def _split_json_lines(text: str) -> tuple[str, list[Unit]]:
    kind, units = split_lines(text)
    try:
        for unit in units[:3]:
            orjson.loads(unit.text)
    except orjson.JSONDecodeError:
        return kind, units
    return "rows", units


def _main_array(data: object) -> list[object] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        arrays = [v for v in data.values() if isinstance(v, list) and v]
        if arrays:
            return max(arrays, key=len)
    return None


SPLITTERS: dict[str, Splitter] = {
    "json": split_rows,
    "code": split_definitions,
    "text": split_paragraphs,
    "html": split_paragraphs,
}


def split(text: str, kind: str) -> tuple[str, list[Unit]]:
    """Split `text` by the rule for its kind (lines when the kind has none)."""
    return SPLITTERS.get(kind, split_lines)(text)


def matching(units: list[Unit], terms: list[str]) -> list[Unit]:
    """The units that contain a discriminating query term, case-insensitively, in order.

    A term found in more than half of the units ("user" in a user table)
    selects nothing on its own; when every term is that common, all of them
    count.
    """
    lowered = [u.text.lower() for u in units]
    hits = {t: {i for i, text in enumerate(lowered) if t in text} for t in terms}
    found = [t for t in terms if hits[t]]
    rare = [t for t in found if len(hits[t]) <= max(1, len(units) // 2)]
    selected = set().union(*(hits[t] for t in rare or found))
    return [units[i] for i in sorted(selected)]
