"""Finding a page's main content: the element that holds the article and little else.

`measure` says how much prose every element holds. From `<body>`, the finder
steps down into the child holding the most prose, for as long as the step
leaves little behind: furniture (a footer, a comment section, a menu) may be
left freely unless it is large, but everything else left behind counts,
over all steps, against small shares of the page's prose and of its text
outside links. So an article split into sibling sections keeps them all, and
a data table beside a short introduction is never left out for holding no
prose. A page whose prose is scattered keeps its whole body.

Inside the main content, page furniture is pruned as the renderer reaches it:
navigation, footers, asides, sharing and comment widgets, ads (by tag, ARIA
role, or a word of a container's class or id), menus (lists of short links)
and hidden elements. A pruned element may hold only a small share of the
content's prose, so a wrongly named wrapper never takes the article with it.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from headroom.compressors.html.measure import LINK_TEXT, LINKS, OWN, PROSE, TEXT, Stats, measure
from headroom.compressors.html.tags import (
    FURNITURE_ROLES,
    FURNITURE_TAGS,
    FURNITURE_WORDS,
    MENU_TAGS,
    TEXT_BLOCK_TAGS,
    Element,
)

#: The main content holds at least this share of the page's prose.
MIN_MAIN_SHARE = 0.5
#: Finding the main content may leave behind, outside furniture, at most this
#: share of the page's prose ...
MAX_LEFT_PROSE = 0.05
#: ... and this share of its text outside links.
MAX_LEFT_TEXT = 0.15
#: Furniture left behind may hold at most this share of the page's prose each.
MAX_FURNITURE_SHARE = 0.4
#: Furniture inside the main content is pruned only when it holds at most this
#: share of the content's prose.
MAX_PRUNED_SHARE = 0.25
#: A link list is a menu when its links average at most this many characters ...
MENU_LINK_CHARS = 24
#: ... and at least this share of its text is link text.
MENU_LINK_DENSITY = 0.8
#: A class or id of more words than this is a slug (`conducting-ad-hoc-analysis`), not a name.
MAX_NAME_WORDS = 4

_WORD_SPLIT = re.compile(r"[_\-]+|(?<=[a-z])(?=[A-Z])")


class Content:
    """The main content element, and which elements inside it are furniture.

    Furniture is decided lazily, as the renderer reaches an element, so the
    inside of a pruned element is never looked at. Inline elements (a span,
    a superscript) are never furniture, only hidden: pruning them would
    change the sentence they sit in.
    """

    def __init__(
        self,
        root: Element,
        stats: dict[Element, Stats],
        hidden: Collection[Element],
        *,
        prunes_furniture: bool = True,
    ) -> None:
        self.root = root
        self.stats = stats
        self.hidden = hidden
        self.limit = MAX_PRUNED_SHARE * stats[root][PROSE]
        self.is_furniture = _Furniture()
        #: False when nothing but hidden elements is pruned (see `whole_page`).
        self.prunes_furniture = prunes_furniture

    def whole_page(self, body: Element) -> Content:
        """The same page with everything visible kept: for pages that are all furniture."""
        return Content(body, self.stats, self.hidden, prunes_furniture=False)

    def text_blocks(self) -> int:
        """How many blocks of the whole page hold text of their own."""
        return sum(1 for stats in self.stats.values() if stats[OWN])

    def pruned(self, element: Element) -> bool:
        """Whether `element` is furniture (or hidden) and holds little of the prose.

        Inline elements have no stats: they are pruned only when hidden.
        """
        stats = self.stats.get(element)
        if stats is not None and stats[PROSE] > self.limit:
            return False
        if element in self.hidden:
            return True
        if stats is None or not self.prunes_furniture:
            return False
        return self.is_furniture(element) or _is_menu(element.tag, stats)


class _Furniture:
    """Tells page furniture by tag, ARIA role, or a word of its class or id.

    Only containers are judged by name: a paragraph, heading, list item or
    cell is text, whatever its class says. Names of more than `MAX_NAME_WORDS`
    words are slugs of headings (`id="conducting-ad-hoc-analysis"`), not
    names, and are not read.
    """

    def __init__(self) -> None:
        self._names: dict[str, bool] = {}

    def __call__(self, element: Element) -> bool:
        tag = element.tag
        if tag in FURNITURE_TAGS:
            return True
        if tag in TEXT_BLOCK_TAGS:
            return False
        role = element.get("role")
        if role and role.lower() in FURNITURE_ROLES:
            return True
        names = f"{element.get('class', '')} {element.get('id', '')}"
        found = self._names.get(names)
        if found is None:
            found = self._names[names] = any(map(_is_furniture_name, names.split()))
        return found


def _is_furniture_name(name: str) -> bool:
    words = _WORD_SPLIT.split(name)
    if len(words) > MAX_NAME_WORDS:
        return False
    return not FURNITURE_WORDS.isdisjoint(word.lower() for word in words)


def main_content(body: Element, hidden: Collection[Element] = ()) -> Content:
    """The element holding the page's main content, with its furniture test.

    A page without prose (a login form, a link hub) keeps its whole body, with
    menus pruned.
    """
    page = Content(body, measure(body), hidden)
    return Content(_descend(page), page.stats, hidden)


def _descend(page: Content) -> Element:
    """From the body down to the element that holds the article and little else.

    Each step leaves behind the rest of the element: its other children and
    its own text. Furniture and menus (a footer, a comment section, a link
    list) are left freely unless large; everything else left counts, over all
    steps, against `MAX_LEFT_PROSE` of the page's prose and `MAX_LEFT_TEXT` of
    its text outside links. So a data table beside a short article is never
    left out for holding no prose.
    """
    stats = page.stats
    node = page.root
    prose, text = stats[node][PROSE], _plain(stats[node])
    left_prose = left_text = 0
    while prose:
        children = [c for c in node if c in stats and stats[c][TEXT]]
        best = max(children, key=lambda c: stats[c][PROSE], default=None)
        if best is None or stats[best][PROSE] < MIN_MAIN_SHARE * prose:
            break
        free = [c for c in children if c is not best and _leaves_freely(page, c, prose)]
        left_prose += stats[node][PROSE] - stats[best][PROSE] - sum(stats[c][PROSE] for c in free)
        left_text += _plain(stats[node]) - _plain(stats[best]) - sum(_plain(stats[c]) for c in free)
        if left_prose > MAX_LEFT_PROSE * prose or left_text > MAX_LEFT_TEXT * text:
            break
        node = best
    return node


def _plain(stats: Stats) -> int:
    """Text outside links."""
    return stats[TEXT] - stats[LINK_TEXT]


def _leaves_freely(page: Content, element: Element, prose: int) -> bool:
    """Whether `element` is furniture that the main content may leave out."""
    stats = page.stats[element]
    if stats[PROSE] > MAX_FURNITURE_SHARE * prose:
        return False
    if element in page.hidden or _is_menu(element.tag, stats):
        return True
    return page.is_furniture(element)


def _is_menu(tag: object, stats: Stats) -> bool:
    """A list of short links: a menu, a table of contents, a tag cloud."""
    if tag not in MENU_TAGS or stats[LINKS] < 2 or not stats[TEXT]:
        return False
    if stats[LINK_TEXT] < MENU_LINK_DENSITY * stats[TEXT]:
        return False
    return stats[LINK_TEXT] <= MENU_LINK_CHARS * stats[LINKS]
