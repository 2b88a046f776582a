"""Trimming a kept hunk's context to the lines next to its changes.

Every `+`/`-` line stays verbatim; context lines more than `keep` lines away
from a change are cut. A cut at either end of the hunk just shortens it (its
`@@` header stays as it was, so it still names the hunk's full range). A cut
between two changes splits the hunk, as `git diff -U1` would: the part after
the cut gets its own `@@ -a,b +c,d @@` header naming exactly the lines shown,
so the trimmed range is the gap between the two headers. A gap only a few lines
longer than the context kept is left whole: a new header would cost about as
much as the lines it saves.

`shown_lines` decides (cheap, run on every hunk to size it); `trimmed_body`
writes the result (run only on the hunks that are shown).
"""

from __future__ import annotations

from headroom.compressors.diff.patch import Hunk

__all__ = ["shown_lines", "trimmed_body"]

#: Context lines beyond the kept ones that an inner gap may have and stay whole.
_SPLIT_SLACK = 2


def shown_lines(hunk: Hunk, keep: int) -> list[bool]:
    """For each body line, whether it is shown with context trimmed to `keep` lines."""
    kinds = hunk.kinds
    if not hunk.counted:
        return [True] * len(kinds)
    shown = _near_changes(kinds, keep)
    for i in range(1, len(kinds)):
        if kinds[i] == "\\" and shown[i - 1]:
            shown[i] = True
    _fill_short_gaps(shown)
    return shown


def _near_changes(kinds: str, keep: int) -> list[bool]:
    """True for changes and for lines at most `keep` lines from one (two linear passes)."""
    n = len(kinds)
    distance = [n + keep + 1] * n
    last = -(n + keep + 1)
    for i, kind in enumerate(kinds):
        if kind == "+" or kind == "-":
            last = i
        distance[i] = i - last
    last = 2 * n + keep + 1
    for i in range(n - 1, -1, -1):
        kind = kinds[i]
        if kind == "+" or kind == "-":
            last = i
        if last - i < distance[i]:
            distance[i] = last - i
    return [d <= keep for d in distance]


def _fill_short_gaps(shown: list[bool]) -> None:
    """Inner gaps too short to be worth a split header are shown whole."""
    n = len(shown)
    i = 0
    while i < n:
        if shown[i]:
            i += 1
            continue
        j = i
        while j < n and not shown[j]:
            j += 1
        if i > 0 and j < n and j - i <= _SPLIT_SLACK:
            shown[i:j] = [True] * (j - i)
        i = j


def trimmed_body(hunk: Hunk, shown: list[bool]) -> list[str]:
    """The shown lines, with a `@@` header wherever an inner gap was cut."""
    out: list[str] = []
    old, new = hunk.old_start, hunk.new_start
    started = gap = False
    for i, line in enumerate(hunk.body):
        if shown[i]:
            if gap and started:
                out.append(_split_header(hunk, shown, i, old, new))
            out.append(line)
            started, gap = True, False
        else:
            gap = True
        kind = hunk.kinds[i]
        old += kind == " " or kind == "-"
        new += kind == " " or kind == "+"
    return out


def _split_header(hunk: Hunk, shown: list[bool], start: int, old: int, new: int) -> str:
    """`@@ -a,b +c,d @@` for the run of shown lines that begins at `start`."""
    old_count = new_count = 0
    i = start
    while i < len(shown) and shown[i]:
        kind = hunk.kinds[i]
        old_count += kind == " " or kind == "-"
        new_count += kind == " " or kind == "+"
        i += 1
    eol = "\r" if hunk.header.endswith("\r") else ""
    return f"@@ -{old},{old_count} +{new},{new_count} @@{eol}"
