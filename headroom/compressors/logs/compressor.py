"""The logs compressor: templates collapsed, anomalies and matches kept verbatim."""

from __future__ import annotations

from headroom.ccr import ccr_id, marker
from headroom.compressors.logs.query import match_query
from headroom.compressors.logs.select import select
from headroom.compressors.logs.templates import display, timestamp_of
from headroom.compressors.logs.view import MAX_LINE_CHARS, LogView, read_log
from headroom.compressors.lossless import resolve_carriage_returns, strip_ansi
from headroom.types import CompressContext, Compressed

__all__ = ["LogsCompressor"]

#: Fewer records than this: nothing to mine, leave it to the lossless step.
MIN_LINES = 8
#: More distinct templates than this share of the records: not a log.
MAX_TEMPLATE_SHARE = 0.5
#: The output aims at this share of the input's characters...
KEEP_SHARE = 0.07
#: ...but at least / at most this many characters (before keep_factor).
MIN_BUDGET = 1_500
MAX_BUDGET = 48_000
#: Characters per token, to turn `budget_tokens` into characters.
CHARS_PER_TOKEN = 3.5
#: Templates named in the marker.
NAMED_TEMPLATES = 3


class LogsCompressor:
    """Keeps the lines a reader of a log needs; the rest becomes counts per template."""

    name = "logs"
    kinds: tuple[str, ...] = ("logs",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        """The log cut to its anomalous, matching and representative lines, or None."""
        cleaned = resolve_carriage_returns(strip_ansi(text))
        if cleaned.endswith("\n"):
            cleaned = cleaned[:-1]
        if cleaned.count("\n") + 1 < MIN_LINES:
            return None
        view = read_log(cleaned)
        records = len(view.filler) - sum(view.filler)
        if records < MIN_LINES or len(set(view.template)) > MAX_TEMPLATE_SHARE * records:
            return None  # too short, or not repetitive as a log is (prose, code)
        match = match_query(ctx.query, cleaned.lower(), view.line_starts, view.record_of_line)
        chosen = select(view, match, _budget(len(cleaned), ctx), ctx.keep_factor)
        if len(chosen) >= records:
            return None
        key = ccr_id(text)
        body = _render(view, chosen, key)
        return Compressed(text=body, kind="logs", compressor=self.name, ccr_id=key)


def _budget(size: int, ctx: CompressContext) -> int:
    if ctx.budget_tokens is not None:
        return max(0, round(ctx.budget_tokens * CHARS_PER_TOKEN))
    share = min(MAX_BUDGET, max(MIN_BUDGET, round(size * KEEP_SHARE)))
    return round(share * max(ctx.keep_factor, 0.0))


def _render(view: LogView, chosen: set[int], key: str) -> str:
    kept = [0] * len(view.counts)
    for r in chosen:
        kept[view.template[r]] += 1
    out = [_header(view, chosen, kept, key)]
    annotated: set[int] = set()
    for r in sorted(chosen):
        t = view.template[r]
        for n, i in enumerate(view.records.span(r)):
            line = _clip(view.lines[i], key)
            if n == 0 and t not in annotated and kept[t] < view.counts[t]:
                annotated.add(t)
                line += _repeats(view, t, view.last[t] in chosen)
            out.append(line)
    return "\n".join(out)


def _repeats(view: LogView, template: int, last_kept: bool) -> str:
    count = view.counts[template]
    if last_kept:
        return f" [×{count}]"
    last_line = view.records.starts[view.last[template]]
    stamp = timestamp_of(view.lines[last_line]) or f"line {last_line + 1}"
    return f" [×{count}, last {stamp}]"


def _header(view: LogView, chosen: set[int], kept: list[int], key: str) -> str:
    total = len(view.lines)
    kept_lines = sum(len(view.records.span(r)) for r in chosen)
    cut = sorted(
        (t for t in range(len(view.counts)) if kept[t] < view.counts[t]),
        key=lambda t: (kept[t] - view.counts[t], t),
    )
    named = ", ".join(
        f"{_plain(display(view.keys[t], 50))} ×{view.counts[t] - kept[t]}"
        for t in cut[:NAMED_TEMPLATES]
    )
    detail = "kept lines verbatim and in order; '×N' after a line: its template occurs N times"
    if named:
        detail += f"; most cut: {named}"
    return marker(ccr_id=key, omitted=total - kept_lines, unit="lines", total=total, detail=detail)


def _plain(text: str) -> str:
    """Text safe inside a marker: no square brackets, no newline."""
    return text.replace("[", "(").replace("]", ")").replace("\n", " ")


def _clip(line: str, key: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    cut = len(line) - MAX_LINE_CHARS
    return line[:MAX_LINE_CHARS] + " " + marker(ccr_id=key, omitted=cut, unit="characters")
