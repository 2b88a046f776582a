"""Line-number gutters that file-reading tools put in front of code.

Claude Code's Read tool prints `    12→code` (a right-aligned number, an arrow,
then the line), `cat -n` prints `    12<TAB>code`, OpenHands' file viewer
`12|code` and SWE-agent's `open` `12:code`. The parser must see the
code without the gutter, and the output must keep the gutter on every kept
line, so that an agent can re-read an elided range with its own file tool.

`split_gutter` finds the gutter and returns the code lines, the file's line
number of the first one, and any tail that is not numbered (Claude Code may
append a reminder after the file), which the compressor keeps as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GUTTER = re.compile(r" *(\d{1,9})(?:→|\t|\||:)")
#: The most unnumbered lines a file view may start with (a "[File: …]" header).
MAX_HEADER_LINES = 3
#: The share of lines that must be numbered for the text to count as numbered.
_MIN_NUMBERED = 0.9


@dataclass(frozen=True, slots=True)
class Numbered:
    """Lines of a text, with their gutter (if any) split off."""

    #: The original lines (without their `\\n`), gutter included.
    lines: list[str]
    #: The code of the numbered lines, gutter removed (all lines when no gutter).
    code: list[str]
    #: The file's line number of `lines[0]`.
    first: int
    #: Width of the gutter of the first line (0 when there is none).
    gutter_width: int

    @property
    def numbered(self) -> bool:
        return self.gutter_width > 0

    def line_number(self, row: int) -> int:
        """The file's line number of code row `row` (0-based)."""
        return self.first + row


def split_header(text: str) -> tuple[str, str]:
    """A file view's header (the lines before its numbered run) and the rest.

    Agents' file viewers print a line or two first, e.g. SWE-agent's
    `[File: /x.py (42 lines total)]` and `(this is the beginning of the file)`.
    The header is returned with its newlines; ("", text) when there is none.
    """
    lines = text.split("\n", MAX_HEADER_LINES + 1)
    for row in range(1, min(MAX_HEADER_LINES, len(lines) - 1) + 1):
        match = _GUTTER.match(lines[row])
        if match is not None and _GUTTER.match(lines[0]) is None:
            if row + 1 < len(lines) and _GUTTER.match(lines[row + 1]) is None:
                continue
            cut = sum(len(line) + 1 for line in lines[:row])
            return text[:cut], text[cut:]
    return "", text


def split_gutter(text: str) -> Numbered:
    """Split `text` into lines and strip a consistent line-number gutter.

    The gutter counts only when the numbers run consecutively from the first
    line over at least 90% of the lines; the numbered part then ends where the
    run ends, and later lines are left to the caller as a verbatim tail.
    """
    lines = text.split("\n")
    first_match = _GUTTER.match(lines[0])
    if first_match is None:
        return Numbered(lines, lines, 1, 0)
    first = int(first_match.group(1))
    code: list[str] = []
    for offset, line in enumerate(lines):
        match = _GUTTER.match(line)
        if match is None or int(match.group(1)) != first + offset:
            break
        code.append(line[match.end() :])
    if len(code) < _MIN_NUMBERED * len([line for line in lines if line.strip()]):
        return Numbered(lines, lines, 1, 0)
    return Numbered(lines, code, first, first_match.end())
