"""An optional learned text backend: a token-classification model drops low-value words.

Off by default. When `HEADROOM_TEXT_MODEL` (setting `text_model`) names a
folder, the text compressor runs this after its extractive step, on the prose
it kept: an LLMLingua-2-style model rates every token keep or drop, token
scores are averaged per whitespace word, and the lowest-rated words go, up to
a keep ratio. Protected spans (UUIDs, hashes, URLs, paths, emails, versions,
identifiers, the question's numbers and terms) are always kept. Nothing is
downloaded: the model is read from the local folder, and loading needs the
optional extra `headroom[ml]` (onnxruntime, tokenizers).

The model folder
----------------
- `model.onnx`: a token-classification graph.
  - Inputs: `input_ids`, and optionally `attention_mask` and `token_type_ids`,
    all int64 (or all int32) of shape [batch, seq]. `seq` may be fixed (the
    window length, inputs are padded to it) or dynamic.
  - First output: float logits [batch, seq, 2] with class 1 = keep (as
    LLMLingua-2 and Hugging Face token-classification exports write them), or
    keep-probabilities [batch, seq] or [batch, seq, 1].
- `tokenizer.json`: the Hugging Face `tokenizers` file for that model (what a
  fast tokenizer's `save_pretrained()` writes). Its truncation `max_length`,
  else the model's fixed `seq`, else 512, sets the window length; texts
  longer than a window are scored window by window, cut at sentence ends.

`TextModel.load(path)` checks all of this (one probe run included) and raises
`TextModelError` with what to fix. `load_text_model(path)` is the cached form
the pipeline uses: one session per folder per process.
"""

from __future__ import annotations

import functools

from headroom.compressors.text_model.model import TextModel, TextModelError
from headroom.compressors.text_model.protect import protected_spans, query_terms
from headroom.compressors.text_model.prune import Pruned, apply_text_model, prune_words

__all__ = [
    "Pruned",
    "TextModel",
    "TextModelError",
    "apply_text_model",
    "load_text_model",
    "protected_spans",
    "prune_words",
    "query_terms",
]


@functools.lru_cache(maxsize=4)
def load_text_model(path: str) -> TextModel | None:
    """The model in folder `path`, loaded once per process; None when `path` is empty (off)."""
    return TextModel.load(path) if path.strip() else None
