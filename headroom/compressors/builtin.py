"""Registers Headroom's own compressors, through the same hook plugins use.

The specific compressors come first, in the order they are tried for a kind;
the lossless cleaner, which applies to any kind, comes last.
"""

from __future__ import annotations

from headroom.compressors.code import CodeCompressor
from headroom.compressors.diff import DiffCompressor
from headroom.compressors.html import HtmlCompressor
from headroom.compressors.json import JsonCompressor
from headroom.compressors.logs import LogsCompressor
from headroom.compressors.lossless import LosslessCompressor
from headroom.compressors.registry import Register
from headroom.compressors.search import SearchCompressor
from headroom.compressors.shell import ShellCompressor
from headroom.compressors.text import Refine, TextCompressor, protected_spans

#: Share of words the optional text model keeps in prose that extraction kept.
TEXT_MODEL_KEEP_RATIO = 0.7


def register_compressors(register: Register, *, text_model: str = "") -> None:
    """Register the built-ins; `text_model` is the optional ML model's folder."""
    register(CodeCompressor())
    register(DiffCompressor())
    register(JsonCompressor())
    register(SearchCompressor())
    register(ShellCompressor())
    register(LogsCompressor())
    register(HtmlCompressor())
    register(TextCompressor(refine=model_refine(text_model)))
    register(LosslessCompressor())


def model_refine(folder: str) -> Refine | None:
    """The text model as a prose refinement step, or None when no folder is set.

    Loading raises `TextModelError` with what to fix when the folder is set
    but unusable; it is loaded once per folder per process.
    """
    if not folder:
        return None
    from headroom.compressors.text_model import apply_text_model, load_text_model

    model = load_text_model(folder)
    if model is None:
        return None

    def refine(text: str, query: str | None) -> str:
        spans = protected_spans(text, query)
        return apply_text_model(
            text, model=model, keep_ratio=TEXT_MODEL_KEEP_RATIO, query=query, protected=spans
        )

    return refine
