"""The JSON compressor: lossless first, then cuts only as far as the budget needs.

1. Parse (a document or JSON lines; anything else → None).
2. Write it losslessly in the compact view (`outline`), or, for JSON lines
   whose records are not alike, as minified JSON lines (`jsonlines`).
3. If that fits the budget, it is the answer: no `ccr_id`, nothing stored.
4. Otherwise render again under tighter and tighter `Limits` (shorter
   strings and no URL fields of wide objects first, then fewer rows) and
   keep the loosest pass that fits. Every cut carries a marker with the
   original's id.

The budget is `ctx.budget_tokens` when given, else `default_budget` of the
compact view, times `ctx.keep_factor`.
"""

from __future__ import annotations

from collections.abc import Callable

from headroom.ccr import ccr_id
from headroom.compressors.json import jsonlines
from headroom.compressors.json.analysis import LOSSLESS, Analysis, Limits, Rendered
from headroom.compressors.json.outline import Outline
from headroom.compressors.json.parse import Document, parse
from headroom.compressors.json.scalars import estimate_tokens
from headroom.compressors.json.signature import signature
from headroom.compressors.json.terms import terms_of
from headroom.types import CompressContext, Compressed

__all__ = ["LEVELS", "JsonCompressor", "default_budget"]

#: The passes tried when the compact view is over budget, loosest first. Long
#: strings and URL fields go first; rows only once strings are short, since a
#: row (a record, a step of a transcript) is worth more than the tail of a text.
#: No pass cuts an array to fewer than 10 rows.
LEVELS: tuple[Limits, ...] = (
    Limits(chars=4000),
    Limits(chars=2000, prune=True),
    Limits(chars=1200, prune=True),
    Limits(chars=800, prune=True),
    Limits(chars=500, prune=True),
    Limits(rows=400, items=200, chars=500, prune=True),
    Limits(rows=200, items=100, chars=400, prune=True),
    Limits(rows=120, items=60, chars=300, prune=True),
    Limits(rows=80, items=40, chars=240, prune=True),
    Limits(rows=50, items=25, chars=200, prune=True),
    Limits(rows=32, items=16, chars=160, prune=True),
    Limits(rows=20, items=12, chars=120, prune=True),
    Limits(rows=14, items=10, chars=100, prune=True),
    Limits(rows=10, items=8, chars=80, prune=True),
)
#: Documents whose compact view fits this many tokens are never cut by default.
BASE_BUDGET = 2000
#: Share of the compact view above `BASE_BUDGET` that the default budget adds,
#: for data, and for prose (long strings: transcripts, file contents, logs).
DATA_GROWTH = 0.1
PROSE_GROWTH = 0.5
#: The largest default budget, in tokens.
MAX_BUDGET = 12000

Render = Callable[[Document, Limits, Analysis, str], Rendered]


def default_budget(tokens: int, prose_share: float = 0.0) -> int:
    """The default target for a compact view of `tokens` tokens.

    Up to `BASE_BUDGET` everything is kept. Beyond it the budget grows by a
    tenth of the excess for data (a 30k-token record set keeps about 5k) and
    by up to half of it for prose, which has no rows to pick from and whose
    every line may be the one asked about.
    """
    if tokens <= BASE_BUDGET:
        return BASE_BUDGET
    growth = DATA_GROWTH + (PROSE_GROWTH - DATA_GROWTH) * min(1.0, max(0.0, prose_share))
    return min(MAX_BUDGET, BASE_BUDGET + int(growth * (tokens - BASE_BUDGET)))


class JsonCompressor:
    """JSON documents and JSON lines → compact outline and tables, cut to a budget."""

    name = "json"
    kinds: tuple[str, ...] = ("json",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        document = parse(text)
        if document is None:
            return None
        try:
            return self._compress(text, document, ctx)
        except RecursionError:  # nested deeper than Python recurses: the text path takes it
            return None

    def _compress(self, text: str, document: Document, ctx: CompressContext) -> Compressed | None:
        analysis = Analysis(terms_of(ctx.query))
        render = _writer(document, analysis)
        lossless = render(document, LOSSLESS, analysis, "")
        tokens = estimate_tokens(lossless.text)
        prose_share = lossless.prose / max(1, len(lossless.text))
        budget = ctx.budget_tokens or default_budget(tokens, prose_share)
        budget = max(1, int(budget * ctx.keep_factor))
        if tokens <= budget:
            if len(lossless.text) >= len(text):
                return None
            return Compressed(text=lossless.text, kind="json", compressor=self.name)
        key = ccr_id(text)
        best = _fit(document, render, analysis, key, budget, lossless)
        return Compressed(
            text=best.text, kind="json", compressor=self.name, ccr_id=key if best.cuts else None
        )

    def signature(self, text: str) -> str | None:
        """The schema hash of `text` (see `headroom.compressors.json.signature`)."""
        return signature(text)


def _writer(document: Document, analysis: Analysis) -> Render:
    """JSON lines of unlike records stay JSON lines; everything else becomes the outline."""
    if document.json_lines and analysis.table(document.values) is None:
        return jsonlines.render
    return _outline


def _outline(document: Document, limits: Limits, analysis: Analysis, key: str) -> Rendered:
    return Outline(limits, analysis, key).render(document)


def _fit(
    document: Document,
    render: Render,
    analysis: Analysis,
    key: str,
    budget: int,
    lossless: Rendered,
) -> Rendered:
    """The loosest pass that fits `budget` (the tightest when none does), by binary search.

    Levels that would write the same text as a looser one (nothing that
    long to cut) are rendered once; none that cuts anything → the lossless text.
    """
    levels = list(dict.fromkeys(limits.effective(lossless) for limits in LEVELS))
    levels = [limits for limits in levels if limits != LOSSLESS]
    if not levels:
        return lossless
    low, high = 0, len(levels) - 1
    best: tuple[int, Rendered] | None = None
    while low < high:
        middle = (low + high) // 2
        attempt = render(document, levels[middle], analysis, key)
        if estimate_tokens(attempt.text) <= budget:
            best, high = (middle, attempt), middle
        else:
            low = middle + 1
    if best is not None and best[0] == low:
        return best[1]
    return render(document, levels[low], analysis, key)
