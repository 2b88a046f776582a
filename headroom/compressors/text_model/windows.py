"""Packing words into model windows that fit the model's sequence length.

A token-classification model sees at most `max_length` tokens at once
(special tokens included). Words are packed greedily into windows of at most
`budget` tokens; when a window fills up it is cut after the last sentence end
it holds (if that keeps at least half of it), so the model reads whole
sentences. A word the tokenizer gives no tokens, or more than fit a window,
is not scored (the caller keeps it) and closes the window.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SENTENCE_END = re.compile(r"[.!?:;][\"')\]]*$")

Window = tuple[int, int]


def sentence_ends(words: Sequence[str], gaps: Sequence[str]) -> list[bool]:
    """For each word: does a sentence or line end after it?"""
    return [
        "\n" in gap or _SENTENCE_END.search(word) is not None
        for word, gap in zip(words, gaps, strict=True)
    ]


def pack(counts: Sequence[int], ends: Sequence[bool], budget: int) -> list[Window]:
    """Half-open word ranges, in order, each holding at most `budget` tokens."""
    out: list[Window] = []
    start = used = 0
    last_end = -1
    i = 0
    while i < len(counts):
        count = counts[i]
        if count == 0 or count > budget:
            if start < i:
                out.append((start, i))
            start, used, last_end = i + 1, 0, -1
            i += 1
        elif used + count > budget:
            whole = last_end >= start and 2 * (last_end + 1 - start) >= i - start
            cut = last_end + 1 if whole else i
            out.append((start, cut))
            start, used, last_end = cut, sum(counts[cut:i]), -1
        else:
            used += count
            last_end = i if ends[i] else last_end
            i += 1
    if start < len(counts):
        out.append((start, len(counts)))
    return out
