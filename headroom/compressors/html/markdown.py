"""Rendering an element as compact Markdown, with the text kept as the page shows it.

Headings become `#` lines, paragraphs plain lines, lists `-`/`1.` items
(nested ones indented), data tables pipe rows, `<pre>` fenced code kept byte
for byte, block quotes `>` lines. Whitespace inside a paragraph collapses the
way a browser collapses it (ASCII whitespace only: a no-break space stays), so
every sentence reads exactly as on the rendered page; `<br>` is a line break.
Inline markup (bold, inline code, spans) adds no characters, so a sentence is
never split by `**`, backticks or link brackets. Links keep their text, and
their addresses go to `Renderer.links`, once each, for the list after the
text; links to anchors in the same page and script links are not collected.

Tables whose cells hold other tables or long text are page layout, not data:
their cells are rendered as ordinary blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from headroom.compressors.html.content import Content
from headroom.compressors.html.measure import OWN, TEXT
from headroom.compressors.html.tags import BLOCK_TAGS, REPLACED_TAGS, Element

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LISTS = frozenset({"ul", "ol", "menu", "dir"})
_CELLS = frozenset({"td", "th"})
#: Deeper than this, an element's text is taken whole instead of walked.
MAX_DEPTH = 100
#: A table with a cell longer than this (characters) is layout, not data.
MAX_CELL_CHARS = 300
_LINE_BREAK = "\x00"
_COLLAPSE = re.compile(r"[ \t\n\r\f]+")
#: Characters `str.split()` takes for whitespace that HTML does not collapse.
_UNICODE_SPACE = re.compile(
    "[\x0b\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_NOT_LINKED = ("#", "javascript:", "data:")


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    href: str


@dataclass(slots=True)
class _Out:
    """Finished blocks, and the inline text of the block being written."""

    blocks: list[str] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)

    def add(self, text: str | None) -> None:
        if text:
            self.pieces.append(text)

    def flush(self) -> None:
        if not self.pieces:
            return
        text = inline_text("".join(self.pieces))
        self.pieces.clear()
        if text:
            self.blocks.append(text)


def inline_text(raw: str) -> str:
    """Text as a browser shows it: ASCII whitespace runs collapsed, line breaks kept."""
    lines = (collapse(part) for part in raw.split(_LINE_BREAK))
    return "\n".join(line for line in lines if line.strip())


def collapse(text: str) -> str:
    """`text` with runs of ASCII whitespace made one space, and stripped.

    `str.split()` is several times faster than a regular expression but also
    splits at no-break and other Unicode spaces, which a browser keeps, so it
    is used only on text that has none.
    """
    if _UNICODE_SPACE.search(text) is None:
        return " ".join(text.split())
    return _COLLAPSE.sub(" ", text).strip(" ")


class Renderer:
    """Renders elements to Markdown blocks, leaving out the content's furniture.

    It also collects the links it renders (`links`, first use of each address)
    and counts the page's text blocks it kept (`kept_blocks`).
    """

    def __init__(self, content: Content) -> None:
        self.content = content
        self.links: dict[str, Link] = {}
        self.kept_blocks = 0

    def blocks(self, element: Element, depth: int = 0) -> list[str]:
        """The Markdown blocks of `element`'s content."""
        out = _Out()
        self._children(element, out, depth)
        out.flush()
        return out.blocks

    def _children(self, element: Element, out: _Out, depth: int) -> None:
        self._count_kept(element)
        out.add(element.text)
        for child in element:
            self._walk(child, out, depth + 1)
            out.add(child.tail)

    def _count_kept(self, element: Element) -> None:
        stats = self.content.stats.get(element)
        self.kept_blocks += stats is not None and stats[OWN] > 0

    def _walk(self, element: Element, out: _Out, depth: int) -> None:
        tag = element.tag
        if not isinstance(tag, str) or self.content.pruned(element):
            return
        if tag in REPLACED_TAGS:
            out.add(" ")
        elif depth > MAX_DEPTH:
            out.add("".join(t for t in element.itertext() if isinstance(t, str)))
        elif tag == "a":
            self._link(element, out, depth)
        elif tag == "br":
            out.add(_LINE_BREAK)
        elif tag not in BLOCK_TAGS:
            self._children(element, out, depth)
        else:
            out.flush()
            self._block(element, out, depth)
            out.flush()

    def _block(self, element: Element, out: _Out, depth: int) -> None:
        tag = element.tag
        if tag in _HEADINGS:
            text = " ".join(self.blocks(element, depth)).replace("\n", " ")
            if text:
                out.blocks.append("#" * _HEADINGS[tag] + " " + text)
        elif tag == "pre":
            self._count_kept(element)
            code = preformatted_text(element).strip("\n")
            if code.strip():
                out.blocks.append(_fence(code))
        elif tag in _LISTS:
            self._list(element, out, depth)
        elif tag == "table":
            self._table(element, out, depth)
        elif tag == "blockquote":
            lines = "\n".join(self.blocks(element, depth)).split("\n")
            quoted = "\n".join(f"> {line}".rstrip() for line in lines if line)
            if quoted:
                out.blocks.append(quoted)
        else:
            self._children(element, out, depth)

    def _link(self, element: Element, out: _Out, depth: int) -> None:
        start, blocks = len(out.pieces), len(out.blocks)
        self._children(element, out, depth)
        href = (element.get("href") or "").strip()
        if not href or href.lower().startswith(_NOT_LINKED) or href in self.links:
            return
        if len(out.blocks) == blocks:
            text = inline_text("".join(out.pieces[start:])).replace("\n", " ")
            if text:
                self.links[href] = Link(text, href)

    def _list(self, element: Element, out: _Out, depth: int) -> None:
        items: list[str] = []
        ordered = element.tag == "ol"
        for child in element:
            if not isinstance(child.tag, str) or self.content.pruned(child):
                continue
            blocks = self.blocks(child, depth + 1) if child.tag == "li" else []
            if child.tag != "li":
                sub = _Out()
                self._walk(child, sub, depth + 1)
                sub.flush()
                items.extend(sub.blocks)
            elif blocks:
                bullet = f"{len(items) + 1}. " if ordered else "- "
                items.append(_indent(bullet, "\n".join(blocks)))
        if items:
            out.blocks.append("\n".join(items))

    def _table(self, element: Element, out: _Out, depth: int) -> None:
        rows = self._data_rows(element, depth)
        if not rows:
            self._children(element, out, depth)
            return
        width = max(len(row) for row in rows)
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "|" + "---|" * width)
        out.blocks.append("\n".join(lines))

    def _data_rows(self, table: Element, depth: int) -> list[list[str]] | None:
        """The cell texts of a data table, or None for a layout table."""
        if table.find(".//table") is not None:
            return None
        stats = self.content.stats
        rows = [[c for c in row if c.tag in _CELLS] for row in table.iter("tr")]
        rows = [cells for cells in rows if cells]
        if len(rows) < 2 or max(len(cells) for cells in rows) < 2:
            return None
        if any(stats[c][TEXT] > MAX_CELL_CHARS for cells in rows for c in cells if c in stats):
            return None
        texts = [[self._cell(c, depth) for c in cells] for cells in rows]
        return [row for row in texts if any(row)]

    def _cell(self, cell: Element, depth: int) -> str:
        if self.content.pruned(cell):
            return ""
        return " ".join(self.blocks(cell, depth + 2)).replace("\n", " ")


def preformatted_text(element: Element) -> str:
    """The text of a `<pre>` as is, with `<br>` as a line break."""
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if event == "start":
            parts.append("\n" if node.tag == "br" else node.text or "")
        elif node is not element:
            parts.append(node.tail or "")
    return "".join(parts)


def _indent(bullet: str, text: str) -> str:
    pad = " " * len(bullet)
    first, *rest = text.split("\n")
    return "\n".join([bullet + first, *(pad + line if line else line for line in rest)])


def _fence(code: str) -> str:
    fence = "~~~" if "```" in code else "```"
    return f"{fence}\n{code}\n{fence}"
