"""The search compressor: hand-made grep/rg/ag outputs and path lists, then the corpus."""

from __future__ import annotations

import re

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom.bench.corpus import Sample
from headroom.ccr import ccr_id, marker_ids
from headroom.compressors.registry import build_registry
from headroom.compressors.search import SearchCompressor, parse_search
from headroom.compressors.search.score import search_terms, stem
from headroom.tokens import get_counter
from headroom.types import CompressContext, Compressed
from tests.compressors.corpus import corpus_samples

MARKER = re.compile(r"^\[headroom: .*headroom_retrieve id=hr_[0-9a-f]{12}\]$", re.MULTILINE)


def run(
    text: str,
    query: str | None = None,
    *,
    keep_factor: float = 1.0,
    budget_tokens: int | None = None,
) -> Compressed | None:
    ctx = CompressContext(query=query, keep_factor=keep_factor, budget_tokens=budget_tokens)
    return SearchCompressor().compress(text, ctx)


def out(
    text: str,
    query: str | None = None,
    *,
    keep_factor: float = 1.0,
    budget_tokens: int | None = None,
) -> str:
    result = run(text, query, keep_factor=keep_factor, budget_tokens=budget_tokens)
    assert result is not None
    return result.text


def grep_lines(files: int = 12, per_file: int = 30) -> str:
    """`rg -n` output: `src/pkg{f}/mod{f}.py:{n}:    value_{f}_{n} = compute({n})`."""
    lines = [
        f"src/pkg{f}/mod{f}.py:{n}:    value_{f}_{n} = compute({n})"
        for f in range(files)
        for n in range(1, per_file * 3, 3)
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- flat grep output


def test_grep_output_keeps_the_matching_line_verbatim_under_its_file() -> None:
    text = out(grep_lines(), "where is value_7_31 set?")
    assert "src/pkg7/mod7.py" in text.splitlines()[0]
    assert "31:    value_7_31 = compute(31)" in text.splitlines()


def test_grep_output_keeps_every_file_that_matches_with_its_count() -> None:
    text = out(grep_lines(), "value_7_31")
    for f in range(12):
        assert f"mod{f}.py" in text
    assert "mod3.py 30 (1–88)" in text


def test_a_file_with_lines_left_out_names_their_line_ranges() -> None:
    text = out(grep_lines(), "value_7_31")
    assert "src/pkg7/mod7.py (30 matches; not shown: 29 lines in 1–28, 34–88)" in text


def test_a_lossy_cut_writes_a_marker_with_the_originals_id() -> None:
    source = grep_lines()
    result = run(source, "value_7_31")
    assert result is not None
    assert result.ccr_id == ccr_id(source)
    assert set(marker_ids(result.text)) == {result.ccr_id}
    assert "359 of 360 lines omitted" in result.text
    assert MARKER.search(result.text)


def test_without_a_query_the_first_lines_of_each_file_are_shown() -> None:
    text = out(grep_lines(files=3))
    assert "1:    value_0_1 = compute(1)" in text
    assert "4:    value_2_4 = compute(4)" in text
    assert "first lines of each file" in text


def test_keep_factor_keeps_more_lines() -> None:
    source = grep_lines(files=2, per_file=60)
    query = "compute"
    base = out(source, query).count("= compute(")
    more = out(source, query, keep_factor=3.0).count("= compute(")
    assert more > base


def test_a_token_budget_lowers_the_number_of_lines_shown() -> None:
    source = grep_lines(files=2, per_file=60)
    assert out(source, "compute", budget_tokens=90).count("= compute(") <= 3


def test_rare_query_terms_outrank_the_searched_pattern() -> None:
    lines = [f"a/x.py:{n}:    timeout = {n}" for n in range(1, 200)]
    lines.insert(50, "a/x.py:500:    raise ValueError('invalid timeout tuple')")
    text = out("\n".join(lines), "What error is raised for an invalid timeout?")
    assert "500:    raise ValueError('invalid timeout tuple')" in text


def test_a_term_that_names_a_file_favours_that_files_lines() -> None:
    lines = [f"test/app.{name}.js:{n}:  app.use(handler{n})" for name in "abcd" for n in range(40)]
    lines.append("test/express.json.js:727:  app.use(function (err, req, res, next) {")
    lines += [f"test/express.json.js:{n}:  app.use(express.json())" for n in range(800, 820)]
    text = out("\n".join(lines), "Where is an error handler registered in express.json tests?")
    assert "727:  app.use(function (err, req, res, next) {" in text


def test_the_line_that_defines_the_asked_name_outranks_its_uses() -> None:
    uses = [f"src/u{n % 10}.py:{n}:    x = merge_setting(a, b)" for n in range(1, 61)]
    definition = "src/z.py:10:def merge_setting(a, b):"
    text = out("\n".join([*uses, definition]), "Where is merge_setting defined?")
    assert "10:def merge_setting(a, b):" in text


def test_a_number_in_the_query_finds_the_line_with_that_number() -> None:
    text = out(grep_lines(), "what is on line 31 of mod7.py")
    assert "31:    value_7_31 = compute(31)" in text


def test_windows_line_endings_are_read_like_unix_ones() -> None:
    unix = grep_lines()
    windows = out(unix.replace("\n", "\r\n"), "value_7_31")
    assert "\r" not in windows
    assert _without_ids(windows) == _without_ids(out(unix, "value_7_31"))


def _without_ids(text: str) -> str:
    return re.sub(r"hr_[0-9a-f]{12}", "hr_ID", text)


def test_column_numbers_stay_part_of_the_shown_line() -> None:
    source = "\n".join(f"src/a{n % 3}.py:{n}:{n % 7 + 1}:let x{n} = f();" for n in range(200))
    assert "42:1:let x42 = f();" in out(source, "x42")


def test_grep_without_line_numbers_is_grouped_by_file() -> None:
    source = "\n".join(f"src/x{n % 4}.py:    call_{n}(arg)" for n in range(200))
    text = out(source, "call_17")
    assert "src/x1.py (50 matches; not shown: 47 lines)" in text
    assert "    call_17(arg)" in text.splitlines()


def test_output_for_one_file_has_no_path_and_keeps_its_numbered_lines() -> None:
    source = "\n".join(f"{n}:    def method_{n}(self):" for n in range(1, 300, 3))
    text = out(source, "method_31")
    assert text.splitlines()[0] == "(100 matches; not shown: 99 lines in 1–28, 34–298)"
    assert "31:    def method_31(self):" in text.splitlines()


# ---------------------------------------------------------------- context, heading, json


def test_context_lines_keep_their_dash_separator_even_in_dashed_paths() -> None:
    block = "my-app/a-b.py-{0}-ctx {0}\nmy-app/a-b.py:{1}:hit {1}\n--\n"
    source = "".join(block.format(n, n + 1) for n in range(1, 400, 4))
    listing = parse_search(source)
    assert listing is not None
    assert list(listing.files) == ["my-app/a-b.py"]
    assert "1-ctx 1" in out(source, "ctx 1")


def test_heading_blocks_are_read_under_their_path() -> None:
    blocks = [f"lib/m{f}.py\n" + "".join(f"{n}:x = {f}{n}\n" for n in range(30)) for f in range(9)]
    text = out("\n".join(blocks), "x = 75")
    assert "lib/m7.py (30 matches; not shown: 29 lines in 0–4, 6–29)" in text
    assert "5:x = 75" in text.splitlines()


def rg_json(lines: list[tuple[str, int, str]]) -> str:
    events: list[dict[str, object]] = []
    for path, number, text in lines:
        events.append({"type": "begin", "data": {"path": {"text": path}}})
        events.append(
            {
                "type": "match",
                "data": {
                    "path": {"text": path},
                    "lines": {"text": text + "\n"},
                    "line_number": number,
                    "absolute_offset": 100,
                    "submatches": [{"match": {"text": "x"}, "start": 0, "end": 1}],
                },
            }
        )
        events.append({"type": "end", "data": {"path": {"text": path}, "stats": {}}})
    stats = {"matched_lines": len(lines), "matches": len(lines) + 3}
    events.append({"type": "summary", "data": {"stats": stats}})
    return "\n".join(orjson.dumps(e).decode() for e in events) + "\n"


def test_rg_json_becomes_grouped_lines_and_keeps_the_summary() -> None:
    rows = [(f"pkg/f{n % 5}.py", n, f"    TIMEOUT_{n} = 'timeout_{n}'") for n in range(1, 120)]
    result = run(rg_json(rows), "Where is TIMEOUT_77 defined?")
    assert result is not None
    assert "77:    TIMEOUT_77 = 'timeout_77'" in result.text
    assert "rg summary: matched_lines=119, matches=122" in result.text
    assert result.ccr_id is not None
    assert "records omitted" in result.text


# ---------------------------------------------------------------- path lists


def file_list() -> str:
    paths = [f"src/pkg{d}/sub{s}/file{n}.py" for d in range(4) for s in range(3) for n in range(20)]
    return "\n".join([*paths, "src/pkg2/raises.py", "README.md"]) + "\n"


def test_a_path_list_becomes_a_directory_tree_with_counts() -> None:
    text = out(file_list())
    assert "src/ 241" in text
    assert "  pkg2/ 61" in text
    assert "./ 1 (top level)" in text
    assert "242 of 242 paths omitted" in text


def test_paths_that_match_the_query_stay_whole() -> None:
    text = out(file_list(), "Which module implements raises?")
    assert "src/pkg2/raises.py" in text.splitlines()


def test_ls_recursive_blocks_join_directory_and_name() -> None:
    source = "".join(f"./d{n}:\na{n}.py\nb{n}.txt\n\n" for n in range(80))
    assert "./d7/b7.txt" in out(source, "b7.txt").splitlines()


def test_a_flat_list_of_names_is_summarised_by_extension() -> None:
    source = "\n".join([f"f{n}.py" for n in range(300)] + [f"n{n}.md" for n in range(20)])
    assert "*.py 300, *.md 20" in out(source)


# ---------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "src/a.py:1:one line",
        "\n".join(f"2024-01-01 12:00:{n % 60:02d} INFO worker started job {n}" for n in range(99)),
        "\n".join(f"16:13:{n % 60:02d}.811 ERROR worker failed job {n}" for n in range(99)),
        "\n".join(
            f"20171223-22:15:{n % 60:02d}:606|Step_LSC|30002312|onStep {n}" for n in range(99)
        ),
        "\n".join(f"2015-07-29 17:41:{n % 60:02d} - INFO [/10.0.0.1:3888:Q@1]" for n in range(99)),
        "def foo():\n    return 1\n\nclass X:\n    pass\n" * 20,
        "\n".join(f"package{n}==1.{n}.0" for n in range(100)),
        "\n".join(f"src/f{n}.py:{n}" for n in range(50)),  # grep -c: counts, not lines
        "Just some prose about src/a.py: it is a file.\n" * 30,
        '{"type": "other", "data": {}}\n' * 30,
    ],
)
def test_text_that_is_not_search_output_is_left_alone(text: str) -> None:
    assert run(text, "anything") is None


def test_very_long_lines_are_clipped_around_the_query_with_a_marker() -> None:
    long_line = "dist/app.min.js:1:" + "var a=1;" * 2000 + "needle_here" + "b" * 5000
    source = "\n".join([long_line] + [f"src/a.py:{n}:x = {n}" for n in range(1, 60)])
    result = run(source, "needle_here")
    assert result is not None
    assert "needle_here" in result.text
    assert len(result.text) < 3000
    assert "1 long line" in result.text or "long lines clipped" in result.text
    assert result.ccr_id == ccr_id(source)


def test_a_ten_megabyte_search_output_is_compressed() -> None:
    line = "src/pkg{0}/mod{1}.py:{2}:    result = compute_thing(arg_{2}, other)  # trailing\n"
    source = "".join(line.format(n % 50, n % 997, n) for n in range(125_000))
    assert len(source) > 10_000_000
    result = run(source, "arg_4242")
    assert result is not None
    assert "4242:    result = compute_thing(arg_4242, other)  # trailing" in result.text
    assert len(result.text) < len(source) // 3


TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=40
)
GREP_OUTPUT = st.lists(
    st.tuples(
        st.sampled_from(["src/a.py", "lib/b-c.js", "x/y/z.go", "C:\\w\\q.c"]),
        st.integers(0, 5000),
        st.sampled_from([":", "-"]),
        TEXT,
    ),
    min_size=1,
    max_size=200,
).map(lambda rows: "\n".join(f"{path}{sep}{n}{sep}{text}" for path, n, sep, text in rows))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=GREP_OUTPUT, query=st.one_of(st.none(), TEXT))
def test_nothing_is_lost_without_a_marker(text: str, query: str | None) -> None:
    result = run(text, query)
    if result is None:
        return
    if result.ccr_id is not None:
        assert set(marker_ids(result.text)) == {result.ccr_id} == {ccr_id(text)}
        return
    listing = parse_search(text)
    assert listing is not None
    for entry in listing.files.values():
        assert entry.path in result.text
        assert all(line.shown in result.text for line in entry.lines)


def test_same_input_gives_byte_identical_output() -> None:
    source = grep_lines()
    assert out(source, "value_7_31") == out(source, "value_7_31")


def test_the_compressor_is_registered_for_search_results() -> None:
    names = [c.name for c in build_registry(raise_errors=True).for_kind("search")]
    assert "search" in names


def test_query_words_are_stemmed_split_and_abbreviated() -> None:
    texts = {t.text for t in search_terms("Where are error-handling failures in express.json?")}
    assert {"express.json", "express", "json", "error-handling", "error", "err", "fail"} <= texts
    assert "where" not in texts
    assert stem("deprecation") == "deprec"
    assert stem("express") == "express"


# ---------------------------------------------------------------- the real corpus

#: Measured on the corpus with SearchCompressor (bench command): 90.3% saved, 31/31.
CORPUS_SAVED_FLOOR = 0.85


def search_samples() -> list[Sample]:
    return corpus_samples("search")


def test_corpus_search_results_keep_every_needle_and_save_the_measured_share() -> None:
    counter = get_counter()
    before = after = 0.0
    for sample in search_samples():
        text = sample.read()
        outputs = []
        for needle in sample.needles:
            result = run(text, needle.question)
            assert result is not None, sample.id
            missing = [m for m in needle.must_contain if m not in result.text]
            assert not missing, f"{sample.id}: {needle.question!r} lost {missing}"
            outputs.append(counter.count(result.text))
        before += counter.count(text)
        after += sum(outputs) / len(outputs)
    assert 1 - after / before >= CORPUS_SAVED_FLOOR


def test_corpus_outputs_are_deterministic() -> None:
    for sample in search_samples():
        text = sample.read()
        query = sample.needles[0].question
        assert out(text, query) == out(text, query), sample.id
