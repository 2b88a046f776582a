"""The one function that writes every marker, in one format.

A marker stands where content was cut. It says what was left out, in the
content's own units (rows, lines, files, functions, with line ranges), and how
to get it back. For example:

    [headroom: 412 of 450 rows omitted (status=ok ×398); headroom_retrieve id=hr_3f9a2c1b7e4d]
    [headroom: 3 functions omitted, lines 120–245, 300–310; headroom_retrieve id=hr_3f9a2c1b7e4d]

Ranges are named as line ranges so an agent can also re-read them with its own
file tool instead of retrieving.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MARKER_PATTERN = re.compile(r"\[headroom: [^\]\n]*headroom_retrieve id=(hr_[0-9a-f]{12})\]")


def format_ranges(ranges: Sequence[tuple[int, int]]) -> str:
    """`[(120, 245), (300, 300)]` → `120–245, 300`."""
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in ranges)


def marker(
    *,
    ccr_id: str,
    omitted: int,
    unit: str,
    total: int | None = None,
    detail: str | None = None,
    ranges: Sequence[tuple[int, int]] = (),
) -> str:
    """Write a marker.

    `unit` is plural ("rows", "lines"); it is made singular for one item.
    `detail` is a short summary of what was cut; `ranges` are 1-based
    inclusive line ranges of the cut content in the original.
    """
    noun = unit[:-1] if omitted == 1 and unit.endswith("s") else unit
    what = f"{omitted} of {total} {unit}" if total is not None else f"{omitted} {noun}"
    text = f"[headroom: {what} omitted"
    if detail:
        text += f" ({detail})"
    if ranges:
        text += f", lines {format_ranges(ranges)}"
    return f"{text}; headroom_retrieve id={ccr_id}]"


def marker_ids(text: str) -> list[str]:
    """The ids of every marker in `text`, in order."""
    return MARKER_PATTERN.findall(text)
