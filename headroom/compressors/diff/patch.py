"""Reading a diff into prose, files and hunks, every line kept verbatim.

A diff in a tool output is rarely only hunks: a `git format-patch` mail opens
with its headers, message and diffstat and ends with a signature; `git log -p`
interleaves commits and diffs; hand-edited patches carry hunk counts that are
off by one. The parser therefore never rejects anything: a line it cannot place
in a file or hunk is prose (`TextRun`) and is shown as it is.

A hunk's body is read by its `@@ -a,b +c,d @@` counts, so a blank line (a
context line whose leading space was stripped by an editor) and a `-- ` mail
signature after the last hunk both land where they belong. When the counts are
missing or wrong, the body ends at the first line that cannot be a hunk line.
Combined diffs (`@@@`, `git show` of a merge) are read the same way with one
marker column per parent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["FileDiff", "Hunk", "Segment", "TextRun", "parse_patch"]

_HUNK_HEADER = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_COMBINED_HEADER = re.compile(r"(@{3,}) ")
_EXTENDED_HEADERS = (
    "index ",
    "old mode ",
    "new mode ",
    "deleted file mode ",
    "new file mode ",
    "similarity index ",
    "dissimilarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
    "Binary files ",
    "=====",
)
#: What may follow a `diff -u` or `Index:` line that opens a file.
_AFTER_DIFF_LINE = ("---", "===", "+++", "@@", *_EXTENDED_HEADERS)
_BINARY_DATA = re.compile(r"(?:literal|delta) \d+|[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]*|")
_HUNK_LINE_STARTS = (" ", "+", "-", "\\")


@dataclass(frozen=True, slots=True)
class Hunk:
    """One `@@` hunk: its header and body lines, verbatim.

    `kinds` has one character per body line: `+` added, `-` removed, ` `
    context, `\\` a "No newline at end of file" note. `counted` is False when
    the header gave no usable counts (or the diff is combined): such a hunk is
    shown whole or not at all.
    """

    header: str
    body: tuple[str, ...]
    kinds: str
    old_start: int
    new_start: int
    counted: bool

    @property
    def added(self) -> int:
        return self.kinds.count("+")

    @property
    def removed(self) -> int:
        return self.kinds.count("-")


@dataclass(frozen=True, slots=True)
class FileDiff:
    """One file's part of a diff: header lines, hunks and any binary patch data."""

    header: tuple[str, ...]
    path: str
    hunks: tuple[Hunk, ...]
    binary: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TextRun:
    """Lines outside any file: mail headers, commit messages, diffstats, signatures."""

    lines: tuple[str, ...]


Segment = TextRun | FileDiff


def parse_patch(lines: Sequence[str]) -> list[Segment]:
    """Split diff lines (each without its `\\n`) into prose and files, in order."""
    return _Parser(lines).segments()


def _bare(line: str) -> str:
    return line[:-1] if line.endswith("\r") else line


def _is_hunk_header(line: str) -> bool:
    return line.startswith("@@")


class _Parser:
    """A single forward pass over the lines; `i` is the next unread line."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.i = 0

    def segments(self) -> list[Segment]:
        out: list[Segment] = []
        prose: list[str] = []
        while self.i < len(self.lines):
            if self._at_file_start():
                if prose:
                    out.append(TextRun(tuple(prose)))
                    prose = []
                out.append(self._file())
            else:
                prose.append(self.lines[self.i])
                self.i += 1
        if prose:
            out.append(TextRun(tuple(prose)))
        return out

    def _peek(self, offset: int) -> str:
        j = self.i + offset
        return self.lines[j] if j < len(self.lines) else ""

    def _at_file_start(self) -> bool:
        line = self.lines[self.i]
        if line.startswith(("diff --git ", "diff --cc ", "diff --combined ")):
            return True
        if line.startswith("diff -") or line.startswith("Index: "):
            return self._peek(1).startswith(_AFTER_DIFF_LINE)
        if line.startswith("--- "):
            return self._peek(1).startswith("+++ ") and _is_hunk_header(self._peek(2))
        return _HUNK_HEADER.match(line) is not None

    def _file(self) -> FileDiff:
        """A file's header and hunks; a hunk with no file header gets an empty one."""
        header: list[str] = []
        if _HUNK_HEADER.match(self.lines[self.i]) is None:
            header.append(self.lines[self.i])
            self.i += 1
        binary: list[str] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if header and (line.startswith(_EXTENDED_HEADERS) or self._is_path_line(line, header)):
                header.append(line)
                self.i += 1
            elif line.startswith("GIT binary patch"):
                binary = self._binary()
            else:
                break
        hunks: list[Hunk] = []
        while self.i < len(self.lines) and _is_hunk_header(self.lines[self.i]):
            hunks.append(self._hunk())
        return FileDiff(tuple(header), path_of(header), tuple(hunks), tuple(binary))

    def _is_path_line(self, line: str, header: list[str]) -> bool:
        """A `---`/`+++` line of the file header (only one of each, `---` first)."""
        if line.startswith("--- "):
            return not any(h.startswith(("--- ", "+++ ")) for h in header[1:])
        if line.startswith("+++ "):
            return not any(h.startswith("+++ ") for h in header[1:])
        return False

    def _binary(self) -> list[str]:
        data = [self.lines[self.i]]
        self.i += 1
        while self.i < len(self.lines) and _BINARY_DATA.fullmatch(_bare(self.lines[self.i])):
            if self.lines[self.i].startswith("diff "):
                break
            data.append(self.lines[self.i])
            self.i += 1
        return data

    def _hunk(self) -> Hunk:
        header = self.lines[self.i]
        self.i += 1
        match = _HUNK_HEADER.match(header)
        if match is None:
            combined = _COMBINED_HEADER.match(header)
            return self._uncounted(header, len(combined.group(1)) - 1 if combined else 1)
        old = int(match.group(2) or "1")
        new = int(match.group(4) or "1")
        start = self.i
        kinds = self._counted_kinds(old, new)
        body = tuple(self.lines[start : self.i])
        return Hunk(header, body, kinds, int(match.group(1)), int(match.group(3)), True)

    def _counted_kinds(self, old: int, new: int) -> str:
        """Read body lines while the header's counts last; their kinds, one char each."""
        kinds: list[str] = []
        lines, n = self.lines, len(self.lines)
        while self.i < n and (old > 0 or new > 0):
            first = lines[self.i][:1]
            if first == "\\":
                pass
            elif first == "-" and old > 0:
                old -= 1
            elif first == "+" and new > 0:
                new -= 1
            elif (first == " " or not _bare(lines[self.i])) and old > 0 and new > 0:
                old -= 1
                new -= 1
                first = " "
            else:
                break
            kinds.append(first)
            self.i += 1
        if self.i < n and lines[self.i].startswith("\\"):
            kinds.append("\\")
            self.i += 1
        return "".join(kinds)

    def _uncounted(self, header: str, columns: int) -> Hunk:
        body: list[str] = []
        kinds: list[str] = []
        while self.i < len(self.lines) and self.lines[self.i].startswith(_HUNK_LINE_STARTS):
            line = self.lines[self.i]
            if line.startswith("--- ") and self._peek(1).startswith("+++ "):
                break  # the next file of a plain diff
            body.append(line)
            kinds.append(_kind_of(line, columns))
            self.i += 1
        return Hunk(header, tuple(body), "".join(kinds), 0, 0, False)


def _kind_of(line: str, columns: int) -> str:
    """The kind of a body line whose +/-/space prefix is `columns` wide."""
    if line.startswith("\\"):
        return "\\"
    prefix = line[:columns]
    if "+" in prefix:
        return "+"
    return "-" if "-" in prefix else " "


def path_of(header: Sequence[str]) -> str:
    """The file's path: the `+++` side unless that is /dev/null, else from the first line."""
    if not header:
        return ""
    new = old = ""
    for line in header[1:]:
        if line.startswith("+++ "):
            new = _strip_side(line[4:])
        elif line.startswith("--- "):
            old = _strip_side(line[4:])
    for candidate in (new, old):
        if candidate and candidate != "/dev/null":
            return candidate
    return _path_from_first_line(_bare(header[0]))


def _strip_side(value: str) -> str:
    value = _bare(value).split("\t", 1)[0]
    return value[2:] if value.startswith(("a/", "b/")) else value


def _path_from_first_line(line: str) -> str:
    if line.startswith("diff --git "):
        rest = line[len("diff --git ") :]
        cut = rest.find(" b/")
        return rest[cut + 3 :] if cut >= 0 else rest
    if line.startswith("Index: "):
        return line[len("Index: ") :].strip()
    words = line.split()
    return words[-1] if len(words) > 1 else line
