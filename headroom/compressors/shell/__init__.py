"""The shell compressor: test and build output, cut down to what went wrong.

A test run or a build says most of what it says about things that worked:
passing tests, progress lines, the same lint at a hundred places. A reader
(a model fixing the failure) needs the failures, their assertion messages
and tracebacks, the error locations and the final summary. This package
keeps those lines verbatim and cuts the rest, with markers that count what
was cut ("30 passing tests", "62 repeated diagnostics") and point to the
stored original.

How it works:

1. `screen.prepare` removes escape codes and, when the output redrew a
   progress display, replays it so only the final frame is left.
2. The first family that recognises the text selects the lines to keep:
   `go test -json` events (`gotest`), rustc/clippy diagnostics (`rustc`),
   pytest (`pytest`), `go test` text (`gotest`), else the generic line
   rules (`generic`: jest, vitest, cargo test, unittest, npm, pip, make,
   gcc, tsc, mypy, ruff…). Every family is query-aware: a block that holds
   a query term few blocks hold is kept whole.
3. `selection.render` writes the kept lines and one marker per cluster of
   cuts.

Output that is not test or build output (`docker info`, a key: value
listing) matches none of the cut rules, so nothing is cut and the
compressor returns None: the lossless cleaner handles it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from headroom.ccr import ccr_id, marker
from headroom.compressors.shell import generic, gotest, pytest, rustc
from headroom.compressors.shell.screen import Screen, prepare
from headroom.compressors.shell.selection import Relevance, Selection, render
from headroom.types import CompressContext, Compressed

__all__ = ["ShellCompressor", "select"]

Family = tuple[
    Callable[[Sequence[str]], bool],
    Callable[[Sequence[str], Relevance, float], Selection],
]

#: The families, most specific first; the generic rules come last.
FAMILIES: tuple[Family, ...] = (
    (gotest.claims_json, gotest.select_json),
    (rustc.claims, rustc.select),
    (pytest.claims, pytest.select),
    (gotest.claims_text, gotest.select_text),
)


def select(lines: Sequence[str], query: str | None = None, keep_factor: float = 1.0) -> Selection:
    """The lines of a test or build log worth keeping, by the first family that applies."""
    relevance = Relevance(query)
    keep_factor = max(keep_factor, 0.1)
    for claims, select_family in FAMILIES:
        if claims(lines):
            return select_family(lines, relevance, keep_factor)
    selection = Selection(lines)
    generic.select_lines(selection, range(len(lines)), relevance, keep_factor=keep_factor)
    return selection


class ShellCompressor:
    """Keeps failures, errors and summaries of test and build output; cuts the rest."""

    name = "shell"
    kinds: tuple[str, ...] = ("shell",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        """The failures, errors and summaries of `text`, or None when nothing can go."""
        if not text.strip():
            return None
        screen = prepare(text)
        selection = select(screen.lines, ctx.query, ctx.keep_factor)
        if not screen.redrawn and not selection.cut_lines():
            return None
        key = ccr_id(text)
        out = render(
            selection,
            ccr_id=key,
            with_ranges=not screen.redrawn,
            preface=_redraw_marker(screen, key),
        )
        if len(out) >= len(text):
            return None
        return Compressed(text=out, kind=ctx.kind or "shell", compressor=self.name, ccr_id=key)


def _redraw_marker(screen: Screen, key: str) -> list[str]:
    if not screen.redrawn:
        return []
    detail = "progress redrawn in place; the final screen follows"
    return [marker(ccr_id=key, omitted=screen.redrawn, unit="lines", detail=detail)]
