"""The HTML compressor: hand-made pages and edge cases, then the corpus's article pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom.bench.corpus import load_corpus
from headroom.bench.runner import run as run_bench
from headroom.bench.runner import summarize
from headroom.ccr import ccr_id, marker_ids
from headroom.compressors.html import HtmlCompressor
from headroom.compressors.registry import build_registry
from headroom.runtime import get_runtime
from headroom.types import CompressContext, Compressed, Origin
from tests.conftest import require_corpus

SENTENCE = "The committee approved the budget on Tuesday after a long debate."
NAV = "<nav><ul>" + "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(12))
NAV += "</ul></nav>"
FOOTER = "<footer><p>© 2024 Example News. All rights reserved. Terms of use apply.</p></footer>"


def page(body: str, *, title: str = "An article", head: str = "") -> str:
    return (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title>{head}"
        "<style>body { color: red }</style><script>var tracking = 1;</script></head>"
        f"<body>{NAV}{body}{FOOTER}</body></html>"
    )


def article(paragraphs: int = 6, extra: str = "") -> str:
    filler = " ".join(
        f"Paragraph {{n}} explains point {i} of the story in detail." for i in range(3)
    )
    paras = "".join(f"<p>{filler.format(n=n)}</p>" for n in range(paragraphs))
    return f"<article><h1>Budget passes</h1><p>{SENTENCE}</p>{paras}{extra}</article>"


def run(text: str, query: str | None = None, **ctx: object) -> Compressed | None:
    return HtmlCompressor().compress(text, CompressContext(query=query, **ctx))  # type: ignore[arg-type]


def out(text: str, query: str | None = None, **ctx: object) -> str:
    result = run(text, query, **ctx)
    assert result is not None
    return result.text


# ---------------------------------------------------------------- the article


def test_an_article_page_becomes_its_title_and_text_without_scripts_or_navigation() -> None:
    text = out(page(article()))
    assert text.startswith("# An article\n")
    assert "# Budget passes" in text
    assert SENTENCE in text
    assert "Section 3" not in text and "tracking" not in text and "color: red" not in text
    assert "All rights reserved" not in text


def test_the_page_goes_to_ccr_and_one_marker_offers_it_back() -> None:
    source = page(article())
    result = run(source)
    assert result is not None and result.ccr_id == ccr_id(source)
    assert marker_ids(result.text) == [result.ccr_id]
    assert result.text.rstrip().endswith(f"headroom_retrieve id={result.ccr_id}]")
    assert re.search(r"\d+ of \d+ text blocks omitted", result.text)


def test_the_address_comes_from_the_tool_input_then_the_canonical_link() -> None:
    head = '<link rel="canonical" href="https://news.example/budget">'
    assert "URL: https://news.example/budget" in out(page(article(), head=head))
    fetched = Origin(tool_name="WebFetch", tool_input={"url": "https://example.org/a?b=1"})
    assert "URL: https://example.org/a?b=1" in out(page(article(), head=head), origin=fetched)


def test_sentences_read_as_the_browser_shows_them() -> None:
    body = (
        "<p>It’s “quoted”,\n      wrapped   over\tlines &amp; has&nbsp;a no-break space.</p>"
        "<p>A <em>word</em> in <a href='https://x.example/doc'>a link</a> stays in its"
        " sentence.</p>"
    )
    text = out(page(article(extra=body)))
    assert "It’s “quoted”, wrapped over lines & has\u00a0a no-break space." in text
    assert "A word in a link stays in its sentence." in text
    assert "- a link: https://x.example/doc" in text


def test_headings_lists_tables_code_and_quotes_become_markdown() -> None:
    extra = (
        "<h2>Details</h2><ul><li>first</li><li>second<ol><li>nested</li></ol></li></ul>"
        "<table><tr><th>name</th><th>votes</th></tr><tr><td>yes</td><td>61</td></tr></table>"
        "<pre><code>def f(x):\n    return x<br>print(f(1))</code></pre>"
        "<blockquote><p>Quoted words.</p></blockquote>"
    )
    text = out(page(article(extra=extra)))
    assert "## Details" in text
    assert "- first\n- second\n  1. nested" in text
    assert "| name | votes |\n|---|---|\n| yes | 61 |" in text
    assert "```\ndef f(x):\n    return x\nprint(f(1))\n```" in text
    assert "> Quoted words." in text


def test_a_layout_table_is_read_as_blocks_not_as_a_grid() -> None:
    long_cell = " ".join([SENTENCE] * 8)
    body = f"<table><tr><td><p>{long_cell}</p></td><td><p>Side text.</p></td></tr></table>"
    text = out(page(body))
    assert long_cell in text and "|" not in text.split("[headroom:")[0]


def test_protected_identifiers_in_kept_text_stay_whole() -> None:
    ids = (
        "Build 3f9a2c1b7e4d5f60 of v2.14.1-rc.2 ran as 123e4567-e89b-12d3-a456-426614174000,"
        " see /var/log/app.log or mail ops@example.com about https://ci.example/run/42."
    )
    assert ids in out(page(article(extra=f"<p>{ids}</p>")))


# ---------------------------------------------------------------- furniture


def test_sharing_comments_and_related_stories_inside_the_article_are_pruned() -> None:
    extra = (
        '<div class="share-bar"><a href="/tw">Share on Twitter</a> and tell your friends.</div>'
        '<section id="comments"><p>Comment: I disagree with all of this, for many reasons.</p>'
        "</section><aside><p>Related: another story you might enjoy reading today.</p></aside>"
    )
    text = out(page(article(paragraphs=8, extra=extra)))
    assert SENTENCE in text
    assert "Share on Twitter" not in text and "I disagree" not in text and "Related:" not in text


def test_an_id_made_from_a_heading_is_not_read_as_a_furniture_name() -> None:
    extra = '<div id="conducting-ad-hoc-analysis-of-results"><p>Ad hoc analysis matters.</p></div>'
    assert "Ad hoc analysis matters." in out(page(article(extra=extra)))


def test_hidden_elements_are_dropped_but_a_hidden_article_is_kept() -> None:
    extra = '<p style="display: none">Invisible teaser text that nobody sees.</p>'
    assert "Invisible teaser" not in out(page(article(extra=extra)))
    hidden = f"<div hidden>{article()}</div>"
    assert SENTENCE in out(page(hidden))


def test_an_article_split_into_sibling_sections_is_kept_whole() -> None:
    sections = "".join(
        f"<section><p>{SENTENCE} Section {n} goes on with its own point here.</p>"
        "<p>More words for this section so that it is real prose.</p></section>"
        for n in range(6)
    )
    last = "<section><p>The last section says the quiet part out loud.</p></section>"
    assert "The last section says the quiet part out loud." in out(page(sections + last))


def test_a_data_table_beside_a_short_introduction_is_kept() -> None:
    rows = "".join(f"<tr><td>run-{i}</td><td>{i * 7}</td><td>ok</td></tr>" for i in range(60))
    body = f"<div><h1>Results</h1><table>{rows}</table></div><div><p>{SENTENCE}</p></div>"
    text = out(page(body))
    assert "| run-59 | 413 | ok |" in text


def test_text_written_straight_into_the_page_is_not_left_behind() -> None:
    loose = "Loose text right in the body, outside any paragraph, is still text. " * 6
    text = out(page(f"<span>{loose}</span>{article(paragraphs=3)}"))
    assert loose.strip() in text and SENTENCE in text


# ---------------------------------------------------------------- links


def test_links_are_listed_once_with_those_matching_the_question_first() -> None:
    links = "".join(
        f'<p>See <a href="/doc/{i}">topic {i}</a> for more words.</p>' for i in range(60)
    )
    links += '<p>The <a href="/pricing">pricing page</a> lists the plans.</p>'
    text = out(page(article(extra=links)), "where is the pricing?")
    assert "- pricing page: /pricing" in text
    assert "- topic 0: /doc/0" in text
    assert "- topic 40: /doc/40" not in text
    assert re.search(r"- … \d+ more in the page", text)
    more = out(page(article(extra=links)), keep_factor=4.0)
    assert "- topic 40: /doc/40" in more


# ---------------------------------------------------------------- pages without an article


def test_a_login_page_keeps_its_title_and_the_little_text_it_has() -> None:
    form = (
        "<main><form><h1>Sign in</h1><label>Email</label><input name=e>"
        "<label>Password</label><input type=password><button>Go</button></form>"
        '<p><a href="/forgot">Forgot password?</a></p></main>'
    )
    text = out(page(form, title="Sign in · Example"))
    assert text.startswith("# Sign in · Example")
    assert "Email Password" in text and "Forgot password?" in text


def test_a_page_of_menus_only_keeps_the_menu_text() -> None:
    text = out(f"<html><body>{NAV}</body></html>")
    assert "- Section 0\n- Section 1" in text


def test_a_page_without_visible_text_keeps_its_title_and_says_so() -> None:
    text = out("<html><head><title>App</title><script>boot()</script></head><body></body></html>")
    assert text.startswith("# App\n") and "shows no text" in text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n ",
        "# Title\n\nSome Markdown with <b>bold</b>, <i>it</i> and <a href=x>a link</a>.\n",
        "import React from 'react';\nexport const A = () => <div><p>hi</p><span/></div>;\n",
        '<?xml version="1.0"?><rss><channel><title>F</title><item><title>I</title></item></channel>'
        "</rss>",
        '<svg xmlns="http://www.w3.org/2000/svg"><title>icon</title><path d="M0"/></svg>',
        "plain prose that mentions <br> once",
    ],
)
def test_text_that_is_not_an_html_page_is_left_alone(text: str) -> None:
    assert run(text) is None


# ---------------------------------------------------------------- robustness


def test_windows_line_endings_read_like_unix_ones() -> None:
    unix = page(article(extra="<pre>a\n  b\n</pre>"))
    windows = unix.replace("\n", "\r\n")
    assert out(windows).split("[headroom:")[0] == out(unix).split("[headroom:")[0]


def test_an_encoding_declaration_does_not_garble_decoded_text() -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>' + page(
        article(extra="<p>Crème brûlée — naïve café.</p>")
    )
    assert "Crème brûlée — naïve café." in out(text)


def test_broken_markup_and_a_fragment_still_give_their_text() -> None:
    text = out("<div><p>Unclosed <b>bold <i>italic</p><p>after & a stray < sign</div></span>")
    assert "Unclosed bold italic" in text and "after & a stray < sign" in text


def test_a_page_nested_deeper_than_the_parser_builds_is_left_alone() -> None:
    deep = "<html><body>" + "<div>" * 3000 + "<p>deep</p>" + "</div>" * 3000 + "</body></html>"
    assert run(deep) is None


def test_a_very_long_line_is_kept() -> None:
    words = "word " * 100_000
    assert words.strip() in out(page(f"<p>{words}</p>"))


def test_a_ten_megabyte_page_is_compressed() -> None:
    bloat = "<script>" + "var x = 1;" * 100_000 + "</script>"
    posts = "".join(f"<p>{SENTENCE} Post {n} adds one more point.</p>{bloat}" for n in range(10))
    source = page(f"<article>{posts}</article>")
    assert len(source) > 10_000_000
    text = out(source)
    assert f"{SENTENCE} Post 9 adds one more point." in text
    assert len(text) < 5_000


def test_a_page_of_a_megabyte_of_prose_keeps_all_of_it() -> None:
    posts = "".join(f"<p>{SENTENCE} Post {n} adds one more point.</p>" for n in range(12_000))
    source = page(f"<article>{posts}</article>")
    assert len(source) > 1_000_000
    text = out(source)
    assert text.count(SENTENCE) == 12_000


def test_same_input_gives_byte_identical_output() -> None:
    source = page(article(extra='<p>See <a href="/a">a</a>.</p>'))
    assert out(source, "budget") == out(source, "budget")


TAGS = st.sampled_from(
    ["p", "div", "span", "a", "li", "ul", "table", "tr", "td", "h2", "pre", "br", "nav", "script"]
)
FRAGMENTS = st.lists(
    st.one_of(
        TAGS.map(lambda t: f"<{t}>"),
        TAGS.map(lambda t: f"</{t}>"),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    ),
    max_size=60,
).map(lambda parts: "<html><body>" + "".join(parts))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=FRAGMENTS, query=st.one_of(st.none(), st.text(max_size=20)))
def test_any_markup_compresses_without_error_and_names_the_original(
    text: str, query: str | None
) -> None:
    result = run(text, query)
    if result is not None:
        assert marker_ids(result.text) == [ccr_id(text)] and result.ccr_id == ccr_id(text)


def test_the_compressor_is_registered_for_html() -> None:
    names = [c.name for c in build_registry(raise_errors=True).for_kind("html")]
    assert names[0] == "html"


# ---------------------------------------------------------------- corpus


@pytest.fixture(scope="module")
def corpus() -> Path:
    return require_corpus()


#: Measured floor on the corpus (the bench gives 89.9%; the issue's target is 85%).
FLOOR = 88.0


@pytest.mark.corpus
def test_corpus_keeps_every_needle_and_saves_the_measured_floor(corpus: Path) -> None:
    results = run_bench(get_runtime(store="memory"), load_corpus(corpus, kind="html"))
    missed = [r.id for r in results if r.needles_kept < r.needles_total]
    assert not missed, f"needles lost in {missed}"
    assert all(r.compressor == "html" for r in results)
    assert summarize(results)[-1].saved_pct >= FLOOR


@pytest.mark.corpus
def test_corpus_pages_compress_the_same_way_twice(corpus: Path) -> None:
    for sample in load_corpus(corpus, kind="html"):
        text = sample.read()
        ctx = CompressContext(query=sample.needles[0].question, kind="html")
        assert HtmlCompressor().compress(text, ctx) == HtmlCompressor().compress(text, ctx)
