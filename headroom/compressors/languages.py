"""What a file name says about its content.

The router trusts a file's extension over its content: a Read of `x.py` is
Python even when the first lines are a long docstring. This module holds the
one table from extensions to content kinds, and to the tree-sitter language
names (tree-sitter-language-pack spelling) the code compressor parses with.
"""

from __future__ import annotations

import posixpath

#: Extensions (lower case, with the dot) of files tree-sitter can parse.
TREE_SITTER_LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
    ".cs": "csharp",
    ".rb": "ruby",
    ".php": "php",
    ".kt": "kotlin",
    ".kts": "kotlin",
}

#: Source files with no tree-sitter grammar bundled here: still code, parsed as text.
_OTHER_CODE = frozenset(
    {
        ".sh",
        ".bash",
        ".zsh",
        ".fish",
        ".ps1",
        ".swift",
        ".scala",
        ".sc",
        ".lua",
        ".pl",
        ".pm",
        ".r",
        ".m",
        ".mm",
        ".dart",
        ".zig",
        ".hs",
        ".ml",
        ".mli",
        ".ex",
        ".exs",
        ".erl",
        ".clj",
        ".cljs",
        ".groovy",
        ".gradle",
        ".vue",
        ".svelte",
        ".sql",
        ".proto",
        ".cmake",
        ".mk",
        ".jl",
        ".nim",
        ".v",
        ".sv",
        ".vhd",
        ".f90",
        ".asm",
        ".s",
        ".elm",
        ".fs",
        ".fsx",
        ".vb",
        ".tf",
    }
)

#: Extensions whose content kind is not code.
_OTHER_KINDS: dict[str, str] = {
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".geojson": "json",
    ".ipynb": "json",
    ".log": "logs",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "text",
    ".markdown": "text",
    ".rst": "text",
    ".txt": "text",
    ".adoc": "text",
    ".diff": "diff",
    ".patch": "diff",
}

#: File names without a telling extension that are code all the same.
_CODE_NAMES = frozenset({"makefile", "dockerfile", "rakefile", "gemfile", "justfile"})


def _extension(path: str) -> str:
    """The lower-case extension of the last path component ('' when none)."""
    name = posixpath.basename(path.replace("\\", "/")).lower()
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def language_of(path: str) -> str | None:
    """The tree-sitter language name for `path`, or None when no grammar applies."""
    return TREE_SITTER_LANGUAGES.get(_extension(path))


def kind_of_path(path: str) -> str | None:
    """The content kind a file's name implies, or None when the name does not tell.

    Config formats (YAML, TOML, INI, CSV) are left to content detection on
    purpose: they are neither prose nor code a parser would help with.
    """
    ext = _extension(path)
    if ext in TREE_SITTER_LANGUAGES or ext in _OTHER_CODE:
        return "code"
    if ext in _OTHER_KINDS:
        return _OTHER_KINDS[ext]
    if not ext and posixpath.basename(path.replace("\\", "/")).lower() in _CODE_NAMES:
        return "code"
    return None
