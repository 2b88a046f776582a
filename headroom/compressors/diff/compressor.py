"""The diff compressor: plan which hunks to show, then write them out.

Planning reads the patch (`patch.parse_patch`), marks machine-written files
(`generated.generated_reason`), decides every hunk's trimmed context
(`trim.shown_lines`, so each hunk's shown size is known), and picks the
hunks to show in full (`relevance.select`) within a character budget: `ctx.budget_tokens` when the
pipeline sets one, else `DEFAULT_BUDGET_TOKENS`, times `ctx.keep_factor`.
On a diff whose hunks all fit, every hunk is shown and only context and
redundant header lines are cut.
"""

from __future__ import annotations

from headroom.ccr import ccr_id
from headroom.compressors.diff.generated import generated_reason, has_minified_line
from headroom.compressors.diff.patch import FileDiff, Hunk, Segment, parse_patch
from headroom.compressors.diff.relevance import Candidate, select, terms_of
from headroom.compressors.diff.render import Layout, Trimmed, render
from headroom.compressors.diff.trim import shown_lines, trimmed_body
from headroom.compressors.lossless import strip_ansi
from headroom.types import CompressContext, Compressed

__all__ = ["CHARS_PER_TOKEN", "DEFAULT_BUDGET_TOKENS", "DiffCompressor"]

#: Tokens of hunks shown in full when the pipeline sets no budget.
DEFAULT_BUDGET_TOKENS = 3000
#: The budget is counted in characters; diffs run about this many per token.
CHARS_PER_TOKEN = 4
#: Context lines kept on each side of a change at keep_factor 1.0.
CONTEXT_LINES = 1

HunkKey = tuple[int, int]


class DiffCompressor:
    """Unified diffs, `git format-patch` mails and `git show` / `git log -p` output."""

    name = "diff"
    kinds: tuple[str, ...] = ("diff",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        clean = strip_ansi(text)
        body, ending = (clean[:-1], "\n") if clean.endswith("\n") else (clean, "")
        lines = body.split("\n")
        segments = parse_patch(lines)
        if not any(isinstance(s, FileDiff) and s.hunks for s in segments):
            return None
        layout = plan(segments, ctx, ccr_id(text), _line_ending(lines))
        out, lossy = render(segments, layout)
        result = "\n".join(out) + ending
        if result == text:
            return None
        return Compressed(result, "diff", self.name, ccr_id(text) if lossy else None)


def plan(segments: list[Segment], ctx: CompressContext, key: str, eol: str) -> Layout:
    """Which hunks to show, trimmed how."""
    factor = max(ctx.keep_factor, 0.1)
    context_lines = max(CONTEXT_LINES, int(CONTEXT_LINES * factor + 0.5))
    budget = int((ctx.budget_tokens or DEFAULT_BUDGET_TOKENS) * CHARS_PER_TOKEN * factor)
    generated = _generated_files(segments)
    hunks: list[tuple[HunkKey, Hunk, list[bool]]] = []
    candidates: list[Candidate] = []
    for index, segment in enumerate(segments):
        if not isinstance(segment, FileDiff):
            continue
        path = segment.path.lower()
        for h, hunk in enumerate(segment.hunks):
            shown = shown_lines(hunk, context_lines)
            hunks.append(((index, h), hunk, shown))
            candidates.append(_candidate(hunk, shown, path, index, index in generated))
    chosen = select(candidates, terms_of(ctx.query), budget)
    trimmed: dict[HunkKey, Trimmed] = {}
    for i in sorted(chosen):
        key_, hunk, shown = hunks[i]
        trimmed[key_] = Trimmed(tuple(trimmed_body(hunk, shown)), shown.count(False))
    return Layout(key, eol, context_lines, trimmed, generated)


def _candidate(hunk: Hunk, shown: list[bool], path: str, file: int, generated: bool) -> Candidate:
    changes: list[str] = []
    context = [hunk.header]
    size = len(hunk.header) + 1
    for line, kind, show in zip(hunk.body, hunk.kinds, shown, strict=True):
        (changes if kind == "+" or kind == "-" else context).append(line)
        if show:
            size += len(line) + 1
    return Candidate(
        changes="\n".join(changes).lower(),
        context="\n".join(context).lower(),
        path=path,
        size=size,
        generated=generated,
        file=file,
    )


def _line_ending(lines: list[str]) -> str:
    """The carriage return of a CRLF diff: "\\r" when most lines end with one, else ""."""
    head = lines[:64]
    return "\r" if 2 * sum(line.endswith("\r") for line in head) > len(head) else ""


def _generated_files(segments: list[Segment]) -> dict[int, str]:
    out: dict[int, str] = {}
    for index, segment in enumerate(segments):
        if not isinstance(segment, FileDiff):
            continue
        reason = generated_reason(segment.path)
        if reason is None and any(has_minified_line(hunk.body) for hunk in segment.hunks):
            reason = "minified"
        if reason is not None:
            out[index] = reason
    return out
