"""Line templates: what stays of a log line once its variable parts are masked.

A template miner groups lines that a program printed from one format string.
Drain (drain3) does this with a similarity tree; measured on the Loghub 2k-line
samples it takes 10–110 ms per sample in Python, most of Headroom's budget.
Masking is the equal, much faster miner used here: every run of token
characters that holds a digit (numbers, ids, hex, IPs, ports, paths with
numbers, timestamps) becomes `<*>`; then, on the distinct masked lines only,
small numbers and month and weekday names are masked too and blank runs
become one space, so neither the date nor alignment padding splits a
template. `[Sun Dec 04 17:43:08 2005] [error] mod_jk child init 1 -2` becomes
`[<*> <*> <*> <*> <*>] [error] mod_jk child init <*> <*>`.

One regular-expression pass masks the whole text, so mining is linear and
costs a few milliseconds for a 300 kB log. The same keys give `signature`, a
stable name for "this kind of log" that the learning loop files feedback under.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from headroom.compressors.lossless import strip_ansi

__all__ = [
    "NAMES",
    "TOKEN_CHARS",
    "WILDCARD",
    "Templates",
    "canonical",
    "display",
    "mask",
    "mine",
    "signature",
    "timestamp_of",
]

#: How a masked variable reads in a template.
WILDCARD = "<*>"
#: Templates hashed into a signature: the most frequent ones.
SIGNATURE_TEMPLATES = 5

NAMES = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun"
TOKEN_CHARS = r"A-Za-z0-9_.:/\\@$+~\-"
_TOKEN_NO_DIGIT = r"A-Za-z_.:/\\@$+~\-"
# Possessive quantifiers and the look-behind make every run of token
# characters be tried once, from its start: linear time on any input.
# A small whole number after a blank, "=", "(" or "[" is left for the
# variant; one after "," or "." (milliseconds, decimals) is masked.
_MASK = re.compile(
    rf"(?<![{TOKEN_CHARS}])(?!(?<![^\s=(\[])-?[0-9]{{1,3}}(?![{TOKEN_CHARS}]))"
    rf"[{_TOKEN_NO_DIGIT}]*+[0-9][{TOKEN_CHARS}]*+"
)
# Small whole numbers (states, codes, counts): masked for the template, not
# for the variant, so "error state 7" among many "error state 6" stands out.
_SMALL_NUMBER = re.compile(rf"(?<![{TOKEN_CHARS}])-?[0-9]{{1,3}}(?![{TOKEN_CHARS}])")
# Runs on distinct keys only (a few hundred), so it costs little.
_NAME = re.compile(rf"\b(?:{NAMES})\b")
_HEADER = re.compile(r"^[\s\[(]*(?:<\*>[\s,|\]):-]*)+")

_DATE = (
    rf"(?:\d{{2,4}}[-/.]\d{{1,2}}(?:[-/.]\d{{2,4}})?|\d{{8}}|\d{{6}}"
    rf"|(?:{NAMES})[a-z]{{0,6}}\s+\d{{1,2}})"
)
_TIMESTAMP = re.compile(
    rf"(?:(?:{NAMES})[a-z]{{0,6}},?\s+)?(?:{_DATE}[ T-]+)?"
    r"\d{1,2}:\d{1,2}(?::\d{2})?(?:[.,:]\d{1,9})?(?:Z|\s?[+-]\d{2}:?\d{2}\b| (?:19|20)\d\d\b)?"
    r"|\d{6,8}[ T]\d{6}\b"
)
#: Timestamps are looked for this far into a line: in its header.
_TIMESTAMP_REACH = 48


def mask(text: str) -> str:
    """`text` with every run of token characters holding a digit replaced by `<*>`.

    Small whole numbers (up to three digits) are left: `mine` masks them in
    templates, `headroom.compressors.logs.variants` reads them.
    """
    return _MASK.sub(WILDCARD, text)


def canonical(key: str) -> str:
    """A masked line with month and day names masked and blank runs made one space."""
    return " ".join(_NAME.sub(WILDCARD, key).split())


@dataclass(frozen=True, slots=True)
class Templates:
    """The template of every line, and the masked lines it was merged from.

    Ids count from 0 in order of first appearance. A "form" is a line after
    the masking pass, small numbers still in (`... error state 7`); several
    forms make one template (`... error state <*>`).
    """

    keys: list[str]
    #: Template id of each line.
    ids: list[int]
    counts: list[int]
    #: The distinct forms, the form of each line and the template of each form.
    forms: list[str]
    form_ids: list[int]
    form_template: list[int]


def mine(text: str) -> Templates:
    """Templates of the lines of `text` (`text.split("\\n")`), in one masking pass."""
    forms: dict[str, int] = {}
    form_ids = [forms.setdefault(key, len(forms)) for key in mask(text).split("\n")]
    general_index: dict[str, int] = {}
    index: dict[str, int] = {}
    form_template: list[int] = []
    for form in forms:
        general = _SMALL_NUMBER.sub(WILDCARD, form)
        template = general_index.get(general)
        if template is None:
            template = index.setdefault(canonical(general), len(index))
            general_index[general] = template
        form_template.append(template)
    ids = [form_template[f] for f in form_ids]
    counts = [0] * len(index)
    for tid in ids:
        counts[tid] += 1
    return Templates(list(index), ids, counts, list(forms), form_ids, form_template)


def display(key: str, limit: int = 60) -> str:
    """A template as a reader wants it: header (timestamp, pid…) dropped, cut to `limit`."""
    body = _HEADER.sub("", key, count=1).strip() or key.strip()
    return body if len(body) <= limit else body[: limit - 1] + "…"


def timestamp_of(line: str) -> str | None:
    """The timestamp in the header of `line`, or None."""
    found = _TIMESTAMP.search(line, 0, _TIMESTAMP_REACH)
    return found.group(0) if found else None


SIGNATURE_SAMPLE_CHARS = 64 * 1024


def signature(text: str) -> str | None:
    """A stable hash of the dominant templates of a log, or None when it has none.

    Two runs of the same program give the same signature although their
    values differ; the learning loop keys what it learns about a log by it.
    """
    # The head of a log names its dominant templates; a bounded sample keeps
    # the signature cheap on huge inputs.
    head = strip_ansi(text[:SIGNATURE_SAMPLE_CHARS]).replace("\r\n", "\n")
    lines = [line for line in head.split("\n") if line.strip()]
    if len(lines) < 2:
        return None
    found = mine("\n".join(lines))
    ranked = sorted(range(len(found.keys)), key=lambda t: (-found.counts[t], found.keys[t]))
    top = sorted(found.keys[t] for t in ranked[:SIGNATURE_TEMPLATES] if found.counts[t] > 1)
    if not top:
        return None
    digest = hashlib.sha256("\n".join(top).encode("utf-8", "surrogatepass")).hexdigest()
    return "logs_" + digest[:16]
