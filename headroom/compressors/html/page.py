"""Reading a web page: parse it, note its title and address, drop what is never text.

The page is parsed with lxml's HTML parser (libxml2, lenient: broken markup is
repaired, not rejected). The text is handed over as UTF-8 bytes with the
encoding fixed, so an `<?xml encoding=...?>` or `<meta charset>` in the page
cannot make the parser re-decode text that is already decoded. A page nested
deeper than libxml2 will build is refused rather than read in part.

Elements that are never shown as text are removed in C before any Python
walks the tree: scripts, styles, templates, the head. Replaced elements
(images, form controls, embedded media, SVG) are emptied but kept, because
the browser draws them as a box between words: the renderer writes a space.
Hidden elements (`hidden`, inline `display:none`) are only noted: a page that
hides its whole article until a script runs must not lose it, so the content
finder decides (see `content.Content.pruned`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from headroom.compressors.html.tags import INVISIBLE_TAGS, OPENING_TAGS, REPLACED_TAGS, Element

#: How many tags a text must have to be treated as a page.
MIN_TAGS = 3

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9-]*|!doctype|!--)[\s>/]", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(r"<([a-zA-Z][a-zA-Z0-9:-]*)")
_SPACE = re.compile(r"\s+")
_URL_KEYS = ("url", "href", "uri", "link")
_HEAD_FACTS = frozenset({"title", "canonical", "og:title", "og:url"})
_TITLE_PARENTS = frozenset({"head", "body", "html"})


@dataclass(frozen=True, slots=True)
class Page:
    """A parsed page: its body (invisible parts removed), title, address and hidden parts."""

    body: Element
    title: str
    url: str
    hidden: frozenset[Element]


def looks_like_html(text: str) -> bool:
    """Whether `text` is an HTML page or fragment: it opens with an HTML tag and has a few.

    Markdown, code or prose that hold a tag or two are not pages, and neither
    are other XML documents (RSS, Atom, SVG, sitemaps).
    """
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if not head.startswith("<"):
        return False
    first = _FIRST_ELEMENT.search(text, 0, 65536)
    if first is None or first.group(1).lower() not in OPENING_TAGS:
        return False
    tags = _TAG.finditer(text, 0, 65536)
    return sum(1 for _ in itertools.islice(tags, MIN_TAGS)) == MIN_TAGS


def parse_page(text: str, tool_input: Mapping[str, Any] | None = None) -> Page | None:
    """The page in `text`, or None when it cannot be parsed whole."""
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
    )
    try:
        root = etree.fromstring(text.encode("utf-8", "replace"), parser)
    except etree.ParserError:
        return None
    if root is None or any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        return None
    facts = _head_facts(root)
    title = facts.get("title") or facts.get("og:title", "")
    url = _url_from_input(tool_input) or facts.get("canonical") or facts.get("og:url", "")
    etree.strip_elements(root, *INVISIBLE_TAGS, with_tail=False)
    for element in list(root.iter(*REPLACED_TAGS)):
        element.clear(keep_tail=True)
    body = root.find("body")
    body = body if body is not None else root
    return Page(body, title, url, _hidden(body))


def _head_facts(root: Element) -> dict[str, str]:
    """The page's `title`, `canonical` link, `og:title` and `og:url`.

    They are looked for in the whole page: libxml2 moves head elements that
    follow a stray tag into the body. A `title` inside an SVG is not the page's.
    """
    facts: dict[str, str] = {}
    for element in root.iter("title", "meta", "link"):
        if element.tag == "title" and _parent_tag(element) in _TITLE_PARENTS:
            name, value = "title", "".join(t for t in element.itertext() if isinstance(t, str))
        elif element.tag == "meta":
            name, value = element.get("property", ""), element.get("content", "")
        elif element.tag == "link" and "canonical" in element.get("rel", "").lower().split():
            name, value = "canonical", element.get("href", "")
        else:
            continue
        if name in _HEAD_FACTS and name not in facts and value.strip():
            facts[name] = _clean(value)
    return facts


def _parent_tag(element: Element) -> object:
    parent = element.getparent()
    return None if parent is None else parent.tag


def _hidden(body: Element) -> frozenset[Element]:
    """Elements the browser does not show (`hidden`, `display:none`, `visibility:hidden`)."""
    found: set[Element] = set()
    for element in body.iter():
        style = element.get("style")
        if element.get("hidden") is not None or (style and _HIDDEN_STYLE.search(style)):
            found.add(element)
    return frozenset(found)


def _url_from_input(tool_input: Mapping[str, Any] | None) -> str:
    """The address the tool was asked to fetch, when its input names one."""
    for key in _URL_KEYS:
        value = (tool_input or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
