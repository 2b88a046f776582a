"""The outline of a document: sections under their headings, and its contents list.

Each heading opens a section that runs to the next heading of the same or a
higher level; the text before the first heading is section 0, the preamble
(title block, front matter, PEP header). A section's path of titles
(`Specification › Syntax`) names it in markers. A table of contents is a
`.. contents::` directive, the body of a section titled "Contents", or a list
made mostly of links to anchors in the document; it is kept whatever the
question, because it is the map of what was cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.compressors.text.blocks import Block, Kind
from headroom.compressors.text.lines import Lines

__all__ = ["Outline", "Section", "read_outline"]

_TOC_TITLE = re.compile(
    r"\W*(?:table of contents|contents|toc|index of sections|inhalt|inhaltsverzeichnis"
    r"|table des matières|sommaire|índice|contenido|indice|sommario|目录|目次|목차|содержание)\W*$",
    re.IGNORECASE,
)
_ANCHOR_LINK = re.compile(r"\s*(?:[-*+]|\d+\.)?\s*\[[^\]]+\]\(#[^)]*\)")
_CONTENTS_DIRECTIVE = re.compile(r"\s*\.\.\s+contents::", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Section:
    """A heading (block index, -1 for the preamble) and the blocks under it."""

    heading: int
    level: int
    title: str
    parent: int
    first: int
    end: int

    def path(self, outline: Outline) -> str:
        """`Parent › Child` titles from the top level down."""
        names = [self.title]
        parent = self.parent
        while parent > 0:
            section = outline.sections[parent]
            names.append(section.title)
            parent = section.parent
        return " › ".join(reversed(names))


@dataclass(frozen=True, slots=True)
class Outline:
    sections: list[Section]
    #: The section each block belongs to (its own, for a heading).
    section_of: list[int]
    #: Indexes of the blocks that form a table of contents.
    toc: frozenset[int]


def read_outline(lines: Lines, blocks: list[Block]) -> Outline:
    """Sections and the table of contents of a document already cut into blocks."""
    starts: list[tuple[int, int, str, int]] = [(-1, 0, "", -1)]
    stack: list[int] = [0]
    section_of: list[int] = []
    for b, block in enumerate(blocks):
        if block.kind is Kind.HEADING:
            while len(stack) > 1 and starts[stack[-1]][1] >= block.level:
                stack.pop()
            starts.append((b, block.level, block.title, stack[-1]))
            stack.append(len(starts) - 1)
        section_of.append(len(starts) - 1)
    sections = _close(starts, section_of, len(blocks))
    return Outline(sections, section_of, _toc(lines, blocks, sections, section_of))


def _close(
    starts: list[tuple[int, int, str, int]], section_of: list[int], n_blocks: int
) -> list[Section]:
    """Each section with its block range (heading and body, subsections excluded)."""
    firsts = [0] * len(starts)
    ends = [0] * len(starts)
    for b in range(n_blocks - 1, -1, -1):
        firsts[section_of[b]] = b
    for s in range(len(starts)):
        ends[s] = firsts[s + 1] if s + 1 < len(starts) else n_blocks
    firsts[0] = 0
    return [
        Section(heading, level, title, parent, firsts[s], ends[s])
        for s, (heading, level, title, parent) in enumerate(starts)
    ]


def _toc(
    lines: Lines, blocks: list[Block], sections: list[Section], section_of: list[int]
) -> frozenset[int]:
    toc_sections = {s for s, section in enumerate(sections) if _TOC_TITLE.match(section.title)}
    anchors = "](#" in lines.text
    toc: set[int] = set()
    for b, block in enumerate(blocks):
        kind = block.kind
        if kind is Kind.HEADING:
            continue
        directive = kind is Kind.MARKUP and _CONTENTS_DIRECTIVE.match(lines.strings[block.first])
        links = anchors and kind is Kind.PROSE and _mostly_anchor_links(lines, block)
        if section_of[b] in toc_sections or directive or links:
            toc.add(b)
    return frozenset(toc)


def _mostly_anchor_links(lines: Lines, block: Block) -> bool:
    count = block.last - block.first + 1
    if count < 3 or lines.text.find("](#", lines.starts[block.first], lines.ends[block.last]) < 0:
        return False
    links = sum(
        1 for i in range(block.first, block.last + 1) if _ANCHOR_LINK.match(lines.strings[i])
    )
    return links * 10 >= count * 6
