"""Lossless clean-up: the changes to a text that no reader misses.

Terminal output carries bytes meant for a terminal, not for a model: colour
codes, cursor moves, progress lines redrawn with carriage returns, trailing
blanks, runs of empty lines, the same line printed over and over. This module
removes them and nothing else, so it is safe on any content and runs first
(or alone, when no kind-specific compressor has anything to cut). It sets no
`ccr_id`: there is no original worth storing.

The steps are public because the logs and shell compressors reuse them:

- `strip_ansi`: drops ANSI/VT escape sequences (CSI, OSC, DCS, two-char ESC).
- `resolve_carriage_returns`: `\\r\\n` becomes `\\n`; in a line redrawn with
  `\\r` only the last (non-empty) segment stays, as a terminal would show it.
- `normalize_whitespace`: strips trailing blanks from every line and turns
  runs of three or more blank lines into one. Leading indentation and tabs
  are never touched, so code stays valid.
- `collapse_repeated_lines`: a line repeated N >= 3 times in a row becomes the
  line once followed by the marker ` [×N]`, e.g. `Retrying... [×12]`. Two in
  a row are left alone; blank lines are never collapsed this way.

Some kinds take fewer steps, because there the "noise" is content:
JSON only gets whitespace normalisation (another compressor minifies it);
diffs only lose escape codes (trailing blanks and repeated lines are part of
a patch); code keeps repeated lines and carriage returns (a marker or a
dropped segment would change the program); HTML keeps repeated lines (the
marker would become page text).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable

from headroom.compressors.detect import detect_kind
from headroom.types import CompressContext, Compressed

__all__ = [
    "MIN_REPEATS",
    "LosslessCompressor",
    "clean",
    "collapse_repeated_lines",
    "normalize_whitespace",
    "repeat_marker",
    "resolve_carriage_returns",
    "strip_ansi",
]

#: The fewest identical lines in a row that `collapse_repeated_lines` folds.
MIN_REPEATS = 3
#: Blank lines in a row from which `normalize_whitespace` keeps only one.
_MIN_BLANK_RUN = 3
#: What trailing whitespace means here: not Unicode spaces, which may be content.
_TRAILING = " \t\r\f\v"

_ANSI = re.compile(
    r"""
      \x1b\[[0-?]*[ -/]*[@-~]            # CSI: colours, cursor moves, erases
    | \x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)? # OSC: window titles, hyperlinks
    | \x1b[PX^_][^\x1b\n]*(?:\x1b\\)?      # DCS, SOS, PM and APC strings
    | \x1b[ -/]*[0-~]                    # two-character and nF escapes (ESC 7, ESC ( B)
    | \x9b[0-?]*[ -/]*[@-~]              # 8-bit CSI
    | [\x1b\x9b]                         # an escape left without its sequence
    """,
    re.VERBOSE,
)

Step = Callable[[str], str]


def strip_ansi(text: str) -> str:
    """`text` without ANSI/VT escape sequences."""
    if "\x1b" not in text and "\x9b" not in text:
        return text
    return _ANSI.sub("", text)


def resolve_carriage_returns(text: str) -> str:
    """`text` as a terminal would leave it after carriage returns.

    `\\r\\n` becomes `\\n`. Within a line, text overwritten after a `\\r` keeps
    only its last non-empty segment: `"10%\\r50%\\r100%"` becomes `"100%"`.
    """
    if "\r" not in text:
        return text
    text = text.replace("\r\n", "\n")
    if "\r" not in text:
        return text
    return "\n".join(_last_segment(line) if "\r" in line else line for line in text.split("\n"))


def _last_segment(line: str) -> str:
    for segment in reversed(line.split("\r")):
        if segment:
            return segment
    return ""


def normalize_whitespace(text: str) -> str:
    """Trailing blanks stripped from every line; 3+ blank lines in a row become one."""
    body, ending = _split_final_newline(text)
    lines = [line.rstrip(_TRAILING) for line in body.split("\n")]
    out: list[str] = []
    for is_blank, group in itertools.groupby(lines, key=lambda line: not line):
        run = list(group)
        out.extend(run[:1] if is_blank and len(run) >= _MIN_BLANK_RUN else run)
    return "\n".join(out) + ending


def _split_final_newline(text: str) -> tuple[str, str]:
    """The text without its final newline, and that newline ("" when none).

    The newline that ends the last line is not a blank line of its own.
    """
    if text.endswith("\n"):
        return text[:-1], "\n"
    return text, ""


def repeat_marker(line: str, count: int) -> str:
    """The one line that stands for `count` copies of `line`."""
    return f"{line} [×{count}]"


def collapse_repeated_lines(text: str, *, min_repeats: int = MIN_REPEATS) -> str:
    """Each run of `min_repeats` or more identical non-blank lines folded into one.

    Folding repeats until nothing changes, so the result is stable: a second
    call returns it unchanged even when a marker happened to match its
    neighbours.
    """
    lines = text.split("\n")
    while True:
        folded = list(_fold_runs(lines, min_repeats))
        if len(folded) == len(lines):
            return "\n".join(folded)
        lines = folded


def _fold_runs(lines: Iterable[str], min_repeats: int) -> Iterable[str]:
    for line, group in itertools.groupby(lines):
        count = sum(1 for _ in group)
        if line and count >= min_repeats:
            yield repeat_marker(line, count)
        else:
            yield from itertools.repeat(line, count)


_DEFAULT_STEPS: tuple[Step, ...] = (
    strip_ansi,
    resolve_carriage_returns,
    normalize_whitespace,
    collapse_repeated_lines,
)
_STEPS_BY_KIND: dict[str, tuple[Step, ...]] = {
    "json": (normalize_whitespace,),
    "diff": (strip_ansi,),
    "code": (strip_ansi, normalize_whitespace),
    "html": (strip_ansi, resolve_carriage_returns, normalize_whitespace),
}


def clean(text: str, kind: str | None = None) -> str:
    """`text` after every lossless step that is safe for `kind` (detected when None)."""
    for step in _STEPS_BY_KIND.get(kind or detect_kind(text), _DEFAULT_STEPS):
        text = step(text)
    return text


class LosslessCompressor:
    """The any-kind compressor that only removes what no reader needs."""

    name = "lossless"
    kinds: tuple[str, ...] = ("*",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        """The cleaned text, or None when there was nothing to clean."""
        cleaned = clean(text, ctx.kind)
        if cleaned == text:
            return None
        return Compressed(text=cleaned, kind=ctx.kind or "text", compressor=self.name)
