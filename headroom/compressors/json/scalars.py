"""How one key or one scalar value is written in the compact view.

A value is written bare whenever that cannot be mistaken for something else,
so a needle such as `Something isn't working` or `The doors don’t open`
appears exactly as the JSON decoded it. A string is quoted (as a JSON string,
non-ASCII left literal) only when bare text would be ambiguous:

- it is empty, or starts or ends with whitespace;
- it reads as another JSON type (`null`, `true`, `12`, `"0"` → quoted);
- it starts with a character that opens other syntax here (`"`, `[`, `{`,
  `(`, a backtick) or holds control characters;
- in a cell (table row, inline list, `key=value` list) it holds a comma.

Numbers keep the spelling they had in the input (`1.50` stays `1.50`):
the parser hands floats over as `JsonFloat`, which remembers its text.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import orjson

__all__ = [
    "JsonFloat",
    "child_path",
    "estimate_tokens",
    "is_scalar",
    "json_text",
    "key_text",
    "path_text",
    "quote",
    "scalar_text",
    "string_form",
]


class JsonFloat(float):
    """A float that remembers how the input spelled it."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JsonFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number


# No nested quantifiers over the same characters, so a long run of digits stays linear.
_LITERAL = re.compile(r"true|false|null|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_WORD_LITERALS = frozenset({"true", "false", "null"})
_VALUE_UNSAFE = re.compile(r"^\s|\s$|[\x00-\x1f\x7f\u2028\u2029]|^[\"\[{(`]")
_CELL_UNSAFE = re.compile(r"^\s|\s$|[\x00-\x1f\x7f\u2028\u2029,]|^[\"\[{(`]")
_KEY_UNSAFE = re.compile(r"^\s|\s$|^$|[\x00-\x1f\x7f\u2028\u2029:=,{}\"]|^[\[(`#-]")
_DOTTED_KEY_UNSAFE = re.compile(r"[.\[\]]")
_BACKTICKS = re.compile(r"`{3,}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: Characters that cost more than a quarter of a token each.
_DENSE = tuple('0123456789,.:"{}[]')


def is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float)


def quote(text: str) -> str:
    """`text` as a JSON string literal; non-ASCII stays literal (lone surrogates escaped)."""
    if text.isascii() or not _SURROGATE.search(text):
        return orjson.dumps(text).decode()
    return json.dumps(text)


def number_text(value: int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, JsonFloat):
        return value.text
    if isinstance(value, float):
        return orjson.dumps(value).decode() if value == value else "NaN"
    return str(value)


def scalar_text(value: object, *, cell: bool = False) -> str:
    """A scalar written for reading: bare when unambiguous, else JSON-quoted."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return _string_text(value, cell=cell)
    if isinstance(value, int | float):
        return number_text(value)
    return json_text(value)


def _string_text(text: str, *, cell: bool) -> str:
    if text.isidentifier() and text not in _WORD_LITERALS:  # the common case, made fast
        return text
    if not text or _LITERAL.fullmatch(text):
        return quote(text)
    unsafe = _CELL_UNSAFE if cell else _VALUE_UNSAFE
    if unsafe.search(text) or (not text.isascii() and _SURROGATE.search(text)):
        return quote(text)
    return text


def string_form(text: str) -> tuple[str, bool]:
    """How a string value is written: (its inline text, False) or (a fence, True).

    A string with line breaks is written verbatim between fences of
    backticks, longer than any run of backticks inside it.
    """
    if "\n" not in text:
        return _string_text(text, cell=False), False
    runs = _BACKTICKS.findall(text)
    return "`" * max([3, *(len(run) + 1 for run in runs)]), True


@functools.lru_cache(maxsize=8192)
def key_text(key: str, *, dotted: bool = False) -> str:
    """An object key: bare when plain, else JSON-quoted. `dotted` keys also quote `.`.

    Keys repeat across records and passes, so answers are cached (a pure function).
    """
    if _KEY_UNSAFE.search(key) or (dotted and _DOTTED_KEY_UNSAFE.search(key)):
        return quote(key)
    if not key.isascii() and _SURROGATE.search(key):
        return quote(key)
    return key


def path_text(path: tuple[str, ...]) -> str:
    """A dotted path of keys (`user.login`); a key holding `.` or brackets is quoted."""
    return ".".join(key_text(key, dotted=True) for key in path)


def child_path(path: str, key: str) -> str:
    """Where a member lives, written for `(same as …)`: `issue.user`, `[2].headers["etag"]`."""
    if key.isidentifier() and key_text(key, dotted=True) == key:
        return f"{path}.{key}" if path else key
    return f"{path}[{quote(key)}]"


def _fragment(value: object) -> orjson.Fragment:
    if isinstance(value, JsonFloat):
        return orjson.Fragment(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_text(value: Any) -> str:
    """Minified JSON of `value`, floats spelled as in the input."""
    try:
        return orjson.dumps(value, default=_fragment).decode()
    except TypeError:  # lone surrogates, or nesting deeper than orjson allows
        return json.dumps(value, separators=(",", ":"), default=_float_text)


def _float_text(value: object) -> object:
    if isinstance(value, JsonFloat):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def estimate_tokens(text: str) -> int:
    """A cheap token estimate, fitted on JSON, logs and agent traces against o200k.

    Letters cost about a quarter of a token each; digits and JSON punctuation
    much more (tokenizers split numbers into short groups), so a table of
    numbers takes more tokens per character than prose does.
    """
    dense = sum(map(text.count, _DENSE))
    return int((len(text) - dense) * 0.25 + dense * 0.62 + text.count("\n") * 0.5)
