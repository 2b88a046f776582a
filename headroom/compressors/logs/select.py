"""Which records of a log to keep, within a budget of characters.

Candidates come in tiers, most needed first; each tier is taken in order
until the budget is spent (a record that does not fit is passed over, a
smaller one after it may still fit). The first tier is kept whatever it
costs.

1. The first and last records; the records the question matches best (one
   template's copies count less each time, so one busy template cannot fill
   the list); when it asks for the first or last of something, that one.
2. The records just before and after the best matches: their context.
3. The first record of every error or fatal template, worst and rarest first.
4. The first record of the dominant templates: what most of the log says.
5. Where a best-matching template comes back after a pause: each burst's start.
6. The first record of every warning template, rarest first.
7. The first record of each variant of an error or fatal template whose
   variants are few ("error state 6", "error state 7"), rarest first.
8. The records around the first error of each template.
9. Weaker matches for the question.
10. The last record of every warning, error or fatal template.
11. Where an error or fatal template comes back after a pause.
12. The first record of every other template, rarest first: rare is anomalous.
13. Rare variants of any template whose variants are few: "exit code 1"
    among a thousand "exit code 0".
14. The last record of the other repeated templates.

The rest is not kept even when the budget would allow it: the counts on the
kept lines stand for it.

Records of a template that are not kept are summed up by the renderer on the
first record of the template that is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from headroom.compressors.logs.query import QueryMatch
from headroom.compressors.logs.severity import ERROR, WARNING
from headroom.compressors.logs.view import LogView

__all__ = ["select"]

#: Matches scoring at least this share of the best one are "strong" (tier 1)...
STRONG_MATCH = 0.5
#: ...and at least this share "weak" (tier 8).
WEAK_MATCH = 0.2
#: At most this many strong matches are kept whatever they cost (times keep_factor).
STRONG_MATCHES = 8
#: Each further match of one template counts this much less than the one before.
REPEAT_DECAY = 0.5
#: Templates counted as dominant (tier 4).
DOMINANT_TEMPLATES = 5
#: A variant is rare when it is RARE_VARIANT times less common than its template.
RARE_VARIANT = 10
#: A template "comes back after a pause" after this share of the records without it.
PAUSE_SHARE = 0.01
MIN_PAUSE = 10


def select(view: LogView, match: QueryMatch, budget: int, keep_factor: float = 1.0) -> set[int]:
    """The records to keep."""
    ranked = _diversified(view, match)
    limit = max(1, round(STRONG_MATCHES * keep_factor))
    strong = [r for r, score in ranked if score >= STRONG_MATCH * match.best][:limit]
    weak = [r for r, score in ranked if score >= WEAK_MATCH * match.best]
    chosen: set[int] = set()
    spent = 0
    for r in _forced(view, match, strong):
        if r not in chosen:
            chosen.add(r)
            spent += view.cost[r]
    for tier in _tiers(view, strong, weak):
        for r in tier:
            if r in chosen or view.filler[r] or spent + view.cost[r] > budget:
                continue
            chosen.add(r)
            spent += view.cost[r]
    return chosen


def _diversified(view: LogView, match: QueryMatch) -> list[tuple[int, float]]:
    """Matching records, best first, each template's n-th copy worth REPEAT_DECAY**n."""
    seen: dict[int, int] = {}
    scored = []
    for r in match.ranked():
        t = view.template[r]
        n = seen.get(t, 0)
        seen[t] = n + 1
        scored.append((r, match.scores[r] * REPEAT_DECAY**n))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored


def _forced(view: LogView, match: QueryMatch, strong: list[int]) -> list[int]:
    real = [r for r in range(len(view.cost)) if not view.filler[r]]
    if not real:
        return []
    out = [real[0], real[-1], *strong]
    for r in strong:
        t = view.template[r]
        if match.want_first:
            out.append(view.first[t])
        if match.want_last:
            out.append(view.last[t])
    return out


def _tiers(view: LogView, strong: list[int], weak: list[int]) -> Iterator[Iterable[int]]:
    present = [t for t in range(len(view.counts)) if view.counts[t]]
    level = {t: view.severity[view.first[t]] for t in present}
    rarest = sorted(present, key=lambda t: (view.counts[t], view.first[t]))
    severe = sorted((t for t in rarest if level[t] >= ERROR), key=lambda t: -level[t])
    warning = [t for t in rarest if level[t] == WARNING]
    dominant = sorted(present, key=lambda t: (-view.counts[t], view.first[t]))
    returns = _returns(view)
    yield _around(strong, len(view.cost))
    yield [view.first[t] for t in severe]
    yield [view.first[t] for t in dominant[:DOMINANT_TEMPLATES] if view.counts[t] > 1]
    yield [r for t in dict.fromkeys(view.template[r] for r in strong) for r in returns.get(t, [])]
    yield [view.first[t] for t in warning]
    categorical = _categorical(view)
    yield [
        view.variant_first[v]
        for v in categorical
        if level[view.template[view.variant_first[v]]] >= ERROR
    ]
    yield _around([view.first[t] for t in severe], len(view.cost))
    yield weak
    yield [view.last[t] for t in severe + warning]
    yield [r for t in severe for r in returns.get(t, [])]
    yield [view.first[t] for t in rarest if level[t] < WARNING]
    yield [view.variant_first[v] for v in categorical if _rare_variant(view, v)]
    yield [view.last[t] for t in dominant if level[t] < WARNING and view.counts[t] > 1]


def _categorical(view: LogView) -> list[int]:
    """Variants of the templates that have several, rarest first."""
    out = []
    for v in range(len(view.variant_counts)):
        if view.variant_counts[v] and view.variety[view.template[view.variant_first[v]]] > 1:
            out.append(v)
    out.sort(key=lambda v: (view.variant_counts[v], view.variant_first[v]))
    return out


def _rare_variant(view: LogView, variant: int) -> bool:
    t = view.template[view.variant_first[variant]]
    return view.variant_counts[variant] * RARE_VARIANT <= view.counts[t]


def _around(records: list[int], total: int) -> list[int]:
    return [n for r in records for n in (r - 1, r + 1) if 0 <= n < total]


def _returns(view: LogView) -> dict[int, list[int]]:
    """Per template, the records where it comes back after a pause."""
    pause = max(MIN_PAUSE, round(PAUSE_SHARE * len(view.template)))
    previous: dict[int, int] = {}
    out: dict[int, list[int]] = {}
    for r, t in enumerate(view.template):
        if t in previous and r - previous[t] > pause:
            out.setdefault(t, []).append(r)
        previous[t] = r
    return out
