"""Corpus checks shared by the compressor tests: samples of a kind, and the
share of tokens a compressor saves while keeping every needle."""

from __future__ import annotations

from collections.abc import Callable

from headroom.bench.corpus import Sample, load_corpus
from headroom.tokens import get_counter
from tests.conftest import require_corpus


def corpus_samples(kind: str) -> list[Sample]:
    return load_corpus(require_corpus(), kind=kind)


def saved_share_keeping_needles(
    samples: list[Sample], compress: Callable[[str, str], str | None]
) -> float:
    """1 − tokens after / tokens before, one compression per needle question.

    Fails on the first needle a compression loses.
    """
    counter = get_counter()
    before = after = 0.0
    for sample in samples:
        text = sample.read()
        outputs = []
        for needle in sample.needles:
            out = compress(text, needle.question) or text
            missing = [m for m in needle.must_contain if m not in out]
            assert not missing, f"{sample.id}: {needle.question!r} lost {missing}"
            outputs.append(counter.count(out))
        before += counter.count(text)
        after += sum(outputs) / len(outputs)
    return 1 - after / before
