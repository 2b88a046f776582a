"""What the code compressor asks tree-sitter, per language.

Each grammar names, as tree-sitter queries, the function-like nodes whose
bodies may be elided (`@def`, its `@body`, and its `@name` where the grammar
has one) and the comment node types. Everything else the compressor needs
(imports, types, class members, signatures) is simply "not inside an elided
body", so no language needs a list of what to keep.

Parsers and compiled queries are built once per language, on first use, from
the grammars bundled in tree-sitter-language-pack (<1.0 bundles every grammar
in its wheel; nothing is downloaded).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import cast

from tree_sitter import Language, Parser, Query, Tree
from tree_sitter_language_pack import SupportedLanguage, get_language

_JS_FUNCTIONS = """[
  (function_declaration name: (_) @name body: (_) @body)
  (generator_function_declaration name: (_) @name body: (_) @body)
  (function_expression name: (_)? @name body: (_) @body)
  (generator_function name: (_)? @name body: (_) @body)
  (arrow_function body: (statement_block) @body)
  (method_definition name: (_) @name body: (_) @body)
] @def"""

_FUNCTIONS: dict[str, str] = {
    "python": "(function_definition name: (_) @name body: (block) @body) @def",
    "javascript": _JS_FUNCTIONS,
    "typescript": _JS_FUNCTIONS,
    "tsx": _JS_FUNCTIONS,
    "go": """[
      (function_declaration name: (_) @name body: (block) @body)
      (method_declaration name: (_) @name body: (block) @body)
      (func_literal body: (block) @body)
    ] @def""",
    "rust": """[
      (function_item name: (_) @name body: (block) @body)
      (closure_expression body: (block) @body)
    ] @def
    (macro_definition name: (_) @name) @def @body""",
    "java": """[
      (method_declaration name: (_) @name body: (block) @body)
      (constructor_declaration name: (_) @name body: (constructor_body) @body)
      (lambda_expression body: (block) @body)
      (static_initializer (block) @body)
    ] @def""",
    "c": "(function_definition body: (compound_statement) @body) @def",
    "cpp": """[
      (function_definition body: (compound_statement) @body)
      (lambda_expression body: (compound_statement) @body)
    ] @def""",
    "csharp": """[
      (method_declaration name: (_) @name body: (block) @body)
      (constructor_declaration name: (_) @name body: (block) @body)
      (destructor_declaration name: (_) @name body: (block) @body)
      (local_function_statement name: (_) @name body: (block) @body)
      (operator_declaration body: (block) @body)
      (accessor_declaration body: (block) @body)
      (lambda_expression body: (block) @body)
    ] @def""",
    "ruby": """[
      (method name: (_) @name body: (_) @body)
      (singleton_method name: (_) @name body: (_) @body)
    ] @def""",
    "php": """[
      (function_definition name: (_) @name body: (_) @body)
      (method_declaration name: (_) @name body: (_) @body)
      (anonymous_function body: (_) @body)
    ] @def""",
    "kotlin": """[
      (function_declaration (simple_identifier) @name (function_body) @body)
      (anonymous_function (function_body) @body)
      (secondary_constructor (statements) @body)
      (anonymous_initializer (statements) @body)
    ] @def""",
}

_COMMENTS: dict[str, tuple[str, ...]] = {
    "rust": ("line_comment", "block_comment"),
    "java": ("line_comment", "block_comment"),
    "kotlin": ("line_comment", "multiline_comment"),
}

#: Docstrings: a string first in a module, class or function body (Python).
_DOCSTRINGS: dict[str, str] = {
    "python": "[(module . (string) @doc) (block . (string) @doc)]",
}

#: Statements that may stand in long runs at module level (test tables, registrations).
_STATEMENTS: dict[str, str] = {
    "python": "(module (call) @statement)",
    "javascript": "(program (expression_statement (call_expression)) @statement)",
    "typescript": "(program (expression_statement (call_expression)) @statement)",
    "tsx": "(program (expression_statement (call_expression)) @statement)",
    "rust": """[
      (source_file (macro_invocation) @statement)
      (declaration_list (macro_invocation) @statement)
    ]""",
    "ruby": "(program (call) @statement)",
    "php": "(program (expression_statement) @statement)",
}

#: The languages this compressor parses (tree-sitter-language-pack names).
LANGUAGES: tuple[str, ...] = tuple(_FUNCTIONS)


#: Matches start no deeper than this in the tree, so the query skips the inside
#: of function bodies (deeply nested functions are elided with their parent).
MAX_START_DEPTH = 12


@dataclass(frozen=True, slots=True)
class Grammar:
    """One language's parser and the query its outline is read with.

    `outline` captures `@def`/`@body`/`@name` for functions, `@comment` for
    comments, `@doc` for docstrings, `@statement` for module-level
    statements and `@error` for parse errors, all in one pass over the tree.
    """

    name: str
    language: Language
    outline: Query
    #: Whether a string first in a body is a docstring (Python).
    docstrings: bool

    def parse(self, source: bytes) -> Tree:
        """A syntax tree of `source` (a fresh parser each time: parsers are not thread-safe)."""
        return Parser(self.language).parse(source)


@functools.cache
def grammar(name: str) -> Grammar:
    """The grammar for a language name in `LANGUAGES` (built once, then shared)."""
    if name not in _FUNCTIONS:
        raise KeyError(f"no code grammar for {name!r}; known: {', '.join(LANGUAGES)}")
    language = get_language(cast(SupportedLanguage, name))
    comment_types = _COMMENTS.get(name, ("comment",))
    patterns = [
        _FUNCTIONS[name],
        "[" + " ".join(f"({t})" for t in comment_types) + "] @comment",
        _DOCSTRINGS.get(name, ""),
        _STATEMENTS.get(name, ""),
        "(ERROR) @error",
    ]
    return Grammar(
        name=name,
        language=language,
        outline=Query(language, "\n".join(patterns)),
        docstrings=name in _DOCSTRINGS,
    )
