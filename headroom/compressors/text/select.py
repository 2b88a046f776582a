"""Choosing the units to keep within a budget: `select_sentences`.

1. The budget is a share of the document (`KEEP_SHARE`, scaled by
   `keep_factor`, between `MIN_KEEP_CHARS` and `MAX_KEEP_CHARS`), or the
   caller's `budget_tokens`.
2. A long document (over `LONG_DOCUMENT_CHARS` and `CANDIDATE_FACTOR`
   budgets) is first narrowed to its sections: each section's body is scored
   by BM25 against the question, and the best sections, plus the opening and
   the table of contents, are read further. Every heading stays a unit, so
   the outline of the whole document survives. This keeps the cost linear:
   past the one pass that reads the structure, the work is proportional to
   the budget, not to the document.
3. Units are scored (`scoring`). The outline (headings, within
   `OUTLINE_SHARE` of the budget, top levels first), the table of contents
   and every unit that contains a number or identifier from the question are
   kept first; the rest go in by score while they fit, skipping
   near-duplicates of what is already kept (`dedupe`).
4. A short run of whole blocks left between two kept units is kept too: the
   `… (lines a–b)` standing for it would cost about as much.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from headroom.compressors.text.blocks import Kind
from headroom.compressors.text.dedupe import NearDuplicates
from headroom.compressors.text.document import Document, read_document
from headroom.compressors.text.salience import word_costs
from headroom.compressors.text.scoring import Scores, bm25, score_units, unit_hits
from headroom.compressors.text.terms import QueryTerms, query_terms
from headroom.compressors.text.units import Unit, split_block

__all__ = ["Extract", "chars_per_token", "select_sentences"]

KEEP_SHARE = 0.40
MIN_KEEP_CHARS = 1_600
MAX_KEEP_CHARS = 48_000
#: A document longer than this many budgets, and than `LONG_DOCUMENT_CHARS`, is
#: narrowed to its best sections first.
CANDIDATE_FACTOR = 2.0
LONG_DOCUMENT_CHARS = 200_000
#: Headings are kept up to this share of the budget (top levels first).
OUTLINE_SHARE = 0.3
#: Units holding the question's numbers and identifiers are kept up to this share.
LITERAL_SHARE = 0.5
#: Left-out blocks no longer than this (in English; scaled by characters per token)
#: between kept units are kept after all; and sentences inside a block, up to the second.
SMALL_GAP_CHARS = 48
INLINE_GAP_CHARS = 16


@dataclass(frozen=True, slots=True)
class Extract:
    """What `select_sentences` chose: units of `doc` (in order) and which are kept."""

    doc: Document
    units: tuple[Unit, ...]
    kept: frozenset[int]

    @property
    def spans(self) -> list[tuple[int, int]]:
        """The kept text as (start, end) offsets, consecutive kept units merged."""
        spans: list[tuple[int, int]] = []
        previous = -2
        for i in sorted(self.kept):
            unit = self.units[i]
            if i == previous + 1 and spans and unit.block == self.units[previous].block:
                spans[-1] = (spans[-1][0], unit.end)
            else:
                spans.append((unit.start, unit.end))
            previous = i
        return spans

    @property
    def complete(self) -> bool:
        """Whether nothing of the document was left out."""
        considered = {u.block for u in self.units}
        return len(self.kept) == len(self.units) and len(considered) == len(self.doc.blocks)


def select_sentences(
    text: str,
    query: str | None = None,
    budget_tokens: int | None = None,
    *,
    keep_factor: float = 1.0,
) -> Extract:
    """The sentences, code blocks and headings of `text` worth keeping for `query`.

    Kept units are whole and verbatim (`Extract.spans` are offsets into
    `text`); `budget_tokens` overrides the default share of the document.
    """
    doc = read_document(text)
    terms = query_terms(query)
    budget = _budget(doc, budget_tokens, keep_factor)
    hits = terms.hits(doc.lowered)
    considered = _candidate_blocks(doc, hits, budget)
    units = [u for b in considered for u in split_block(doc.lines, doc.blocks, b)]
    tfs = unit_hits(units, hits)
    own = bm25(tfs, [u.end - u.start for u in units])
    costs = word_costs(doc.language)
    scores = score_units(doc, units, own, costs)
    kept = _Chooser(doc, units, scores, budget).choose(_literal_units(doc, units, terms))
    return Extract(doc, tuple(units), frozenset(kept))


def chars_per_token(text: str) -> float:
    """About how many characters one o200k token covers in `text` (4 for English)."""
    sample = text[:4_000]
    if not sample:
        return 4.0
    ascii_share = len(sample.encode("ascii", "ignore")) / len(sample)
    return 1.2 + 2.8 * ascii_share


def _budget(doc: Document, budget_tokens: int | None, keep_factor: float) -> int:
    if budget_tokens is not None:
        return max(0, round(budget_tokens * chars_per_token(doc.text)))
    share = min(MAX_KEEP_CHARS, max(MIN_KEEP_CHARS, len(doc.text) * KEEP_SHARE))
    return round(share * max(keep_factor, 0.0))


def _candidate_blocks(doc: Document, hits: Sequence[tuple[int, int]], budget: int) -> list[int]:
    """Blocks to read sentence by sentence; in a long document, the best sections only.

    Sections are ranked by the BM25 of their body (the preamble and the first
    section count as relevant too) and taken until they hold
    `CANDIDATE_FACTOR` budgets; headings and the table of contents always are.
    """
    every = range(len(doc.blocks))
    if len(doc.text) <= max(CANDIDATE_FACTOR * budget, LONG_DOCUMENT_CHARS):
        return list(every)
    sections = doc.outline.sections
    bodies = _section_bodies(doc)
    relevance = bm25(unit_hits(bodies, hits), [u.end - u.start for u in bodies])
    order = sorted(range(len(sections)), key=lambda s: (-relevance[s] - (s <= 1), s))
    chosen: set[int] = set(doc.outline.toc)
    size = 0
    for s in order:
        if size >= CANDIDATE_FACTOR * budget:
            break
        chosen.update(range(sections[s].first, sections[s].end))
        size += bodies[s].end - bodies[s].start
    chosen.update(doc.headings())
    return sorted(chosen)


def _section_bodies(doc: Document) -> list[Unit]:
    """Each section's text as one pseudo-unit, so units' BM25 can score sections too."""
    bodies = []
    for s in doc.outline.sections:
        if s.end > s.first:
            bodies.append(Unit(doc.block_starts[s.first], doc.block_ends[s.end - 1], 0, Kind.PROSE))
        else:
            bodies.append(Unit(0, 0, 0, Kind.PROSE))
    return bodies


def _literal_units(doc: Document, units: Sequence[Unit], terms: QueryTerms) -> list[int]:
    """Units that contain a number or identifier named in the question."""
    if not terms.literals:
        return []
    body = "|".join(re.escape(x) for x in sorted(terms.literals, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.]){body}(?![\w])")
    hits = [(m.start(), 0) for m in pattern.finditer(doc.plain)]
    return sorted(unit_hits(units, hits))


class _Chooser:
    def __init__(
        self,
        doc: Document,
        units: Sequence[Unit],
        scores: Scores,
        budget: int,
    ) -> None:
        self.doc, self.units, self.scores, self.budget = doc, units, scores, budget
        self.kept: set[int] = set()
        self.spent = 0
        self.duplicates = NearDuplicates()
        self.heads = {u.block: i for i, u in enumerate(units) if u.head}
        self.sizes = [u.end - u.start for u in units]

    def choose(self, literal: Iterable[int]) -> set[int]:
        final = self.scores.final
        by_score = sorted(range(len(self.units)), key=final.__getitem__, reverse=True)
        self._take(self._outline(), OUTLINE_SHARE * self.budget)
        toc = [i for i, u in enumerate(self.units) if u.block in self.doc.outline.toc]
        self._take(toc, OUTLINE_SHARE * self.budget)
        ranked = set(literal)
        self._take([i for i in by_score if i in ranked], LITERAL_SHARE * self.budget)
        self._take(by_score, self.budget)
        self._fill_small_gaps()
        return self.kept

    def _fill_small_gaps(self) -> None:
        """Keep short runs of units left between kept ones, where the mark standing for
        them (`… (lines a–b)` for whole blocks, `…` inside one) costs about as much."""
        units, kept = self.units, self.kept
        scale = chars_per_token(self.doc.text) / 4
        run: list[int] = []
        for i in range(len(units)):
            if i not in kept:
                run.append(i)
                continue
            if run and run[0] > 0 and run[0] - 1 in kept:
                inside = units[run[0] - 1].block == units[i].block
                limit = (INLINE_GAP_CHARS if inside else SMALL_GAP_CHARS) * scale
                if sum(self.sizes[j] for j in run) <= limit and (
                    inside or self._whole_blocks(run[0], i - 1)
                ):
                    kept.update(run)
            run = []

    def _whole_blocks(self, first: int, last: int) -> bool:
        """Whether units `first`..`last` are whole blocks, with no unread block between."""
        units = self.units
        if units[first - 1].block == units[first].block:
            return False
        if last + 1 < len(units) and units[last + 1].block == units[last].block:
            return False
        return all(units[j + 1].block - units[j].block <= 1 for j in range(first - 1, last + 1))

    def _outline(self) -> list[int]:
        headings = [i for i, u in enumerate(self.units) if u.kind is Kind.HEADING]
        return sorted(headings, key=lambda i: (self.doc.blocks[self.units[i].block].level, i))

    def _take(self, order: Iterable[int], limit: float) -> None:
        """Keep units in `order` while the total stays within `limit` characters."""
        kept, sizes, heads, units = self.kept, self.sizes, self.heads, self.units
        cap = min(self.spent + limit, self.budget)
        for i in order:
            if self.spent >= cap:
                break
            if i in kept:
                continue
            unit = units[i]
            head = heads.get(unit.block) if heads else None
            extra = 0 if head is None or head in kept else sizes[head]
            size = sizes[i] + extra
            if self.spent + size > cap:
                continue
            if unit.kind is Kind.PROSE and self.duplicates.seen(self.scores.words[i]):
                continue
            kept.add(i)
            if extra and head is not None:
                kept.add(head)
            self.spent += size
