"""The code compressor: every language, hand-made edge cases, and the real corpus."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom.bench.corpus import Sample
from headroom.ccr import ccr_id, marker_ids
from headroom.compressors.base import Compressor
from headroom.compressors.code import CodeCompressor
from headroom.compressors.code.language import candidates
from headroom.compressors.code.numbering import split_gutter
from headroom.compressors.registry import build_registry
from headroom.types import CompressContext, Origin
from tests.compressors.code_samples import TEMPLATES
from tests.compressors.corpus import corpus_samples, saved_share_keeping_needles

ELISION = re.compile(r"^\s*… \(lines (\d+)–(\d+)\)\r?$")


def compress(
    text: str, query: str | None = None, *, path: str | None = None, keep_factor: float = 1.0
) -> str | None:
    ctx = CompressContext(query=query, origin=Origin(file_path=path), keep_factor=keep_factor)
    result = CodeCompressor().compress(text, ctx)
    if result is not None:
        assert result.ccr_id == ccr_id(text)
        assert marker_ids(result.text) == [result.ccr_id]
    return None if result is None else result.text


def assert_accounts_for_every_line(out: str, text: str, *, gutter: int = 0) -> None:
    """Each original line is kept verbatim, in order, or inside an announced `… (lines a–b)`."""
    original = text.split("\n")
    first = split_gutter(text).first if gutter else 1
    at = 0
    for line in out.split("\n")[1:]:
        cut = ELISION.match(line)
        if cut:
            start, end = int(cut.group(1)) - first, int(cut.group(2)) - first
            assert start == at, f"elision starts at {start}, expected {at}"
            at = end + 1
        else:
            assert line == original[at], f"line {at} changed: {line!r}"
            at += 1
    assert at == len(original)


def test_compressor_implements_the_protocol_and_is_registered_for_code() -> None:
    compressor = CodeCompressor()
    assert isinstance(compressor, Compressor)
    assert compressor.kinds == ("code",)
    names = [c.name for c in build_registry().for_kind("code")]
    assert names.index("code") < names.index("lossless")


@pytest.mark.parametrize("language", sorted(TEMPLATES))
def test_each_language_keeps_signatures_and_elides_bodies(language: str) -> None:
    template = TEMPLATES[language]
    text = template.source()
    for path in (f"src/store.{template.extension}", None):
        out = compress(text, path=path)
        assert out is not None, (language, path)
        for i in range(30):
            assert template.line(template.signature, i) in out, (language, i)
        assert template.line(template.body, 3) not in out
        assert len(out) < 0.7 * len(text)
        assert_accounts_for_every_line(out, text)


@pytest.mark.parametrize("language", sorted(TEMPLATES))
def test_content_alone_names_the_language(language: str) -> None:
    assert candidates(TEMPLATES[language].source(), Origin())[0] == language


def test_empty_tiny_and_small_files_are_left_whole() -> None:
    assert compress("") is None
    assert compress("x = 1") is None
    assert compress(TEMPLATES["python"].source(count=10)) is None  # under 150 lines


def test_a_question_naming_a_function_keeps_its_body_whole() -> None:
    template = TEMPLATES["go"]
    out = compress(template.source(), "What does Store.GetItem7 return?")
    assert out is not None
    assert template.line(template.body, 7) in out
    assert template.line(template.body, 8) not in out


def test_an_error_question_keeps_raising_lines_in_unnamed_bodies() -> None:
    template = TEMPLATES["java"]
    text = template.source()
    out = compress(text, "Which exception is thrown when there is no item in shelf 12?")
    assert out is not None
    assert template.line(template.body, 12) in out
    assert len(out) < 0.7 * len(text)
    assert_accounts_for_every_line(out, text)


def test_a_quoted_message_in_the_question_keeps_its_line() -> None:
    template = TEMPLATES["go"]
    out = compress(template.source(), 'Where is "no item %s in shelf 17" returned?')
    assert out is not None
    assert template.line(template.body, 17) in out
    assert template.line(template.body, 18) not in out


def test_a_number_in_the_question_matches_whole_numbers_only() -> None:
    template = TEMPLATES["java"]
    out = compress(template.source(count=130), "What fails for shelf 23?")
    assert out is not None
    assert template.line(template.body, 23) in out
    assert template.line(template.body, 123) not in out


def test_a_traceback_in_the_question_keeps_the_function_it_points_into() -> None:
    template = TEMPLATES["python"]
    text = template.source()
    row = text.split("\n").index(template.line(template.body, 20))
    traceback = f'Traceback (most recent call last):\n  File "/app/store.py", line {row + 1}'
    out = compress(text, traceback, path="/srv/app/store.py")
    assert out is not None and "        value = self.data.get(key)" in out
    elsewhere = compress(text, traceback, path="/srv/app/other.py")
    assert elsewhere is not None and template.line(template.body, 20) not in elsewhere


def test_a_compiler_location_keeps_its_function_when_the_file_is_unnamed() -> None:
    template = TEMPLATES["go"]
    text = template.source()
    row = text.split("\n").index(template.line(template.body, 5))
    out = compress(text, f"store.go:{row + 1}:3: undefined: x")
    assert out is not None and template.line(template.body, 5) in out


def test_docstrings_and_comment_blocks_keep_their_first_line() -> None:
    header = '"""Module title.\n\nA long description\nover several\nlines.\n"""\n'
    out = compress(header + TEMPLATES["python"].source())
    assert out is not None
    assert '"""Module title.' in out and "over several" not in out
    assert '        """Return item 3.' in out and "        Looks the key up." not in out


def test_claude_code_line_numbers_stay_on_every_kept_line() -> None:
    template = TEMPLATES["rust"]
    code = template.source().split("\n")
    text = "\n".join(f"{n:>6}→{line}" for n, line in enumerate(code, 41))
    out = compress(text, path="src/lib.rs")
    assert out is not None
    assert_accounts_for_every_line(out, text, gutter=1)
    kept = [line for line in out.split("\n")[1:] if not ELISION.match(line)]
    assert all(re.match(r" *\d+→", line) for line in kept)
    body = 41 + code.index(template.line(template.signature, 0)) + 1
    assert f"… (lines {body}–" in out  # file line numbers, not positions in the text


def test_cat_n_line_numbers_are_recognised_too() -> None:
    code = TEMPLATES["c"].source().split("\n")
    text = "\n".join(f"{n:>6}\t{line}" for n, line in enumerate(code, 1))
    out = compress(text)
    assert out is not None
    assert_accounts_for_every_line(out, text, gutter=1)


@pytest.mark.parametrize(
    ("header", "separator"),
    [
        ("[File: /repo/app.py (120 lines total)]\n(this is the beginning of the file)\n", "|"),
        ("[File: /repo/app.py (120 lines total)]\n", ":"),
    ],
    ids=["openhands-view", "swe-agent-open"],
)
def test_agent_file_views_keep_their_header_and_numbers(header: str, separator: str) -> None:
    code = TEMPLATES["python"].source().split("\n")
    text = header + "\n".join(f"{n}{separator}{line}" for n, line in enumerate(code, 1))
    out = compress(text)
    assert out is not None and out.startswith(header)
    rest = out[len(header) :]
    kept = [line for line in rest.split("\n")[1:] if not ELISION.match(line)]
    assert kept and all(re.match(rf"\d+{re.escape(separator)}", line) for line in kept)
    assert_accounts_for_every_line(rest, text[len(header) :], gutter=1)


def test_an_unnumbered_tail_after_the_numbered_lines_is_kept_verbatim() -> None:
    code = TEMPLATES["python"].source().split("\n")
    tail = "\n<system-reminder>\nThis file may be stale.\n</system-reminder>"
    text = "\n".join(f"{n:>6}→{line}" for n, line in enumerate(code, 1)) + tail
    out = compress(text)
    assert out is not None and out.endswith(tail)


def test_windows_line_endings_give_verbatim_lines() -> None:
    text = TEMPLATES["javascript"].source().replace("\n", "\r\n")
    out = compress(text)
    assert out is not None
    assert_accounts_for_every_line(out, text)


def test_long_runs_of_module_level_statements_are_cut_to_a_sample() -> None:
    calls = "".join(f'register("route-{i}", handler_{i % 3})\n' for i in range(200))
    text = "import app\n\n" + calls
    out = compress(text, path="routes.py")
    assert out is not None
    assert 'register("route-0", handler_0)' in out and 'register("route-150"' not in out
    assert_accounts_for_every_line(out, text)


def test_a_suite_of_nested_tests_is_opened_so_each_test_name_stays() -> None:
    tests = "".join(
        f"  it('handles case {i}', () => {{\n    const v = run({i});\n"
        f"    expect(v).toBe({i});\n    expect(v).not.toBe(-1);\n  }});\n\n"
        for i in range(40)
    )
    text = "describe('store', () => {\n" + tests + "});\n"
    out = compress(text)
    assert out is not None
    assert all(f"  it('handles case {i}', () => {{" in out for i in range(40))
    assert "    const v = run(7);" not in out


def test_broken_code_is_left_alone_or_loses_nothing_silently() -> None:
    garbage = "\n".join("}} ) ( {{ ] [ ;; => :: <<" * 3 for _ in range(300))
    assert compress(garbage, path="x.js") is None
    text = TEMPLATES["python"].source()
    signature = "    def get_item_5(self, key: str) -> int:"
    broken = text.replace(signature, "    def get_item_5(self key str) -> ")
    out = compress(broken)
    if out is not None:
        assert_accounts_for_every_line(out, broken)


def test_minified_and_very_long_lines_are_left_alone() -> None:
    assert compress("var a=function(){return 1};" * 50_000, path="app.min.js") is None
    many = "\n".join(["var a=function(b){return b+1},c=a(2);" * 40] * 300)
    assert compress(many, path="bundle.js") is None


def test_prose_and_files_of_other_kinds_are_left_alone() -> None:
    prose = "\n".join(["The quick brown fox jumps over the lazy dog, then naps."] * 300)
    assert compress(prose) is None
    assert compress(TEMPLATES["python"].source(), path="notes.txt") is None


def test_a_ten_megabyte_file_is_declined_quickly() -> None:
    text = TEMPLATES["python"].source() * 1400
    assert len(text) > 10_000_000
    start = time.perf_counter()
    assert compress(text) is None
    assert time.perf_counter() - start < 1.0


def test_keep_factor_keeps_more() -> None:
    text = TEMPLATES["typescript"].source(count=24)  # about 200 lines
    assert compress(text, keep_factor=2.0) is None
    plain = compress(text, "shelf")
    wider = compress(text, "shelf", keep_factor=1.2)
    assert plain is not None and wider is not None and len(wider) >= len(plain)


def test_output_is_deterministic() -> None:
    text = TEMPLATES["rust"].source()
    first = compress(text, "get_item_4 errors")
    assert first is not None and compress(text, "get_item_4 errors") == first


#: What may stand between functions: blank lines, comment blocks, a stray closer, junk.
EXTRAS = ["", "", "", "// note\n// more\n// and more", "# a\n# b\n# c", "}", "@@ junk"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language=st.sampled_from(["python", "javascript", "rust", "go", "c"]),
    chunks=st.lists(st.integers(0, 100 + 3 * len(EXTRAS) - 1), min_size=25, max_size=60),
    crlf=st.booleans(),
)
def test_any_mix_of_functions_comments_and_junk_is_declined_or_fully_accounted_for(
    language: str, chunks: list[int], crlf: bool
) -> None:
    template = TEMPLATES[language]
    parts = [
        template.function.replace("NN", str(c)) if c < 100 else EXTRAS[(c - 100) % 7] + "\n"
        for c in chunks
    ]
    text = template.head + "".join(parts) + template.tail
    text = text.replace("\n", "\r\n") if crlf else text
    out = compress(text, "get_item_7 error", path=f"x.{template.extension}")
    if out is not None:
        assert_accounts_for_every_line(out, text)


# ---------------------------------------------------------------- the real corpus

#: Measured on the corpus (bench: 63.0% saved, 34/34 needles); the floor leaves a little room.
CORPUS_SAVED_FLOOR = 0.60


def code_samples() -> list[Sample]:
    return corpus_samples("code")


def test_corpus_code_keeps_every_needle_and_saves_the_measured_share() -> None:
    assert saved_share_keeping_needles(code_samples(), compress) >= CORPUS_SAVED_FLOOR


def test_corpus_outputs_account_for_every_line_and_are_deterministic() -> None:
    for sample in code_samples():
        text = sample.read()
        query = sample.needles[0].question
        out = compress(text, query)
        assert out is not None and out == compress(text, query), sample.id
        assert_accounts_for_every_line(out, text)
