"""Source code: keep the outline and what the question is about, elide the rest.

A source file read in full is mostly function bodies, and most questions are
about one or two of them. This package parses the file with tree-sitter
(tree-sitter-language-pack, every grammar bundled), keeps imports,
module-level constants and types, class/struct/interface/enum declarations,
every function and method signature with its decorators, and the first line
of each docstring or comment block, and elides the rest as `… (lines a–b)`
lines under one CCR marker. Functions the question names, or a traceback in it
points into, are kept whole; rare question words and, for questions about
errors, `raise`/`throw`/`panic` lines are kept inside elided bodies.

Line-number gutters (Claude Code's `    12→code`, `cat -n`) are kept on every
kept line, so an agent can re-read an elided range with its own file tool.

Modules: `numbering` (gutters), `language` (which grammar), `grammars`
(tree-sitter queries per language), `outline` (functions, comments, docstrings
as rows), `relevance` (what the question points at), `plan` (which rows go),
`compressor` (the `Compressor`).
"""

from headroom.compressors.code.compressor import CodeCompressor

__all__ = ["CodeCompressor"]
