"""The list of links written after a page's text.

Links are not written inline (`[text](url)` would split sentences the page
shows whole); each address is listed once, with the text of its first link,
after the content. Only `limit` of them are listed: first those whose text or
address holds a term of the question, then the rest in page order, leaving
out very long addresses. The list keeps page order either way, and says how
many were left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from headroom.ccr.units import query_terms
from headroom.compressors.html.markdown import Link

#: Link texts longer than this many characters are shortened in the list.
MAX_TEXT_CHARS = 80
#: Addresses longer than this (search-result and tracking links) are listed
#: only when they match the question.
MAX_HREF_CHARS = 300


def choose_links(links: Sequence[Link], query: str | None, limit: int) -> list[Link]:
    """At most `limit` links, those matching the query first, in page order."""
    terms = query_terms(query) if query else []
    matching = [i for i, link in enumerate(links) if terms and _matches(link, terms)]
    chosen = set(matching[:limit])
    for i, link in enumerate(links):
        if len(chosen) >= limit:
            break
        if len(link.href) <= MAX_HREF_CHARS:
            chosen.add(i)
    return [links[i] for i in sorted(chosen)]


def format_links(links: Sequence[Link], left_out: int) -> str:
    """`Links:` and one `- text: address` line per link."""
    lines = ["Links:"]
    lines.extend(f"- {_short(link.text)}: {link.href}" for link in links)
    if left_out:
        lines.append(f"- … {left_out} more in the page")
    return "\n".join(lines)


def _matches(link: Link, terms: Sequence[str]) -> bool:
    text = f"{link.text} {link.href}".lower()
    return any(term in text for term in terms)


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1].rstrip() + "…"
