"""The HTML compressor: a web page in, its title, address and main content as Markdown out."""

from __future__ import annotations

from headroom.ccr import ccr_id, marker
from headroom.compressors.html.content import Content, main_content
from headroom.compressors.html.links import choose_links, format_links
from headroom.compressors.html.markdown import Renderer
from headroom.compressors.html.page import Page, looks_like_html, parse_page
from headroom.types import CompressContext, Compressed

#: Links listed by default (scaled by `CompressContext.keep_factor`).
MAX_LINKS = 20


class HtmlCompressor:
    """A page's title, address and main content as Markdown; the page itself in CCR."""

    name = "html"
    kinds: tuple[str, ...] = ("html",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        """The page as Markdown, or None when `text` is not an HTML page."""
        if not looks_like_html(text):
            return None
        page = parse_page(text, ctx.origin.tool_input)
        if page is None:
            return None
        content, renderer, blocks = _render(page)
        key = ccr_id(text)
        head = _head(page)
        if blocks and head and blocks[0] == head[0]:
            blocks = blocks[1:]
        parts = ["\n".join(head)] if head else []
        parts.extend(blocks)
        links = list(renderer.links.values())
        chosen = choose_links(links, ctx.query, max(1, round(MAX_LINKS * ctx.keep_factor)))
        if chosen:
            parts.append(format_links(chosen, len(links) - len(chosen)))
        parts.append(_marker(key, content, renderer, len(text)))
        return Compressed("\n\n".join(parts), self.kinds[0], self.name, key)


def _render(page: Page) -> tuple[Content, Renderer, list[str]]:
    """The main content's blocks; the whole visible page when the content finder kept nothing."""
    content = main_content(page.body, page.hidden)
    renderer = Renderer(content)
    blocks = renderer.blocks(content.root)
    if not blocks:
        content = content.whole_page(page.body)
        renderer = Renderer(content)
        blocks = renderer.blocks(content.root)
    return content, renderer, blocks


def _head(page: Page) -> list[str]:
    head = []
    if page.title:
        head.append(f"# {page.title}")
    if page.url:
        head.append(f"URL: {page.url}")
    return head


def _marker(key: str, content: Content, renderer: Renderer, size: int) -> str:
    """The one marker: how much of the page's text was left out, and where the page is."""
    total = content.text_blocks()
    if not total:
        detail = "the page shows no text, only markup and scripts"
        return marker(ccr_id=key, omitted=size, unit="characters", detail=detail)
    omitted = max(0, total - renderer.kept_blocks)
    detail = "navigation, page furniture and markup; the full page is stored"
    return marker(ccr_id=key, omitted=omitted, unit="text blocks", total=total, detail=detail)
