"""The JSON compressor: API responses, record sets and JSON lines, made compact.

JSON spends most of its tokens on syntax and repetition: quotes, braces, the
same keys in every record, the same headers in every response, the same
user object under every issue. This package writes the same data as an
indented outline (`outline`) in which

- alike records become tables, header once, one line per row (`shapes`,
  `tables`), and values shared by all records are written once;
- a long value seen before points back to its first copy, and an object
  like one seen before is written as its difference (`repeats`);
- strings appear as the JSON decoded them (quoted only when ambiguous,
  multi-line text verbatim between fences), and a string holding JSON is
  decoded;

all without changing a value. Only when that is still over budget does it
cut (`compressor`): long strings keep their head, tail and the lines that
match the question (`excerpt`); hypermedia URL fields go (`prune`); long
arrays and maps keep their best rows (`rows`): those matching the question,
extremes and outliers, rare values, errors, change points, the first and
the last. Every cut leaves a marker to get the original back, with a short
summary of what it left out (`summary`).

JSON lines whose records are not alike (agent transcripts, event streams)
stay JSON lines (`jsonlines`). Malformed JSON is left to the text path.

`signature(text)` names a text's schema for the learning loop.
"""

from __future__ import annotations

from headroom.compressors.json.compressor import JsonCompressor, default_budget
from headroom.compressors.json.signature import signature

__all__ = ["JsonCompressor", "default_budget", "signature"]
