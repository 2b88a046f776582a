"""One walk over a page that counts, for every element, the prose, text and links it holds.

Text belongs to its innermost block (`p`, `li`, `div`, …), so nested blocks
are not counted twice. A block's own text is *prose* when it is long enough
to be a sentence (`MIN_PROSE_CHARS`) and not mostly link text (menus, tag
clouds and teaser lists are links). The counts are subtree sums, so an
element's numbers say how much of the page's prose it holds.

Inline elements get no counts of their own (they add to their parent's):
they are most of a page's elements and are never candidates for the main
content or for pruning by size. This is the compressor's heaviest Python
loop, so it is written for speed: plain lists, no calls per text.
"""

from __future__ import annotations

from typing import TypeAlias

from lxml import etree

from headroom.compressors.html.tags import BLOCK_TAGS, INLINE_TAGS, Element

#: A block shorter than this many characters of non-link text is not prose.
MIN_PROSE_CHARS = 25
#: A block whose text is more than this share link text is not prose.
MAX_LINK_DENSITY = 0.5

#: What an element holds, as subtree sums: `[prose, text, link text, links, own]`,
#: in characters (links: a count). `own` is a block's own text (nested blocks
#: excluded). Plain lists, because one is made per element of the page.
Stats: TypeAlias = list[int]
PROSE, TEXT, LINK_TEXT, LINKS, OWN = range(5)


def measure(body: Element) -> dict[Element, Stats]:
    """Prose, text and link counts for every non-inline element under `body` (included)."""
    out: dict[Element, Stats] = {}
    stack: list[Stats] = [[0, 0, 0, 0, 0]]
    # Per open block: [own text, own link text]; text counts in the innermost one.
    blocks: list[list[int]] = [[0, 0]]
    in_link = 0
    for event, element in etree.iterwalk(body, events=("start", "end")):
        tag = element.tag
        inline = tag in INLINE_TAGS
        if event == "start":
            stack.append(stack[-1] if inline else [0, 0, 0, 0, 0])
            if tag in BLOCK_TAGS:
                blocks.append([0, 0])
            if tag == "a":
                in_link += 1
                stack[-1][LINKS] += 1
            text = element.text
            if text:
                size = len(text.strip())
                block = blocks[-1]
                block[0] += size
                block[1] += size if in_link else 0
            continue
        stats = stack.pop()
        if tag == "a":
            in_link -= 1
        if tag in BLOCK_TAGS:
            _close_block(stats, blocks.pop())
        if not inline:
            out[element] = stats
            parent = stack[-1]
            parent[PROSE] += stats[PROSE]
            parent[TEXT] += stats[TEXT]
            parent[LINK_TEXT] += stats[LINK_TEXT]
            parent[LINKS] += stats[LINKS]
        tail = element.tail
        if tail and element is not body:
            size = len(tail.strip())
            block = blocks[-1]
            block[0] += size
            block[1] += size if in_link else 0
    return out


def _close_block(stats: Stats, block: list[int]) -> None:
    """Count a block's own text into its stats, as prose when it reads like prose."""
    own, link = block
    stats[OWN] = own
    stats[TEXT] += own
    stats[LINK_TEXT] += link
    if own - link >= MIN_PROSE_CHARS and link <= MAX_LINK_DENSITY * own:
        stats[PROSE] += own - link
