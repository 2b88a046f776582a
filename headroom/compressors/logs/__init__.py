"""Logs: repeated lines become counts per template, anomalies stay verbatim.

A system log is mostly the same few dozen format strings printed thousands
of times; what a reader asks about is the line that is not like the others
(an error, an exception, a rare event) or the one the question names (a time,
a block id, a user). So the compressor:

1. cleans terminal noise (escape codes, carriage-return redraws; lossless),
2. mines line templates by masking variables (`templates`), and groups a
   line with the stack trace or wrapped text under it (`records`),
3. scores records: severity of the template (`severity`), rarity, and match
   with the question (`query`),
4. keeps, within a budget of about 7% of the input (times `keep_factor`), the
   records that matter most (`select`), verbatim and in order, and
5. writes one marker on top, naming the most-cut templates; the first kept
   line of a template that lost lines ends with `[×N, last <time>]`.

Every kept line is a whole original line, so timestamps, ids and messages
survive exactly; the original is stored under the marker's id. `signature`
names the kind of log by its dominant templates, for the learning loop.
"""

from __future__ import annotations

from headroom.compressors.logs.compressor import LogsCompressor
from headroom.compressors.logs.templates import signature

__all__ = ["LogsCompressor", "signature"]
