"""Prose and long documents: query-aware extraction, never a rewritten word.

READMEs, docs, papers, reports and filings are long, and a question needs a
few of their sentences. The published Headroom saves nothing on them unless
a 261 MB model is downloaded; this compressor needs no model:

1. `lines`, `blocks`, `outline`: the document is read into blocks (headings
   in Markdown, reST/setext and numbered styles, prose paragraphs, code and
   literal blocks, tables, markup) and sections, with its table of contents.
2. `units`: prose is cut into list items and sentences (`。！？` included);
   code blocks and small tables are one unit each. Units are offsets into
   the original, so whatever is kept is a verbatim slice, line breaks and
   all, and no URL, path, version, hash or number is ever split.
3. `terms`, `scoring`, `salience`: each unit is scored by BM25 against the
   question (light stems, CJK character pairs), borrows relevance from its
   paragraph, its section headings and the sentence introducing a code
   block, and gains importance from position, word-frequency salience
   (wordfreq) and numbers and names.
4. `select`: within a budget (40% of the document by default, times
   `keep_factor`; at most about 12k tokens) the outline, the table of
   contents and every unit holding a number or identifier from the question
   are kept first, then the best units, near-duplicates skipped (`dedupe`),
   and a short run of blocks left between kept ones is kept too. A long
   document (over 200 kB) is first narrowed to its relevant sections, so the
   work stays linear in its size.
5. `render`: kept text in order, `…` for each cut, `… (lines a–b)` for
   skipped blocks, and one marker on top that counts what was cut and names
   the sections cut whole. The original is stored under the marker's id.

The reusable API, for other compressors and the optional ML text backend
(which runs on the kept text, after this extraction):

- `select_sentences(text, query, budget_tokens, *, keep_factor)` → `Extract`:
  `.spans` are the kept (start, end) offsets into `text`, `.kept` and
  `.units` the units; `render(extract, ccr_id)` writes the output.
- `sentence_spans(text, start, end)`: sentence offsets of a piece of prose.
- `protected_spans(text, query)`: offsets of the UUIDs, hashes, URLs, emails,
  paths, versions and question numbers that a later step must not cut.
- `TextCompressor(refine=...)`: a `Refine` callable `(text, query) -> text`
  run on each kept run of prose sentences (never on headings, code, tables
  or markers): the hook for the ML backend, off by default.
"""

from __future__ import annotations

from headroom.compressors.text.compressor import Refine, TextCompressor, signature
from headroom.compressors.text.protect import protected_spans
from headroom.compressors.text.render import render
from headroom.compressors.text.select import Extract, chars_per_token, select_sentences
from headroom.compressors.text.units import sentence_spans

__all__ = [
    "Extract",
    "Refine",
    "TextCompressor",
    "chars_per_token",
    "protected_spans",
    "render",
    "select_sentences",
    "sentence_spans",
    "signature",
]
