"""Reading grep, ripgrep and ag output, and path lists, into one model.

Search tools print the same facts in several layouts:

- flat: `path:12:text` for a match, `path-12-text` for a context line (`-C`),
  `--` between context groups, `path:text` without `-n`, and `path:12:5:text`
  with `--column` (the column stays part of the text);
- grouped (`rg --heading`, `ag --group`): a bare path line, then `12:text`
  and `12-text` lines until a blank line;
- one file searched (`grep -n x f.py`, `rg -n x f.py`): `12:text` lines with
  no path at all, kept under the empty path `NO_PATH`;
- path lists (`rg --files`, `grep -l`, `find`, `fd`, `ls`): one path per line,
  and `ls -R` blocks headed by `dir:`.

`parse_text` reads all of them into a `Listing`: the matched files in the order
they first appear, each with its lines, plus the bare paths and the lines that
are none of these (kept verbatim by the renderer). It returns None when too few
lines have a search shape, so text that merely looks like search output is left
to other compressors. Each line is read by anchored regexes and set lookups, so
parsing is linear in the input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["NO_PATH", "FileMatches", "Line", "Listing", "parse_text", "split_lines"]

#: The share of non-blank lines that must have a search shape.
MIN_PARSED_SHARE = 0.8

_DRIVE = r"(?:[A-Za-z]:[\\/])?"
#: `path:12:text` (the path holds no blank and no colon, past a Windows drive).
_MATCH = re.compile(rf"({_DRIVE}[^\s:]+):(\d+):")
#: `12:text` / `12-text` under a `--heading` path.
_NUMBERED = re.compile(r"(\d+)([:-])")
#: The same with no path at all (grep or rg over one file), but not a time or date.
_PATHLESS = re.compile(r"(\d+)([:-])(?!\d{1,2}[-:./]\d)")
#: The file name given to lines printed without a path.
NO_PATH = ""
#: `path:text` from grep without `-n`: the path must look like one.
_UNNUMBERED = re.compile(rf"({_DRIVE}[^\s:\"'<>=,;|*?(){{}}\[\]]+):(?!//)")
_PATH_LIKE = re.compile(r"[^\s]*(?:[/\\][^\s]*|\.[A-Za-z0-9_+-]{1,10})")
#: A path on a line of its own: no blanks, none of the characters code and shells put around paths.
_BARE_PATH = re.compile(rf"{_DRIVE}[^\s:\"'<>=;|*?`{{}}]+")
_NOT_A_PATH_START = frozenset("#[(!$%&@,")
#: grep -c output (`path:12`): counts, not lines.
_COUNT_LINE = re.compile(r"[^\s:]+:\d+")


class Line(NamedTuple):
    """One line a search printed about a file (a tuple: millions are made fast)."""

    #: The line's number in the searched file (None without `-n`).
    number: int | None
    #: The line's content in the searched file.
    text: str
    #: The line as written after its path: `557:    def request(`.
    shown: str
    #: False for a context line (`-C`).
    is_match: bool


@dataclass(slots=True)
class FileMatches:
    path: str
    lines: list[Line] = field(default_factory=list)

    @property
    def matches(self) -> int:
        return sum(1 for line in self.lines if line.is_match)


@dataclass(slots=True)
class Listing:
    """Everything a search printed, grouped by file."""

    files: dict[str, FileMatches] = field(default_factory=dict)
    #: Entries of a path list, in order.
    paths: list[str] = field(default_factory=list)
    #: Lines with no search shape (warnings, summaries), kept verbatim.
    other: list[str] = field(default_factory=list)
    #: Records of the input's layout that carry no line (rg --json begin/end).
    dropped_records: int = 0

    def file(self, path: str) -> FileMatches:
        found = self.files.get(path)
        if found is None:
            found = self.files[path] = FileMatches(path)
        return found

    def add(self, path: str, line: Line) -> None:
        self.file(path).lines.append(line)

    @property
    def line_count(self) -> int:
        return sum(len(f.lines) for f in self.files.values())


def split_lines(text: str) -> list[str]:
    """The lines of `text`, without `\\r\\n` or `\\n` endings."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def parse_text(text: str) -> Listing | None:
    """`text` read as grep/rg/ag output or a path list; None when it is not one."""
    lines = split_lines(text)
    matches = [_match_line(line) for line in lines]
    parser = _Parser(lines, matches)
    listing = parser.run()
    content = parser.content_lines
    if content == 0 or parser.parsed < MIN_PARSED_SHARE * content:
        return None
    if not listing.files and not (listing.paths and _mostly_paths(listing.paths)):
        return None
    return listing


class _Parser:
    """One pass over the lines, remembering the open `--heading` block."""

    def __init__(self, lines: Sequence[str], matches: Sequence[re.Match[str] | None]) -> None:
        self.lines = lines
        self.matches = matches
        #: Paths that have a `path:12:` line: context lines may name only these.
        self.known = {m.group(1) for m in matches if m is not None}
        self.listing = Listing()
        self.heading: str | None = None
        self.directory: str | None = None
        self.parsed = 0
        self.content_lines = 0

    def run(self) -> Listing:
        for i, line in enumerate(self.lines):
            if not line.strip():
                self.heading = self.directory = None
                continue
            self.content_lines += 1
            if line == "--" or self._read(i, line):
                self.parsed += 1
            else:
                self.listing.other.append(line)
        return self.listing

    def _read(self, i: int, line: str) -> bool:
        if self.heading is not None and (m := _NUMBERED.match(line)):
            self.listing.add(self.heading, _numbered(m, line, line))
            return True
        self.heading = None
        if (m := self.matches[i]) is not None:
            shown = line[m.end(1) + 1 :]
            self.listing.add(m.group(1), Line(int(m.group(2)), line[m.end() :], shown, True))
            return True
        if (m := _PATHLESS.match(line)) is not None:
            self.listing.add(NO_PATH, _numbered(m, line, line))
            return True
        return self._read_context(line) or self._read_unnumbered(line) or self._read_bare(i, line)

    def _read_context(self, line: str) -> bool:
        """`path-12-text` or `path-text`, for a path that also has a match line."""
        if not self.known:
            return False
        end = _first_blank(line)
        start = 0
        while (dash := line.find("-", start, end)) > 0:
            path = line[:dash]
            if path in self.known:
                rest = line[dash + 1 :]
                m = _NUMBERED.match(rest)
                if m is not None and m.group(2) == "-":
                    self.listing.add(path, _numbered(m, rest, rest, is_match=False))
                else:
                    self.listing.add(path, Line(None, rest, rest, False))
                return True
            start = dash + 1
        return False

    def _read_unnumbered(self, line: str) -> bool:
        """`path:text`, from grep without `-n`; the path must look like one."""
        m = _UNNUMBERED.match(line)
        if m is None or not _PATH_LIKE.fullmatch(m.group(1)) or _COUNT_LINE.fullmatch(line):
            return False
        text = line[m.end() :]
        if not text:  # `dir:` heads an `ls -R` block
            return False
        self.listing.add(m.group(1), Line(None, text, text, True))
        return True

    def _read_bare(self, i: int, line: str) -> bool:
        following = self.lines[i + 1] if i + 1 < len(self.lines) else ""
        if _is_heading(line) and _NUMBERED.match(following):
            self.heading = line
            self.listing.file(line)
            return True
        if not _is_bare_path(line):
            return self._read_directory_header(i, line)
        entry = f"{self.directory}/{line}" if self.directory else line
        self.listing.paths.append(entry)
        return True

    def _read_directory_header(self, i: int, line: str) -> bool:
        """An `ls -R` block header: `dir:` followed by names."""
        if not line.endswith(":") or not _is_bare_path(line[:-1]):
            return False
        following = self.lines[i + 1] if i + 1 < len(self.lines) else ""
        if following.strip() and not _is_bare_path(following):
            return False
        self.directory = line[:-1].rstrip("/")
        return True


def _match_line(line: str) -> re.Match[str] | None:
    """`path:12:` at the start of `line`, when the path is plausibly one."""
    m = _MATCH.match(line)
    return m if m is not None and _plausible(m.group(1)) else None


def _numbered(m: re.Match[str], line: str, shown: str, *, is_match: bool | None = None) -> Line:
    match = m.group(2) == ":" if is_match is None else is_match
    return Line(int(m.group(1)), line[m.end() :], shown, match)


def _first_blank(line: str) -> int:
    m = re.search(r"\s", line)
    return len(line) if m is None else m.start()


def _is_bare_path(line: str) -> bool:
    """A line that can be a path on its own."""
    return _BARE_PATH.fullmatch(line) is not None and line[0] not in _NOT_A_PATH_START


def _plausible(path: str) -> bool:
    """False for what only looks like a path: a timestamp (`20171223-22`, `2024-01-01T12`).

    A name that opens with a digit must have a directory or an extension.
    """
    return not path[0].isdigit() or _PATH_LIKE.fullmatch(path) is not None


def _is_heading(line: str) -> bool:
    """A `--heading` path line: a bare path that is not a timestamp."""
    return _is_bare_path(line) and _plausible(line)


def _mostly_paths(paths: Sequence[str]) -> bool:
    """Whether at least half the entries have a directory or a file extension."""
    shaped = sum(1 for path in paths if _PATH_LIKE.fullmatch(path))
    return 2 * shaped >= len(paths)
