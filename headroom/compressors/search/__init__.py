"""The search-results compressor: grep, ripgrep, ag and path lists.

Search output repeats a file's path on every line and returns far more lines
than the question needs: the published Headroom saves nothing on it. This
compressor keeps what answers the question and names everything else:

1. `parse` reads grep/rg/ag output (flat, `-C` context, `--heading`, one file
   without paths) and path lists (`rg --files`, `find`, `grep -l`, `ls -R`)
   into files and lines; `rgjson` reads `rg --json` into the same model.
2. `score` ranks each line by the query's terms (rare terms weigh more, the
   file's path counts too, a definition of an asked name more still);
   `choose` keeps the best lines within per-file and total limits scaled by
   `CompressContext.keep_factor` (and a token budget, when given).
3. `render` groups the kept lines under their file's path, verbatim after the
   path (`557:    def request(`), says per file how many lines are not shown
   and which line numbers they span, lists every other matching file with its
   count, folds path lists into a directory tree, and writes markers.

Every cut is retrievable: the id is the original's `ccr_id`, and
`headroom_retrieve` with a query returns the original lines that match it.
When nothing is cut (a short search only regrouped by file) no id is set.
Text that does not parse as search output gets None, and so does output that
would not be shorter.

`rg --json` is accepted whatever kind the router named, so the compressor can
also be listed for "json" content if the router sends ripgrep's JSON there.
"""

from __future__ import annotations

from headroom.ccr import ccr_id
from headroom.compressors.search.choose import Limits, choose
from headroom.compressors.search.parse import Listing, parse_text
from headroom.compressors.search.render import render
from headroom.compressors.search.rgjson import parse_rg_json
from headroom.compressors.search.score import search_terms
from headroom.types import CompressContext, Compressed

__all__ = ["SearchCompressor", "parse_search"]


def parse_search(text: str) -> Listing | None:
    """`text` read as search output (rg --json first, then text layouts), or None."""
    return parse_rg_json(text) or parse_text(text)


class SearchCompressor:
    """Grouped, query-ranked search results with every file still named."""

    name = "search"
    kinds: tuple[str, ...] = ("search",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        """The kept lines grouped by file, or None when `text` is not search output."""
        listing = parse_search(text)
        if listing is None:
            return None
        terms = search_terms(ctx.query)
        plan = choose(listing, terms, Limits.scaled(ctx.keep_factor, ctx.budget_tokens))
        key = ccr_id(text)
        rendered = render(listing, plan, terms, key)
        if len(rendered.text) >= len(text):
            return None
        return Compressed(
            text=rendered.text,
            kind="search",
            compressor=self.name,
            ccr_id=key if rendered.lossy else None,
        )
