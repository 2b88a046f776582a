"""Diff compression: every changed line of the hunks a question is about, verbatim.

A diff is mostly what a reader skims past: three lines of context around each
change, `index` hashes, `---`/`+++` lines repeating the `diff --git` paths,
lockfile churn, and, in a large patch, hunks that have nothing to do with the
question. This package keeps what matters and names everything it cuts:

- mail headers, commit messages and diffstats of `git format-patch` output,
  file headers and `@@` hunk headers are always shown;
- every `+`/`-` line of a shown hunk is shown verbatim; context is trimmed to
  one line around each change (more with a higher `keep_factor`), and hunks
  are re-split with exact `@@` headers where inner context is cut;
- on a diff too large for the budget, the hunks that match the query (its
  words and identifiers, in the changes, the context or the file path) are
  shown first, then the smallest of the rest; a hunk left out keeps its `@@`
  header with its +/- counts, behind a marker;
- lockfiles, minified and generated files collapse to one stat marker unless
  the query names something in them;
- rename-only and mode-only changes shrink to their `diff --git` line plus
  the `similarity index` or `old mode`/`new mode` lines that say what changed.

Modules: `patch` (parsing), `trim` (context), `generated` (machine-written
files), `relevance` (choosing hunks), `render` (output and markers),
`compressor` (the `DiffCompressor` that ties them together).
"""

from __future__ import annotations

from headroom.compressors.diff.compressor import DiffCompressor

__all__ = ["DiffCompressor"]
