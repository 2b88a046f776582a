"""Writing the compressed document: kept text verbatim, every cut marked.

The output opens with one marker: how many sentences were left out (lines,
for a long document read only in part), that `…` marks each cut, and the
sections cut whole, by their headings. Then the document in order:

- a block kept whole is its original slice, and the blank lines between two
  kept blocks are the original ones;
- in a block kept in part, runs of consecutive kept sentences are original
  slices joined by ` … ` (or by a line `…` when the next run opens a line,
  as list items do);
- a run of blocks left out becomes one line `… (lines 120–245)`, so an agent
  can re-read the range with its own file tool, or retrieve it by id.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from headroom.ccr import marker
from headroom.compressors.text.blocks import Kind
from headroom.compressors.text.document import Document
from headroom.compressors.text.select import Extract
from headroom.compressors.text.units import Unit

__all__ = ["ELLIPSIS", "render"]

ELLIPSIS = "…"
#: Sections cut whole that the marker names; the rest are counted.
NAMED_SECTIONS = 6


def render(extract: Extract, ccr_id: str, *, refine: Callable[[str], str] | None = None) -> str:
    """The compressed text of `extract`, with its marker on top.

    `refine`, when given, rewrites each kept run of prose sentences (the
    optional ML text backend drops words there); headings, code, tables and
    markers are never passed to it.
    """
    doc = extract.doc
    by_block = _kept_by_block(extract)
    nl = doc.newline
    out: list[str] = []
    gap_first = -1
    previous = -1
    for b in range(len(doc.blocks)):
        kept = by_block.get(b)
        if not kept:
            gap_first = b if gap_first < 0 else gap_first
            continue
        if gap_first >= 0:
            out.append(_gap(doc, gap_first, b - 1, nl, opening=previous < 0))
            gap_first = -1
        elif previous >= 0:
            out.append(doc.text[doc.block_ends[previous] : doc.block_starts[b]])
        out.append(_block(doc, extract.units, kept, nl, refine))
        previous = b
    if gap_first >= 0:
        out.append(_gap(doc, gap_first, len(doc.blocks) - 1, nl, opening=previous < 0).rstrip())
    return _header(extract, ccr_id, refined=refine is not None) + nl + "".join(out)


def _kept_by_block(extract: Extract) -> dict[int, list[int]]:
    by_block: dict[int, list[int]] = {}
    for i in sorted(extract.kept):
        by_block.setdefault(extract.units[i].block, []).append(i)
    return by_block


def _gap(doc: Document, first: int, last: int, nl: str, *, opening: bool) -> str:
    """The line that stands for blocks `first`..`last`, with the blank lines around it."""
    a = doc.blocks[first].first + 1
    z = doc.blocks[last].last + 1
    where = f"line {a}" if a == z else f"lines {a}–{z}"
    return ("" if opening else nl + nl) + f"{ELLIPSIS} ({where})" + nl + nl


def _block(
    doc: Document,
    units: Sequence[Unit],
    kept: list[int],
    nl: str,
    refine: Callable[[str], str] | None,
) -> str:
    """A block's kept runs, joined by ellipses where sentences were cut."""
    b = units[kept[0]].block
    prose = units[kept[0]].kind is Kind.PROSE
    runs = _runs(kept)
    first_unit = kept[0] == 0 or units[kept[0] - 1].block != b
    parts = [] if first_unit else [ELLIPSIS + " "]
    for n, (i, j) in enumerate(runs):
        start, end = units[i].start, units[j].end
        if n:
            opens_line = start == 0 or doc.text[start - 1] == "\n"
            parts.append(nl + ELLIPSIS + nl if opens_line else " " + ELLIPSIS + " ")
        run = doc.text[start:end]
        parts.append(refine(run) if refine is not None and prose else run)
    last = runs[-1][1]
    if last + 1 < len(units) and units[last + 1].block == b:
        parts.append(" " + ELLIPSIS)
    return "".join(parts)


def _runs(kept: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in kept:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _header(extract: Extract, ccr_id: str, *, refined: bool) -> str:
    doc = extract.doc
    kept = "kept prose condensed by the text model" if refined else "kept text is verbatim"
    detail = f"{kept}; {ELLIPSIS} marks each cut"
    names = _sections_cut_whole(extract)
    if names:
        more = len(names) - NAMED_SECTIONS
        listed = "; ".join(names[:NAMED_SECTIONS]) + (f"; +{more} more" if more > 0 else "")
        detail += f"; sections cut whole: {listed}"
    if len({u.block for u in extract.units}) == len(doc.blocks):
        total = len(extract.units)  # every block was read: count sentences (and blocks)
        omitted, unit = total - len(extract.kept), "sentences"
    else:
        total = doc.lines.blanks.count(False)  # a long document narrowed: count lines
        omitted, unit = total - _kept_lines(doc, extract.spans), "lines"
    return marker(ccr_id=ccr_id, omitted=omitted, unit=unit, total=total, detail=detail)


def _kept_lines(doc: Document, spans: list[tuple[int, int]]) -> int:
    """Non-blank lines that keep at least one character."""
    starts = doc.lines.starts
    touched: set[int] = set()
    for start, end in spans:
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, max(start, end - 1)) - 1
        touched.update(range(first, last + 1))
    blanks = doc.lines.blanks
    return sum(1 for i in touched if not blanks[i])


def _sections_cut_whole(extract: Extract) -> list[str]:
    """Titles of the sections whose body lost every block (headings aside)."""
    doc = extract.doc
    kept_blocks = {extract.units[i].block for i in extract.kept}
    names = []
    for section in doc.outline.sections[1:]:
        body = range(section.first + 1, section.end)
        if len(body) and not kept_blocks.intersection(body):
            names.append(_plain(section.title))
    return names


def _plain(text: str) -> str:
    """Text safe inside a marker: no square brackets, no line breaks, not too long."""
    text = text.replace("[", "(").replace("]", ")").replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."
