"""The code compressor: signatures stay, bodies the question is not about go.

Flow: split off a line-number gutter (`numbering`), pick a grammar (`language`),
parse and read the outline (`outline`), decide what to elide (`plan`), and
write the kept lines verbatim, gutter included, with one `… (lines a–b)` line
per elided run and one CCR marker on top naming them.

It declines (returns None, so the lossless path runs) on small files, on text
that does not parse as any grammar it knows (too many ERROR rows), on minified
code (a few huge lines; nothing line-based to cut), and on inputs over
`MAX_CHARS`.
"""

from __future__ import annotations

from headroom.ccr import ccr_id, marker
from headroom.compressors.code.language import candidates, path_of
from headroom.compressors.code.numbering import Numbered, split_gutter, split_header
from headroom.compressors.code.outline import Outline, outline_of
from headroom.compressors.code.plan import Plan, plan
from headroom.compressors.code.relevance import pointed_rows, terms_of
from headroom.types import CompressContext, Compressed

#: Files shorter than this many lines are left whole (times keep_factor).
MIN_LINES = 150
#: Larger inputs are left to the lossless path (parsing is linear, but not free).
MAX_CHARS = 1_000_000
#: Lines longer than this on average mean minified or generated code.
MAX_MEAN_LINE = 200
#: A parse with more of its rows inside ERROR nodes than this share is not trusted.
MAX_ERROR_SHARE = 0.1
#: Marker ranges are listed when there are at most this many runs.
MAX_LISTED_RANGES = 12


class CodeCompressor:
    """Elides function bodies and long comments, keeping what the question needs."""

    name: str = "code"
    kinds: tuple[str, ...] = ("code",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        if len(text) > MAX_CHARS or text.count("\n") < MIN_LINES * ctx.keep_factor:
            return None
        header, body = split_header(text)
        key = ccr_id(text)
        result = self._compress(body, ctx, key)
        if result is None or not header:
            return result
        return Compressed(header + result.text, result.kind, result.compressor, result.ccr_id)

    def _compress(self, text: str, ctx: CompressContext, key: str) -> Compressed | None:
        numbered = split_gutter(text)
        code = numbered.code
        if len(code) < MIN_LINES * ctx.keep_factor:
            return None
        if len(text) > MAX_MEAN_LINE * len(code):
            return None
        joined = "\n".join(code)
        outline = _parse(joined, len(code), ctx)
        if outline is None:
            return None
        terms = terms_of(ctx.query)
        pointed = pointed_rows(ctx.query, path_of(ctx.origin), outline.language, numbered.first)
        decided = plan(outline, code, joined, terms, pointed, keep_factor=ctx.keep_factor)
        if not decided.runs:
            return None
        return Compressed(_render(numbered, decided, key), "code", self.name, key)


def _parse(code: str, rows: int, ctx: CompressContext) -> Outline | None:
    """The outline under the first candidate grammar that parses `code` cleanly enough."""
    for language in candidates(code, ctx.origin):
        outline = outline_of(language, code)
        if outline.error_rows <= MAX_ERROR_SHARE * rows:
            return outline
    return None


def _render(numbered: Numbered, decided: Plan, key: str) -> str:
    eol = "\r" if numbered.lines[0].endswith("\r") else ""
    out = [_marker(numbered, decided, key) + eol]
    row = 0
    for first, last in decided.runs:
        out.extend(numbered.lines[row:first])
        out.append(_elision(numbered, first, last) + eol)
        row = last + 1
    out.extend(numbered.lines[row:])
    return "\n".join(out)


def _elision(numbered: Numbered, first: int, last: int) -> str:
    """`    … (lines 120–245)`, indented like the first non-blank line it stands for."""
    code = numbered.code
    shown = next((code[r] for r in range(first, last + 1) if code[r].strip()), "")
    indent = shown[: len(shown) - len(shown.lstrip())]
    gutter = " " * numbered.gutter_width
    a, b = numbered.line_number(first), numbered.line_number(last)
    return f"{gutter}{indent}… (lines {a}–{b})"


def _marker(numbered: Numbered, decided: Plan, key: str) -> str:
    parts = []
    if decided.bodies:
        parts.append(f"{decided.bodies} function bodies")
    if decided.comments:
        parts.append(f"{decided.comments} comment blocks")
    if decided.statement_runs:
        parts.append(f"{decided.statement_runs} runs of similar statements")
    detail = ", ".join(parts) + " cut, each shown as … (lines a–b)"
    runs = decided.runs
    ranges = (
        [(numbered.line_number(a), numbered.line_number(b)) for a, b in runs]
        if len(runs) <= MAX_LISTED_RANGES
        else []
    )
    return marker(
        ccr_id=key,
        omitted=decided.omitted,
        unit="lines",
        total=len(numbered.lines),
        detail=detail,
        ranges=ranges,
    )
