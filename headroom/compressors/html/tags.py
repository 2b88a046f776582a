"""What HTML elements are, as far as reading a page goes: the tag classes and names used
to tell text from layout and page furniture.
"""

from __future__ import annotations

from typing import TypeAlias

from lxml import etree

#: An element of a parsed page.
Element: TypeAlias = etree._Element


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Elements that are part of a line of text, never a block of their own.
INLINE_TAGS = _words(
    """a abbr b bdi bdo big br cite code data del dfn em font i img ins kbd label mark q rp
    rt ruby s samp small span strike strong sub sup time tt u var wbr"""
)
#: Elements that start a new block of text; text inside belongs to the innermost one.
BLOCK_TAGS = _words(
    """address article aside blockquote body caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main
    menu nav ol p pre section summary table tbody td tfoot th thead tr ul"""
)
#: Blocks that are text themselves, never furniture by their name or class.
TEXT_BLOCK_TAGS = _words(
    "p h1 h2 h3 h4 h5 h6 li dt dd td th tr pre blockquote caption figcaption summary address"
)
#: Elements never shown as text: removed with their content.
INVISIBLE_TAGS = ("head", "script", "style", "noscript", "template", "datalist", "source", "track")
#: Elements drawn as a box, not as text: emptied, and rendered as a space.
REPLACED_TAGS = _words(
    """audio button canvas embed frame iframe img input math object picture select svg
    textarea video"""
)
#: Tags an HTML page or fragment may open with (after a doctype, comments or `<?xml?>`).
OPENING_TAGS = (BLOCK_TAGS | INLINE_TAGS | REPLACED_TAGS | _words("head title meta link")) - {
    "svg",
    "math",
}

#: Page furniture by tag.
FURNITURE_TAGS = _words("nav aside footer")
#: Page furniture by ARIA role.
FURNITURE_ROLES = _words(
    "navigation banner contentinfo complementary search menu menubar toolbar dialog alertdialog"
)
#: Page furniture by a word of its class or id (`share-bar`, `siteFooter`, `ad-slot`).
FURNITURE_WORDS = _words(
    """nav navbar navigation menu menus breadcrumb breadcrumbs footer sidebar social share
    shares sharing sharebar related recommended recommendations promo promos newsletter
    subscribe subscription signup ad ads advert adverts advertisement advertising sponsor
    sponsored cookie cookies consent gdpr banner popup modal overlay comment comments disqus
    pagination pager toolbar masthead skip skiplink outbrain taboola trending mostread navbox
    catlinks editsection noprint printfooter"""
)
#: Elements that may be menus: lists of short links.
MENU_TAGS = _words("ul ol div table p dl section")
