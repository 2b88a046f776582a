"""Which grammar to parse a source text with.

The file name decides when the tool call names one (`headroom.compressors.
languages.language_of`). Otherwise the content does, cheaply: each language
has a few line shapes that are common in it and rare elsewhere (`package x;`
and `@Override` in Java, `fn`/`impl`/`let mut` in Rust, `:=` and `func` in Go),
counted over the first `SAMPLE_CHARS` characters. The result is a ranking, not
a verdict: the compressor parses with the best candidate and tries the next one
when the parse is full of errors.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from headroom.compressors.languages import language_of
from headroom.types import Origin

#: Only this much of the text is looked at: a third each from its start, middle and end
#: (a long licence header or a big struct of comments must not decide alone).
SAMPLE_CHARS = 7_500
_PATH_KEYS = ("file_path", "path", "filename")

#: Substrings common in one language and rare in the others, with their weights.
#: Counting literals is fast (no regex over the sample) and is only a ranking.
_SIGNS: dict[str, dict[str, int]] = {
    "python": {
        "\ndef ": 3,
        "    def ": 3,
        "self.": 1,
        "elif ": 3,
        "\nimport ": 2,
        "\nfrom ": 2,
        "):\n": 2,
        "None": 1,
        "__init__": 3,
        "    except ": 3,
    },
    "go": {"\nfunc ": 4, ":= ": 3, "err != nil": 4, "\npackage ": 3, "nil": 1},
    "rust": {
        "fn ": 2,
        "let ": 1,
        "impl": 2,
        "&self": 3,
        "&mut ": 3,
        "pub(crate)": 3,
        "Option<": 2,
        "Result<": 2,
        "::": 1,
        "#[": 2,
    },
    "java": {
        "public ": 1,
        "private ": 1,
        "@Override": 3,
        "\nimport java": 4,
        "\npackage ": 1,
        "new ": 1,
        "final ": 1,
        "throws ": 3,
    },
    "kotlin": {"fun ": 2, "val ": 2, "override fun": 3, "?.": 1, "!!": 1},
    "csharp": {
        "using System": 4,
        "{ get;": 4,
        "async Task": 4,
        "namespace ": 1,
        "public ": 1,
        "string ": 1,
        "var ": 1,
    },
    "c": {
        "#include": 2,
        "#define": 2,
        "NULL": 2,
        "->": 1,
        "sizeof(": 2,
        "char *": 2,
        "static ": 1,
        "int ": 1,
    },
    "cpp": {
        "std::": 4,
        "template<": 4,
        "template <": 4,
        "nullptr": 4,
        "virtual ": 2,
    },
    "javascript": {
        "function": 2,
        "const ": 1,
        "let ": 1,
        "var ": 1,
        "=> ": 1,
        "require(": 3,
        "module.exports": 4,
        "this.": 1,
    },
    "typescript": {
        ": string": 3,
        ": number": 3,
        ": boolean": 3,
        "interface ": 2,
        "export type ": 3,
        "readonly ": 2,
        "as const": 3,
        ": any": 3,
    },
    "ruby": {
        "\nend\n": 3,
        "  end\n": 3,
        "do |": 3,
        "require '": 2,
        "attr_": 2,
        "elsif ": 3,
        "def ": 1,
    },
    "php": {"<?php": 10, "$this->": 4, "public function": 3, "=> $": 2},
}
#: Below this score the text is not taken for code of any language.
_MIN_SCORE = 8
_JSX = ("</", "/>", "className=")
_SHEBANGS = {"python": "python", "node": "javascript", "ruby": "ruby", "php": "php"}


def path_of(origin: Origin) -> str | None:
    """The file path a tool call read, if it names one."""
    if origin.file_path:
        return origin.file_path
    tool_input: Mapping[str, Any] = origin.tool_input or {}
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def candidates(code: str, origin: Origin) -> list[str]:
    """Languages to try, best first (empty when nothing looks like code we parse)."""
    path = path_of(origin)
    if path is not None:
        by_name = language_of(path)
        if by_name is not None:
            return [by_name]
        if posixpath.splitext(path)[1]:
            return []
    return _by_content(_sample(code))


def _sample(code: str) -> str:
    if len(code) <= SAMPLE_CHARS:
        return code
    third = SAMPLE_CHARS // 3
    middle = len(code) // 2 - third // 2
    return "\n".join((code[:third], code[middle : middle + third], code[-third:]))


def _by_content(sample: str) -> list[str]:
    first = sample.partition("\n")[0]
    if first.startswith("#!"):
        for word, name in _SHEBANGS.items():
            if word in first:
                return [name]
    if sample.lstrip().startswith("<?php"):
        return ["php"]
    scores = {name: _score(sample, signs) for name, signs in _SIGNS.items()}
    # TypeScript is JavaScript plus types, C++ is mostly C: the superset wins on its own signs.
    if scores["typescript"] >= _MIN_SCORE:
        scores["typescript"] += scores.pop("javascript")
    if scores["cpp"] >= _MIN_SCORE:
        scores["cpp"] += scores.pop("c")
    ranked = sorted((n for n in scores if scores[n] >= _MIN_SCORE), key=lambda n: -scores[n])
    if ranked and ranked[0] == "typescript" and sum(sample.count(j) for j in _JSX) >= 3:
        ranked[0] = "tsx"
    return ranked[:2]


def _score(sample: str, signs: dict[str, int]) -> int:
    return sum(sample.count(sign) * weight for sign, weight in signs.items())
