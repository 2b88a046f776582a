"""Finding the per-session and per-day parts of a prompt text.

A provider's prefix cache only hits when the prompt starts with the very bytes
it saw before. Agents put things that change every day or every session near
the top of their system prompt: today's date, an `<env>` block, a `gitStatus:`
snapshot, a working directory, a session id. Each one busts the cache for
everything after it. `split_volatile` takes those parts out of a text so the
rest (the static part) is byte-identical across days and sessions; the
provider adapters (`headroom.providers.align`) then put the moved parts into
one dynamic block at the end of the system prompt, with `render_dynamic`.

The rules are conservative, because moving a static line costs cache hits and
moving a line changes where the model reads it:

- Whole lines and blocks move, verbatim; nothing is cut out of the middle of
  a sentence. Everything else keeps its bytes, and the blank lines around a
  removed block collapse to what surrounded it.
- A line moves only when it is *labelled* as volatile (`Today's date is …`,
  `Session ID: …`, `Working directory: /…`), or when its whole value is an id
  or a timestamp (`Trace: 3f2a…`, a bare ISO timestamp). A UUID inside a
  sentence, or on a line that calls itself an example, stays.
- Blocks: Claude Code's `<env>…</env>` (with the "information about the
  environment" line that introduces it), and a `gitStatus:` snapshot with
  the branch, status and commit paragraphs that follow it. A markdown
  heading whose whole section moved (`# currentDate`) moves along with it.
- Nothing inside fenced code blocks moves.
- Claude Code's billing line (`x-anthropic-billing-header: …; cch=…;`) is
  recognised by `is_billing_line` but never moved: Anthropic handles it itself.
- Text from a line that starts with `DYNAMIC_HEADER` on is a dynamic block this
  module rendered before; it is left alone, so aligning twice changes nothing.

Kinds of moved parts: "date", "uuid", "hex_id", "session_id", "env_block",
"cwd", "git_status".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

__all__ = [
    "DYNAMIC_HEADER",
    "Moved",
    "Split",
    "is_billing_line",
    "render_dynamic",
    "split_volatile",
]

#: The first line of every dynamic block; also how a rendered block is recognised.
DYNAMIC_HEADER = (
    "[headroom: per-session context, moved here from earlier in the prompt "
    "so the rest of the prompt stays cacheable]"
)


@dataclass(frozen=True, slots=True)
class Moved:
    """One volatile line or block, as it appeared in the text."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Split:
    """A text without its volatile parts (`static`), and the parts, in order."""

    static: str
    moved: tuple[Moved, ...]


# --- what a volatile line looks like -------------------------------------------------------

_BILLING = re.compile(r"\s*x-anthropic-billing-header:")

# Finding candidate lines is most of the cost on a long prompt, so it is done
# with two whole-text searches that Python's regex engine runs fast: one that
# starts with a literal newline (line starts with a volatile label), one for a
# last token holding a digit (ids, timestamps, session tokens).
_LABEL_WORDS = (
    r"\n[ \t]*(?:[-*+][ \t]+)?(?:\*\*)?(?:<env>|gitstatus:|git status:|current branch:"
    r"|the[ \t]|today|date|time|now|timestamp|local|current|session|conversation|working|cwd"
    r"|additional|primary|present|workspace|project)"
)
_LABEL_START = re.compile(_LABEL_WORDS)
_LABEL_START_ANY_CASE = re.compile(_LABEL_WORDS, re.IGNORECASE)
_DIGIT_TOKEN_AT_END = re.compile(r"\d\S*[ \t\r]*(?:\n|\Z)")

#: `Label: value`, `label = value`, `Label is value`, with an optional bullet or bold.
_KEY_VALUE = re.compile(
    r"[ \t]*(?:[-*+][ \t]+)?(?:\*\*)?"
    r"(?P<label>[A-Za-z][\w .'’()/-]{0,48}?)"
    r"(?:\*\*)?(?:[ \t]*[:=]|[ \t]+is(?=[ \t]))(?:\*\*)?[ \t]*"
    r"(?P<value>\S.*?)[ \t\r]*"
)
#: A line that says it shows an example is documentation, not state.
_EXAMPLE = re.compile(r"\b(?:example|sample|e\.g\.|placeholder|such as)", re.IGNORECASE)

_TODAY_LABEL = re.compile(
    r"(?:the[ \t]+)?(?:today(?:'s|’s)?(?:[ \t]+date)?|current[ \t]+date|date[ \t]+today)",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(
    r"(?:the[ \t]+)?(?:current[ \t]+(?:time|date[ \t]*(?:and|&)[ \t]*time|datetime|timestamp)"
    r"|(?:local[ \t]+)?time(?:[ \t]+now)?|now|timestamp|date|date/time|datetime|local[ \t]+date)",
    re.IGNORECASE,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_TOKEN = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2}"
    rf"|{_MONTH}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+{_MONTH},?[ \t]+\d{{4}}",
    re.IGNORECASE,
)
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[ \t]?(?:Z|UTC|[+-]\d{2}:?\d{2}))?",
    re.IGNORECASE,
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_HEX_ID = re.compile(r"(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{16,}", re.IGNORECASE)

_SESSION_LABEL = re.compile(
    r"(?:[A-Za-z][\w.-]*[ \t]+){0,3}?"
    r"(?:(?:session|conversation)(?:[ _-]?(?:id|key|uuid))?"
    r"|(?:thread|request|trace|run|chat|interaction)[ _-]?(?:id|key|uuid))",
    re.IGNORECASE,
)
_SESSION_VALUE = re.compile(r"(?=[\w.:-]*\d)[\w.:-]{6,}")

_CWD_LABEL = re.compile(
    r"(?:(?:current|primary|present)[ \t]+)?working[ \t]+director(?:y|ies)"
    r"|additional[ \t]+working[ \t]+directories|cwd|current[ \t]+directory"
    r"|workspace(?:[ \t]+(?:root|directory|folder|path))?|project[ \t]+directory",
    re.IGNORECASE,
)
_PATH_START = re.compile(r"[`\"']?(?:/|~|[A-Za-z]:[\\/]|\.{1,2}[\\/])")

# --- blocks ---------------------------------------------------------------------------------

_ENV_OPEN = re.compile(r"[ \t]*<env>")
_ENV_CLOSE = "</env>"
_ENV_INTRO = re.compile(r".{0,120}\benvironment\b.{0,120}:[ \t\r]*", re.IGNORECASE)
#: An `<env>` block longer than this is not Claude Code's, and is left alone.
_ENV_MAX_LINES = 40

_GIT_START = re.compile(r"[ \t]*(?:gitStatus:|git status:|current branch:)", re.IGNORECASE)
#: Paragraphs that continue a git-status snapshot after a blank line.
_GIT_SECTION = re.compile(
    r"[ \t]*(?:current branch|main branch|git user|status|recent commits|untracked files"
    r"|changes (?:not )?staged|staged changes)\b[^:\n]*:",
    re.IGNORECASE,
)

_HEADING = re.compile(r"#{1,6}[ \t]+\S")
_FENCES = (re.compile(r"```+"), re.compile(r"~~~+"))


def is_billing_line(text: str) -> bool:
    """Whether `text` is Claude Code's per-request billing line (left in place, never hashed)."""
    return _BILLING.match(text) is not None


def split_volatile(text: str) -> Split:
    """Take the volatile lines and blocks out of `text`; see the module docstring."""
    if not text or is_billing_line(text):
        return Split(text, ())
    body, newline = (text[:-1], "\n") if text.endswith("\n") else (text, "")
    lines = body.split("\n")
    spans = _find_spans(body, lines)
    if not spans:
        return Split(text, ())
    moved = tuple(Moved(kind, "\n".join(lines[a:b])) for a, b, kind in spans)
    static = _join_kept(lines, spans)
    return Split(static + newline if static else "", moved)


def render_dynamic(moved: Sequence[Moved]) -> str:
    """The dynamic block: `DYNAMIC_HEADER`, then each moved part, separated by blank lines.

    Parts keep their original text, except a "today's date" line (with any
    heading over it), which becomes `Current date: <the date as written>`.
    An empty `moved` renders as "".
    """
    if not moved:
        return ""
    return DYNAMIC_HEADER + "\n" + "\n\n".join(_render_part(part) for part in moved)


def _render_part(part: Moved) -> str:
    if part.kind == "date":
        last = part.text.rsplit("\n", 1)[-1]
        match = _KEY_VALUE.fullmatch(last)
        if match and _TODAY_LABEL.fullmatch(match["label"].strip()):
            return f"Current date: {match['value'].removesuffix('.')}"
    return part.text


# --- finding spans --------------------------------------------------------------------------

_Span = tuple[int, int, str]  # first line, line after the last, kind


def _find_spans(text: str, lines: list[str]) -> list[_Span]:
    limit = len(lines)
    if DYNAMIC_HEADER in text:
        starts = (i for i, line in enumerate(lines) if line.startswith(DYNAMIC_HEADER))
        limit = next(starts, limit)
    fenced = _fenced_lines(text, lines)
    spans: list[_Span] = []
    floor = 0
    for i in _candidate_lines(text, lines):
        if i >= limit:
            break
        if i < floor or i in fenced:
            continue
        span = _span_at(lines, i, floor, limit, fenced)
        if span is not None:
            spans.append(span)
            floor = span[1]
    return _with_headings(lines, spans, limit, fenced)


def _candidate_lines(text: str, lines: list[str]) -> list[int]:
    """Indexes of lines with a volatile label at the start or a digit in the last token."""
    starts = [0, *accumulate(len(line) + 1 for line in lines)]
    if text.isascii():
        labels = _LABEL_START.finditer("\n" + text.lower())
    else:
        labels = _LABEL_START_ANY_CASE.finditer("\n" + text)
    found = {bisect_right(starts, m.start()) - 1 for m in labels}
    found.update(bisect_right(starts, m.start()) - 1 for m in _DIGIT_TOKEN_AT_END.finditer(text))
    return sorted(found)


def _fenced_lines(text: str, lines: list[str]) -> set[int]:
    """Lines inside fenced code blocks, fences included (an unclosed fence runs to the end)."""
    if "```" not in text and "~~~" not in text:
        return set()
    starts = [0, *accumulate(len(line) + 1 for line in lines)]
    fences: list[tuple[int, str]] = []
    for pattern in _FENCES:
        for match in pattern.finditer(text):
            i = bisect_right(starts, match.start()) - 1
            if not text[starts[i] : match.start()].strip(" \t"):
                fences.append((i, match.group()))
    fenced: set[int] = set()
    opener: tuple[int, str] | None = None
    for i, fence in sorted(fences):
        if opener is None:
            opener = (i, fence)
        elif fence[0] == opener[1][0] and len(fence) >= len(opener[1]):
            fenced.update(range(opener[0], i + 1))
            opener = None
    if opener is not None:
        fenced.update(range(opener[0], len(lines)))
    return fenced


def _span_at(lines: list[str], i: int, floor: int, limit: int, fenced: set[int]) -> _Span | None:
    line = lines[i]
    if _ENV_OPEN.match(line):
        end = _env_end(lines, i, limit, fenced)
        if end is None:
            return None
        intro = i > floor and i - 1 not in fenced and _ENV_INTRO.fullmatch(lines[i - 1]) is not None
        return (i - 1 if intro else i, end, "env_block")
    if _GIT_START.match(line):
        return (i, _git_end(lines, i, limit, fenced), "git_status")
    kind = _line_kind(line)
    return None if kind is None else (i, i + 1, kind)


def _env_end(lines: list[str], i: int, limit: int, fenced: set[int]) -> int | None:
    for j in range(i, min(limit, i + _ENV_MAX_LINES)):
        if j in fenced:
            return None
        if _ENV_CLOSE in lines[j]:
            return j + 1
    return None


def _git_end(lines: list[str], i: int, limit: int, fenced: set[int]) -> int:
    """A git snapshot runs on through blank lines while the next paragraph is a git section."""
    j = i + 1
    while j < limit and j not in fenced:
        if lines[j].strip():
            j += 1
            continue
        k = j
        while k < limit and not lines[k].strip():
            k += 1
        if k < limit and k not in fenced and _GIT_SECTION.match(lines[k]):
            j = k + 1
            continue
        break
    return j


def _line_kind(line: str) -> str | None:
    if _EXAMPLE.search(line):
        return None
    match = _KEY_VALUE.fullmatch(line)
    if match is None:
        return _value_kind(line.strip())
    label, value = match["label"].strip(), match["value"]
    bare = value.strip("`\"'").removesuffix(".").strip("`\"'")
    if _SESSION_LABEL.fullmatch(label) and _SESSION_VALUE.fullmatch(bare):
        return "session_id"
    if _CWD_LABEL.fullmatch(label) and _PATH_START.match(value):
        return "cwd"
    is_date_label = _TODAY_LABEL.fullmatch(label) or _DATE_LABEL.fullmatch(label)
    if is_date_label and len(value) <= 80 and _DATE_TOKEN.search(value):
        return "date"
    return _value_kind(bare)


def _value_kind(value: str) -> str | None:
    """The kind of a value that is an id or a timestamp and nothing else."""
    if _UUID.fullmatch(value):
        return "uuid"
    if _TIMESTAMP.fullmatch(value):
        return "date"
    if _HEX_ID.fullmatch(value):
        return "hex_id"
    return None


def _with_headings(
    lines: list[str], spans: list[_Span], limit: int, fenced: set[int]
) -> list[_Span]:
    """Move a markdown heading along when everything under it moved (`# currentDate`)."""
    out = list(spans)
    for n, (start, _, kind) in enumerate(spans):
        above = start - 1
        taken = n > 0 and spans[n - 1][1] > above
        if above < 0 or taken or above in fenced or not _HEADING.match(lines[above]):
            continue
        end = spans[n][1]
        for later in spans[n + 1 :]:
            if later[0] != end:
                break
            end = later[1]
        if end >= limit or not lines[end].strip() or _HEADING.match(lines[end]):
            out[n] = (above, spans[n][1], kind)
    return out


# --- the static text ------------------------------------------------------------------------


def _join_kept(lines: list[str], spans: list[_Span]) -> str:
    """The lines outside `spans`; each gap keeps the blank lines on one side of it.

    Spans with only blank lines between them make one gap. The gap keeps the
    longer run of blank lines that surrounded it, or none at the start or end
    of the text.
    """
    out: list[str] = []
    cursor, n, k = 0, len(lines), 0
    while k < len(spans):
        first, end = spans[k][0], spans[k][1]
        after = _skip_blank(lines, end)
        while k + 1 < len(spans) and spans[k + 1][0] <= after:
            k += 1
            end = spans[k][1]
            after = _skip_blank(lines, end)
        before = first
        while before > cursor and not lines[before - 1].strip():
            before -= 1
        out.extend(lines[cursor:before])
        if before > 0 and after < n:
            lead, trail = lines[before:first], lines[end:after]
            out.extend(lead if len(lead) >= len(trail) else trail)
        cursor = after
        k += 1
    out.extend(lines[cursor:])
    return "\n".join(out)


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i
