"""Units: the pieces of a document that are kept or dropped whole.

A prose block is cut into list items (at bullets, numbers and header fields
that open a line) and each item into sentences; headings, code blocks and
markup are one unit each; a small table is one unit, a large one a header
unit plus one unit per line. A unit is a pair of offsets into the original,
so whatever is kept, internal line breaks and all, is a verbatim slice.

Sentences end at `.`, `!`, `?` or `…` (with closing quotes or brackets)
followed by white space and a character that is not a lower-case letter, and
at `。`, `！`, `？` with no space needed. An abbreviation (`e.g.`, `Dr.`, an
initial) does not end a sentence, and since the split needs white space, no
URL, path, version, number or hash is ever split. A run-on sentence of more
than `MAX_UNIT_CHARS` is cut at line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from headroom.compressors.text.blocks import Block, Kind
from headroom.compressors.text.lines import Lines

__all__ = ["MAX_UNIT_CHARS", "Unit", "sentence_spans", "split_block"]

#: A sentence longer than this is cut at line breaks.
MAX_UNIT_CHARS = 1_200
#: A table longer than this is cut into its header and one unit per line.
MAX_TABLE_CHARS = 1_500

#: A sentence's closing punctuation; group 1 or 2 is the next sentence's first character.
#: It opens with a plain character class so the scan can skip ahead quickly.
_SENTENCE_END = re.compile(
    r"[.!?…。！？](?:"
    r"(?<=[.!?…])[.!?…]*[\"'”’»)\]*_`]*(?=\s+([^a-z\s]))"
    r"|(?<=[。！？])[。！？]*[\"'”’」』)]*(?=\s*(\S)))"
)
_BULLET = r"[ \t]*(?:[-*+•‣–]|\d{1,3}[.)]|#\.|\(\d{1,3}\)|[a-z][.)])[ \t]+\S"
_FIELD_NAME = r"(?::[\w -]+:|[A-Z][\w-]*:)(?:[ \t]|$)"
_ITEM = re.compile(_BULLET)
_FIELD = re.compile(_FIELD_NAME)
_ITEM_LINE = re.compile("^" + _BULLET, re.MULTILINE)
_FIELD_LINE = re.compile("^" + _FIELD_NAME, re.MULTILINE)
_ABBREVIATION_TEXT = """e.g i.e etc vs cf al mr mrs ms dr prof sr jr st no nos fig figs eq eqs
sec ch vol pp approx inc ltd co corp dept est min max ca resp viz ibid op"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
_WORD_BEFORE = re.compile(r"[\w.]+$")
#: `e.g`, `u.s`: letters joined by dots, as abbreviations are written.
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")


class Unit(NamedTuple):
    """Characters `start`..`end` of the original, in block `block`.

    `head` marks a table's header: kept whenever another unit of its table is.
    (A named tuple: documents have many units, and tuples are cheap to make.)
    """

    start: int
    end: int
    block: int
    kind: Kind
    head: bool = False


def split_block(lines: Lines, blocks: list[Block], b: int) -> list[Unit]:
    """The units of block `b`."""
    block = blocks[b]
    start, end = lines.starts[block.first], lines.ends[block.last]
    if block.kind is Kind.PROSE:
        return [Unit(s, e, b, Kind.PROSE) for s, e in _prose_spans(lines, block)]
    if block.kind is Kind.TABLE and end - start > MAX_TABLE_CHARS:
        return _table_units(lines, block, b)
    return [Unit(start, end, b, block.kind)]


def _prose_spans(lines: Lines, block: Block) -> Iterator[tuple[int, int]]:
    text = lines.text
    for item_start, item_end in _items(lines, block):
        for s, e in sentence_spans(text, item_start, item_end):
            if e - s > MAX_UNIT_CHARS:
                yield from _line_chunks(text, s, e)
            else:
                yield s, e


def _items(lines: Lines, block: Block) -> list[tuple[int, int]]:
    """Character ranges of the list items (or header fields) in a prose block."""
    start, end = lines.starts[block.first], lines.ends[block.last]
    if block.first == block.last:
        return [(start, end)]
    fields = _FIELD.match(lines.strings[block.first]) is not None
    if lines.content is lines.starts:
        pattern = _FIELD_LINE if fields else _ITEM_LINE
        opens = [m.start() for m in pattern.finditer(lines.text, lines.ends[block.first], end)]
    else:
        opens = [
            lines.starts[i]
            for i in range(block.first + 1, block.last + 1)
            if _ITEM.match(lines.strings[i]) or (fields and _FIELD.match(lines.strings[i]))
        ]
    bounds = [start, *opens, end]
    return [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Offsets of the sentences of `text[start:end]`; the first starts at `start`.

    Each span runs from a sentence's first character (its line's start when
    only blanks precede it on the line) to its closing punctuation.
    """
    end = len(text) if end is None else end
    begin = start
    for match in _SENTENCE_END.finditer(text, start, end):
        nxt = match.start(match.lastindex or 0)
        if text[nxt].islower():
            continue
        dot = match.start()
        if text[dot] == "." and _abbreviation(text, begin, dot):
            continue
        stop = match.end()
        yield begin, stop
        newline = text.rfind("\n", stop, nxt)
        begin = nxt if newline < 0 else newline + 1
    if begin < end:
        yield begin, _rstrip(text, begin, end)


def _abbreviation(text: str, begin: int, dot: int) -> bool:
    word = _WORD_BEFORE.search(text, max(begin, dot - 12), dot)
    if word is None:
        return False
    token = word.group(0).lower().lstrip(".")
    return (
        token in _ABBREVIATIONS
        or (len(token) == 1 and token.isalpha())
        or _DOTTED.fullmatch(token) is not None
    )


def _rstrip(text: str, begin: int, end: int) -> int:
    while end > begin and text[end - 1].isspace():
        end -= 1
    return end


def _line_chunks(text: str, s: int, e: int) -> Iterator[tuple[int, int]]:
    """A run-on sentence cut into pieces of about `MAX_UNIT_CHARS`: at line breaks, or
    at spaces when it has none, so no word is ever cut."""
    begin = s
    while e - begin > MAX_UNIT_CHARS:
        half = begin + MAX_UNIT_CHARS // 2
        cut = text.find("\n", half, e)
        if cut < 0 or cut - begin > 2 * MAX_UNIT_CHARS:
            cut = text.rfind(" ", half, begin + MAX_UNIT_CHARS)
        if cut < 0:
            break
        yield begin, _rstrip(text, begin, cut)
        begin = cut + 1
    yield begin, e


def _table_units(lines: Lines, block: Block, b: int) -> list[Unit]:
    """A large table: the lines up to its first rule under a content line, then each line."""
    head_last = block.first
    for i in range(block.first + 1, min(block.last, block.first + 6) + 1):
        if _is_rule(lines.strings[i]) and not _is_rule(lines.strings[i - 1]):
            head_last = i
            break
    units = [Unit(lines.starts[block.first], lines.ends[head_last], b, Kind.TABLE, head=True)]
    for i in range(head_last + 1, block.last + 1):
        if not lines.blank(i):
            units.append(Unit(lines.starts[i], lines.ends[i], b, Kind.TABLE))
    return units


def _is_rule(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.strip("-=+|: ")
