"""Lines of a document as offsets into the original string.

The text compressor never rewrites a character: everything it keeps is a slice
of the original. So lines are not copied out; each is three offsets: where the
line starts, where its content starts (after a `   12→` line-number prefix,
when the text is a Read tool's numbered output) and where it ends (before
`\\n` or `\\r\\n`). Structure is read from the content; slices are cut from
the original, prefixes and Windows line endings included.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

__all__ = ["Lines", "read_lines"]

#: A line-number prefix as file-reading tools write it: `   12→text` or `    12\ttext`.
_NUMBERED = re.compile(r" *\d+(?:→|\t)")
#: Lines looked at to decide whether the text carries line-number prefixes.
_PREFIX_SAMPLE = 50


@dataclass(frozen=True, slots=True)
class Lines:
    """The lines of `text`: start, content start and end offsets of each."""

    text: str
    starts: list[int]
    content: list[int]
    ends: list[int]
    #: The content of each line: no prefix, no line ending.
    strings: list[str]
    #: Whether each line is empty or white space.
    blanks: list[bool]

    def __len__(self) -> int:
        return len(self.starts)

    def blank(self, i: int) -> bool:
        return self.blanks[i]

    def indent(self, i: int) -> int:
        """Leading blanks of line `i`'s content (a tab counts as four)."""
        line = self.strings[i]
        width = len(line) - len(line.lstrip(" \t"))
        return width + 3 * line.count("\t", 0, width) if width else 0


def read_lines(text: str) -> Lines:
    """The lines of `text`, split on `\\n` only (a `\\r` before it is part of the ending)."""
    strings = text.split("\n")
    starts = [0, *itertools.accumulate(len(line) + 1 for line in strings)]
    starts.pop()
    if "\r" in text:
        strings = [line[:-1] if line.endswith("\r") else line for line in strings]
    ends = [start + len(line) for start, line in zip(starts, strings, strict=True)]
    content = _content_starts(text, starts, ends)
    if content is not starts:
        strings = [text[c:e] for c, e in zip(content, ends, strict=True)]
    blank = [not line or line.isspace() for line in strings]
    return Lines(text, starts, content, ends, strings, blank)


def _content_starts(text: str, starts: list[int], ends: list[int]) -> list[int]:
    """Where each line's content begins: after the line-number prefix, if the text has them."""
    sample = [i for i in range(min(len(starts), 4 * _PREFIX_SAMPLE)) if ends[i] > starts[i]]
    sample = sample[:_PREFIX_SAMPLE]
    numbered = sum(1 for i in sample if _NUMBERED.match(text, starts[i], ends[i]))
    if len(sample) < 3 or numbered < 0.9 * len(sample):
        return starts
    content = []
    for start, end in zip(starts, ends, strict=True):
        match = _NUMBERED.match(text, start, end)
        content.append(match.end() if match else start)
    return content
