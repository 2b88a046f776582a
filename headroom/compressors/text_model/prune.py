"""Dropping the words the model rates lowest from a text, keeping protected ones.

This is the step the text compressor calls on prose it has already chosen to
keep: whole sentences were picked by relevance; here the model thins them
word by word, up to `keep_ratio` of their words. Words are kept or dropped
whole (never rewritten), in their original order and whitespace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from headroom.compressors.text_model.model import TextModel
from headroom.compressors.text_model.protect import (
    Span,
    forced_words,
    protected_spans,
    query_terms,
)
from headroom.compressors.text_model.select import choose, keep_count
from headroom.compressors.text_model.windows import sentence_ends
from headroom.compressors.text_model.words import join_kept, split_words


@dataclass(frozen=True, slots=True)
class Pruned:
    """A text after pruning, and how many of its words it kept."""

    text: str
    words: int
    kept: int

    @property
    def dropped(self) -> int:
        return self.words - self.kept


def prune_words(
    text: str,
    *,
    model: TextModel,
    keep_ratio: float,
    query: str | None = None,
    protected: Iterable[Span] = (),
    keep_numbers: bool = True,
) -> Pruned:
    """Keep about `keep_ratio` of the words of `text`, those the model rates highest.

    Never dropped: words overlapping `protected` (character spans of `text`)
    or the built-in protected spans (identifiers, the question's numbers),
    words carrying a term of `query`, and, with `keep_numbers`, any word with
    a digit. Deterministic for a given model.
    """
    if not 0.0 <= keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must be between 0 and 1, got {keep_ratio}")
    words = split_words(text)
    n = len(words)
    if n == 0 or keep_count(n, keep_ratio) >= n:
        return Pruned(text, n, n)
    spans = [*protected_spans(text, query), *protected]
    forced = forced_words(words, spans, terms=query_terms(query), numbers=keep_numbers)
    if sum(forced) >= keep_count(n, keep_ratio):
        return Pruned(join_kept(words, forced), n, sum(forced))
    texts = [words.word(i) for i in range(n)]
    ends = sentence_ends(texts, [words.gap(i) for i in range(n)])
    keep = choose(model.word_scores(texts, ends), forced, keep_ratio)
    return Pruned(join_kept(words, keep), n, sum(keep))


def apply_text_model(
    text: str,
    *,
    model: TextModel,
    keep_ratio: float,
    query: str | None = None,
    protected: Iterable[Span] = (),
) -> str:
    """`text` with the model's lowest-rated words dropped (see `prune_words`)."""
    return prune_words(
        text, model=model, keep_ratio=keep_ratio, query=query, protected=protected
    ).text
