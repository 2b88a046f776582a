"""rustc and clippy diagnostics (cargo build, check, clippy, test).

A diagnostic opens with `error: …`, `error[E0308]: …` or `warning: …` at the
start of a line and runs to the blank line rustc prints after it: the
`-->` location, the source excerpt with its gutter and carets, the `= note`
and `help:` parts. Lint runs repeat one message at many places (the same
clippy lint at 130 locations), so diagnostics are grouped by the shape of
their message (quoted names, paths and numbers blanked):

- the first of each group is kept whole (the first `CODED_WHOLE` for coded
  compiler errors, which differ in their details more than lints do; both
  scale with keep_factor);
- the later ones keep only their message line and their primary `-->`
  location, and the message line too goes when the diagnostic just above
  has the same one, so a run of one lint reads as one message and a list
  of places;
- a diagnostic that contains a query term only a few contain is kept whole.

Summary lines (`error: aborting due to 96 previous errors`, `warning: `x`
(lib) generated 3 warnings`) always stay. Lines outside diagnostics
(cargo's `Compiling …`, test results) go through the generic rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from headroom.compressors.shell import generic
from headroom.compressors.shell.selection import Relevance, Selection

__all__ = ["CODED_WHOLE", "claims", "select"]

#: Coded errors (`error[E0308]`) of one shape kept whole (scaled by keep_factor).
CODED_WHOLE = 3

_HEADER = re.compile(r"(error|warning)(\[[\w-]+\])?: \S")
_SUMMARY = re.compile(
    r"(?:error|warning): (?:aborting due to|could not compile|build failed"
    r"|\d+ warnings? emitted|`[^`]+` \([^)]*\) generated|unused manifest key)"
)
_LOCATION = re.compile(r"\s*--> \S+:\d+:\d+")
#: The label of a diagnostic reduced to its location under the same message.
_REPEAT = "repeat of the message above|repeats of the message above"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    start: int  # first line (the header)
    end: int  # one past the last line
    header: str
    location: int | None  # the primary `-->` line


def claims(lines: Sequence[str]) -> bool:
    """Whether the text holds rustc diagnostics: a header followed by a `-->` line."""
    for i, line in enumerate(lines[:-1]):
        if _HEADER.match(line) and _LOCATION.match(lines[i + 1]):
            return True
    return False


def diagnostics(lines: Sequence[str]) -> list[Diagnostic]:
    """Every diagnostic, in order; summaries are not diagnostics."""
    found: list[Diagnostic] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not _HEADER.match(line) or _SUMMARY.match(line):
            i += 1
            continue
        j, location = i + 1, None
        while j < n and lines[j].strip() and not _HEADER.match(lines[j]):
            if location is None and _LOCATION.match(lines[j]):
                location = j
            j += 1
        if j < n and not lines[j].strip():
            j += 1  # the blank line that closes it
        found.append(Diagnostic(i, j, line, location))
        i = j
    return found


def select(lines: Sequence[str], relevance: Relevance, keep_factor: float) -> Selection:
    selection = Selection(lines)
    found = diagnostics(lines)
    wanted = relevance.select(["\n".join(lines[d.start : d.end]) for d in found])
    coded_whole = max(1, round(CODED_WHOLE * keep_factor))
    lint_whole = max(1, round(keep_factor))
    seen: dict[str, int] = {}
    previous = ""
    inside = bytearray(len(lines))
    for number, diag in enumerate(found):
        inside[diag.start : diag.end] = b"\x01" * (diag.end - diag.start)
        key = generic.shape(diag.header)
        seen[key] = seen.get(key, 0) + 1
        whole = coded_whole if "[" in diag.header.split(":", 1)[0] else lint_whole
        if number in wanted or seen[key] <= whole:
            selection.keep_range(diag.start, diag.end)
        else:
            _condense(selection, diag, repeat=diag.header == previous)
        previous = diag.header
    outside = [i for i in range(len(lines)) if not inside[i]]
    generic.select_lines(selection, outside, relevance, keep_factor=keep_factor)
    for i in outside:
        if _SUMMARY.match(lines[i]):
            selection.keep_line(i)
    return selection


def _condense(selection: Selection, diag: Diagnostic, *, repeat: bool) -> None:
    """Keep a repeated diagnostic's location, and its message unless the one above has it."""
    if not repeat or diag.location is None:
        selection.keep_line(diag.start)
        selection.note(diag.start, "repeated diagnostic")
    else:
        selection.note(diag.start, _REPEAT)
    if diag.location is not None:
        selection.keep_line(diag.location)
