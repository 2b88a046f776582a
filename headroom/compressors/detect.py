"""Content-kind detection: which compressor family a text belongs to.

The router asks the tool call first (`kind_from_origin`: a Read of `x.py` is
code, Grep output is search results) and falls back to `detect_kind`, which
looks at the content alone. Detection must be cheap next to compression, so it
reads a bounded sample (the first `SAMPLE_LINES` lines within `SAMPLE_CHARS`)
and tries a JSON parse only when the text opens like JSON.

Kinds: "json", "diff", "search", "logs", "html", "code", "shell", "text".
The checks run from the most certain to the least: JSON parses or it does not;
a unified diff has hunk headers; then each sample line is matched against
per-kind line shapes and the kind whose shape dominates wins. "text" is what
is left, and it is always a safe answer: the text compressor handles anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from headroom.compressors.languages import language_of
from headroom.compressors.origins import kind_from_origin

__all__ = [
    "SAMPLE_CHARS",
    "SAMPLE_LINES",
    "detect_kind",
    "is_json",
    "kind_from_origin",
    "language_of",
]

#: At most this many lines of a text are looked at.
SAMPLE_LINES = 200
#: At most this many characters of a text are looked at (JSON parsing aside).
SAMPLE_CHARS = 64 * 1024

# Line shapes. Each pattern is anchored at the start of a line (use `match`)
# and answers "does this line look like a line of kind X?"; detection counts
# matching lines over the sample, so no single line decides. None of them
# nests quantifiers over the same characters, so each runs in linear time.

_FIRST_VISIBLE = re.compile(r"\s*(\S)")

#: CSI sequences (colours, cursor moves): enough to read terminal output.
TERMINAL_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")

_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
#: A whole line of pretty-printed JSON (use with `fullmatch`): a key, a scalar, brackets.
JSON_LINE = re.compile(
    rf"""\s*(?:{_JSON_STRING}\s*:.*
      | (?:{_JSON_STRING}|-?\d[\d.eE+-]*|true|false|null|[\[\]{{}}]|\[\]|\{{\}})\s*,?\s*
    )""",
    re.VERBOSE,
)

# ---------------------------------------------------------------- diff

#: The first line of a diff, a `git format-patch` mail or `git show` output.
DIFF_OPENING = re.compile(r"diff --git |diff -[a-zA-Z]|From [0-9a-f]{40} |commit [0-9a-f]{40}")
HUNK_HEADER = re.compile(r"@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
DIFF_LINE = re.compile(
    r"[ +\-@\\]|diff |index |new file mode|deleted file mode|similarity index"
    r"|rename (?:from|to) |old mode|new mode|Binary files |Only in "
)

# ---------------------------------------------------------------- html

HTML_OPENING = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>])",
    re.IGNORECASE | re.DOTALL,
)
#: Common HTML element tags, opening or closing.
HTML_TAG = re.compile(
    r"</?(?:a|p|b|i|em|strong|span|div|section|article|nav|header|footer|main|aside"
    r"|ul|ol|li|dl|dt|dd|table|thead|tbody|tr|td|th|h[1-6]|img|br|hr|form|input"
    r"|button|label|select|option|script|style|link|meta|body|head|title|pre|code"
    r"|blockquote|figure|figcaption|iframe|svg|path|noscript)[\s/>]",
    re.IGNORECASE,
)

# ---------------------------------------------------------------- search

# A path: has a directory separator or a file extension, and no spaces.
_PATH = r"(?:\./)?(?:[\w@~+.\-]+/)*[\w@~+.\-]*(?:/[\w@~+\-]+|\.[A-Za-z][\w+\-]{0,9})"
#: grep/ripgrep: `path:12:text`, `path-12-text` (context), `--` separators,
#: `--heading` blocks (a bare path, then `12:text` lines) and `--files` lists.
SEARCH_LINE = re.compile(
    rf"(?:{_PATH}(?::\d+[:-]|-\d+-|:\S)|{_PATH}/?\s*$|\d+[:-](?!\d)|--\s*$)",
)

# ---------------------------------------------------------------- logs

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_LEVEL = (
    r"(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|SEVERE"
    r"|trace|debug|info|notice|warn|warning|error|fatal|critical)"
)
#: A log line opens with a timestamp (many spellings) or a level.
LOG_LINE = re.compile(
    rf"""\s{{0,4}}[\[(]?(?:
        \d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}[T\s_-]+{_TIME}      # 2015-07-29 17:41:44
      | \d{{1,2}}[-/.]\d{{1,2}}(?:[-/.]\d{{2,4}})?[T\s]+{_TIME}  # 03-17 16:13:38, 17/06/09 20:10:40
      | (?:{_DAY},?\s+)?{_MONTH}\s+\d{{1,2}},?\s+(?:\d{{4}}\s+)?{_TIME}  # Jun 14 15:16:01
      | \d{{1,2}}[\s/-]{_MONTH}[\s/-]\d{{2,4}}[:\s]{_TIME}    # 10/Oct/2000:13:55:36
      | \d{{8}}[-T\s]?\d{{2}}:?\d{{2}}:?\d{{2}}               # 20171223-22:15:29
      | \d{{6}}\s\d{{6}}\s                                    # 081109 203615
      | \d+\s+\S+\s+\S+\s+\S+\s+1\d{{9}}\s                    # id host facility event epoch
      | 1\d{{9}}(?:\.\d+)?\s                                  # epoch seconds
      | {_TIME}[.,]\d+\s                                      # 16:13:38.811
      | {_LEVEL}[\]):]?\s                                     # INFO: / [error]
    )""",
    re.VERBOSE,
)

# ---------------------------------------------------------------- shell

#: Lines only test runners, compilers and linters print.
SHELL_LINE = re.compile(
    r"""(?:\d+|LL)?\s+\|(?:\s|$)                                  # rustc source gutter
    | \s*(?:
        error(?:\[E\d+\])?:\s | warning:\s | note:\s | help:\s      # rustc / clippy
      | -->\s\S+:\d+:\d+ | =\s(?:note|help):
      | Traceback\s\(most\srecent | File\s"[^"]+",\sline\s\d+       # Python
      | ===\s(?:RUN|PAUSE|CONT|NAME)\s | ---\s(?:PASS|FAIL|SKIP):\s       # go test
      | (?:PASS|FAIL|ok)(?:\s|$) | panic:\s
      | =+\s.*\s=+$ | _{3,}\s.*\s_{3,}$ | E\s{3} | >\s{3}             # pytest
      | (?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\s | collected\s\d+\sitems
      | \S+\.py:\d+:\s(?:\w+Error|error|in\s)
      | test\s\S+\s\.\.\.\s | test\sresult:\s                       # cargo test
      | (?:Compiling|Finished|Running|Checking|Building)\s\S+
      | \S+\(\d+,\d+\):\serror\sTS\d+:                                 # tsc
      | \S+:\d+(?::\d+)?:\s(?:error|warning|note):\s                   # gcc, mypy
      | Found\s\d+\serrors? | Success:\sno\sissues
      | \d+\s(?:tests?|passed|failed)\b | Tests?:\s+\d+                # runner summaries
      | (?:✓|✔|✗|✕|×)\s
      | make(?:\[\d+\])?:\s | ==>\s                                     # make, helm, brew
    )""",
    re.VERBOSE,
)

# ---------------------------------------------------------------- code

_KEYWORDS = (
    # Python
    r"def|class|import|from|return|elif|else|try|except|finally|with|raise|yield|async|await"
    r"|lambda|pass|assert|global|nonlocal|if|for|while|break|continue"
    # Go, Rust
    r"|func|package|type|var|const|let|fn|pub|impl|use|mod|struct|enum|trait|match|loop"
    r"|unsafe|extern|static|where|defer|go|select|case|default|switch"
    # Java, C, C++, C#, JS, TS
    r"|public|private|protected|final|abstract|interface|throw|new|do|void|int|char|long"
    r"|double|float|bool|boolean|unsigned|typedef|namespace|template|using|export|function"
    r"|module\.exports|require|this|self|super|goto|sizeof|delete|typeof|instanceof"
)
#: A line that opens with a keyword, a directive, a decorator or a comment,
#: or ends the way statements and blocks end.
CODE_LINE = re.compile(
    rf"""\s*(?:
        (?:{_KEYWORDS})\b(?![-'])
      | \#\s*(?:include|define|if|ifdef|ifndef|endif|else|elif|pragma|undef)\b
      | @\w+ | // | /\* | \*/ | \*(?:\s|$) | \#(?:\s|$)
      | [}})\]]
      | [\w.\[\]"']+\s*(?:[-+*/%|&^]|<<|>>)?=[^=]
      | [\w.]+\(.*[),]$
      | .*(?:[;{{]|\)\s*:|=>)\s*$
    )""",
    re.VERBOSE,
)

# ---------------------------------------------------------------- prose

#: A line of running text: six or more words (check `CODE_SYMBOL` too).
PROSE_LINE = re.compile(r"\s*(?:[*\-]\s+)?[A-Za-z(\"'`]\S*(?:\s+\S+){5,}")
#: Characters that are rare in prose and common in code.
CODE_SYMBOL = re.compile(r"[{}\[\]();=<>_\\|&^%$#@~+*/]")


def detect_kind(text: str) -> str:
    """The content kind of `text`, judged from its content alone."""
    first = _FIRST_VISIBLE.match(text)
    if first is None:
        return "text"
    if first.group(1) in "{[" and is_json(text):
        return _json_event_stream_kind(text) or "json"
    head = text[:SAMPLE_CHARS]
    lines = _sample_lines(head)
    if _is_diff(lines):
        return "diff"
    if HTML_OPENING.match(head):
        return "html"
    return _LineCounts.of(lines, head).verdict()


#: Event types of `rg --json` output, one JSON object per line.
_RG_EVENTS = frozenset({"begin", "match", "context", "end", "summary"})
#: Keys of a `go test -json` event (test2json).
_GO_TEST_KEYS = frozenset({"Action", "Package"})


def _json_event_stream_kind(text: str) -> str | None:
    """Search results or test output that a tool printed as JSON lines.

    `rg --json` and `go test -json` are JSON by syntax but search results and
    test output by meaning, so they go to the compressors that understand them.
    """
    first_line = text.lstrip().split("\n", 1)[0]
    try:
        event = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(event, dict) or "\n" not in text.strip():
        return None
    if event.get("type") in _RG_EVENTS and isinstance(event.get("data"), dict):
        return "search"
    if event.keys() >= _GO_TEST_KEYS and "Time" in event:
        return "shell"
    return None


def is_json(text: str) -> bool:
    """Whether `text` is one JSON document or JSON lines (truncated ones included).

    Tool output is often cut off by the agent, so a text that opens like JSON
    and whose sampled lines all look like JSON lines counts too.
    """
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    else:
        return True
    lines = [line for line in _sample_lines(text[:SAMPLE_CHARS]) if line.strip()]
    return _is_json_lines(lines) or _is_json_shaped(lines)


def _sample_lines(head: str) -> list[str]:
    """The first `SAMPLE_LINES` lines of `head`, without terminal controls or trailing blanks."""
    lines = head.split("\n", SAMPLE_LINES)[:SAMPLE_LINES]
    if "\x1b" in head:
        lines = [TERMINAL_CONTROL.sub("", line) for line in lines]
    return [line.rstrip() for line in lines]


def _is_json_lines(lines: Sequence[str]) -> bool:
    """Two or more lines that each parse as a JSON object or array.

    The last sampled line may be cut mid-value by the sample bound, so it is
    allowed to fail.
    """
    if len(lines) < 2:
        return False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped[0] not in "{[":
            return False
        try:
            orjson.loads(stripped)
        except orjson.JSONDecodeError:
            if i < len(lines) - 1:
                return False
    return True


def _is_json_shaped(lines: Sequence[str]) -> bool:
    """Pretty-printed JSON that does not parse, usually because it was truncated."""
    if len(lines) < 3:
        return False
    shaped = sum(1 for line in lines if JSON_LINE.fullmatch(line))
    return shaped >= 0.9 * len(lines)


def _is_diff(lines: Sequence[str]) -> bool:
    """A unified diff, a git format-patch mail, or `git show` / `git log -p` output."""
    content = [line for line in lines if line.strip()]
    if not content:
        return False
    if DIFF_OPENING.match(content[0]):
        return True
    if not any(HUNK_HEADER.match(line) for line in content):
        return False
    has_file_header = any(line.startswith(("+++ ", "diff ")) for line in content)
    shaped = sum(1 for line in content if DIFF_LINE.match(line))
    return has_file_header and shaped >= 0.5 * len(content)


@dataclass
class _LineCounts:
    """How many sampled lines have the shape of each line-oriented kind."""

    lines: int = 0
    search: int = 0
    logs: int = 0
    shell: int = 0
    code: int = 0
    prose: int = 0
    html_tags: int = 0
    terminal_control: bool = False

    @classmethod
    def of(cls, lines: Sequence[str], head: str) -> _LineCounts:
        counts = cls(terminal_control="\x1b[" in head)
        for line in lines:
            if not line.strip():
                continue
            counts.lines += 1
            counts.search += SEARCH_LINE.match(line) is not None
            counts.logs += LOG_LINE.match(line) is not None
            counts.shell += SHELL_LINE.match(line) is not None
            counts.code += CODE_LINE.match(line) is not None
            counts.prose += _is_prose(line)
            counts.html_tags += len(HTML_TAG.findall(line))
        return counts

    def verdict(self) -> str:
        """The dominant kind; order breaks ties from the most to least specific shape."""
        n = max(self.lines, 1)
        if self.logs >= 0.5 * n and self.logs >= self.shell:
            return "logs"
        if self.shell >= 2 and (self.shell >= 0.15 * n or self.terminal_control):
            return "shell"
        if self.search >= 0.6 * n:
            return "search"
        if self.html_tags >= 30 and self.html_tags >= 0.5 * n:
            return "html"
        if self.code >= 0.3 * n and self.code > 2 * self.prose:
            return "code"
        return "text"


def _is_prose(line: str) -> bool:
    """Six or more words with at most one code symbol among them."""
    return PROSE_LINE.match(line) is not None and len(CODE_SYMBOL.findall(line)) <= 1
