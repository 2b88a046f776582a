"""A document read once: its lines, blocks, outline and language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.compressors.text.blocks import Block, Kind, parse_blocks
from headroom.compressors.text.lines import Lines, read_lines
from headroom.compressors.text.outline import Outline, read_outline
from headroom.compressors.text.salience import guess_language

__all__ = ["Document", "read_document"]

_IDEOGRAPHIC = frozenset({"zh", "ja"})
_NUMBER_PREFIX = re.compile(r"^ *\d+(?:→|\t)", re.MULTILINE)
_PUNCTUATION = re.compile(r"[^\w\s]|_")
#: Bytes table: letters, digits and white space stay; everything else becomes a space.
_ASCII_WORDS = bytes(c if chr(c).isalnum() or chr(c).isspace() else 32 for c in range(256))
_ASCII_MARKS = bytes(
    65 if chr(c).isdigit() or chr(c).isupper() or c == 96 else 32 for c in range(256)
)


@dataclass(frozen=True, slots=True)
class Document:
    text: str
    lines: Lines
    blocks: list[Block]
    outline: Outline
    language: str
    #: Offsets where each block starts and ends in `text`.
    block_starts: list[int]
    block_ends: list[int]
    #: `text` with line-number prefixes (`  12→`) blanked: what identifiers are
    #: looked for in, so a question's numbers do not find line numbers.
    plain: str
    #: `plain` lower-cased, offset for offset (what query terms are looked for in).
    lowered: str
    #: `lowered` with punctuation turned into spaces, offset for offset: its words.
    words: str
    #: `text` with each digit, capital and backtick as `A`, all else a space: what
    #: `str.count` reads the density of numbers, names and inline code from.
    marks: str

    @property
    def ideographic(self) -> bool:
        """Whether the language writes no spaces between words (Chinese, Japanese)."""
        return self.language in _IDEOGRAPHIC

    @property
    def newline(self) -> str:
        """The document's line ending, for the lines the compressor adds."""
        first = self.text.find("\n")
        return "\r\n" if first > 0 and self.text[first - 1] == "\r" else "\n"

    def block_text(self, b: int) -> str:
        return self.text[self.block_starts[b] : self.block_ends[b]]

    def headings(self) -> list[int]:
        return [b for b, block in enumerate(self.blocks) if block.kind is Kind.HEADING]


def read_document(text: str) -> Document:
    """`text` cut into lines, blocks and sections."""
    lines = read_lines(text)
    plain = _without_prefixes(lines)
    lowered = plain.lower()
    if len(lowered) != len(plain):  # a character whose lower case is longer (İ)
        lowered = "".join(ch.lower()[:1] or ch for ch in plain)
    blocks = parse_blocks(lines)
    starts = [lines.starts[b.first] for b in blocks]
    ends = [lines.ends[b.last] for b in blocks]
    return Document(
        text=text,
        lines=lines,
        blocks=blocks,
        outline=read_outline(lines, blocks),
        language=guess_language(plain),
        block_starts=starts,
        block_ends=ends,
        plain=plain,
        lowered=lowered,
        words=_words(lowered),
        marks=_translate(plain, _ASCII_MARKS),
    )


def _without_prefixes(lines: Lines) -> str:
    """The text with its line-number prefixes (if any) blanked out, offset for offset."""
    if lines.content is lines.starts:
        return lines.text
    return _NUMBER_PREFIX.sub(lambda m: " " * len(m.group()), lines.text)


def _words(lowered: str) -> str:
    """Punctuation to spaces, keeping every offset."""
    ascii_bytes = lowered.encode("ascii", "replace")
    if len(ascii_bytes) - ascii_bytes.count(b"?") + lowered.count("?") >= 0.99 * len(lowered):
        return ascii_bytes.translate(_ASCII_WORDS).decode("ascii")  # fast: bytes level
    return _PUNCTUATION.sub(" ", lowered)  # letters beyond ASCII matter here


def _translate(text: str, table: bytes) -> str:
    """`text` mapped byte by byte through `table` (any non-ASCII character as `?`)."""
    return text.encode("ascii", "replace").translate(table).decode("ascii")
