"""The text compressor: prose and long documents cut to what the question needs."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from headroom.ccr import ccr_id
from headroom.compressors.text.render import render
from headroom.compressors.text.select import select_sentences
from headroom.types import CompressContext, Compressed

__all__ = ["Refine", "TextCompressor", "signature"]

#: An output must be at least this much shorter than the input to be worth a cut.
MIN_SAVING = 0.05

_RST_TITLE = re.compile(r"^\S[^\n]*\n([=\-^\"'#*+:._<>])\1{2,}[ \t]*$", re.MULTILINE)
_MD_TITLE = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)
#: Characters read to name a document's shape.
_SIGNATURE_SAMPLE = 8_000


#: A step run on each kept run of prose after extraction: (text, query) → shorter text.
Refine = Callable[[str, str | None], str]


class TextCompressor:
    """Keeps the sentences that answer the question, the outline, and every heading.

    `refine` (off by default) is applied to every kept run of prose sentences
    after extraction, e.g. the optional ML text backend:
    `TextCompressor(refine=lambda text, query: apply_text_model(text, model=m,
    keep_ratio=0.7, query=query, protected=protected_spans(text, query)))`.
    """

    name = "text"
    kinds: tuple[str, ...] = ("text",)

    def __init__(self, *, refine: Refine | None = None) -> None:
        self.refine = refine

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        """`text` cut to its relevant sentences under one marker, or None."""
        if not text.strip():
            return None
        extract = select_sentences(text, ctx.query, ctx.budget_tokens, keep_factor=ctx.keep_factor)
        if extract.complete or not extract.kept:
            return None  # nothing to cut, or nothing that fits: the lossless step decides
        key = ccr_id(text)
        refine = self.refine
        step = None if refine is None else functools.partial(_refined, refine, ctx.query)
        body = render(extract, key, refine=step)
        if len(body) > (1 - MIN_SAVING) * len(text):
            return None
        return Compressed(text=body, kind="text", compressor=self.name, ccr_id=key)

    def signature(self, text: str) -> str:
        """The shape of a document, for learning how much to keep: its markup."""
        return signature(text)


def _refined(refine: Refine, query: str | None, text: str) -> str:
    return refine(text, query)


def signature(text: str) -> str:
    """`rst`, `markdown` or `plain`: which markup the document's titles use."""
    sample = text[:_SIGNATURE_SAMPLE]
    if _RST_TITLE.search(sample):
        return "rst"
    if _MD_TITLE.search(sample):
        return "markdown"
    return "plain"
