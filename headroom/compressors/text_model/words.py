"""Words with their whitespace: how text is split for the model and put back together.

A word is a run of non-whitespace characters. The model scores words, and a
word is kept or dropped whole, so nothing is ever rewritten inside a word.
Putting kept words back together keeps each kept word's own whitespace; where
dropped words sat between two kept ones, the gap takes the whitespace run with
the most newlines, so line and paragraph breaks survive every drop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Words:
    """The words of a text as character spans, plus the whitespace around them.

    `starts[i]:ends[i]` is word i; `gaps[i]` is the whitespace after it (up to
    the next word or the end); `lead` is the whitespace before the first word.
    """

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.starts)

    def word(self, i: int) -> str:
        return self.text[self.starts[i] : self.ends[i]]

    def gap(self, i: int) -> str:
        stop = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
        return self.text[self.ends[i] : stop]

    @property
    def lead(self) -> str:
        return self.text[: self.starts[0]] if self.starts else self.text


def split_words(text: str) -> Words:
    """The whitespace-separated words of `text`, in order."""
    starts: list[int] = []
    ends: list[int] = []
    for match in _WORD.finditer(text):
        starts.append(match.start())
        ends.append(match.end())
    return Words(text, tuple(starts), tuple(ends))


def join_kept(words: Words, keep: Sequence[bool]) -> str:
    """The text with only the kept words, in their original order and spacing."""
    parts = [words.lead]
    gap: list[str] = []
    for i in range(len(words)):
        if keep[i]:
            if gap:
                parts.append(_widest(gap))
            parts.append(words.word(i))
            gap = [words.gap(i)]
        elif gap:  # only after the first kept word: leading drops leave no gap
            gap.append(words.gap(i))
    if gap:  # the tail: the text's own ending, unless a dropped line end outranks it
        parts.append(_widest([gap[-1], *gap[:-1]]))
    return "".join(parts)


def _widest(gap: Sequence[str]) -> str:
    """The whitespace that stands for a run of dropped words.

    The first run (the kept word's own whitespace; at the end, the text's own
    ending), unless a dropped word ended a line: then the run with the most
    newlines, so paragraph breaks outlive their words.
    """
    best = gap[0]
    for run in gap[1:]:
        if run.count("\n") > best.count("\n"):
            best = run
    return best
