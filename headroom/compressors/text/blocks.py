"""Blocks of a document: headings, prose, code, tables and markup.

One pass over the lines turns a document into blocks, each a run of whole
lines of one kind:

- **headings**: Markdown `# Title`, reST and setext titles (a line underlined,
  optionally overlined, by a repeated punctuation character) and numbered
  titles (`2.1 Scope`) alone between blank lines;
- **code**: fenced blocks, reST literal blocks (the indented block after a
  paragraph ending in `::`), code directives (`.. code-block::`), doctests,
  and indented blocks that read as code rather than prose;
- **tables**: reST grid and simple tables, Markdown pipe tables, table
  directives;
- **markup**: other directives, comments, link targets and transitions;
- **prose**: everything else, paragraph by paragraph (list items included).

Code and tables are kept or dropped whole; prose is later cut into sentences.
A block knows only its lines, so its text is always a slice of the original.
"""

from __future__ import annotations

import bisect
import enum
import functools
import re
from typing import NamedTuple

from headroom.compressors.text.lines import Lines

__all__ = ["Block", "Kind", "parse_blocks"]


class Kind(enum.Enum):
    HEADING = "heading"
    PROSE = "prose"
    CODE = "code"
    TABLE = "table"
    MARKUP = "markup"


class Block(NamedTuple):
    """Lines `first`..`last` (inclusive) of one kind; headings carry level and title."""

    kind: Kind
    first: int
    last: int
    level: int = 0
    title: str = ""


_ATX = re.compile(r" {0,3}(#{1,6})[ \t]+(\S.*?)[ \t#]*$")
_UNDERLINE = re.compile(r"([=\-~^\"'`#*+:._<>])\1{2,}[ \t]*$")
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_EXPLICIT = re.compile(r"[ \t]*\.\.(?:[ \t]+|$)")
_DIRECTIVE = re.compile(r"[ \t]*\.\.[ \t]+([\w:+-]+)::")
_FOOTNOTE = re.compile(r"[ \t]*\.\.[ \t]+\[")
_NUMBERED = re.compile(r"(\d+(?:\.\d+)+\.?|\d+\.|[IVXLC]+\.|[A-Z]\.)[ \t]+\S")
_GRID_BORDER = re.compile(r"[ \t]*\+[-=]{3,}[-=+]*\+[ \t]*$")
_SIMPLE_BORDER = re.compile(r"[ \t]*={2,}(?:[ \t]+={2,})+[ \t]*$")
_PIPE_ROW = re.compile(r"[ \t]*\|.*\|[ \t]*$")
_PIPE_SEPARATOR = re.compile(
    r"[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$"
)
_PROSE_LINE = re.compile(r"[ \t]*(?:[-*+•][ \t]+|\d+[.)][ \t]+)?[^\W\d_][^{};=<>|\\]*$")

_CODE_DIRECTIVES = frozenset(
    {"code", "code-block", "sourcecode", "doctest", "testcode", "testoutput", "productionlist"}
    | {"parsed-literal", "math", "raw", "literalinclude", "highlight", "prompt"}
)
_TABLE_DIRECTIVES = frozenset({"table", "list-table", "csv-table"})
_RULE_CHARS = frozenset("=-~^\"'`#*+:._<>")
_NUMBER_STARTS = frozenset("0123456789IVXLCABDEFGHJKMNOPQRSTUWYZ")
#: Longest line that can be a title.
_MAX_TITLE = 160


def parse_blocks(lines: Lines) -> list[Block]:
    """The blocks of a document, in order; blank lines belong to none."""
    return _Parser(lines).parse()


@functools.lru_cache(maxsize=64)
def _dedent(base: int) -> re.Pattern[str]:
    """A line indented no deeper than `base` spaces (a tab counts as deeper)."""
    return re.compile(rf"^ {{0,{base}}}\S", re.MULTILINE)


class _Parser:
    def __init__(self, lines: Lines) -> None:
        self.lines = lines
        self.s = lines.strings
        self.blank = lines.blanks
        self.blocks: list[Block] = []
        self.styles: dict[tuple[str, bool], int] = {}
        #: Indentation of the paragraph that ended in `::`, while its literal block may follow.
        self.literal_base: int | None = None

    def parse(self) -> list[Block]:
        i, n, blank = 0, len(self.s), self.blank
        while i < n:
            if blank[i]:
                try:
                    i = blank.index(False, i)
                except ValueError:
                    break
            i = self._block(i) + 1
        return self.blocks

    def _paragraph_end(self, i: int) -> int:
        """The last line of the run of non-blank lines from line `i`."""
        try:
            return self.blank.index(True, i) - 1
        except ValueError:
            return len(self.blank) - 1

    def _add(self, kind: Kind, first: int, last: int, level: int = 0, title: str = "") -> int:
        self.blocks.append(Block(kind, first, last, level, title))
        return last

    def _block(self, i: int) -> int:
        """Read the block that starts at line `i`; return its last line."""
        base, self.literal_base = self.literal_base, None
        if base is not None and self.lines.indent(i) > base:
            return self._add(Kind.CODE, i, self._indented_end(i, base))
        line = self.s[i]
        first = line.lstrip()[:1]
        fence = _FENCE.match(line) if first in "`~" else None
        if fence:
            return self._add(Kind.CODE, i, self._fence_end(i, fence.group(1)))
        heading = self._heading(i)
        if heading >= 0:
            return heading
        if first == "." and _EXPLICIT.match(line) and not _FOOTNOTE.match(line):
            return self._explicit(i)
        if first == ">" and line.lstrip().startswith(">>>"):
            return self._add(Kind.CODE, i, self._paragraph_end(i))
        table = self._table_end(i) if first in "+=|" else -1
        if table >= 0:
            return self._add(Kind.TABLE, i, table)
        if first in _RULE_CHARS and _UNDERLINE.match(line):
            return self._add(Kind.MARKUP, i, i)  # a transition
        return self._prose(i)

    # ------------------------------------------------------------ headings

    def _heading(self, i: int) -> int:
        """Add the heading at line `i` and return its last line, or -1."""
        line = self.s[i]
        atx = _ATX.match(line) if line.lstrip()[:1] == "#" else None
        if atx:
            return self._add(Kind.HEADING, i, i, len(atx.group(1)), atx.group(2))
        n = len(self.s)
        overlined = self._rule(i) and i + 2 < n and self._rule(i + 2, title=i + 1)
        if overlined and self._titled(i + 1, i + 2, line[0]):
            level = self._level((line[0], True))
            return self._add(Kind.HEADING, i, i + 2, level, self.s[i + 1].strip())
        if i + 1 < n and self._rule(i + 1, title=i) and self._titled(i, i + 1, None):
            level = self._level((self.s[i + 1][0], False))
            return self._add(Kind.HEADING, i, i + 1, level, line.strip())
        if line[:1] in _NUMBER_STARTS and self._numbered_title(i):
            dots = _NUMBERED.match(line)
            level = dots.group(1).rstrip(".").count(".") + 1 if dots else 1
            return self._add(Kind.HEADING, i, i, level, line.strip())
        return -1

    def _rule(self, i: int, title: int = -1) -> bool:
        """Whether line `i` is a run of one punctuation character (an underline).

        A run of backticks or tildes shorter than the title above it is a
        Markdown fence, not an underline.
        """
        line = self.s[i]
        if line[:1] not in _RULE_CHARS or _UNDERLINE.match(line) is None:
            return False
        return line[0] not in "`~" or title < 0 or len(line.rstrip()) >= len(self.s[title].strip())

    def _titled(self, title: int, underline: int, overline: str | None) -> bool:
        """Whether `title` is a one-line title over the underline at `underline`."""
        text = self.s[title]
        if not text.strip() or len(text) > _MAX_TITLE or text[:1].isspace():
            return False
        if _UNDERLINE.match(text) or (overline is not None and self.s[underline][0] != overline):
            return False
        return overline is not None or title == 0 or self.lines.blank(title - 1)

    def _numbered_title(self, i: int) -> bool:
        """`2.1 Scope` or `3. Results` alone between blank lines, in title case."""
        line = self.s[i].rstrip()
        match = _NUMBERED.match(line)
        if match is None or len(line) > 80 or line[-1] in ".,;:!?":
            return False
        if (i > 0 and not self.lines.blank(i - 1)) or (
            i + 1 < len(self.s) and not self.lines.blank(i + 1)
        ):
            return False
        words = [w for w in line[match.end() - 1 :].split() if len(w) > 3]
        if "." in match.group(1).rstrip("."):
            return len(words) <= 10
        return 0 < len(words) <= 8 and sum(w[0].isupper() for w in words) * 2 >= len(words)

    def _level(self, style: tuple[str, bool]) -> int:
        return self.styles.setdefault(style, len(self.styles) + 1)

    # ------------------------------------------------------------ code and markup

    def _fence_end(self, i: int, fence: str) -> int:
        for j in range(i + 1, len(self.s)):
            if self.s[j].lstrip().startswith(fence):
                return j
        return len(self.s) - 1

    def _indented_end(self, i: int, base: int) -> int:
        """The last line of the block from `i` indented deeper than `base`."""
        lines = self.lines
        if i + 1 >= len(self.s):
            return i
        if lines.content is lines.starts:  # no line-number prefixes: one regex search
            found = _dedent(base).search(lines.text, lines.starts[i + 1])
            stop = bisect.bisect_right(lines.starts, found.start()) - 1 if found else len(self.s)
        else:
            stop = i + 1
            while stop < len(self.s) and (self.blank[stop] or lines.indent(stop) > base):
                stop += 1
        last = stop - 1
        while last > i and self.blank[last]:
            last -= 1
        return last

    def _explicit(self, i: int) -> int:
        """A reST directive, comment or target: `.. name::`, `.. _x: url`, `..`."""
        base = self.lines.indent(i)
        directive = _DIRECTIVE.match(self.s[i])
        name = directive.group(1).lower() if directive else ""
        if name in _CODE_DIRECTIVES:
            return self._add(Kind.CODE, i, self._indented_end(i, base))
        if name in _TABLE_DIRECTIVES:
            return self._add(Kind.TABLE, i, self._indented_end(i, base))
        if not directive:
            return self._add(Kind.MARKUP, i, self._indented_end(i, base))
        last = i  # the directive line and its `:option:` lines; the content is read on
        while last + 1 < len(self.s) and self.s[last + 1].lstrip().startswith(":"):
            last += 1
        return self._add(Kind.MARKUP, i, last)

    # ------------------------------------------------------------ tables

    def _table_end(self, i: int) -> int:
        """The last line of the table that starts at line `i`, or -1."""
        line = self.s[i]
        if _GRID_BORDER.match(line):
            return self._paragraph_end(i)
        if _SIMPLE_BORDER.match(line):
            return self._simple_table_end(i)
        nxt = self.s[i + 1] if i + 1 < len(self.s) else ""
        if _PIPE_ROW.match(line) and _PIPE_SEPARATOR.match(nxt):
            return self._paragraph_end(i)
        return -1

    def _simple_table_end(self, i: int) -> int:
        """A reST simple table ends at the border line followed by a blank line."""
        for j in range(i + 1, len(self.s)):
            ends = j + 1 >= len(self.s) or self.lines.blank(j + 1)
            if _SIMPLE_BORDER.match(self.s[j]) and ends:
                return j
            if (
                j > i + 1
                and self.blank[j]
                and j + 1 < len(self.s)
                and self.lines.indent(j + 1) == 0
                and not _SIMPLE_BORDER.match(self.s[j + 1])
            ):
                return j - 1  # prose after a blank line: the table was not closed
        return len(self.s) - 1

    # ------------------------------------------------------------ prose

    def _prose(self, i: int) -> int:
        """A paragraph: up to a blank line, a fence or a Markdown heading."""
        j = self._paragraph_end(i)
        lines = self.lines
        text, a, z = lines.text, lines.ends[i], lines.ends[j]
        if j > i and (
            text.find("```", a, z) >= 0
            or text.find("~~~", a, z) >= 0
            or text.find("\n#", a, z) >= 0
        ):
            j = self._interrupted(i, j)
        last = self.s[j].rstrip()
        if last.endswith("::"):
            self.literal_base = self.lines.indent(i)
        kind = Kind.CODE if self.lines.indent(i) >= 4 and self._reads_as_code(i, j) else Kind.PROSE
        return self._add(kind, i, j)

    def _interrupted(self, i: int, j: int) -> int:
        """The last line of the paragraph from `i` before a fence or heading inside it."""
        for k in range(i + 1, j + 1):
            line = self.s[k]
            if _FENCE.match(line) or (line.lstrip()[:1] == "#" and _ATX.match(line)):
                return k - 1
        return j

    def _reads_as_code(self, first: int, last: int) -> bool:
        """Whether most lines of an indented paragraph are not running text."""
        prose = sum(1 for k in range(first, last + 1) if _PROSE_LINE.match(self.s[k]))
        return prose * 10 < (last - first + 1) * 4
