"""Which words to keep: every forced word, then the model's best, up to the ratio.

Probabilities are rounded before they are ranked and ties go to the earlier
word, so tiny floating-point differences between machines or thread counts
cannot change which words survive (the output must be byte-identical).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Decimal places kept of a keep-probability before ranking.
DECIMALS = 4


def keep_count(words: int, keep_ratio: float) -> int:
    """How many of `words` words `keep_ratio` allows, rounded up."""
    return math.ceil(words * keep_ratio - 1e-9)


def choose(scores: Sequence[float | None], forced: Sequence[bool], keep_ratio: float) -> list[bool]:
    """Keep flags: forced and unscored words, then the highest scores, up to the ratio.

    Forced words count toward the ratio but are never dropped to meet it, so
    the result keeps `max(keep_count, forced)` words.
    """
    keep = [f or s is None for f, s in zip(forced, scores, strict=True)]
    room = keep_count(len(keep), keep_ratio) - sum(keep)
    if room <= 0:
        return keep
    rank = {i: round(s, DECIMALS) for i, s in enumerate(scores) if s is not None and not keep[i]}
    for i in sorted(rank, key=lambda i: (-rank[i], i))[:room]:
        keep[i] = True
    return keep
