"""Which rows of a source file to elide.

The plan starts from everything kept and marks for elision:

- the bodies of functions the question is not about (the signature, the
  decorators and a Python docstring's first line stay);
- comment blocks and docstrings after their first line of text.

It then takes back what must stay: the functions the question names or a
traceback points into (whole, with the comments above them), and the best
question lines inside elided bodies. A body that is mostly nested functions
(a `describe(...)` suite, a module wrapped in a closure) is not elided whole:
its nested functions are elided one by one, so their signatures stay.

Runs shorter than `MIN_RUN` rows or made only of blank lines stay: a marker
line would not be shorter than what it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from headroom.compressors.code.outline import Block, Function, Outline, attached_start
from headroom.compressors.code.relevance import LineIndex, Terms, hit_rows, named_functions

#: Shortest run of rows worth replacing with one `… (lines a–b)` line.
MIN_RUN = 2
#: About the visible length of a `… (lines a–b)` line.
_MARKER_CHARS = 24
#: A body this long whose nested functions fill this share of it is opened, not elided.
_WRAPPER_ROWS = 60
_WRAPPER_SHARE = 0.5
_WRAPPER_CHILDREN = 4
#: Functions kept whole may fill this share of the file (times keep_factor).
_WHOLE_SHARE = 0.3
_MIN_WHOLE_ROWS = 80
#: Question lines kept inside elided bodies: this share of the file's rows (times keep_factor).
_HIT_SHARE = 0.02
_MIN_HITS = 10
#: Context rows (rest of a statement, its header) may take this many times the hit budget.
_CONTEXT_FACTOR = 3
_MAX_CONTINUATION = 4
_HEADER_REACH = 3


@dataclass(frozen=True, slots=True)
class Plan:
    #: Maximal runs of elided rows, 0-based and inclusive, in order.
    runs: list[tuple[int, int]]
    bodies: int
    comments: int
    statement_runs: int

    @property
    def omitted(self) -> int:
        return sum(b - a + 1 for a, b in self.runs)


def plan(
    outline: Outline,
    lines: list[str],
    text: str,
    terms: Terms,
    pointed: list[int],
    *,
    keep_factor: float = 1.0,
) -> Plan:
    """Decide the elided runs of `lines` (the code rows of `outline`, joined: `text`)."""
    n = len(lines)
    whole, terms = _whole_functions(outline, terms, pointed, n, keep_factor)
    spans = [(attached_start(f), f.end + 1) for f in whole]
    kept = bytearray(n)  # rows of functions kept whole, with the comments above them
    for start, stop in spans:
        kept[start:stop] = b"\x01" * (stop - start)
    elide = bytearray(n)
    bodies = _mark_bodies(outline.functions, set(whole), elide)
    comments = _mark_tails(outline.blocks, elide, kept)
    statements = _mark_tails(outline.repeats, elide, kept)
    for function in outline.all_functions:
        if elide[function.body_first : function.body_first + 1] == b"\x01":
            for row in function.doc_rows:
                elide[row] = 0
    for start, stop in spans:
        elide[start:stop] = bytes(stop - start)
    if not terms.empty:
        budget = int(max(_MIN_HITS, n * _HIT_SHARE) * keep_factor)
        _keep_hits(hit_rows(LineIndex.of(text, lines), terms, elide), lines, elide, budget)
    return Plan(_runs(elide, lines), bodies, comments, statements)


def _keep_hits(ranked: list[int], lines: list[str], elide: bytearray, budget: int) -> None:
    """Keep the best `budget` hit rows, each with its context (within twice that many rows)."""
    room = budget * _CONTEXT_FACTOR
    for row in ranked[:budget]:
        for kept in _with_context(lines, row):
            if elide[kept] and room > 0:
                elide[kept] = 0
                room -= 1


def _with_context(lines: list[str], row: int) -> list[int]:
    """A hit row, the rest of its statement when it leaves a bracket open, and its header.

    The header is the nearest line above with less indentation (the `if` a
    `raise` sits in), looked for over a few lines only.
    """
    rows = [row]
    depth = _open_brackets(lines[row])
    last = row
    while depth > 0 and last + 1 < len(lines) and last - row < _MAX_CONTINUATION:
        last += 1
        rows.append(last)
        depth += _open_brackets(lines[last])
    indent = _indent(lines[row])
    for above in range(row - 1, max(-1, row - 1 - _HEADER_REACH), -1):
        if lines[above].strip() and _indent(lines[above]) < indent:
            rows.append(above)
            break
    return rows


def _open_brackets(line: str) -> int:
    opened = line.count("(") + line.count("[") + line.count("{")
    return opened - line.count(")") - line.count("]") - line.count("}")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _whole_functions(
    outline: Outline, terms: Terms, pointed: list[int], n: int, keep_factor: float
) -> tuple[list[Function], Terms]:
    """Functions kept whole: those a location points into, then those named, within a budget.

    Also returns the terms left for picking lines (see `named_functions`).
    """
    chosen: list[Function] = []
    for row in pointed:
        holders = [f for f in outline.all_functions if f.start <= row <= f.end]
        if holders:
            chosen.append(min(holders, key=lambda f: f.end - f.start))
    named, left = named_functions(outline.all_functions, terms)
    chosen.extend(named)
    budget = max(_MIN_WHOLE_ROWS, n * _WHOLE_SHARE) * keep_factor
    whole: list[Function] = []
    used = 0
    for function in dict.fromkeys(chosen):
        size = function.end - function.start + 1
        if whole and used + size > budget:
            continue
        whole.append(function)
        used += size
    return whole, left


def _mark_bodies(functions: list[Function], whole: set[Function], elide: bytearray) -> int:
    """Mark the bodies to elide; return how many."""
    count = 0
    stack = list(reversed(functions))
    while stack:
        function = stack.pop()
        if function in whole:
            continue
        rows = function.elidable_rows
        if rows < MIN_RUN or _is_wrapper(function):
            stack.extend(reversed(function.children))
            continue
        elide[function.body_first : function.body_last + 1] = b"\x01" * rows
        count += 1
    return count


def _mark_tails(blocks: list[Block], elide: bytearray, kept: bytearray) -> int:
    """Mark each block's rows after its `first` one, outside functions kept whole.

    Returns how many blocks this cut that an elided body did not already hold.
    """
    count = 0
    for block in blocks:
        if block.end - block.first >= MIN_RUN and not kept[block.first]:
            count += elide[block.first + 1] == 0
            elide[block.first + 1 : block.end + 1] = b"\x01" * (block.end - block.first)
    return count


def _is_wrapper(function: Function) -> bool:
    rows = function.elidable_rows
    if rows < _WRAPPER_ROWS or len(function.children) < _WRAPPER_CHILDREN:
        return False
    nested = sum(c.end - c.start + 1 for c in function.children)
    return nested >= _WRAPPER_SHARE * rows


def _runs(elide: bytearray, lines: list[str]) -> list[tuple[int, int]]:
    """Maximal runs of marked rows worth a marker line."""
    runs: list[tuple[int, int]] = []
    row = elide.find(1)
    while row >= 0:
        end = elide.find(0, row)
        end = len(elide) if end < 0 else end
        if end - row >= MIN_RUN and _worth(lines, row, end):
            runs.append((row, end - 1))
        row = elide.find(1, end)
    return runs


def _worth(lines: list[str], start: int, end: int) -> bool:
    """True when rows `start..end-1` hold more text than the line that would replace them."""
    chars = 0
    for row in range(start, end):
        chars += len(lines[row].strip())
        if chars > _MARKER_CHARS:
            return True
    return False
