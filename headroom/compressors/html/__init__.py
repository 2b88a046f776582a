"""The HTML compressor: a fetched web page becomes its article, as compact Markdown.

A page's HTML is mostly not its text: scripts, styles, navigation, footers,
sharing widgets and markup make up 85–98% of the tokens of a typical article
page. This compressor keeps what a reader of the page would read:

1. `page` parses the page with lxml (lenient, in C), notes its title and
   address (the tool's `url` input, else the canonical or `og:url` link),
   removes what is never shown (scripts, styles, the head) and notes hidden
   elements.
2. `content` measures, in one walk, how much prose every element holds, finds
   the element that holds the article and little else, and tells the page
   furniture inside it (menus, footers, asides, sharing and comment widgets)
   by tag, ARIA role, class and id words, and link density.
3. `markdown` renders it: headings, paragraphs, lists, data tables, code
   blocks and quotes, with each sentence's text exactly as the browser shows
   it (whitespace collapsed the way HTML collapses it, entities decoded,
   no emphasis or link brackets inserted).
4. `links` lists the links of the content once per address after the text,
   those matching the question first, up to a limit scaled by `keep_factor`.

The output starts with the page's title and address and ends with one marker
that counts the page's text blocks left out and names the stored original,
so `headroom_retrieve` gives the whole page back (or, with a query, its
matching paragraphs). A page with no article (a login form, a link hub) keeps
whatever text it shows; one with no text at all keeps its title and the
marker. Text that is not HTML (Markdown, code, RSS and other XML) gets None.

Why not trafilatura, which DESIGN.md names for web pages: measured on the
corpus's 15 pages, `trafilatura.extract` alone takes 50 ms at the median and
280 ms at most (`fast=True` changes little), and it drops one needle (a
list of links that is the article's content). This extractor does the same
work in one C parse plus one Python walk, a few milliseconds per page, and
keeps every needle.
"""

from __future__ import annotations

from headroom.compressors.html.compressor import HtmlCompressor

__all__ = ["HtmlCompressor"]
