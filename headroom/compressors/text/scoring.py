"""Scoring units: relevance to the question, and importance without one.

**Relevance** is BM25 over units (each unit a document): a rare query term
found in a short sentence counts most. A unit also borrows relevance from
where it sits: its paragraph's best sentence and its neighbours (an answer is
often the sentence after the one that names the topic), the heading of its
section and of the sections above (a question about "line length" makes the
"Maximum Line Length" section relevant), and, for a code block or table, the
sentence that introduces it (`…is declared in the annotations::`) and the one
that follows it.

**Importance** ranks what is left to fill the budget: position (the opening
of the document, the first sentence of a section and of a paragraph),
salience (the mean self-information of the words, see `salience`) and the
density of numbers, names and inline code. Markup counts for little.

The final score is a weighted sum; the weights are module constants. Every
step is a pass over the units, so scoring is linear in their number.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from headroom.compressors.text.blocks import Kind
from headroom.compressors.text.document import Document
from headroom.compressors.text.salience import UNKNOWN_COST
from headroom.compressors.text.units import Unit

__all__ = ["Scores", "bm25", "score_units", "unit_hits"]

K1 = 1.2
B = 0.75
W_OWN = 2.0
W_PARAGRAPH = 0.6
W_SECTION = 1.0
W_POSITION = 0.6
W_LEAD = 0.15
W_SALIENCE = 0.5
W_ENTITIES = 0.3
#: Importance multiplier by kind of unit.
KIND_WEIGHT = {Kind.PROSE: 1.0, Kind.CODE: 0.6, Kind.TABLE: 0.7, Kind.MARKUP: 0.1, Kind.HEADING: 1}


@dataclass(frozen=True, slots=True)
class Scores:
    """Per unit: relevance to the question (0..1), the final score, and its words."""

    relevance: list[float]
    final: list[float]
    words: list[list[str]]


def unit_hits(units: Sequence[Unit], hits: Sequence[tuple[int, int]]) -> dict[int, dict[int, int]]:
    """Term frequencies of the units that have hits (by unit index), from hits sorted by
    offset; units sorted by start."""
    tfs: dict[int, dict[int, int]] = {}
    u, n = 0, len(units)
    for offset, term in hits:
        while u < n and units[u].end <= offset:
            u += 1
        if u == n:
            break
        if units[u].start <= offset:
            tf = tfs.setdefault(u, {})
            tf[term] = tf.get(term, 0) + 1
    return tfs


def bm25(tfs: dict[int, dict[int, int]], lengths: Sequence[int]) -> list[float]:
    """Okapi BM25 of each document (its length; term frequencies for those with hits)."""
    n = len(lengths)
    scores = [0.0] * n
    if not tfs:
        return scores
    df: dict[int, int] = {}
    for tf in tfs.values():
        for term in tf:
            df[term] = df.get(term, 0) + 1
    idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    average = max(sum(lengths) / n, 1.0)
    for i, tf in tfs.items():
        norm = K1 * (1 - B + B * lengths[i] / average)
        scores[i] = sum(idf[t] * f * (K1 + 1) / (f + norm) for t, f in tf.items())
    return scores


def score_units(
    doc: Document, units: Sequence[Unit], own: Sequence[float], costs: dict[str, float]
) -> Scores:
    """Relevance and final score of each unit, given its own BM25 score."""
    top = max(own, default=0.0)
    rel = [s / top for s in own] if top > 0 else [0.0] * len(units)
    context = _context(doc, units, rel) if top > 0 else [0.0] * len(units)
    relevance = [min(1.0, r + c) for r, c in zip(rel, context, strict=True)]
    words = _words(doc, units)
    importance = _importance(doc, units, words, costs)
    final = [W_OWN * r + c + i for r, c, i in zip(rel, context, importance, strict=True)]
    return Scores(relevance, final, words)


def _context(doc: Document, units: Sequence[Unit], rel: Sequence[float]) -> list[float]:
    """Relevance borrowed from the paragraph, the section headings and an introduction."""
    best_in_block: dict[int, float] = {}
    for unit, r in zip(units, rel, strict=True):
        if r > best_in_block.get(unit.block, 0.0):
            best_in_block[unit.block] = r
    sections = _section_relevance(doc, units, rel)
    section_of = doc.outline.section_of
    n = len(units)
    out = []
    for i, unit in enumerate(units):
        b = unit.block
        before = rel[i - 1] if i > 0 and units[i - 1].block == b else 0.0
        after = rel[i + 1] if i + 1 < n and units[i + 1].block == b else 0.0
        value = W_PARAGRAPH * 0.5 * (best_in_block.get(b, 0.0) + max(before, after))
        value += W_SECTION * sections[section_of[b]]
        if unit.kind is Kind.CODE or unit.kind is Kind.TABLE:
            value += W_PARAGRAPH * _introduced(doc, units, rel, i)
        out.append(value)
    return out


def _introduced(doc: Document, units: Sequence[Unit], rel: Sequence[float], i: int) -> float:
    """The relevance of the sentence that leads into a code block or table, and the next one."""
    before = rel[i - 1] if i > 0 and units[i - 1].kind is Kind.PROSE else 0.0
    after = rel[i + 1] if i + 1 < len(units) and units[i + 1].kind is Kind.PROSE else 0.0
    if before and doc.text[units[i - 1].start : units[i - 1].end].rstrip().endswith(":"):
        before *= 2
    return min(1.0, max(before, 0.7 * after))


def _section_relevance(doc: Document, units: Sequence[Unit], rel: Sequence[float]) -> list[float]:
    """Per section: its heading's relevance, or half its parent's, whichever is more."""
    sections = doc.outline.sections
    heading_rel = {u.block: r for u, r in zip(units, rel, strict=True) if u.kind is Kind.HEADING}
    out = [0.0] * len(sections)
    for s, section in enumerate(sections):
        own = heading_rel.get(section.heading, 0.0) if section.heading >= 0 else 0.0
        parent = out[section.parent] if 0 <= section.parent < s else 0.0
        out[s] = max(own, 0.5 * parent)
    return out


def _words(doc: Document, units: Sequence[Unit]) -> list[list[str]]:
    """The lower-cased words of each prose unit (characters, in Chinese and Japanese)."""
    text, prose = doc.words, Kind.PROSE
    words = [text[u.start : u.end].split() if u.kind is prose else [] for u in units]
    if doc.ideographic:
        words = [list("".join(w)) for w in words]  # no spaces between words
    return words


def _importance(
    doc: Document, units: Sequence[Unit], unit_words: list[list[str]], costs: dict[str, float]
) -> list[float]:
    """Position, lead, salience and entity density of each unit, weighted by its kind.

    Salience and entities are read for prose; other units count as average.
    """
    size = max(len(doc.text), 1)
    openers = {b + 1 for b, block in enumerate(doc.blocks) if block.kind is Kind.HEADING}
    marks, prose = doc.marks, Kind.PROSE
    out = []
    previous_block = -1
    for unit, words in zip(units, unit_words, strict=True):
        lead = 0.0
        if unit.block != previous_block:
            lead = 2.0 if unit.block in openers else 1.0
        previous_block = unit.block
        salience = entities = 0.5
        if unit.kind is prose and words:
            salience = _salience(words, costs)
            found = marks.count("A", unit.start, unit.end)
            entities = min(1.0, found / (3 * len(words)))
        position = 1.0 - unit.start / size
        value = (
            W_POSITION * position * position
            + W_LEAD * lead
            + W_SALIENCE * salience
            + W_ENTITIES * entities
        )
        out.append(value * KIND_WEIGHT[unit.kind])
    return out


def _salience(words: list[str], costs: dict[str, float]) -> float:
    """Mean information per word, 0..1 (1: every word rarer than the frequency list)."""
    if not costs:
        return min(1.0, sum(map(len, words)) / len(words) / 10)
    total = sum(map(costs.get, words, itertools.repeat(UNKNOWN_COST)))
    return float(total) / len(words) / UNKNOWN_COST
