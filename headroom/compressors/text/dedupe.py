"""Near-duplicate suppression: a sentence that repeats a kept one adds nothing.

Two units are near-duplicates when the sets of their words overlap by at
least `THRESHOLD` (Jaccard). Comparing every pair would be quadratic, so a
kept unit is filed under its first and its last `KEY_WORDS` words, and a
candidate is compared only with the units filed under the same opening or
closing: a sentence repeated with a changed number or name keeps at least one
end as it was. Units of fewer than `MIN_WORDS` words are never called
duplicates: short lines ("Yes.", list labels) repeat legitimately.
"""

from __future__ import annotations

__all__ = ["NearDuplicates"]

THRESHOLD = 0.8
MIN_WORDS = 6
#: Words at each end of a unit that file it.
KEY_WORDS = 4
#: Kept units compared with one candidate under each key, at most.
MAX_COMPARED = 8


class NearDuplicates:
    """Remembers kept units and answers whether a new one repeats one of them."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, ...], list[frozenset[str]]] = {}

    def seen(self, words: list[str]) -> bool:
        """True when `words` nearly repeat a unit already seen; otherwise remember them."""
        if len(words) < MIN_WORDS:
            return False
        keys = (("<", *words[:KEY_WORDS]), (">", *words[-KEY_WORDS:]))
        unique: frozenset[str] | None = None
        for key in keys:
            filed = self.index.get(key)
            if not filed:
                continue
            unique = unique or frozenset(words)
            for other in filed[-MAX_COMPARED:]:
                if len(unique & other) >= THRESHOLD * len(unique | other):
                    return True
        unique = unique or frozenset(words)
        for key in keys:
            self.index.setdefault(key, []).append(unique)
        return False
