"""How alarming a log line is, read from its template.

Severity is decided once per template (the masked line), not once per line:
level words, exception names and failure words are constants of a format
string, so a log of 100 000 lines with 200 templates costs 200 searches.
Levels are spelled many ways (`ERROR`, `[error]`, `E/Tag`, Android's ` E `),
and many programs log failures at INFO (`Info CBS Failed to ...`), so the
words of the message count as much as the level field.
"""

from __future__ import annotations

import re

__all__ = ["ERROR", "FATAL", "NORMAL", "WARNING", "severity"]

NORMAL = 0
WARNING = 1
ERROR = 2
FATAL = 3

# Looked up with `in` on the lower-cased template (substrings, so "fail" is
# found in "sendSyncFailedBroadcast"); the short ones only as whole words.
# fmt: off
_FATAL_PARTS = (
    "fatal", "panic", "emerg", "critical", "severe", "segfault", "segmentation fault",
    "core dump", "out of memory",
)
_FATAL_WORDS = frozenset({"crit", "oom", "killed"})
_ERROR_PARTS = (
    "error", "exception", "traceback", "fail", "unable to", "cannot", "can't", "could not",
    "couldn't", "refused", "denied", "abort", "crash", "corrupt",
)
_ERROR_WORDS = frozenset({"err"})
_WARNING_PARTS = (
    "warn", "timed out", "timeout", "time out", "invalid", "unexpected", "broken",
    "reset by peer", "unreachable", "not found", "no such", "mismatch", "exceed", "threshold",
    "retry", "illegal", "violation", "interrupt", "reject", "overflow", "unavailable",
    "missing", "expired", "disconnect", "too many", "insufficient", "wrong", "deprecat",
)
_WARNING_WORDS = frozenset({"lost", "unknown", "bad", "possible"})
# fmt: on
_WORD = re.compile(r"[a-z]+")
#: One-letter levels (Android logcat, glog) in the header: ` E Tag:`, `E/Tag`.
_LETTER = re.compile(r"(?:^|\s)([EFW])[\s/]")
_LETTER_REACH = 60
_BY_LETTER = {"F": FATAL, "E": ERROR, "W": WARNING}


def severity(template: str) -> int:
    """NORMAL, WARNING, ERROR or FATAL for a template (a masked log line)."""
    letter = _LETTER.search(template, 0, _LETTER_REACH)
    level = _BY_LETTER[letter.group(1)] if letter else NORMAL
    text = template.lower()
    words = set(_WORD.findall(text))
    if _has(text, words, _FATAL_PARTS, _FATAL_WORDS):
        return FATAL
    if _has(text, words, _ERROR_PARTS, _ERROR_WORDS):
        return max(level, ERROR)
    if _has(text, words, _WARNING_PARTS, _WARNING_WORDS):
        return max(level, WARNING)
    return level


def _has(text: str, words: set[str], parts: tuple[str, ...], whole: frozenset[str]) -> bool:
    return not whole.isdisjoint(words) or any(part in text for part in parts)
