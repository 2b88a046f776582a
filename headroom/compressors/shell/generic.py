"""Line rules that hold for most test runners, builds and installers.

A line is a *summary* (`Tests: 1 failed, 5 passed`, `Found 3 errors`,
`Successfully installed …`), a *pass* (`test x ... ok`, `✓ adds`, `PASS
src/a.test.js`), *progress* (`Compiling serde v1.0`, `Collecting numpy`,
`[ 45%] Building CXX object …`, `make[1]: Entering directory`), a *warning*,
or anything else. Summaries and anything else are kept: failures, errors,
tracebacks and assertion messages are never recognised as something to
drop, so they stay by default. Passes and progress lines are cut and
counted (a line that opens like progress but mentions an error or a
failure stays). Warnings of the same shape (same message once paths,
numbers and quoted names are blanked) are kept the first `WARNING_REPEATS`
times and then cut, together with the indented lines that belong to them
(a compiler's source excerpt and caret).

These rules also handle what the specific families leave over: the lines
around rustc diagnostics (cargo's progress), pytest's session header and
progress lines, and jest, vitest, mocha, unittest, cargo test, gtest, TAP,
npm, pip, make, cmake, gcc/clang, tsc, mypy and ruff output on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from headroom.compressors.shell.selection import Relevance, Selection

__all__ = ["WARNING_REPEATS", "classify", "select_lines", "shape"]

#: Warnings of one shape kept before the rest are cut (scaled by keep_factor).
WARNING_REPEATS = 3

SUMMARY = re.compile(
    r"""\s*(?:
        (?:Tests?|Test\s(?:Suites|Files)|Snapshots|Time|Duration):\s
      | test\sresult:\s | Ran\s\d+\stests? | OK\b | FAILED\s\( | FAIL(?:ED)?$
      | BUILD\s(?:SUCCESSFUL|FAILED) | Found\s\d+\s(?:errors?|problems?|issues?)
      | Success:\s | Successfully\s(?:installed|built) | added\s\d+\spackages?
      | (?:Finished|Done|Build\s(?:succeeded|failed))\b
      | \[\s*(?:PASSED|FAILED)\s*\]
      | .*\b\d+\s(?:passed|failed|errors?|warnings?|skipped|pending|todo)\b
      | .*\b\d+\s(?:tests?|specs?|examples?|assertions?),
      | .*\b(?:error|warning)s?\sgenerated\b
    )""",
    re.VERBOSE,
)
PASS = re.compile(
    r"""\s*(?:
        (?:✓|✔|√)\s | PASS\s+\S | ok\s\d+\b | \[\s+OK\s+\]
      | --- PASS:\s | \S+::\S+.*\sPASSED\b | PASSED\s\S+::
    )
    | .*\s\.\.\.\s*(?:ok|OK|passed|PASSED)\s*$""",
    re.VERBOSE,
)
PROGRESS = re.compile(
    r"""\s*(?:
        (?:Compiling|Checking|Downloading|Downloaded|Fresh|Updating|Locking|Adding
          |Blocking|Installing|Unpacking|Resolving|Fetching|Preparing|Collecting
          |Obtaining|Processing|Extracting|Linking|Generating|Documenting)\s\S
      | Using\scached\s | Requirement\salready\ssatisfied | go:\sdownloading\s
      | make(?:\[\d+\])?:\s(?:Entering|Leaving|Nothing\sto\sbe\sdone)
      | \[\s*\d+%\]\s | \[\d+/\d+\]\s | >\sTask\s:
      | (?:CC|CXX|LD|AR|AS|GEN|HOSTCC|CHK|UPD|INSTALL|OBJCOPY|STRIP)\s{2,}\S
      | (?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|ar|ranlib|libtool|nvcc)\s+-\S
      | npm\s(?:http|timing|sill|verb)\s | \[ RUN\s+\]
      | [━─█▉▊▋▌▍▎▏#=>\-\s]{10,}.*(?:eta|/s|%)
    )""",
    re.VERBOSE,
)
WARNING = re.compile(
    r"""\s*(?:
        (?:\S+:\d+(?::\d+)?:?\s+)?(?:warning|WARNING|WARN|Warning|npm\sWARN)\b
      | \S+:\d+:\s\w*Warning:
      | \[(?:WARN|WARNING)\]
    )""",
    re.VERBOSE,
)
#: Words that make a line that opens like progress ("Processing x failed") worth keeping.
TROUBLE = re.compile(
    r"error|fail|fatal|exception|panic|denied|cannot|could not|not found|traceback", re.IGNORECASE
)
#: What differs between repeats of one warning: paths, quoted names, numbers.
#: Paths match only where a word starts, so no start position rescans a long word.
_VARIABLE = re.compile(
    r"`[^`]{0,200}`|'[^']{0,200}'|\"[^\"]{0,200}\"|(?<!\S)\S*[/\\]\S*|(?<!\S)\S+\.\w+:\d+\S*|\d+"
)
#: Only the start of a line is read to classify it: the lines the rules cut
#: are short, and a megabyte-long line is content to keep, not progress.
_SCAN = 2000

KEEP, DROP_PASS, DROP_PROGRESS, WARN = "keep", "passing test", "progress line", "warning"


def classify(line: str) -> str:
    """What a line is: a summary or other line to keep, a pass, progress, or a warning."""
    line = line[:_SCAN]
    if not line.strip() or SUMMARY.match(line):
        return KEEP
    if PASS.match(line):
        return DROP_PASS
    if PROGRESS.match(line) and not TROUBLE.search(line):
        return DROP_PROGRESS
    if WARNING.match(line):
        return WARN
    return KEEP


def shape(line: str) -> str:
    """A line with its variable parts blanked, so repeats of one message compare equal."""
    return _VARIABLE.sub("…", line.strip()[:_SCAN])


def select_lines(
    selection: Selection,
    indexes: Iterable[int],
    relevance: Relevance,
    *,
    keep_factor: float = 1.0,
) -> None:
    """Apply the generic rules to the given lines of `selection`."""
    lines = selection.lines
    order = list(indexes)
    kinds = {i: classify(lines[i]) for i in order}
    wanted = relevance.select([lines[i] for i in order])
    repeats = max(1, round(WARNING_REPEATS * keep_factor))
    seen: dict[str, int] = {}
    dropped_owner = -1  # the indent of a cut warning whose continuation lines go too
    for position, i in enumerate(order):
        line, kind = lines[i], kinds[i]
        if position in wanted:
            selection.keep_line(i)
            dropped_owner = -1
            continue
        if dropped_owner >= 0 and line.strip() and _indent(line) > dropped_owner:
            continue
        dropped_owner = -1
        if kind == WARN:
            key = shape(line)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] <= repeats:
                selection.keep_line(i)
            else:
                selection.note(i, "repeated warning")
                dropped_owner = _indent(line)
        elif kind == KEEP:
            selection.keep_line(i)
        else:
            selection.note(i, kind)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
